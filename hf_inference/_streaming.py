"""AsyncStream: one streamed response as an async iterator and an async context manager.

The request is sent lazily (first ``__anext__`` or ``__aenter__``), so both
``async for event in client.text_generation_stream(...)`` and ``async with ... as stream``
work. The response is released on exhaustion, ``break`` (the object is dropped and ``__del__``
closes the socket at once), errors, cancellation and ``aclose()`` from any task.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Protocol, TypeVar

import msgspec

from ._config import DEFAULT_MAX_EVENT_SIZE
from ._exceptions import (
    DecodeError,
    HfInferenceError,
    IncompleteStreamError,
    SSEDecodeError,
    error_from_response,
    error_from_stream_event,
)
from ._sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy
    from typing_extensions import Self

    from ._transport import Response

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_SKIP = object()
_END = object()
_any_decoder = msgspec.json.Decoder()
# What decode raises for an event that is not a plain JSON payload of the stream's type.
_NOT_PLAIN = (TypeError, msgspec.DecodeError, UnicodeDecodeError)


class EventDecoder(Protocol[T_co]):
    """What turns one event's payload into an item: a typed ``msgspec.json.Decoder``, or a
    decoder that converts another wire shape (a provider's completion chunks)."""

    def decode(self, buf: Any, /) -> T_co: ...


class SkipEvent(TypeError):
    """Raised by a decoder for an event that carries nothing to yield (a usage-only chunk)."""


def _json_or_none(data: str | bytes) -> Any:
    """The event's JSON value, or None when it is not JSON (errors may be plain text)."""
    try:
        return _any_decoder.decode(data)
    except msgspec.DecodeError:
        return None


def _is_error_payload(payload: Any) -> bool:
    return isinstance(payload, dict) and bool(payload.get("error"))


class AsyncStream(Generic[T]):
    """Decoded events of one server-sent-events response.

    ``status``, ``headers`` and ``request_id`` are set once the response headers arrived.
    """

    __slots__ = (
        "__weakref__",
        "_check_errors",
        "_closed",
        "_decoder",
        "_events",
        "_index",
        "_is_complete",
        "_last",
        "_model",
        "_opener",
        "_pending",
        "_resolve",
        "_response",
        "_sse",
        "_stepper",
    )

    def __init__(
        self,
        opener: Callable[[], Awaitable[Response]],
        decoder: EventDecoder[T],
        *,
        model: str | None = None,
        is_complete: Callable[[T], bool] | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        named_payloads: bool = False,
        resolve: Callable[[ServerSentEvent, Any], Any] | None = None,
    ) -> None:
        self._opener: Callable[[], Awaitable[Response]] | None = opener
        self._decoder: EventDecoder[T] = decoder
        self._is_complete = is_complete
        self._model = model
        self._response: Response | None = None
        self._sse = SSEDecoder(max_event_size, named_payloads=named_payloads)
        # For streams of named events (the Responses API): every event the fast decode did not
        # take (unknown types, errors, an event split across reads) goes to ``resolve`` with its
        # decoded JSON; it returns the item to yield or raises.
        self._resolve = resolve
        # Payload bytes of plain events, ServerSentEvent for the rest (SSEDecoder.feed_payloads).
        self._events: list[Any] = []
        self._pending: Iterator[Any] = iter(self._events)
        self._index = 0
        self._last: T | None = None
        self._closed = False
        self._stepper: AsyncGenerator[T, None] | None = None
        self._use_decoder(decoder)

    def _use_decoder(self, decoder: EventDecoder[T]) -> None:
        """Decode this stream's events with ``decoder``: for an opener that learns only once
        routed what shape the events have (a provider's completion chunks). Call it before the
        first event is decoded."""
        self._decoder = decoder
        # A typed decoder rejects an error payload by itself; plain JSON needs a look.
        self._check_errors = getattr(decoder, "type", Any) is Any

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

    @property
    def buffered(self) -> int:
        """Events already received and split off the body, not yet yielded: that many next
        steps return without waiting for the network (a relay can send them as one write)."""
        return operator.length_hint(self._pending)

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
            response.use_stream_reads()
            return
        body = await response.read_error_body()
        if media == "application/json":
            payload = _json_or_none(body)
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
        self._stepper = None  # a hand-stepped generator refers back to us: break the cycle
        # Emptying the list ends a loop that is iterating it (see _iterate).
        self._events.clear()
        self._events = []
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
    def __aiter__(self) -> AsyncIterator[T]:
        # An async generator steps far cheaper than an ``async def __anext__`` (no coroutine
        # object per token). It holds the stream, never the reverse: when ``break`` drops it,
        # the stream goes too and ``__del__`` closes the socket.
        return self._iterate()

    async def __anext__(self) -> T:
        """Step by hand (``async for`` does not come here)."""
        stepper = self._stepper
        if stepper is None:
            stepper = self._stepper = self._iterate()
        return await stepper.__anext__()

    async def _iterate(self) -> AsyncGenerator[T, None]:
        if self._response is None:
            await self.start()
        decode = self._decoder.decode
        check_errors = self._check_errors
        while not self._closed:
            # The per-token path. The position lives in the shared list iterator and the
            # counters on the stream, so a later ``async for`` resumes exactly where a
            # ``break`` left off; closing the stream empties the list, which ends this loop.
            # A payload that is not plain JSON (``[DONE]``, an error, a named event, which
            # comes as a ServerSentEvent and makes decode raise TypeError) fails to decode
            # and takes the slow path.
            for event in self._pending:
                try:
                    item = decode(event)
                except _NOT_PLAIN:
                    outcome = self._special(event)
                    if outcome is _END:
                        return
                    if outcome is _SKIP:
                        continue
                    item = outcome
                else:
                    if check_errors and _is_error_payload(item):
                        self._reject(event, None)
                self._index += 1
                self._last = item
                yield item
            if not await self._fill():
                return

    async def _fill(self) -> bool:
        """Read the next chunk into ``_events``; False once the stream is over."""
        if self._closed:
            return False
        response = self._response
        assert response is not None
        try:
            chunk = await response.read_chunk()
            events: list[Any] = self._sse.feed_payloads(chunk) if chunk else self._sse.flush()
            if events:
                self._events = events
                self._pending = iter(events)
                return True
            if chunk:
                return True  # only part of an event: read on
            self._end_of_body()
            return False
        except HfInferenceError as exc:
            if self.closed:
                # aclose() from another task broke the read: that is an end, not a failure.
                return False
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
            # Raised into _fill, which discards the connection.
            what = "in the middle of an event" if truncated else "before the final event"
            raise IncompleteStreamError(
                f"the stream ended {what} (after {self._index} events)",
                status=response.status if response else None,
                model=self._model,
                request_id=response.request_id if response else None,
            )
        self._finish(discard=False)

    def _special(self, event: ServerSentEvent | bytes) -> Any:
        """[DONE], error events, named events: _END, _SKIP, or an item decoded the slow way."""
        if isinstance(event, bytes):
            event = ServerSentEvent(data=self._text(event))
        data = event.data
        if data.strip() == "[DONE]":
            self._finish(discard=False)
            return _END
        if self._resolve is not None:
            return self._resolved(event)
        payload = _json_or_none(data)
        if event.event == "error" or _is_error_payload(payload):
            self._raise_stream_error(payload if payload is not None else data)
        if event.event not in ("message", "", "completion", "chunk"):
            return _SKIP  # an unknown named event (keep-alive, ping): not ours to decode
        if not data.strip():
            return _SKIP  # an empty data field carries nothing to decode
        try:
            return self._decoder.decode(data)
        except SkipEvent:
            return _SKIP
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            self._reject(data, exc)

    def _resolved(self, event: ServerSentEvent) -> Any:
        assert self._resolve is not None
        if not event.data.strip():
            return _SKIP
        try:
            return self._resolve(event, _json_or_none(event.data))
        except HfInferenceError as exc:
            self._finish(discard=True)
            exc.status = exc.status or self.status
            exc.model, exc.request_id = self._model, self.request_id
            if isinstance(exc, DecodeError) and exc.event_index is None:
                exc.event_index = self._index + 1
            raise

    def _text(self, data: bytes) -> str:
        try:
            return data.decode()
        except UnicodeDecodeError as exc:
            self._finish(discard=True)
            raise SSEDecodeError(
                f"invalid UTF-8 in event stream: {exc.reason}",
                status=self.status,
                model=self._model,
                request_id=self.request_id,
            ) from None

    def _reject(self, data: str | bytes, exc: Exception | None) -> NoReturn:
        """An event that failed to decode: a server error payload, or a typed DecodeError."""
        if isinstance(data, bytes):
            data = self._text(data)
        payload = _json_or_none(data)
        if _is_error_payload(payload):
            self._raise_stream_error(payload)
        self._finish(discard=True)
        number = self._index + 1  # 1-based position of the failing event
        raise DecodeError(
            f"event {number} is not a valid {self._type_name()}: {exc}",
            event_index=number,
            status=self.status,
            model=self._model,
            request_id=self.request_id,
            body=data.encode()[:2048],
        ) from None

    def _raise_stream_error(self, payload: Any) -> NoReturn:
        self._finish(discard=True)
        raise error_from_stream_event(payload, model=self._model, request_id=self.request_id)

    def _type_name(self) -> str:
        type_ = getattr(self._decoder, "type", Any)
        return getattr(type_, "__name__", "JSON value")
