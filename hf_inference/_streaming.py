"""AsyncStream: one streamed response as an async iterator and an async context manager.

The request is sent lazily (first ``__anext__`` or ``__aenter__``), so both
``async for event in client.text_generation_stream(...)`` and ``async with ... as stream``
work. The response is released on exhaustion, ``break`` (the object is dropped and ``__del__``
closes the socket at once), errors, cancellation and ``aclose()`` from any task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from ._config import DEFAULT_MAX_EVENT_SIZE
from ._exceptions import (
    DecodeError,
    HfInferenceError,
    IncompleteStreamError,
    error_from_response,
    error_from_stream_event,
)
from ._sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy
    from typing_extensions import Self

    from ._transport import Response

T = TypeVar("T")

_EMPTY: list[ServerSentEvent] = []
_SKIP = object()
_any_decoder = msgspec.json.Decoder()


def _is_error_payload(payload: Any) -> bool:
    return isinstance(payload, dict) and bool(payload.get("error"))


class AsyncStream(Generic[T]):
    """Decoded events of one server-sent-events response.

    ``status``, ``headers`` and ``request_id`` are set once the response headers arrived.
    """

    __slots__ = (
        "__weakref__",
        "_closed",
        "_decoder",
        "_events",
        "_index",
        "_is_complete",
        "_last",
        "_max_event_size",
        "_model",
        "_opener",
        "_pos",
        "_response",
        "_sse",
    )

    def __init__(
        self,
        opener: Callable[[], Awaitable[Response]],
        decoder: msgspec.json.Decoder[T],
        *,
        model: str | None = None,
        is_complete: Callable[[T], bool] | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        self._opener: Callable[[], Awaitable[Response]] | None = opener
        self._decoder = decoder
        self._is_complete = is_complete
        self._model = model
        self._max_event_size = max_event_size
        self._response: Response | None = None
        self._sse = SSEDecoder(max_event_size)
        self._events: Sequence[ServerSentEvent] = _EMPTY
        self._pos = 0
        self._index = 0
        self._last: T | None = None
        self._closed = False

    # -- metadata -----------------------------------------------------------------------------
    @property
    def status(self) -> int | None:
        return self._response.status if self._response is not None else None

    @property
    def headers(self) -> CIMultiDictProxy[str] | None:
        return self._response.headers if self._response is not None else None

    @property
    def request_id(self) -> str | None:
        return self._response.request_id if self._response is not None else None

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._response else "not started")
        return f"<AsyncStream model={self._model!r} {state} events={self._index}>"

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> Self:
        """Send the request and check the response; idempotent."""
        if self._response is None and not self._closed:
            opener, self._opener = self._opener, None
            if opener is None:
                raise RuntimeError("stream already started")
            response = self._response = await opener()
            try:
                await self._check_response(response)
            except BaseException:
                self._finish(discard=True)
                raise
        return self

    async def _check_response(self, response: Response) -> None:
        if response.status >= 400:
            body = await response.read_error_body()
            raise error_from_response(
                response.status,
                response.headers,
                body,
                model=self._model,
                request_id=response.request_id,
            )
        media = response.media_type
        if media == "text/event-stream":
            return
        body = await response.read_error_body()
        if media == "application/json":
            try:
                payload = _any_decoder.decode(body)
            except msgspec.DecodeError:
                payload = None
            if _is_error_payload(payload):
                raise error_from_stream_event(
                    payload,
                    model=self._model,
                    request_id=response.request_id,
                    status=response.status,
                )
        raise DecodeError(
            f"expected a text/event-stream answer, got {media or 'no content type'}",
            status=response.status,
            model=self._model,
            request_id=response.request_id,
            body=body,
        )

    def _finish(self, *, discard: bool) -> None:
        if self._closed:
            return
        self._closed = True
        self._opener = None
        response = self._response
        if response is not None:
            if discard or not response.at_eof:
                response.close()
            else:
                response.release()

    async def aclose(self) -> None:
        """Release the connection; safe to call twice, from another task, or while cancelled."""
        # Closing the socket is synchronous, so there is no await here to be cancelled.
        self._finish(discard=True)

    def __del__(self) -> None:
        # `break` out of `async for` drops the last reference at once: close the socket now
        # instead of leaving it to aiohttp's "Unclosed response" finaliser.
        if not self._closed and self._response is not None:
            self._response.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(discard=True)

    # -- iteration ----------------------------------------------------------------------------
    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while True:
            pos = self._pos
            events = self._events
            if pos < len(events):
                self._pos = pos + 1
                event = events[pos]
                data = event.data
                # Errors and the [DONE] sentinel are rare: one cheap test keeps them off the
                # per-token path; '"error"' near the start routes to the careful check.
                if (
                    event.event != "message"
                    or data[:6] == "[DONE]"
                    or (data.find('"error"', 0, 24) >= 0)
                ):
                    special = self._special(event)
                    if special is _SKIP:
                        continue
                    return special  # type: ignore[return-value]
                self._index += 1
                try:
                    item = self._decoder.decode(data)
                except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                    self._fail_decode(exc, data)
                self._last = item
                return item
            await self._fill()

    async def _fill(self) -> None:
        if self._closed:
            raise StopAsyncIteration
        response = self._response
        if response is None:
            await self.start()
            response = self._response
            assert response is not None
        try:
            chunk = await response.read_chunk()
            if chunk:
                self._events = self._sse.feed(chunk)
                self._pos = 0
                return
            self._events = self._sse.flush()
            self._pos = 0
            if self._events:
                return
            self._end_of_body()
        except HfInferenceError as exc:
            if self._closed:
                # aclose() from another task broke the read: that is an end, not a failure.
                raise StopAsyncIteration from None
            self._finish(discard=True)
            if isinstance(exc, DecodeError) and exc.model is None:
                # The SSE decoder knows nothing of the request: add what we know.
                exc.status, exc.model, exc.request_id = (
                    response.status,
                    self._model,
                    self.request_id,
                )
            raise
        except BaseException:
            self._finish(discard=True)
            raise

    def _end_of_body(self) -> None:
        response = self._response
        truncated = self._sse.pending
        complete = self._is_complete is None or (
            self._last is not None and self._is_complete(self._last)
        )
        if truncated or not complete:
            what = "in the middle of an event" if truncated else "before the final event"
            raise IncompleteStreamError(
                f"the stream ended {what} (after {self._index} events)",
                status=response.status if response else None,
                model=self._model,
                request_id=response.request_id if response else None,
            )
        self._finish(discard=False)
        raise StopAsyncIteration

    def _special(self, event: ServerSentEvent) -> T | object:
        """[DONE], error events, named events; returns an item, or _SKIP to read on."""
        data = event.data
        request_id = self.request_id
        if data.strip() == "[DONE]":
            self._finish(discard=False)
            raise StopAsyncIteration
        payload: Any
        try:
            payload = _any_decoder.decode(data)
        except msgspec.DecodeError:
            payload = None
        if event.event == "error" or _is_error_payload(payload):
            self._finish(discard=True)
            raise error_from_stream_event(
                payload if payload is not None else data, model=self._model, request_id=request_id
            )
        if event.event not in ("message", "", "completion", "chunk"):
            return _SKIP  # an unknown named event (keep-alive, ping): not ours to decode
        # Not special after all (a token whose text mentions "error"): decode it normally.
        self._index += 1
        try:
            item = self._decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            self._fail_decode(exc, data)
        self._last = item
        return item

    def _fail_decode(self, exc: Exception, data: str) -> Any:
        if data.strip() == "[DONE]":
            # A sentinel the fast path missed (" [DONE]" after "data:  ", trailing spaces).
            self._finish(discard=False)
            raise StopAsyncIteration
        self._finish(discard=True)
        raise DecodeError(
            f"event {self._index} is not a valid {self._type_name()}: {exc}",
            event_index=self._index,
            status=self.status,
            model=self._model,
            request_id=self.request_id,
            body=data.encode()[:2048],
        ) from None

    def _type_name(self) -> str:
        type_ = getattr(self._decoder, "type", Any)
        return getattr(type_, "__name__", "JSON value")
