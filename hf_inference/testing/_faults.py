"""Scripted steps: what the local server answers instead of its normal output.

A test queues steps with ``server.script(model, *steps)``; each request for that model (or
endpoint name) consumes one step. ``Reply`` is an exact answer, the ``Fault`` subclasses break
the exchange in the ways real servers and networks do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "BrokenChunked",
    "Drop",
    "ErrorEvent",
    "Fault",
    "Loading",
    "Reply",
    "ResponseFailure",
    "Stall",
    "Step",
]


# -- argument checks: a wrong argument fails where it is written, not as a 500 mid-test ---------


def _fail(step: object, name: str, accepted: str, value: object) -> TypeError:
    return TypeError(f"{type(step).__name__}({name}=...) takes {accepted}, got {value!r}")


def _check_chunks(step: object, name: str, value: object) -> None:
    # bytes and str are sequences too, of ints and of characters: a classic slip.
    accepted = "a list of bytes chunks, e.g. [b'data: 1\\n\\n']"
    if isinstance(value, bytes | bytearray | memoryview | str) or not isinstance(value, Sequence):
        raise _fail(step, name, accepted, value)
    for chunk in value:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise TypeError(
                f"{type(step).__name__}({name}=...) takes {accepted}; "
                f"item {chunk!r} is {type(chunk).__name__}, not bytes"
            )


def _check_seconds(step: object, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(step, name, "a number of seconds (int or float)", value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{type(step).__name__}({name}=...) takes a finite number of seconds >= 0, "
            f"got {value!r}"
        )


def _check_count(step: object, name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(step, name, f"an int >= {minimum}", value)
    if value < minimum:
        raise ValueError(
            f"{type(step).__name__}({name}=...) takes an int >= {minimum}, got {value}"
        )


def _check_type(step: object, name: str, value: object, kind: type, accepted: str) -> None:
    if not isinstance(value, kind):
        raise _fail(step, name, accepted, value)


@dataclass(frozen=True)
class Reply:
    """An exact answer.

    ``body`` is sent as is when it is ``bytes`` or ``str`` and JSON-encoded otherwise.
    Without ``content_type`` the type is guessed: JSON for encoded objects and bodies starting
    with ``{`` or ``[``, ``text/event-stream`` for bodies starting with ``data:`` or ``:``,
    else ``text/plain`` (str) or ``application/octet-stream`` (bytes).
    With ``chunks`` the body is sent with chunked encoding, one write per chunk, and ``body``
    is ignored. ``delay`` is slept before the headers, ``chunk_delay`` between chunks.
    """

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    chunks: Sequence[bytes] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise _fail(self, "status", "an HTTP status code (int, 100-599)", self.status)
        if not 100 <= self.status <= 599:
            raise ValueError(f"Reply(status=...) takes an HTTP status 100-599, got {self.status}")
        if not isinstance(self.headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise _fail(self, "headers", "a mapping of str to str", self.headers)
        if self.content_type is not None:
            _check_type(self, "content_type", self.content_type, str, "a str or None")
        if self.chunks is not None:
            _check_chunks(self, "chunks", self.chunks)
        _check_seconds(self, "delay", self.delay)
        _check_seconds(self, "chunk_delay", self.chunk_delay)


@dataclass(frozen=True)
class Fault:
    """Base class of the scripted failures."""


@dataclass(frozen=True)
class Stall(Fault):
    """Send the headers and ``after_chunks``, then hang until the client goes away.

    With ``send_headers=False`` nothing at all is sent (a server that accepted the request
    and never answers). When the server closes, the connection is aborted.
    """

    after_chunks: Sequence[bytes] = ()
    send_headers: bool = True

    def __post_init__(self) -> None:
        _check_chunks(self, "after_chunks", self.after_chunks)
        _check_type(self, "send_headers", self.send_headers, bool, "True or False")


@dataclass(frozen=True)
class Drop(Fault):
    """Send the headers and ``after_chunks``, then reset the TCP connection (RST).

    With ``send_headers=False`` the connection is reset before any byte of the answer.
    """

    after_chunks: Sequence[bytes] = ()
    send_headers: bool = True

    def __post_init__(self) -> None:
        _check_chunks(self, "after_chunks", self.after_chunks)
        _check_type(self, "send_headers", self.send_headers, bool, "True or False")


@dataclass(frozen=True)
class BrokenChunked(Fault):
    """Send the headers and ``after_chunks``, then an invalid chunk frame, then close.

    ``delay`` seconds pass before the invalid frame, so a client can read the chunks first
    (without it the frame usually arrives with the headers and breaks those instead).
    """

    after_chunks: Sequence[bytes] = ()
    delay: float = 0.0

    def __post_init__(self) -> None:
        _check_chunks(self, "after_chunks", self.after_chunks)
        _check_seconds(self, "delay", self.delay)


@dataclass(frozen=True)
class Loading(Fault):
    """Answer ``times`` requests with 503 ``{"error": "Model X is currently loading", ...}``."""

    estimated_time: float = 20.0
    times: int = 1

    def __post_init__(self) -> None:
        _check_seconds(self, "estimated_time", self.estimated_time)
        _check_count(self, "times", self.times, 1)


@dataclass(frozen=True)
class ErrorEvent(Fault):
    """A 200 event stream: ``after_tokens`` normal events, then an in-band error event.

    The events follow the route: TGI token events for text generation, chat chunks for chat
    completions. The error event is ``{"error": message, "error_type": error_type}`` and the
    stream ends right after it (no ``[DONE]``).
    """

    after_tokens: int = 0
    message: str = "Request failed during generation: Server error: CUDA out of memory"
    error_type: str = "generation"

    def __post_init__(self) -> None:
        _check_count(self, "after_tokens", self.after_tokens, 0)
        _check_type(self, "message", self.message, str, "a str")
        _check_type(self, "error_type", self.error_type, str, "a str")


@dataclass(frozen=True)
class ResponseFailure(Fault):
    """A Responses answer that fails after ``after_deltas`` text deltas.

    ``event="response.failed"``: a ``response.failed`` event whose response carries
    ``error: {code, message}`` (non-streamed: a response with ``status: "failed"``);
    ``event="error"``: an ``error`` event ``{code, message, param}``. The stream ends there.
    """

    after_deltas: int = 0
    event: str = "response.failed"
    message: str = "The model failed to generate a response."
    code: str = "server_error"

    def __post_init__(self) -> None:
        _check_count(self, "after_deltas", self.after_deltas, 0)
        if self.event not in ("response.failed", "error"):
            raise ValueError(
                f"ResponseFailure(event=...) takes 'response.failed' or 'error', got {self.event!r}"
            )
        _check_type(self, "message", self.message, str, "a str")
        _check_type(self, "code", self.code, str, "a str")


Step = Union[Reply, Fault]  # noqa: UP007 (a runtime alias must work on 3.10)

STEP_KINDS = (Reply, Loading, Stall, Drop, BrokenChunked, ErrorEvent, ResponseFailure)


def check_step(step: object) -> None:
    """What ``server.script()`` accepts: an instance of one of ``STEP_KINDS``."""
    if isinstance(step, STEP_KINDS):
        return
    names = ", ".join(kind.__name__ for kind in STEP_KINDS)
    hint = f" (an instance is needed: {step.__name__}(...))" if isinstance(step, type) else ""
    raise TypeError(f"a scripted step is one of {names}; got {step!r}{hint}")
