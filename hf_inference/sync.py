"""A blocking facade over :class:`~hf_inference.AsyncInferenceClient`, for scripts and notebooks.

::

    from hf_inference.sync import InferenceClient

    with InferenceClient() as hf:
        print(hf.text_generation("The answer is", model="gpt2").generated_text)
        for event in hf.text_generation_stream("Once upon a time", model="gpt2"):
            print(event.token.text, end="")

Nothing here re-implements a task: each method is the async client's method, run on a private
event loop in a daemon thread through an anyio blocking portal (asyncio backend).

A blocking call made while the calling thread's own event loop runs (inside ``async def``)
would stall that loop until it returns, and never return if the server answering runs on that
loop: it raises :class:`~hf_inference.EventLoopError` instead, naming the async client to use.
A Jupyter/IPython kernel is the exception: its cells run inside the kernel's loop, and blocking
a cell is what a notebook user asks for. Arguments, return types and errors are exactly the
async client's;
the methods are typed from it (IDE signatures and docs live on ``AsyncInferenceClient``).
Streams become plain iterators, closed on exhaustion, ``break`` (when dropped), ``close()``,
leaving a ``with`` block, or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, InvalidStateError
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec, TypeVar, overload

import anyio
from anyio.from_thread import BlockingPortal

from ._client import AsyncInferenceClient
from ._exceptions import ClientClosedError, EventLoopError
from ._openai import Chat, ChatCompletions
from ._responses import Responses
from ._streaming import AsyncStream

if TYPE_CHECKING:
    from collections.abc import Mapping

    from multidict import CIMultiDictProxy
    from typing_extensions import Self, Unpack

    from . import types as t
    from ._chat import Messages
    from ._params import ChatCompletionParameters, TextGenerationKwargs
    from .types.parameters import TextGenerationParameters

__all__ = ["InferenceClient", "SyncStream"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
T = TypeVar("T")


class _LoopThread:
    """An event loop in a daemon thread, driven through an anyio BlockingPortal.

    Our own daemon thread rather than anyio's ``start_blocking_portal``: some anyio releases
    join that thread at interpreter exit, so a client nobody closed would hang the exit.
    """

    def __init__(self) -> None:
        ready: Future[BlockingPortal] = Future()

        async def serve() -> None:
            async with BlockingPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        def target() -> None:
            try:
                anyio.run(serve, backend="asyncio")
            except BaseException as exc:  # surfaces in the constructor below
                if not ready.done():
                    ready.set_exception(exc)

        self.thread = threading.Thread(target=target, name="hf-inference-sync", daemon=True)
        self.thread.start()
        self.portal = ready.result()
        self.stopped = False
        #: Streams handed out and not yet closed, so closing the client can release them.
        self.streams: weakref.WeakSet[AsyncStream[Any]] = weakref.WeakSet()

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def call(self, func: Callable[[], Awaitable[R]], *, quick: bool = False) -> R:
        """Await ``func()`` on the loop and return its result.

        If the caller is interrupted (Ctrl-C), the call is cancelled on the loop, which
        releases its connection. ``quick``: no network wait (closing), so it may run even from
        inside a running event loop.
        """
        result: R = self._run(func, quick=quick)
        return result

    def call_sync(self, func: Callable[[], R], *, quick: bool = False) -> R:
        """Run ``func()`` on the loop thread (awaiting what it returns, if awaitable).

        ``quick``: no network wait (building a client), so it may run even from inside a
        running event loop.
        """
        result: R = self._run(func, quick=quick)
        return result

    def _run(self, func: Callable[[], Any], *, quick: bool = False) -> Any:
        if self.stopped:
            raise ClientClosedError(
                "the InferenceClient is closed (close() was called, or its `with` block ended): "
                "create a new hf_inference.sync.InferenceClient"
            )
        if not quick:
            _refuse_inside_running_loop()
        # The caller's future exists before anything is scheduled, so an interrupt landing
        # anywhere from here on (even while the call is being handed to the loop) cancels it.
        outcome: Future[Any] = Future()
        try:
            self.portal.start_task_soon(_run_into, func, outcome)
            return outcome.result()
        except BaseException:
            outcome.cancel()
            raise

    def call_soon(self, func: Callable[[], Awaitable[Any]]) -> None:
        """Schedule ``func()`` without waiting (safe from finalizers and the loop thread)."""
        if not self.stopped:
            with contextlib.suppress(Exception):
                self.portal.start_task_soon(func)

    def stop(self) -> None:
        if self.stopped:
            return
        if self.in_loop_thread():
            self.call_soon(functools.partial(self.portal.stop, cancel_remaining=True))
            self.stopped = True
            return
        with contextlib.suppress(Exception):
            self.portal.call(self.portal.stop, True)
        self.stopped = True
        self.thread.join()


def _refuse_inside_running_loop() -> None:
    """Raise EventLoopError if this thread's event loop is running (outside a notebook kernel)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop here: blocking is what the caller wants
    if "ipykernel" in sys.modules:
        return  # a notebook cell runs inside the kernel's loop; blocking the cell is expected
    raise EventLoopError(
        "a blocking hf_inference.sync.InferenceClient call was made inside a running event "
        "loop: it would stall that loop until the call returns, and hang if the server runs on "
        "it. In async code use hf_inference.AsyncInferenceClient and `await` its methods "
        "(`await client.text_generation(...)`, `async for` over streams)"
    )


