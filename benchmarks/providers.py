"""Inference Providers: per-call CPU of a provider-routed call, and the loop while the Hub is asked.

``python -m benchmarks providers`` (or ``python -m benchmarks.providers``) runs the local server
(Hub, router and provider routes) in a child process, so the CPU measured (``process_time``)
and the event loop watched are the client's alone:

- per call: ``text_to_image`` routed to a provider (together: one request, a base64 image in
  JSON; the Hub mapping cached after the first call) against the same call on hf-inference
  (raw image bytes), sequential calls, best of several passes; the ratio is routed / direct
  (the local server's images differ: ~6 KB raw from hf-inference, ~0.7 KB as base64 from
  together, so read it as "routing adds no measurable CPU", not as routing being cheaper);
- loop lag: 64 calls on 64 uncached models, each Hub lookup held 300 ms by the server, while
  a 5 ms ticker measures how late the loop wakes it (p99 and max).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hf_inference import AsyncInferenceClient
from hf_inference.testing import LocalInferenceServer
from hf_inference.testing._faults import Reply

TOKEN = "hf_benchmark_token"
MODEL = "bench/flux-like"
LOOKUP_DELAY = 0.3
IN_FLIGHT = 64


async def _serve() -> None:
    """The server process: Hub mappings, slow Hub answers for the lag models; URL on stdout."""
    entry = {"provider": "together", "providerId": "bench/FLUX", "task": "text-to-image"}
    async with LocalInferenceServer() as server:
        server.map_model(MODEL, [entry])
        for i in range(IN_FLIGHT):
            model = f"bench/lag-{i}"
            server.map_model(model, [entry])
            answer = {"id": model, "inferenceProviderMapping": [entry]}
            server.script(f"hub:{model}", Reply(200, answer, delay=LOOKUP_DELAY))
        print(server.url, flush=True)
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@contextmanager
def server_process() -> Iterator[str]:
    """The local server in a child process: its CPU and its GIL are not the client's."""
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.providers", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


async def _cpu_per_call(client: AsyncInferenceClient, calls: int, **kwargs: Any) -> float:
    await client.text_to_image("warm up", model=MODEL, **kwargs)  # pool, mapping, code paths
    start = time.process_time()
    for _ in range(calls):
        await client.text_to_image("a tortoise", model=MODEL, **kwargs)
    return (time.process_time() - start) / calls


async def per_call(url: str, calls: int, passes: int) -> dict[str, float]:
    routed: list[float] = []
    direct: list[float] = []
    async with AsyncInferenceClient(TOKEN, router_url=url, hub_url=url) as client:
        for _ in range(passes):
            routed.append(await _cpu_per_call(client, calls, provider="auto"))
            direct.append(await _cpu_per_call(client, calls, provider="hf-inference"))
    best_routed, best_direct = min(routed), min(direct)
    return {
        "routed_us": best_routed * 1e6,
        "direct_us": best_direct * 1e6,
        "ratio": best_routed / best_direct,
    }


async def loop_lag(url: str) -> dict[str, float]:
    """Lateness of a 5 ms ticker while the 64 lookups are in flight, and over the whole run."""
    during: list[float] = []
    whole: list[float] = []
    stop = asyncio.Event()

    async with AsyncInferenceClient(TOKEN, router_url=url, hub_url=url) as client:
        flights = client._mappings._flights  # the lookups in flight right now

        async def ticker() -> None:
            loop = asyncio.get_running_loop()
            while not stop.is_set():
                before = loop.time()
                in_flight = len(flights)
                await asyncio.sleep(0.005)
                late = loop.time() - before - 0.005
                whole.append(late)
                if in_flight and len(flights):
                    during.append(late)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        await asyncio.gather(
            *(client.text_to_image("x", model=f"bench/lag-{i}") for i in range(IN_FLIGHT))
        )
        elapsed = time.perf_counter() - started
        stop.set()
        await tick
    during.sort()
    whole.sort()
    return {
        "p99_ms": during[max(0, int(len(during) * 0.99) - 1)] * 1e3,
        "max_ms": during[-1] * 1e3,
        "median_ms": statistics.median(during) * 1e3,
        "whole_max_ms": whole[-1] * 1e3,
        "elapsed_s": elapsed,
        "ticks": float(len(during)),
    }


def measure(quick: bool, log: Callable[[str], None] = print) -> dict[str, Any]:
    calls, passes = (200, 3) if quick else (1000, 5)
    with server_process() as url:
        log(f"per call: {passes} passes of {calls} calls each way")
        cost = asyncio.run(per_call(url, calls, passes))
        log(f"loop lag: {IN_FLIGHT} Hub lookups held {LOOKUP_DELAY * 1e3:.0f} ms each")
        lag = asyncio.run(loop_lag(url))
    return {"per_call": cost, "loop_lag": lag, "calls": calls, "passes": passes}


def render(result: dict[str, Any]) -> str:
    cost, lag = result["per_call"], result["loop_lag"]
    return "\n".join(
        [
            "| measure | value |",
            "|---|---|",
            f"| text_to_image CPU per call, provider-routed (together, mapping cached) "
            f"| {cost['routed_us']:.0f} µs |",
            f"| text_to_image CPU per call, hf-inference | {cost['direct_us']:.0f} µs |",
            f"| ratio routed / hf-inference (target ≤ 1.2) | {cost['ratio']:.2f} |",
            f"| loop lag while {IN_FLIGHT} Hub lookups are in flight: median / p99 / max "
            f"({lag['ticks']:.0f} ticks) | {lag['median_ms']:.2f} / {lag['p99_ms']:.2f} / "
            f"{lag['max_ms']:.2f} ms |",
            f"| loop lag, max over the whole run (64 connections opened, 64 answers "
            f"decoded) | {lag['whole_max_ms']:.2f} ms |",
            f"| those {IN_FLIGHT} calls, wall time (each lookup held "
            f"{LOOKUP_DELAY * 1e3:.0f} ms) | {lag['elapsed_s']:.2f} s |",
        ]
    )


def main() -> int:
    if "--serve" in sys.argv:
        asyncio.run(_serve())
        return 0
    quick = "--quick" in sys.argv
    print(render(measure(quick, lambda m: print(m, file=sys.stderr))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
