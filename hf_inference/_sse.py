"""Sans-I/O decoder for ``text/event-stream`` bodies (WHATWG HTML, "Server-sent events").

Feed it the body's bytes as they arrive; it returns the events each chunk completes.

The decoder works on bytes and decodes UTF-8 per field value. That is equivalent to decoding
the whole stream first because line terminators are ASCII, and it keeps the per-token hot path
to a few C-level bytes operations per chunk. Lines are split on CR, LF and CRLF only, never
with ``splitlines()``, which would also break on U+2028, U+0085, VT, FF and friends that servers
send raw inside JSON strings.
"""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec

from hf_inference._exceptions import InvalidInputError, SSEDecodeError, SSEEventTooLargeError

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"

# What the head of the next chunk needs before parsing (SSEDecoder._head).
_PLAIN = 0
_STREAM_START = 1  # a BOM may still be arriving
_AFTER_CR = 2  # the last chunk ended in CR: a leading LF completes that CRLF


class ServerSentEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One dispatched event.

    ``id`` is the stream's last event ID when the event was dispatched (it persists across
    events, as in the WHATWG model), or ``None`` when no non-empty ID has been set.
    ``retry`` is the reconnection time in milliseconds sent in this event's block, if any.
    """

    event: str = "message"
    data: str
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental event-stream parser.

    ``max_event_size`` bounds the memory one event may hold: the bytes of an event's field
    lines (comments excluded) plus any incomplete line. Going over it raises
    :class:`SSEEventTooLargeError`; invalid UTF-8 raises :class:`SSEDecodeError`. After an
    error the decoder is in an undefined state and must be dropped.
    """

    __slots__ = (
        "_data",
        "_event",
        "_head",
        "_last_id",
        "_limit",
        "_named",
        "_retry",
        "_size",
        "_tail",
        "_tail_len",
    )

    def __init__(
        self, max_event_size: int = 16 * 1024 * 1024, *, named_payloads: bool = False
    ) -> None:
        if max_event_size < 1:
            raise InvalidInputError(f"max_event_size must be positive, got {max_event_size!r}")
        self._limit = max_event_size
        # For streams whose payloads carry their own event name (OpenAI's Responses API repeats
        # ``event:`` as the JSON ``type``): see feed_payloads.
        self._named = named_payloads
        # The incomplete last line, kept as parts so a long line arriving in many chunks is
        # joined once (linear), not re-concatenated on every chunk (quadratic).
        self._tail: list[bytes] = []
        self._tail_len = 0
        self._head = _STREAM_START
        # The event being built: raw data values, and the bytes of its field lines (counted
        # against the limit; non-zero exactly while an event is open).
        self._data: list[bytes] = []
        self._size = 0
        self._event = ""
        self._retry: int | None = None
        self._last_id: str | None = None

    @property
    def last_event_id(self) -> str | None:
        """The last event ID set by the stream (``None`` if never set or reset to empty)."""
        return self._last_id

    @property
    def pending(self) -> bool:
        """True while a line or an event is incomplete: at end of body, the body was cut short.

        Comment lines after the last event do not count, so a trailing keep-alive is a clean end.
        """
        return bool(self._tail or self._size)

    @property
    def buffered_size(self) -> int:
        """Bytes currently held for the incomplete line and event."""
        return self._tail_len + self._size

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume ``chunk`` and return the events it completes, in order."""
        return self._feed(chunk, False)

    def feed_payloads(self, chunk: bytes) -> list[bytes | ServerSentEvent]:
        """Like :meth:`feed`, but a plain event of one ``data:`` line comes back as its data bytes.

        That is nearly every event of a token stream, and a JSON decoder takes the bytes as
        they are (checking their UTF-8 itself), so no str and no event object is made for it.
        Everything else (named events, ids, multi-line data) still comes as a ServerSentEvent.

        With ``named_payloads=True`` an event of exactly one ``event:`` line then one ``data:``
        line, other than ``event: error``, also comes back as its data bytes, its name dropped
        (and not checked for UTF-8):
        only for streams whose payloads name themselves (the Responses API's ``type`` field),
        whose consumer reads the name from the payload. Plain ``data:`` events never reach
        that check.
        """
        return self._feed(chunk, True)

    def _feed(self, chunk: bytes, raw: bool) -> list[Any]:
        if self._head:
            chunk = self._fix_head(chunk)
        # Integer membership is a bare memchr; ``b"\r" in chunk`` first attempts an int
        # conversion (raising and clearing a TypeError) and is several times slower.
        if 0x0D in chunk:
            if chunk[-1] == 0x0D:
                self._head = _AFTER_CR
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        tail = self._tail
        if tail:
            if 0x0A not in chunk:
                if chunk:
                    self._buffer(chunk)
                return []
            tail.append(chunk)
            chunk = b"".join(tail)
            tail.clear()
            self._tail_len = 0
        # ``chunk`` now starts at a line start and holds only LF endings, so each b"\n\n" ends
        # an event: every piece but the last is the lines of one event (a leading LF in a piece
        # is an extra blank line).
        blocks = chunk.split(b"\n\n")
        last = blocks.pop()
        events: list[Any] = []
        try:
            if blocks:
                if self._size:
                    # The first block finishes an event begun in an earlier chunk.
                    self._block(blocks[0], events)
                    del blocks[0]
                limit = self._limit
                named = raw and self._named
                for block in blocks:
                    # The common event, one ``data:`` line: dispatch it without the line machinery.
                    if 5 < len(block) < limit and block[:5] == b"data:" and 0x0A not in block:
                        value = block[6:] if block[5] == 0x20 else block[5:]
                        if raw:
                            events.append(value)
                        else:
                            events.append(ServerSentEvent(data=value.decode(), id=self._last_id))
                        continue
                    if named and block[:6] == b"event:" and block.count(0x0A) == 1:
                        # ``event: NAME`` then one ``data:`` line. The name is dropped unread
                        # (so not checked for UTF-8); the payload is, by its JSON decoder.
                        start = block.find(0x0A) + 1
                        # An ``error`` event comes whole: its payload need not name itself.
                        # (Only a name as short as "error" pays for the second look.)
                        if (
                            block.startswith(b"data:", start)
                            and len(block) < limit
                            and not (start < 14 and block[6 : start - 1].strip() == b"error")
                        ):
                            start += 6 if block[start + 5 : start + 6] == b" " else 5
                            events.append(block[start:])
                            continue
                    self._block(block, events)
            if last:
                lines = last.split(b"\n")
                rest = lines.pop()
                if lines:
                    self._process(lines, events)
                if rest:
                    self._buffer(rest)
        except UnicodeDecodeError as exc:
            raise SSEDecodeError(
                f"invalid UTF-8 in event stream: {exc.reason} (byte {exc.object[exc.start]:#04x})"
            ) from None
        return events

    def flush(self) -> list[ServerSentEvent]:
        """Signal end of body.

        Per WHATWG an event not closed by a blank line is discarded, so this never returns an
        event; check :attr:`pending` to tell a truncated body from a clean end.
        """
        return []

    def _fix_head(self, chunk: bytes) -> bytes:
        if not chunk:
            return chunk
        if self._head == _AFTER_CR:
            self._head = _PLAIN
            return chunk[1:] if chunk[0] == 0x0A else chunk
        # Stream start: only here is a BOM stripped.
        if self._tail:
            chunk = b"".join(self._tail) + chunk
            self._tail.clear()
            self._tail_len = 0
        if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
            # Too short to decide; hold it (it counts as pending) until more bytes arrive.
            self._tail.append(chunk)
            self._tail_len = len(chunk)
            return b""
        self._head = _PLAIN
        return chunk[3:] if chunk.startswith(_BOM) else chunk

    def _buffer(self, part: bytes) -> None:
        self._tail.append(part)
        self._tail_len += len(part)
        if self._size + self._tail_len > self._limit:
            raise self._too_large()

    def _too_large(self) -> SSEEventTooLargeError:
        return SSEEventTooLargeError(
            f"server-sent event exceeds max_event_size ({self._limit} bytes)"
        )

    def _block(self, block: bytes, events: list[ServerSentEvent]) -> None:
        lines = block.split(b"\n")
        lines.append(b"")
        self._process(lines, events)

    def _process(self, lines: list[bytes], events: list[ServerSentEvent]) -> None:
        """Apply complete lines (blank ones dispatch) to the event state."""
        data = self._data
        size = self._size
        limit = self._limit
        for line in lines:
            if not line:
                if data:
                    raw = data[0] if len(data) == 1 else b"\n".join(data)
                    events.append(
                        ServerSentEvent(
                            event=self._event or "message",
                            data=raw.decode(),
                            id=self._last_id,
                            retry=self._retry,
                        )
                    )
                    data.clear()
                if size:
                    size = 0
                    self._event = ""
                    self._retry = None
            elif line[:5] == b"data:":
                size += len(line) + 1
                if size > limit:
                    raise self._too_large()
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line[0] == 0x3A:
                # A comment (keep-alive) belongs to no event, so it is not counted; checked so
                # that one huge comment line cannot slip past the limit.
                if size + len(line) > limit:
                    raise self._too_large()
                line.decode()
            else:
                size += len(line) + 1
                if size > limit:
                    raise self._too_large()
                self._field(line)
        self._size = size

    def _field(self, line: bytes) -> None:
        """Handle a field line other than ``data:`` with a colon (the rare path)."""
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        name.decode()
        if name == b"data":
            self._data.append(value)
            return
        text = value.decode()
        if name == b"event":
            self._event = text
        elif name == b"id" and "\0" not in text:
            self._last_id = text or None
        elif name == b"retry" and value.isdigit():
            # bytes.isdigit() is ASCII-only, as the spec requires (str.isdigit() is not).
            # Only absurd values (thousands of digits) fail int()'s conversion limit.
            with contextlib.suppress(ValueError):
                self._retry = int(value)