async def _run_into(func: Callable[[], Any], outcome: Future[Any]) -> None:
    """Run ``func()`` on the loop into ``outcome``; cancelling ``outcome`` cancels the call."""
    if outcome.cancelled():
        return
    loop = asyncio.get_running_loop()
    with anyio.CancelScope() as scope:

        def relay(done: Future[Any]) -> None:
            if done.cancelled():
                loop.call_soon_threadsafe(scope.cancel)

        outcome.add_done_callback(relay)
        try:
            result = func()
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            with contextlib.suppress(InvalidStateError):  # the caller gave up meanwhile
                outcome.set_exception(exc)
        except BaseException as exc:
            with contextlib.suppress(InvalidStateError):
                outcome.set_exception(exc)
            raise
        else:
            with contextlib.suppress(InvalidStateError):
                outcome.set_result(result)


async def _next_event(stream: AsyncStream[T]) -> tuple[bool, T | None]:
    # StopAsyncIteration must not cross the portal: report the end as a value instead.
    try:
        return True, await stream.__anext__()
    except StopAsyncIteration:
        return False, None


class SyncStream(Generic[T]):
    """A blocking iterator over an :class:`~hf_inference.AsyncStream`.

    ``for event in stream``, or ``with stream: ...`` (which sends the request at once, so HTTP
    errors raise on entry). ``status``, ``headers`` and ``request_id`` are set once the
    response started. Dropping an unfinished stream releases its connection.
    """

    __slots__ = ("__weakref__", "_loop", "_stream")

    def __init__(self, stream: AsyncStream[T], loop: _LoopThread) -> None:
        self._stream = stream
        self._loop = loop
        loop.streams.add(stream)

    @property
    def status(self) -> int | None:
        return self._stream.status

    @property
    def headers(self) -> CIMultiDictProxy[str] | None:
        return self._stream.headers

    @property
    def request_id(self) -> str | None:
        return self._stream.request_id

    @property
    def closed(self) -> bool:
        return self._stream.closed

    def __repr__(self) -> str:
        return f"<SyncStream of {self._stream!r}>"

    def start(self) -> Self:
        """Send the request and check the response (idempotent)."""
        self._loop.call(self._stream.start)
        return self

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        more, event = self._loop.call(functools.partial(_next_event, self._stream))
        if not more:
            raise StopIteration
        return event  # type: ignore[return-value]  # more=True means an event

    def close(self) -> None:
        """Release the connection; safe to call twice."""
        if not self._stream.closed and not self._loop.stopped:
            self._loop.call(self._stream.aclose, quick=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # The response belongs to the loop thread: close it there, never from here (this may
        # be any thread, even the loop's own). The scheduled call keeps the stream alive.
        stream = getattr(self, "_stream", None)
        if stream is not None and not stream.closed:
            self._loop.call_soon(stream.aclose)


# -- method descriptors: typed from the async client, bound to a sync client on access ----------


class _Method(Generic[P, R]):
    """``InferenceClient.x`` for a coroutine method ``AsyncInferenceClient.x``: same signature,
    blocking, same return type."""

    def __init__(self, method: Callable[Concatenate[AsyncInferenceClient, P], Awaitable[R]]):
        self._method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: InferenceClient, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(self, obj: InferenceClient | None, owner: type[Any]) -> Self | Callable[P, R]:
        if obj is None:
            return self
        method, client, loop = self._method, obj._client, obj._loop

        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            result = loop.call(functools.partial(method, client, *args, **kwargs))
            # ``text_generation(..., stream=True)`` and the like hand back a stream.
            return SyncStream(result, loop) if isinstance(result, AsyncStream) else result  # type: ignore[return-value]

        return call


class _StreamMethod(Generic[P, T]):
    """``InferenceClient.x_stream``: the async stream method, returning a :class:`SyncStream`."""

    def __init__(self, method: Callable[Concatenate[AsyncInferenceClient, P], AsyncStream[T]]):
        self._method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: InferenceClient, owner: type[Any]) -> Callable[P, SyncStream[T]]: ...

    def __get__(
        self, obj: InferenceClient | None, owner: type[Any]
    ) -> Self | Callable[P, SyncStream[T]]:
        if obj is None:
            return self
        method, client, loop = self._method, obj._client, obj._loop

        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> SyncStream[T]:
            stream = loop.call_sync(functools.partial(method, client, *args, **kwargs))
            return SyncStream(stream, loop)

        return call


