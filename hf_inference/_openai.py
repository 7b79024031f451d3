"""openai's spelling of chat: ``await client.chat.completions.create(model=..., messages=...)``.

Nothing is implemented here: ``create`` hands its arguments to
:meth:`AsyncInferenceClient.chat_completion` or ``chat_completion_stream``, so the answers
are the same types. As in openai's async client, ``create`` is awaited in both forms; with
``stream=True`` it returns the (not yet started) :class:`AsyncStream`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from . import types as t
from ._streaming import AsyncStream

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._chat import Messages
    from ._client import AsyncInferenceClient
    from ._params import ChatCompletionParameters

__all__ = ["Chat", "ChatCompletions"]

S = TypeVar("S")


class ChatCompletions:
    """``client.chat.completions``."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncInferenceClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = ...,
        stream: Literal[True],
        response_format: Mapping[str, Any] | type[Any] | None = ...,
        **params: Unpack[ChatCompletionParameters],
    ) -> AsyncStream[t.ChatCompletionStreamOutput]: ...

    @overload
    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = ...,
        stream: Literal[False] = ...,
        response_format: type[S],
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ParsedChatCompletion[S]: ...

    @overload
    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = ...,
        stream: Literal[False] = ...,
        response_format: Mapping[str, Any] | None = ...,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput: ...

    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = None,
        stream: bool = False,
        response_format: Mapping[str, Any] | type[Any] | None = None,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput | AsyncStream[t.ChatCompletionStreamOutput]:
        """``chat_completion`` (or, with ``stream=True``, ``chat_completion_stream``)."""
        if stream:
            return self._client.chat_completion_stream(
                messages, model=model, response_format=response_format, **params
            )
        return await self._client.chat_completion(
            messages, model=model, response_format=response_format, **params
        )


class Chat:
    """``client.chat``: holds ``completions``."""

    __slots__ = ("completions",)

    def __init__(self, client: AsyncInferenceClient) -> None:
        self.completions = ChatCompletions(client)
