"""Where the time goes on hf_inference's per-token path (run in its own process).

Online stages read a real stream from the load server (median of the passes); offline stages
replay the exact chunks one read loop received, so parsing is measured without the socket and
the event loop (fastest pass). The
differences between stages attribute the cost; a cProfile of the online stream names the
functions (cProfile inflates small Python calls, so read its shares, not its absolute times).

``python -m benchmarks.breakdown --root URL [--tokens N] [--reps N]`` prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from .clients import MODEL, PROMPT, HfInference, RawMsgspec


def _best_us(fn: Callable[[], object], tokens: int, reps: int) -> float:
    """Fastest of ``reps`` passes: offline work has no noise of its own to average over."""
    times = []
    for _ in range(reps):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times) / tokens * 1e6


async def _record_chunks(root: str, tokens: int) -> list[bytes]:
    body = {"inputs": PROMPT, "parameters": {"max_new_tokens": tokens}, "stream": True}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{root}/hf-inference/models/{MODEL}", json=body) as response,
    ):
        return [chunk async for chunk in response.content.iter_any()]


async def _read_only(root: str, tokens: int) -> None:
    body = {"inputs": PROMPT, "parameters": {"max_new_tokens": tokens}, "stream": True}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{root}/hf-inference/models/{MODEL}", json=body) as response,
    ):
        async for _ in response.content.iter_any():
            pass


class _ReplayResponse:
    """Just enough of ``_transport.Response`` for AsyncStream, serving recorded chunks."""

    status = 200
    media_type = "text/event-stream"
    headers: dict[str, str] = {}  # noqa: RUF012
    request_id = None

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = iter(chunks)
        self.at_eof = False

    async def read_chunk(self) -> bytes:
        chunk = next(self._chunks, b"")
        self.at_eof = not chunk
        return chunk

    def use_stream_reads(self) -> None:
        pass  # the recorded chunks already are the reads

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


def _drive(coro: Any) -> None:
    """Run a coroutine that never really suspends, without an event loop's overhead."""
    try:
        coro.send(None)
    except StopIteration:
        return
    raise RuntimeError("the replay suspended")


def offline_stages(chunks: list[bytes], tokens: int, reps: int) -> list[tuple[str, float]]:
    from hf_inference import types as t
    from hf_inference._sse import SSEDecoder
    from hf_inference._streaming import AsyncStream
    from hf_inference._tasks import stream_is_complete

    decoder = msgspec.json.Decoder(t.TextGenerationStreamOutput)

    def split() -> list[bytes]:
        out = []
        tail = b""
        for chunk in chunks:
            if tail:
                chunk = tail + chunk
            events = chunk.split(b"\n\n")
            tail = events.pop()
            out += [e[5:] for e in events if e[:5] == b"data:"]
        return out

    payloads = split()
    assert len(payloads) == tokens, len(payloads)

    def decode() -> None:
        for payload in payloads:
            decoder.decode(payload)

    # The stream's own entry point: plain events as bytes where the decoder offers it.
    fast = hasattr(SSEDecoder, "feed_payloads")
    feed_name = "feed_payloads" if fast else "feed"

    def sse() -> None:
        feed = getattr(SSEDecoder(), feed_name)
        for chunk in chunks:
            feed(chunk)

    def sse_decode() -> None:
        feed = getattr(SSEDecoder(), feed_name)
        for chunk in chunks:
            for event in feed(chunk):
                decoder.decode(event if type(event) is bytes else event.data)

    def stream() -> None:
        async def opener() -> Any:
            return _ReplayResponse(chunks)

        async def consume() -> None:
            count = 0
            async for _ in AsyncStream(opener, decoder, is_complete=stream_is_complete):
                count += 1
            assert count == tokens, count

        _drive(consume())

    stages: list[tuple[str, Callable[[], object]]] = [
        ("split on blank lines (the raw loop's framing)", split),
        ("msgspec typed decode, one call per event", decode),
        (f"SSEDecoder.{feed_name} (WHATWG rules)", sse),
        (f"SSEDecoder.{feed_name} + typed decode", sse_decode),
        ("AsyncStream over the recorded chunks (all of hf_inference but the socket)", stream),
    ]
    return [(name, _best_us(fn, tokens, reps)) for name, fn in stages]


def online_stages(root: str, tokens: int, reps: int) -> list[tuple[str, float]]:
    async def cpu_per_token(make: Callable[[], Any]) -> float:
        samples = []
        for _ in range(reps):
            start = time.process_time()
            await make()
            samples.append(time.process_time() - start)
        return statistics.median(samples) / tokens * 1e6

    async def main() -> list[tuple[str, float]]:
        raw, hf = RawMsgspec(), HfInference()
        await raw.open(root, {})
        await hf.open(root, {})
        try:
            await hf.tgi_stream(1000)
            await raw.tgi_stream(1000)
            stages: list[tuple[str, Callable[[], Any]]] = [
                (
                    "aiohttp read loop alone (iter_any, no parsing)",
                    lambda: _read_only(root, tokens),
                ),
                ("raw loop: iter_any + split + msgspec decode", lambda: raw.tgi_stream(tokens)),
                ("hf_inference text_generation_stream", lambda: hf.tgi_stream(tokens)),
            ]
            return [(name, await cpu_per_token(make)) for name, make in stages]
        finally:
            await raw.close()
            await hf.close()

    return asyncio.run(main())


def profile(root: str, tokens: int, top: int = 12) -> list[dict[str, Any]]:
    async def main() -> None:
        hf = HfInference()
        await hf.open(root, {})
        try:
            await hf.tgi_stream(1000)
            profiler.enable()
            await hf.tgi_stream(tokens)
            profiler.disable()
        finally:
            await hf.close()

    profiler = cProfile.Profile()
    asyncio.run(main())
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in entries.values())
    rows = []
    for (filename, line, name), (_, calls, tottime, _, _) in sorted(
        entries.items(), key=lambda kv: -kv[1][2]
    )[:top]:
        where = filename.rsplit("site-packages/", 1)[-1].rsplit("/work/main/", 1)[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})" if line else name,
                "calls_per_token": calls / tokens,
                "share": tottime / total,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    chunks = asyncio.run(_record_chunks(args.root, args.tokens))
    result = {
        "tokens": args.tokens,
        "chunks": len(chunks),
        "online": online_stages(args.root, args.tokens, args.reps),
        "offline": offline_stages(chunks, args.tokens, args.reps),
        "profile": profile(args.root, args.tokens),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