def _blocking(value: Any, loop: _LoopThread) -> Any:
    """``value`` of the async client made blocking: a method runs on the loop thread (a stream
    it returns becomes a SyncStream); a namespace (``responses``, ``chat.completions``) gets
    the same treatment for its own attributes; anything else is returned as is."""
    if isinstance(value, (Chat, ChatCompletions, Responses)):
        return _BlockingNamespace(value, loop)
    if not callable(value):
        return value

    @functools.wraps(value)
    def call(*args: Any, **kwargs: Any) -> Any:
        # The portal awaits a coroutine method's result and hands back a plain one as is.
        result = loop.call_sync(functools.partial(value, *args, **kwargs))
        return SyncStream(result, loop) if isinstance(result, AsyncStream) else result

    return call


class _BlockingNamespace:
    """``hf.responses`` / ``hf.chat.completions`` of the blocking client (untyped: ``Any``)."""

    def __init__(self, namespace: Any, loop: _LoopThread) -> None:
        self._namespace, self._loop = namespace, loop

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _blocking(getattr(self._namespace, name), self._loop)


def _shutdown(loop: _LoopThread, client: AsyncInferenceClient) -> None:
    if loop.stopped:
        return

    async def close() -> None:
        # Streams still open (a script that exits mid-stream) go first, so aiohttp has no
        # unreleased connection to warn about.
        for stream in list(loop.streams):
            await stream.aclose()
        await client.aclose()

    if loop.in_loop_thread():
        loop.call_soon(close)
    else:
        with contextlib.suppress(Exception):
            loop.call(close, quick=True)
    loop.stop()


