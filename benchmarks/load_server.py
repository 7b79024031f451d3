"""Load server for the benchmarks, meant to run in its own process.

Every answer is encoded once and cached, so serving costs the server a few writes and the
client is what gets measured. Routes follow what the clients send:

- ``POST /hf-inference/models/{model}``: TGI text generation; streams when the JSON body has
  ``"stream": true`` (``data:{json}`` events, the last one carrying ``generated_text`` and
  ``details``), otherwise ``[{"generated_text": ..., "details": ...}]``. The token count is
  ``parameters.max_new_tokens``. ``Accept: image/*`` gets image bytes instead.
- ``.../generate`` and ``.../generate_stream`` below any prefix: the TGI routes.
- ``.../v1/chat/completions`` below any prefix: chat completion (``max_tokens``), streamed as
  ``data: {chunk}`` events and ``data: [DONE]`` when ``"stream": true``.
- ``.../v1/responses`` below any prefix: the Responses API (``max_output_tokens``), streamed
  as named events (``event: response.output_text.delta`` + ``data: {...}``, one per token of
  the chat stream's text) when ``"stream": true``.
- ``.../pipeline/feature-extraction``: a 512 x 1024 float matrix as JSON (about 6 MB).

Request headers shape a stream: ``x-bench-rate`` paces it at that many tokens per second with
one socket write per token (default: unpaced, the whole body in ``x-bench-write-size`` byte
writes, 64 KiB by default). ``x-bench-stamp: 1`` on a paced chat stream makes each token's
content the time it is written, ``time.monotonic_ns()`` and a space, so whoever receives the
token (through any relay) can tell how long it took to arrive.

Run ``python -m benchmarks.load_server --port 0``: it prints the port it bound on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import random
import resource
import sys
import threading
import time

import msgspec
from aiohttp import web

MODEL = "bench/model"
WRITE_SIZE = 64 * 1024
EMBEDDING_SHAPE = (512, 1024)
IMAGE_SIZE = 4 * 1024 * 1024
DEFAULT_TOKENS = 20
#: The content of a stamped chat token before the send time replaces it.
STAMP_SLOT = "@STAMP@"

_WORDS = (
    " the", " model", " answers", " with", " a", " stream", " of", " tokens", ",", " and",
    " each", " one", " costs", " the", " client", " some", " CPU", " time", ".", " Über",
    " naïve", " 東京", " data", "\n",
)  # fmt: skip

_encode = msgspec.json.encode


class _Parameters(msgspec.Struct):
    max_new_tokens: int | None = None


class _Request(msgspec.Struct):
    stream: bool = False
    parameters: _Parameters | None = None
    max_tokens: int | None = None
    max_output_tokens: int | None = None


_request_decoder = msgspec.json.Decoder(_Request)


# -- payloads, built once per size -------------------------------------------------------------


def _token(i: int) -> dict[str, object]:
    return {
        "id": 1000 + (i * 7919) % 30000,
        "text": _WORDS[i % len(_WORDS)],
        "logprob": -round(((i * 104729) % 10007) / 3001.0, 6),
        "special": False,
    }


def _text(n: int) -> str:
    return "".join(_WORDS[i % len(_WORDS)] for i in range(n))


@functools.lru_cache(maxsize=16)
def tgi_events(n: int) -> tuple[bytes, ...]:
    """``n`` TGI stream events (``data:{json}`` as TGI up to 2.0 writes them)."""
    events = []
    for i in range(n):
        last = i == n - 1
        event = {
            "index": i + 1,
            "token": _token(i),
            "generated_text": _text(n) if last else None,
            "details": (
                {"finish_reason": "length", "generated_tokens": n, "seed": None, "input_length": 5}
                if last
                else None
            ),
        }
        events.append(b"data:" + _encode(event) + b"\n\n")
    return tuple(events)


@functools.lru_cache(maxsize=16)
def chat_events(n: int, stamped: bool = False) -> tuple[bytes, ...]:
    """``n`` chat chunks (``data: {json}`` as TGI 3 writes them), then ``data: [DONE]``.

    ``stamped``: every content is ``STAMP_SLOT`` and a space, for ``_send_stream`` to fill in.
    """
    events = []
    for i in range(n):
        last = i == n - 1
        chunk = {
            "object": "chat.completion.chunk",
            "id": "",
            "created": 1742565776,
            "model": MODEL,
            "system_fingerprint": "3.2.1-native",
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "content": STAMP_SLOT + " " if stamped else _WORDS[i % len(_WORDS)],
                    },
                    "logprobs": None,
                    "finish_reason": "length" if last else None,
                }
            ],
            "usage": None,
        }
        events.append(b"data: " + _encode(chunk) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return tuple(events)


def _response(n: int, status: str, text: str | None) -> dict[str, object]:
    output = [] if text is None else [_message(text)]
    return {"id": "resp_1", "object": "response", "created_at": 1742565776, "model": MODEL,
            "status": status, "output": output, "usage": None}  # fmt: skip


def _message(text: str) -> dict[str, object]:
    return {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}  # fmt: skip


@functools.lru_cache(maxsize=16)
def responses_events(n: int) -> tuple[bytes, ...]:
    """A Responses stream spelling the same ``n`` words as ``chat_events(n)``."""
    events: list[bytes] = []

    def emit(kind: str, fields: dict[str, object]) -> None:
        payload = {"type": kind, "sequence_number": len(events), **fields}
        events.append(b"event: " + kind.encode() + b"\ndata: " + _encode(payload) + b"\n\n")

    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    emit("response.created", {"response": _response(n, "in_progress", None)})
    emit("response.in_progress", {"response": _response(n, "in_progress", None)})
    emit("response.output_item.added", {"output_index": 0, "item": {**_message(""), "content": []}})
    emit("response.content_part.added", {**where, "part": {"type": "output_text", "text": ""}})
    for i in range(n):
        emit("response.output_text.delta", {**where, "delta": _WORDS[i % len(_WORDS)],
                                             "logprobs": []})  # fmt: skip
    text = _text(n)
    emit("response.output_text.done", {**where, "text": text, "logprobs": []})
    emit("response.content_part.done", {**where, "part": {"type": "output_text", "text": text}})
    emit("response.output_item.done", {"output_index": 0, "item": _message(text)})
    emit("response.completed", {"response": _response(n, "completed", text)})
    return tuple(events)


@functools.lru_cache(maxsize=32)
def joined(events: tuple[bytes, ...]) -> bytes:
    return b"".join(events)


@functools.lru_cache(maxsize=16)
def generation_json(n: int) -> bytes:
    """A non-streamed TGI answer with details, as ``details=True`` returns it."""
    details = {
        "finish_reason": "length",
        "generated_tokens": n,
        "seed": None,
        "prefill": [],
        "tokens": [_token(i) for i in range(n)],
    }
    return _encode([{"generated_text": _text(n), "details": details}])


@functools.lru_cache(maxsize=16)
def chat_json(n: int) -> bytes:
    return _encode(
        {
            "object": "chat.completion",
            "id": "",
            "created": 1742565776,
            "model": MODEL,
            "system_fingerprint": "3.2.1-native",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": _text(n)},
                    "logprobs": None,
                    "finish_reason": "length",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n},
        }
    )


@functools.lru_cache(maxsize=1)
def embedding_json() -> bytes:
    """A ``[512][1024]`` matrix of small floats (about 6 MB of JSON)."""
    rng = random.Random(512)
    rows, cols = EMBEDDING_SHAPE
    matrix = [[round(rng.gauss(0.0, 0.05), 8) for _ in range(cols)] for _ in range(rows)]
    return _encode(matrix)


@functools.lru_cache(maxsize=1)
def image_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(IMAGE_SIZE - 8)


# -- handlers ----------------------------------------------------------------------------------


async def _send_stream(
    request: web.Request, events: tuple[bytes, ...], stamped: bool = False
) -> web.StreamResponse:
    rate = float(request.headers.get("x-bench-rate", "0") or 0)
    slot = STAMP_SLOT.encode()
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    try:
        if rate > 0:
            loop = asyncio.get_running_loop()
            start = loop.time()
            interval = 1.0 / rate
            for i, event in enumerate(events):
                delay = start + i * interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if stamped:
                    event = event.replace(slot, b"%d" % time.monotonic_ns())
                await response.write(event)
        else:
            size = int(request.headers.get("x-bench-write-size", WRITE_SIZE))
            body = memoryview(joined(events))
            for offset in range(0, len(body), size):
                await response.write(body[offset : offset + size])
        await response.write_eof()
    except (ConnectionError, asyncio.CancelledError):
        # The client went away (a `break` out of the stream): nothing left to send.
        pass
    return response


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


async def handle(request: web.Request) -> web.StreamResponse:
    path = request.path.rstrip("/")
    if request.method == "GET":
        return _json(b'{"status":"ok"}')
    raw = await request.read()
    try:
        body = _request_decoder.decode(raw) if raw else _Request()
    except msgspec.DecodeError:
        # Raw binary inputs (audio, images) carry no options.
        body = _Request()
    if path.endswith("/chat/completions"):
        n = body.max_tokens or DEFAULT_TOKENS
        if body.stream:
            stamped = request.headers.get("x-bench-stamp") == "1"
            return await _send_stream(request, chat_events(n, stamped), stamped)
        return _json(chat_json(n))
    if path.endswith("/v1/responses"):
        n = body.max_output_tokens or DEFAULT_TOKENS
        if body.stream:
            return await _send_stream(request, responses_events(n))
        return _json(_encode(_response(n, "completed", _text(n))))
    if path.endswith("/feature-extraction"):
        return _json(embedding_json())
    if request.headers.get("Accept", "").startswith("image/"):
        return web.Response(body=image_bytes(), content_type="image/png")
    n = (body.parameters.max_new_tokens if body.parameters else None) or DEFAULT_TOKENS
    if path.endswith("/generate_stream") or (body.stream and not path.endswith("/generate")):
        return await _send_stream(request, tgi_events(n))
    return _json(generation_json(n))


def make_app() -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def raise_fd_limit() -> None:
    """Lift the soft open-file limit to the hard one (1,000 streams need 1,000 sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve(host: str, port: int, watch_stdin: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    bound = runner.addresses[0][1]
    # Warm the caches that are slow to build before anyone measures anything.
    embedding_json()
    image_bytes()
    print(bound, flush=True)
    if watch_stdin:
        # The harness holds our stdin: when it goes away (even killed), so do we.
        def wait_for_eof() -> None:
            sys.stdin.read()
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=wait_for_eof, daemon=True).start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop of the server (auto: uvloop when installed, to keep the server cheap)",
    )
    parser.add_argument(
        "--watch-stdin", action="store_true", help="exit when stdin reaches end of file"
    )
    args = parser.parse_args(argv)
    raise_fd_limit()
    coro = serve(args.host, args.port, args.watch_stdin)
    if args.loop != "asyncio":
        try:
            import uvloop
        except ImportError:
            if args.loop == "uvloop":
                raise
        else:
            with contextlib.suppress(KeyboardInterrupt):
                uvloop.run(coro)
            return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(coro)


if __name__ == "__main__":
    main()
