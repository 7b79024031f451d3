"""Where the CPU of one non-streamed chat_completion goes (run in its own process).

``python -m benchmarks.per_call [--requests N]`` starts the load server, then prints a Markdown
report:

- online: a cProfile of N chat_completion calls, 64 at a time, with the profiled time split by
  the code it was spent in (hf_inference, aiohttp and its helpers, asyncio and the socket,
  msgspec); cProfile inflates small Python calls, so read the shares, not the absolute times;
- offline: hf_inference's own Python per call, measured with a transport that answers at once
  from memory (no socket, no event loop), against the raw loop's share of the same work (encode
  the body, decode the answer). Fastest of several passes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
import timeit
from collections.abc import Mapping
from typing import Any

import msgspec

from . import load_server
from .clients import MESSAGES, MODEL, HfInference
from .harness import LoadServer

_BUCKETS = (
    ("hf_inference", ("/hf_inference/",)),
    ("aiohttp, yarl, multidict", ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/")),
    ("asyncio, selectors, socket", ("/asyncio/", "selectors.py", "socket", "epoll")),
    ("msgspec", ("msgspec",)),
)


def _bucket(filename: str, name: str) -> str:
    where = filename if filename != "~" else name
    for label, needles in _BUCKETS:
        if any(n in where for n in needles):
            return label
    return "other (builtins, the benchmark's own loop)"


async def _profiled_calls(root: str, requests: int, profiler: cProfile.Profile) -> None:
    client = HfInference()
    await client.open(root, {})
    try:
        limit = asyncio.Semaphore(64)

        async def one() -> None:
            async with limit:
                await client.chat(20)

        await asyncio.gather(*(one() for _ in range(200)))  # warm the pool and the code
        profiler.enable()
        await asyncio.gather(*(one() for _ in range(requests)))
        profiler.disable()
    finally:
        await client.close()


def online_shares(root: str, requests: int) -> list[tuple[str, float]]:
    profiler = cProfile.Profile()
    asyncio.run(_profiled_calls(root, requests, profiler))
    entries: Mapping[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    shares: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in entries.items():
        label = _bucket(filename, name)
        shares[label] = shares.get(label, 0.0) + tottime
    total = sum(shares.values())
    return sorted(((k, v / total) for k, v in shares.items()), key=lambda kv: -kv[1])


class _Content:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def read_nowait(self) -> bytes:
        body, self._body = self._body, b""
        return body

    def is_eof(self) -> bool:
        return True

    def at_eof(self) -> bool:
        return not self._body


class _Answer:
    """Just enough of an aiohttp response for the transport's Response to read it."""

    status = 200
    connection = None

    def __init__(self, body: bytes) -> None:
        self.headers = {"Content-Type": "application/json"}
        self.content = _Content(body)
        self.content_length = len(body)

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


def offline_us(passes: int = 7, number: int = 20_000) -> dict[str, float]:
    from hf_inference import AsyncInferenceClient
    from hf_inference._transport import Response, Transport

    answer = load_server.chat_json(20)

    class InstantTransport(Transport):
        async def send(self, method: str, url: str, **kwargs: Any) -> Response:
            return Response(
                _Answer(answer),  # type: ignore[arg-type]
                model=kwargs.get("model"),
                timeout=kwargs["timeout"],
                deadline=kwargs.get("deadline"),
            )

    client = AsyncInferenceClient(
        token=False,
        base_url="http://127.0.0.1:9/hf-inference",
        model=MODEL,
        _transport=InstantTransport(),
    )

    def call() -> None:
        coro = client.chat_completion(MESSAGES, max_tokens=20)
        try:
            coro.send(None)
        except StopIteration:
            return
        raise RuntimeError("the instant transport suspended")

    encoder, decoder = msgspec.json.Encoder(), msgspec.json.Decoder()
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 20}

    def raw_share() -> None:
        encoder.encode(body)
        decoder.decode(answer)

    def best(fn: Any) -> float:
        return min(timeit.repeat(fn, number=number, repeat=passes)) / number * 1e6

    return {"hf_inference": best(call), "raw": best(raw_share)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    started = time.perf_counter()
    with LoadServer() as server:
        shares = online_shares(server.url, args.requests)
    offline = offline_us()
    print(f"### One chat_completion call, {args.requests:,} calls 64 at a time (cProfile)\n")
    print("| Spent in | share of profiled time |\n|---|---|")
    for label, share in shares:
        print(f"| {label} | {share:.0%} |")
    print("\n### hf_inference's own Python per call (instant in-memory transport)\n")
    print("| Work | µs per call |\n|---|---|")
    rows = [
        ("hf_inference.chat_completion, all of it but the socket", offline["hf_inference"]),
        ("the raw loop's part of it (encode the body, decode the answer)", offline["raw"]),
    ]
    for label, value in rows:
        print(f"| {label} | {value:.1f} |")
    print(f"\n(done in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
