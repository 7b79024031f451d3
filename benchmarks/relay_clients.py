"""The browsers of ``python -m benchmarks relay``: N concurrent WebSocket chat streams.

``python -m benchmarks.relay_clients --url ws://127.0.0.1:PORT/ws --streams 64 --tokens 1000``
opens the streams at once, reads every frame and prints one JSON line: tokens received,
streams completed, and the latency of each token from the load server's write (the send
time stamped in the token's text, ``time.monotonic_ns()``, the same clock in every process)
to its arrival here, as percentiles in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from websockets.asyncio.client import connect


async def one_stream(url: str, tokens: int, latencies: list[int]) -> tuple[int, bool]:
    received = 0
    request = {"messages": [{"role": "user", "content": "Relay me"}], "max_tokens": tokens}
    # No keep-alive pings: an overloaded relay answers them late, and that is what we measure.
    async with connect(url, max_size=None, compression=None, ping_interval=None) as ws:
        await ws.send(json.dumps(request))
        async for message in ws:
            now = time.monotonic_ns()
            frame = json.loads(message)
            if frame["type"] == "token":
                # A relay may coalesce tokens that arrived together: one stamp per token.
                for stamp in frame["text"].split():
                    latencies.append(now - int(stamp))
                    received += 1
            elif frame["type"] == "done":
                return received, True
            else:
                return received, False
    return received, False


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[index] / 1000


async def run(url: str, streams: int, tokens: int) -> dict[str, Any]:
    latencies: list[int] = []
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_stream(url, tokens, latencies) for _ in range(streams)), return_exceptions=True
    )
    elapsed = time.perf_counter() - started
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    done = [r for r in results if not isinstance(r, BaseException)]
    latencies.sort()
    return {
        "streams": streams,
        "completed": sum(1 for _, ok in done if ok),
        "tokens": sum(n for n, _ in done),
        "elapsed": elapsed,
        "errors": errors[:3],
        "latency_us": {
            "p50": percentile(latencies, 0.50),
            "p90": percentile(latencies, 0.90),
            "p99": percentile(latencies, 0.99),
            "max": percentile(latencies, 1.0),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True)
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.url, args.streams, args.tokens))), flush=True)


if __name__ == "__main__":
    main()
