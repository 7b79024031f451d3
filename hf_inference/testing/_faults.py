"""Scripted steps: what the local server answers instead of its normal output.

A test queues steps with ``server.script(model, *steps)``; each request for that model (or
endpoint name) consumes one step. ``Reply`` is an exact answer, the ``Fault`` subclasses break
the exchange in the ways real servers and networks do.
"""

from __future__ import annotations

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
    "Stall",
    "Step",
]


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


@dataclass(frozen=True)
class Drop(Fault):
    """Send the headers and ``after_chunks``, then reset the TCP connection (RST).

    With ``send_headers=False`` the connection is reset before any byte of the answer.
    """

    after_chunks: Sequence[bytes] = ()
    send_headers: bool = True


@dataclass(frozen=True)
class BrokenChunked(Fault):
    """Send the headers and ``after_chunks``, then an invalid chunk frame, then close.

    ``delay`` seconds pass before the invalid frame, so a client can read the chunks first
    (without it the frame usually arrives with the headers and breaks those instead).
    """

    after_chunks: Sequence[bytes] = ()
    delay: float = 0.0


@dataclass(frozen=True)
class Loading(Fault):
    """Answer ``times`` requests with 503 ``{"error": "Model X is currently loading", ...}``."""

    estimated_time: float = 20.0
    times: int = 1


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


Step = Union[Reply, Fault]  # noqa: UP007 (a runtime alias must work on 3.10)
