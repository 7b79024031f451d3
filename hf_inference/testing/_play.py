"""Writing answers on the wire: event streams with pacing, scripted replies and faults."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import _chat, _generation
from ._base import JSON, SSE, TEXT, ApiError, encode
from ._faults import BrokenChunked, Drop, ErrorEvent, Loading, Reply, Stall, Step
from ._routing import Route

_BATCH = 64 * 1024
_KEEPALIVE = b": keep-alive\n\n"
#: Not a hexadecimal chunk size: any HTTP/1.1 client must fail to parse it.
_BROKEN_CHUNK = b"zz\r\nbroken\r\n"


@dataclass(frozen=True)
class StreamOptions:
    prefix: bytes  # b"data:" or b"data: "
    delay: float  # seconds between events; 0 writes events in large batches
    keepalive: int  # a comment line every N events; 0 for none
    chat: bool  # the route speaks chat completions


def guess_content_type(data: bytes | None, *, stream: bool, text: bool = False) -> str:
    head = data.lstrip()[:6] if data else b""
    if head.startswith((b"data:", b":", b"event:")):
        return SSE
    if head.startswith((b"{", b"[")):
        return JSON
    if not head:
        return SSE if stream else JSON
    return TEXT if text else "application/octet-stream"


def _reset(request: web.BaseRequest) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), not a FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _abort(request: web.BaseRequest) -> None:
    if request.transport is not None:
        request.transport.abort()


class Player:
    """Writes responses; every wait also ends when the server starts closing."""

    def __init__(self, closing: asyncio.Event) -> None:
        self._closing = closing

    async def _pause(self, seconds: float) -> bool:
        """Sleep; True if the server started closing meanwhile."""
        if seconds <= 0:
            return self._closing.is_set()
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True

    async def write_events(
        self,
        request: web.BaseRequest,
        events: Sequence[bytes],
        trailer: bytes,
        options: StreamOptions,
        headers: Mapping[str, str],
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={**headers, "Content-Type": SSE})
        await response.prepare(request)
        if options.delay <= 0 and options.keepalive <= 0:
            batch: list[bytes] = []
            size = 0
            for event in events:
                batch.append(event)
                size += len(event)
                if size >= _BATCH:
                    await response.write(b"".join(batch))
                    batch, size = [], 0
            batch.append(trailer)
            await response.write(b"".join(batch))
        else:
            last = len(events) - 1
            for i, event in enumerate(events):
                if options.keepalive and i % options.keepalive == 0:
                    await response.write(_KEEPALIVE)
                await response.write(event)
                if i < last and await self._pause(options.delay):
                    _abort(request)
                    return response
            if trailer:
                await response.write(trailer)
        await response.write_eof()
        return response

    async def play(
        self,
        step: Step,
        request: web.BaseRequest,
        route: Route,
        model: str,
        json: Any,
        headers: Mapping[str, str],
        options: StreamOptions,
    ) -> web.StreamResponse:
        stream = route.sub == "generate_stream" or (
            isinstance(json, dict) and bool(json.get("stream"))
        )
        if isinstance(step, Reply):
            return await self._reply(step, request, headers)
        if isinstance(step, Loading):
            body = {
                "error": f"Model {model} is currently loading",
                "estimated_time": step.estimated_time,
            }
            return web.Response(
                status=503, body=encode(body), headers={**headers, "Content-Type": JSON}
            )
        if isinstance(step, ErrorEvent):
            events = _normal_events(json, model, options, step.after_tokens)
            events.append(_generation.error_event(options.prefix, step.message, step.error_type))
            return await self.write_events(request, events, b"", options, headers)
        if isinstance(step, (Stall, Drop, BrokenChunked)):
            return await self._break(step, request, headers, stream)
        raise TypeError(f"not a script step: {step!r}")

    async def _reply(
        self, step: Reply, request: web.BaseRequest, headers: Mapping[str, str]
    ) -> web.StreamResponse:
        if await self._pause(step.delay):
            _abort(request)
            return web.Response(status=503)
        body = step.body
        if isinstance(body, str):
            data, text = body.encode(), True
        elif isinstance(body, (bytes, bytearray, memoryview)):
            data, text = bytes(body), False
        else:
            data, text = encode(body), False
        chunks = list(step.chunks) if step.chunks is not None else None
        content_type = step.content_type or guess_content_type(
            chunks[0] if chunks else data, stream=False, text=text
        )
        response = (
            web.Response(status=step.status, body=data)
            if chunks is None
            else web.StreamResponse(status=step.status)
        )
        response.headers.update(headers)
        response.headers["Content-Type"] = content_type
        for name, value in step.headers.items():
            response.headers[name] = value  # case-insensitive: a test's header wins
        if chunks is None:
            return response
        await response.prepare(request)
        for i, chunk in enumerate(chunks):
            if i and await self._pause(step.chunk_delay):
                _abort(request)
                return response
            await response.write(chunk)
        await response.write_eof()
        return response

    async def _break(
        self,
        step: Stall | Drop | BrokenChunked,
        request: web.BaseRequest,
        headers: Mapping[str, str],
        stream: bool,
    ) -> web.StreamResponse:
        response = web.StreamResponse()
        if not isinstance(step, (Stall, Drop)) or step.send_headers:
            chunks = list(step.after_chunks)
            response.headers.update(headers)
            response.headers["Content-Type"] = guess_content_type(
                chunks[0] if chunks else None, stream=stream
            )
            await response.prepare(request)
            for chunk in chunks:
                await response.write(chunk)
        if isinstance(step, Drop):
            _reset(request)
        elif isinstance(step, BrokenChunked) and request.transport is not None:
            if step.delay and await self._pause(step.delay):
                _abort(request)
                return response
            if request.transport is not None:
                request.transport.write(_BROKEN_CHUNK)
                request.transport.close()
        # Losing the connection cancels this handler; closing the server ends the wait.
        await self._closing.wait()
        _abort(request)
        return response


def _normal_events(json: Any, model: str, options: StreamOptions, count: int) -> list[bytes]:
    """The first ``count`` events this request would normally get."""
    if options.chat:
        try:
            chat = _chat.parse_chat(json, raw_length=0, model=model)
        except ApiError:
            chat = _chat.ChatRequest(model=model, messages=[])
        chat.max_tokens = count + 1
        chat.include_usage = False
        return _chat.completion_events(chat, options.prefix)[0][:count]
    try:
        gen = _generation.parse_generate(json, stream=True, raw_length=0)
    except ApiError:
        gen = _generation.GenerateRequest("")
    gen.max_new_tokens = count + 1
    gen.stop = []
    return _generation.generate_events(gen, options.prefix)[:count]
