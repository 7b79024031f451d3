"""Module-level task functions, derived from the client methods (one line per task).

They share one client per event loop (one connection pool). The client is closed when the loop
shuts down its async generators (``asyncio.run`` and anyio do this at exit), or explicitly with
``await hf_inference.aclose_default_client()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from ._client import AsyncInferenceClient
from ._streaming import AsyncStream

if TYPE_CHECKING:
    from typing import Concatenate

    from typing_extensions import ParamSpec

    P = ParamSpec("P")

R = TypeVar("R")
T = TypeVar("T")

_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[AsyncInferenceClient, AsyncGenerator[None, None]]
] = weakref.WeakKeyDictionary()


async def _close_at_loop_shutdown(client: AsyncInferenceClient) -> AsyncGenerator[None, None]:
    # The loop finalises registered async generators in shutdown_asyncgens(), while it still
    # runs: the one place where an awaited close is possible at exit.
    try:
        yield
    finally:
        await client.aclose()


def default_client() -> AsyncInferenceClient:
    """The shared client of the running event loop (token from ``HF_TOKEN`` or the token file)."""
    loop = asyncio.get_running_loop()
    entry = _clients.get(loop)
    if entry is None or entry[0].closed:
        client = AsyncInferenceClient()
        closer = _close_at_loop_shutdown(client)
        with contextlib.suppress(StopIteration):
            closer.__anext__().send(None)  # runs up to the yield, registering with the loop
        _clients[loop] = entry = (client, closer)
    return entry[0]


async def aclose_default_client() -> None:
    """Close the running loop's shared client now (a new one is made on the next call)."""
    entry = _clients.pop(asyncio.get_running_loop(), None)
    if entry is not None:
        await entry[1].aclose()


def module_function(
    method: Callable[Concatenate[AsyncInferenceClient, P], Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """A coroutine function calling ``method`` on the loop's shared client."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return await method(default_client(), *args, **kwargs)

    return call


def module_stream_function(
    method: Callable[Concatenate[AsyncInferenceClient, P], AsyncStream[T]],
) -> Callable[P, AsyncStream[T]]:
    """A function returning ``method``'s stream on the loop's shared client."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> AsyncStream[T]:
        return method(default_client(), *args, **kwargs)

    return call


C = AsyncInferenceClient
fill_mask = module_function(C.fill_mask)
summarization = module_function(C.summarization)
question_answering = module_function(C.question_answering)
table_question_answering = module_function(C.table_question_answering)
text_classification = module_function(C.text_classification)
text_generation = module_function(C.text_generation)
text_generation_stream = module_stream_function(C.text_generation_stream)
token_classification = module_function(C.token_classification)
translation = module_function(C.translation)
zero_shot_classification = module_function(C.zero_shot_classification)
conversational = module_function(C.conversational)
sentence_similarity = module_function(C.sentence_similarity)
chat_completion = module_function(C.chat_completion)
chat_completion_stream = module_stream_function(C.chat_completion_stream)
automatic_speech_recognition = module_function(C.automatic_speech_recognition)
audio_classification = module_function(C.audio_classification)
text_to_speech = module_function(C.text_to_speech)
audio_to_audio = module_function(C.audio_to_audio)
image_classification = module_function(C.image_classification)
object_detection = module_function(C.object_detection)
image_segmentation = module_function(C.image_segmentation)
image_to_text = module_function(C.image_to_text)
text_to_image = module_function(C.text_to_image)
image_to_image = module_function(C.image_to_image)
text_to_video = module_function(C.text_to_video)
image_to_video = module_function(C.image_to_video)
zero_shot_image_classification = module_function(C.zero_shot_image_classification)
feature_extraction = module_function(C.feature_extraction)
visual_question_answering = module_function(C.visual_question_answering)
document_question_answering = module_function(C.document_question_answering)
tabular_regression = module_function(C.tabular_regression)
tabular_classification = module_function(C.tabular_classification)
request = module_function(C.request)
streaming_request = module_stream_function(C.streaming_request)

TASK_FUNCTIONS = (
    "fill_mask",
    "summarization",
    "question_answering",
    "table_question_answering",
    "text_classification",
    "text_generation",
    "text_generation_stream",
    "token_classification",
    "translation",
    "zero_shot_classification",
    "conversational",
    "sentence_similarity",
    "chat_completion",
    "chat_completion_stream",
    "automatic_speech_recognition",
    "audio_classification",
    "text_to_speech",
    "audio_to_audio",
    "image_classification",
    "object_detection",
    "image_segmentation",
    "image_to_text",
    "text_to_image",
    "image_to_image",
    "text_to_video",
    "image_to_video",
    "zero_shot_image_classification",
    "feature_extraction",
    "visual_question_answering",
    "document_question_answering",
    "tabular_regression",
    "tabular_classification",
)