class InferenceClient:
    """Blocking twin of :class:`~hf_inference.AsyncInferenceClient`; same arguments.

    Use as a context manager or call :meth:`close`; a client that is garbage collected (or
    still open at exit) is closed then.
    """

    _client: AsyncInferenceClient
    _loop: _LoopThread
    _parent: InferenceClient | None
    _finalizer: weakref.finalize[Any, Any] | None

    def __init__(self, token: str | bool | None = None, **options: Any) -> None:
        loop = _LoopThread()
        try:
            # Built on the loop thread: the client's asyncio objects belong to that loop.
            client = loop.call_sync(
                functools.partial(AsyncInferenceClient, token, **options), quick=True
            )
        except BaseException:
            loop.stop()
            raise
        self._client, self._loop, self._parent = client, loop, None
        self._finalizer = weakref.finalize(self, _shutdown, loop, client)

    @classmethod
    def _child(cls, parent: InferenceClient, client: AsyncInferenceClient) -> InferenceClient:
        child = cls.__new__(cls)
        # The child shares the parent's loop and session and keeps the parent alive.
        child._client, child._loop, child._parent = client, parent._loop, parent
        child._finalizer = None
        return child

    def __repr__(self) -> str:
        return f"<InferenceClient (blocking) of {self._client!r}>"

    def __getattr__(self, name: str) -> Any:
        """Any other public attribute of the async client; methods run on the loop thread."""
        if name.startswith("_"):
            raise AttributeError(name)
        return _blocking(getattr(self._client, name), self._loop)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def async_client(self) -> AsyncInferenceClient:
        """The underlying async client (its methods must run on this client's loop)."""
        return self._client

    @property
    def closed(self) -> bool:
        return self._loop.stopped or self._client.closed

    def close(self) -> None:
        """Close the session and stop the loop thread; safe to call twice."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def endpoint(self, url: str, *, model: str | None = None) -> InferenceClient:
        """A client bound to a dedicated endpoint, sharing this client's session and loop."""
        return InferenceClient._child(self, self._client.endpoint(url, model=model))

    # -- every task, derived from the async client ---------------------------------------------
    C = AsyncInferenceClient
    request = _Method(C.request)
    streaming_request = _StreamMethod(C.streaming_request)
    fill_mask = _Method(C.fill_mask)
    summarization = _Method(C.summarization)
    question_answering = _Method(C.question_answering)
    table_question_answering = _Method(C.table_question_answering)
    text_classification = _Method(C.text_classification)
    if TYPE_CHECKING:
        # The two overloaded methods, typed here with blocking results (the runtime is the
        # descriptor below, as for every other method).
        @overload
        def text_generation(
            self,
            inputs: str,
            *,
            model: str | None = None,
            parameters: TextGenerationParameters | None = None,
            stream: Literal[False] = False,
            details: Literal[False] = False,
            **options: Unpack[TextGenerationKwargs],
        ) -> t.TextGenerationOutput: ...
        @overload
        def text_generation(
            self,
            inputs: str,
            *,
            model: str | None = None,
            parameters: TextGenerationParameters | None = None,
            stream: Literal[False] = False,
            details: Literal[True],
            **options: Unpack[TextGenerationKwargs],
        ) -> t.DetailedTextGenerationOutput: ...
        @overload
        def text_generation(
            self,
            inputs: str,
            *,
            model: str | None = None,
            parameters: TextGenerationParameters | None = None,
            stream: Literal[True],
            details: bool = False,
            **options: Unpack[TextGenerationKwargs],
        ) -> SyncStream[t.TextGenerationStreamOutput]: ...
        def text_generation(self, inputs: str, **kwargs: Any) -> Any: ...
        @overload
        def chat_completion(
            self,
            messages: Messages,
            *,
            model: str | None = None,
            response_format: type[S],
            stream: Literal[False] = False,
            **params: Unpack[ChatCompletionParameters],
        ) -> t.ParsedChatCompletion[S]: ...
        @overload
        def chat_completion(
            self,
            messages: Messages,
            *,
            model: str | None = None,
            response_format: Mapping[str, Any] | None = None,
            stream: Literal[False] = False,
            **params: Unpack[ChatCompletionParameters],
        ) -> t.ChatCompletionOutput: ...
        @overload
        def chat_completion(
            self,
            messages: Messages,
            *,
            model: str | None = None,
            response_format: Mapping[str, Any] | type[Any] | None = None,
            stream: Literal[True],
            **params: Unpack[ChatCompletionParameters],
        ) -> SyncStream[t.ChatCompletionStreamOutput]: ...
        def chat_completion(self, messages: Messages, **kwargs: Any) -> Any: ...
    else:
        text_generation = _Method(C.text_generation)
        chat_completion = _Method(C.chat_completion)
    text_generation_stream = _StreamMethod(C.text_generation_stream)
    token_classification = _Method(C.token_classification)
    translation = _Method(C.translation)
    zero_shot_classification = _Method(C.zero_shot_classification)
    conversational = _Method(C.conversational)
    sentence_similarity = _Method(C.sentence_similarity)
    chat_completion_stream = _StreamMethod(C.chat_completion_stream)
    automatic_speech_recognition = _Method(C.automatic_speech_recognition)
    audio_classification = _Method(C.audio_classification)
    text_to_speech = _Method(C.text_to_speech)
    audio_to_audio = _Method(C.audio_to_audio)
    image_classification = _Method(C.image_classification)
    object_detection = _Method(C.object_detection)
    image_segmentation = _Method(C.image_segmentation)
    image_to_text = _Method(C.image_to_text)
    text_to_image = _Method(C.text_to_image)
    image_to_image = _Method(C.image_to_image)
    text_to_video = _Method(C.text_to_video)
    image_to_video = _Method(C.image_to_video)
    zero_shot_image_classification = _Method(C.zero_shot_image_classification)
    feature_extraction = _Method(C.feature_extraction)
    visual_question_answering = _Method(C.visual_question_answering)
    document_question_answering = _Method(C.document_question_answering)
    tabular_regression = _Method(C.tabular_regression)
    tabular_classification = _Method(C.tabular_classification)
    get_endpoint_info = _Method(C.get_endpoint_info)
    health_check = _Method(C.health_check)
    del C
