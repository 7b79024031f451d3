"""Starlette / FastAPI integration: forward token streams to browsers, share one client per app.

::

    from fastapi import Depends, FastAPI, WebSocket
    from hf_inference.integrations.starlette import (
        get_client, lifespan, pump_to_websocket, sse_response,
    )

    app = FastAPI(lifespan=lifespan())  # one AsyncInferenceClient, closed on shutdown

    @app.get("/generate")
    async def generate(prompt: str, client=Depends(get_client)):
        return sse_response(client.text_generation_stream(prompt, model="gpt2"))

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, client=Depends(get_client)):
        await websocket.accept()
        prompt = await websocket.receive_text()
        await pump_to_websocket(client.text_generation_stream(prompt, model="gpt2"), websocket)

Both helpers watch the browser: when it goes away, the upstream stream is cancelled and its
connection released at once, even while the upstream is silent. Requires ``starlette``
(FastAPI depends on it); it is never a dependency of hf_inference itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import msgspec
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .._client import AsyncInferenceClient
from .._exceptions import (
    HfInferenceError,
    HTTPStatusError,
    InferenceTimeoutError,
    ModelLoadingError,
    StreamError,
)
from .._retry import server_retry_after
from ..types import ChatCompletionStreamOutput, TextGenerationStreamOutput

if TYPE_CHECKING:
    Connection = HTTPConnection[Any]
else:
    # FastAPI reads this annotation at runtime and must see the class itself.
    Connection = HTTPConnection

__all__ = [
    "STATE_KEY",
    "EventStreamResponse",
    "get_client",
    "lifespan",
    "pump_to_websocket",
    "sse_response",
    "token_text",
]

logger = logging.getLogger("hf_inference.integrations")

#: Attribute of ``app.state`` holding the client that :func:`lifespan` creates.
STATE_KEY = "hf_inference_client"

SSE_HEADERS: Mapping[str, str] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE = b": keep-alive\n\n"
DONE = b"data: [DONE]\n\n"

_encode = msgspec.json.Encoder().encode


# -- shared pieces ------------------------------------------------------------------------------


async def _aclose(resource: object) -> None:
    close = getattr(resource, "aclose", None)
    if close is not None:
        await close()


def _error_payload(exc: HfInferenceError) -> dict[str, Any]:
    """``error`` and ``error_type``, plus what a page needs to tell its user what to do next:
    the upstream ``request_id`` (for support), its error ``status``, ``estimated_time`` of a loading
    model and ``retry_after`` seconds of a rate limit, each only when known."""
    error_type = exc.error_type if isinstance(exc, StreamError) else None
    payload: dict[str, Any] = {"error": exc.message, "error_type": error_type or type(exc).__name__}
    if exc.request_id is not None:
        payload["request_id"] = exc.request_id
    if isinstance(exc, ModelLoadingError) and exc.estimated_time is not None:
        payload["estimated_time"] = exc.estimated_time
    if isinstance(exc, HTTPStatusError):
        payload["status"] = exc.status  # only an error status: a stream error came in a 200
        retry_after = server_retry_after(exc.headers, time.time())
        if retry_after is not None:
            payload["retry_after"] = retry_after
    return payload


def _request_id(stream: object) -> str | None:
    request_id = getattr(stream, "request_id", None)
    return request_id if isinstance(request_id, str) else None


async def _start(stream: object) -> None:
    # AsyncStream sends its request lazily; starting it first turns an upstream 4xx/5xx into
    # an error response instead of a 200 stream holding nothing but an error event.
    start = getattr(stream, "start", None)
    if start is not None:
        await start()


async def _watch_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] in ("http.disconnect", "websocket.disconnect"):
            scope.cancel()
            return


def token_text(event: Any) -> str | None:
    """The text a stream event adds: a TGI token (special tokens skipped) or a chat delta."""
    if isinstance(event, TextGenerationStreamOutput):
        return None if event.token.special else event.token.text
    if isinstance(event, ChatCompletionStreamOutput):
        return event.choices[0].delta.content if event.choices else None
    return event if isinstance(event, str) else None


def _finish_reason(event: Any) -> str | None:
    if isinstance(event, TextGenerationStreamOutput) and event.details is not None:
        return event.details.finish_reason
    if isinstance(event, ChatCompletionStreamOutput) and event.choices:
        return event.choices[0].finish_reason
    return None


# -- server-sent events -------------------------------------------------------------------------


async def _sse_body(
    stream: AsyncIterable[Any],
    keepalive: float | None,
    done: bool,
    encode: Callable[[Any], bytes],
) -> AsyncIterator[bytes]:
    iterator = stream.__aiter__()
    # The next event is awaited in its own task: a keep-alive tick must not cancel a read in
    # the middle of the upstream body.
    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            finished, _ = await asyncio.wait({pending}, timeout=keepalive)
            if not finished:
                yield KEEPALIVE
                continue
            task, pending = pending, None
            try:
                event = task.result()
            except StopAsyncIteration:
                break
            except HfInferenceError as exc:
                logger.warning("upstream stream failed: %s", exc)
                yield b"data: " + _encode(_error_payload(exc)) + b"\n\n"
                return
            yield b"data: " + encode(event) + b"\n\n"
        if done:
            yield DONE
    finally:
        if pending is not None:
            # Let the read finish cancelling before the upstream is closed: an async
            # generator cannot be closed while it is still running.
            pending.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait({pending})
            if not pending.cancelled():
                pending.exception()  # retrieved: no "exception was never retrieved" log


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` StreamingResponse that closes its upstream when the client leaves.

    Before the headers go out the upstream stream is started: an upstream HTTP error becomes a
    JSON error response (502, or 504 for a timeout) instead of a 200 stream, and the upstream's
    request id is passed on as ``X-Request-Id``.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        upstream: AsyncIterable[Any],
        content: AsyncIterable[bytes],
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            content,
            status_code=status_code,
            headers={**SSE_HEADERS, **(headers or {})},
            media_type=self.media_type,
        )
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_watch_disconnect, receive, tg.cancel_scope)
                try:
                    await _start(self.upstream)
                except HfInferenceError as exc:
                    status = 504 if isinstance(exc, InferenceTimeoutError) else 502
                    await JSONResponse(_error_payload(exc), status)(scope, receive, send)
                else:
                    request_id = _request_id(self.upstream)
                    if request_id is not None:
                        self.headers["X-Request-Id"] = request_id
                    with contextlib.suppress(OSError):  # the client went away mid-write
                        await self.stream_response(send)
                tg.cancel_scope.cancel()
        finally:
            # Cancelled or not, release the upstream connection now rather than at GC time.
            await _aclose(self.body_iterator)
            await _aclose(self.upstream)
        if self.background is not None:
            await self.background()


def sse_response(
    stream: AsyncIterable[Any],
    *,
    keepalive: float | None = 15.0,
    done: bool = True,
    headers: Mapping[str, str] | None = None,
    status_code: int = 200,
    encode: Callable[[Any], bytes] = _encode,
) -> EventStreamResponse:
    """A StreamingResponse re-encoding each event of ``stream`` as ``data: {json}``.

    ``keepalive``: seconds of upstream silence before a ``: keep-alive`` comment (None: never).
    ``done``: end with ``data: [DONE]`` (what OpenAI-style clients expect). An upstream error
    mid-stream is sent as ``data: {"error": ..., "error_type": ...}`` (the TGI form, plus
    ``request_id``, ``status``, ``estimated_time``, ``retry_after`` when known) and ends
    the stream. Headers: ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no`` (so nginx
    does not buffer), plus ``headers``.
    """
    body = _sse_body(stream, keepalive, done, encode)
    return EventStreamResponse(stream, body, status_code=status_code, headers=headers)


# -- WebSocket --------------------------------------------------------------------------------


async def pump_to_websocket(
    stream: AsyncIterable[Any],
    websocket: WebSocket,
    *,
    text_of: Callable[[Any], str | None] = token_text,
    close: bool = True,
    send_start: bool = False,
    coalesce: bool = False,
) -> str:
    """Send each token of ``stream`` to an accepted WebSocket; return the text sent.

    Frames are JSON text: with ``send_start``, first ``{"type": "start", "request_id": ...}``
    once the upstream answered (the request id a user can quote to support); then
    ``{"type": "token", "text": ...}`` per token (with ``coalesce``, per batch of tokens that
    arrived together: the tokens already received when one is sent go in the same frame, one
    socket write instead of several, which is what a relay spends most of its CPU on), then
    ``{"type": "done", "text": <all of it>, "finish_reason": ...}`` and a normal close (1000,
    unless ``close=False``). An upstream error sends ``{"type": "error", "error": ...,
    "error_type": ...}`` (plus ``request_id``, ``status``, ``estimated_time``, ``retry_after``
    when known) and closes with 1011. While pumping this owns the receive side: when
    the client disconnects, the upstream stream is cancelled and its connection released.
    """
    pieces: list[str] = []
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_watch_disconnect, websocket.receive, tg.cancel_scope)
            with contextlib.suppress(WebSocketDisconnect):  # the client left mid-send
                await _pump(stream, websocket, text_of, pieces, close, send_start, coalesce)
            tg.cancel_scope.cancel()
    finally:
        await _aclose(stream)
    return "".join(pieces)


async def _pump(
    stream: AsyncIterable[Any],
    websocket: WebSocket,
    text_of: Callable[[Any], str | None],
    pieces: list[str],
    close: bool,
    send_start: bool,
    coalesce: bool,
) -> None:
    finish_reason = None
    unsent = 0  # the last pieces, not sent yet (coalesce)

    async def flush() -> None:
        nonlocal unsent
        text = pieces[-1] if unsent == 1 else "".join(pieces[-unsent:])
        unsent = 0
        await websocket.send_text(_encode({"type": "token", "text": text}).decode())

    try:
        await _start(stream)
        if send_start:
            start = {"type": "start", "request_id": _request_id(stream)}
            await websocket.send_text(_encode(start).decode())
        async for event in stream:
            finish_reason = _finish_reason(event) or finish_reason
            text = text_of(event)
            if text:
                pieces.append(text)
                unsent += 1
            if unsent and not (coalesce and int(getattr(stream, "buffered", 0))):
                await flush()
        if unsent:
            await flush()
    except HfInferenceError as exc:
        logger.warning("upstream stream failed: %s", exc)
        if unsent:
            await flush()
        error = {"type": "error", **_error_payload(exc)}
        await websocket.send_text(_encode(error).decode())
        # A close reason is limited to 123 bytes.
        reason = exc.message.encode()[:120].decode(errors="ignore")
        await websocket.close(code=1011, reason=reason)
        return
    done = {"type": "done", "text": "".join(pieces), "finish_reason": finish_reason}
    await websocket.send_text(_encode(done).decode())
    if close and websocket.application_state is WebSocketState.CONNECTED:
        await websocket.close(code=1000)


# -- one client per app -----------------------------------------------------------------------


def lifespan(
    factory: Callable[[], AsyncInferenceClient] | None = None, /, **options: Any
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """An app lifespan creating one client at startup (``factory()`` or
    ``AsyncInferenceClient(**options)``), stored on ``app.state``, closed at shutdown.

    ``FastAPI(lifespan=lifespan(base_url=...))``; inside your own lifespan:
    ``async with lifespan(...)(app): ...``. Routes get it with ``Depends(get_client)``.
    """

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        client = factory() if factory is not None else AsyncInferenceClient(**options)
        async with client:
            setattr(app.state, STATE_KEY, client)
            try:
                yield
            finally:
                with contextlib.suppress(AttributeError):
                    delattr(app.state, STATE_KEY)

    return run


def get_client(connection: Connection) -> AsyncInferenceClient:
    """The app's shared client (a FastAPI dependency for HTTP and WebSocket routes)."""
    client = getattr(connection.app.state, STATE_KEY, None)
    if client is None:
        client = getattr(connection.state, STATE_KEY, None)
    if not isinstance(client, AsyncInferenceClient):
        raise RuntimeError(
            "no hf_inference client on this app: create it with "
            "FastAPI(lifespan=hf_inference.integrations.starlette.lifespan())"
        )
    return client
