"""One client in its own process, driven by the harness over stdin/stdout (JSON lines).

A process per client keeps the measurement honest: ``getrusage(RUSAGE_SELF)`` then counts this
client's CPU only (the load server is another process), peers do not share imports or heaps,
and the event loop (asyncio or uvloop) is chosen per process.

``python -m benchmarks._worker --client NAME --loop asyncio|uvloop --root URL``
prints ``{"ready": ...}`` (or ``{"skip": reason}``), then answers one line per command.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import time
import traceback
import tracemalloc
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from .clients import CLIENTS, Client, Unsupported
from .load_server import raise_fd_limit

Result = dict[str, Any]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        # Not Linux: the peak is the best we have (kilobytes on Linux, bytes on macOS).
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Worker:
    def __init__(self, client: Client, root: str) -> None:
        self.client = client
        self.root = root
        self._embedding: bytes | None = None

    def _stream_op(self, kind: str) -> Callable[[int], Awaitable[int]]:
        client = self.client
        ops = {"tgi": client.tgi_stream, "responses": client.responses_stream}
        return ops.get(kind, client.chat_stream)

    async def run(self, cmd: dict[str, Any]) -> Result:
        op = cmd["op"]
        if op == "decode":
            return self.decode(cmd)
        await self.client.open(self.root, cmd.get("headers", {}))
        try:
            extra: dict[str, Any] = {}
            if cmd.get("trace"):
                extra = await self._trace(cmd)
            if op == "many":
                return await self.many(cmd)
            gc.collect()
            cpu0, wall0 = cpu_seconds(), time.perf_counter()
            units = await getattr(self, op)(cmd)
            wall1, cpu1 = time.perf_counter(), cpu_seconds()
            return {"cpu": cpu1 - cpu0, "wall": wall1 - wall0, "units": units, "extra": extra}
        finally:
            await self.client.close()

    # -- workloads -----------------------------------------------------------------------------
    async def streams(self, cmd: dict[str, Any]) -> int:
        op = self._stream_op(cmd["kind"])
        total = 0
        # Cheap clients repeat the workload within one run: a run of 0.05 s of CPU would be
        # at the mercy of any 10 ms hiccup on a shared machine.
        for _ in range(cmd.get("repeat", 1)):
            counts = await asyncio.gather(*(op(cmd["tokens"]) for _ in range(cmd["streams"])))
            total += sum(counts)
        return total

    async def requests(self, cmd: dict[str, Any]) -> int:
        op = self.client.generate if cmd["kind"] == "generate" else self.client.chat
        tokens = cmd["tokens"]
        remaining = cmd["total"]

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await op(tokens)

        await asyncio.gather(*(worker() for _ in range(cmd["concurrency"])))
        return int(cmd["total"])

    async def embed(self, cmd: dict[str, Any]) -> int:
        for _ in range(cmd["calls"]):
            await self.client.embed()
        return int(cmd["calls"])

    async def image(self, cmd: dict[str, Any]) -> int:
        for _ in range(cmd["calls"]):
            await self.client.image()
        return int(cmd["calls"])

    def decode(self, cmd: dict[str, Any]) -> Result:
        """Decode the embedding bytes already in memory: the floor for ``embed``."""
        if self._embedding is None:
            request = urllib.request.Request(
                f"{self.root}/hf-inference/models/bench/model/pipeline/feature-extraction",
                data=b'{"inputs": "x"}',
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request) as response:
                self._embedding = response.read()
        body = self._embedding
        self.client.decode_only(body)  # fails early if this client has no bare decoder
        gc.collect()
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        for _ in range(cmd["calls"]):
            self.client.decode_only(body)
        wall1, cpu1 = time.perf_counter(), cpu_seconds()
        return {"cpu": cpu1 - cpu0, "wall": wall1 - wall0, "units": cmd["calls"], "extra": {}}

    async def _trace(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Peak Python heap during one call (tracemalloc), apart from the timed calls."""
        gc.collect()
        tracemalloc.start()
        try:
            size = await getattr(self.client, cmd["op"])()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return {"peak_bytes": peak, "result_size": size}

    async def many(self, cmd: dict[str, Any]) -> Result:
        """Many slow streams at once: RSS per open stream and event-loop lag."""
        op = self._stream_op(cmd["kind"])
        loop = asyncio.get_running_loop()
        # Warm the code paths and the allocator so the baseline is not a cold interpreter.
        await asyncio.gather(*(op(2) for _ in range(cmd.get("warmup", 20))))
        gc.collect()
        base_rss = rss_bytes()
        peak_rss = base_rss
        lags: list[tuple[float, float]] = []
        running = True

        async def monitor() -> None:
            nonlocal peak_rss
            interval = 0.005
            ticks = 0
            while running:
                start = loop.time()
                await asyncio.sleep(interval)
                lags.append((start, loop.time() - start - interval))
                ticks += 1
                if ticks % 10 == 0:
                    peak_rss = max(peak_rss, rss_bytes())

        streams = cmd["streams"]
        ramp = cmd.get("ramp", 1.0)

        async def arrive(i: int) -> int:
            # Users arrive over `ramp` seconds rather than in one instant, so the lag measures
            # carrying the streams, not 1,000 simultaneous TCP handshakes.
            await asyncio.sleep(i * ramp / streams)
            return await op(cmd["tokens"])

        watcher = asyncio.ensure_future(monitor())
        begin = loop.time()
        # Steady state: every stream has arrived and answered its first event (one second of
        # grace after the ramp) and none has finished yet.
        steady = (begin + ramp + 1.0, begin + cmd["tokens"] / cmd["rate"] - 0.5)
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        try:
            counts = await asyncio.gather(*(arrive(i) for i in range(streams)))
        finally:
            wall1, cpu1 = time.perf_counter(), cpu_seconds()
            running = False
            await watcher
        return {
            "cpu": cpu1 - cpu0,
            "wall": wall1 - wall0,
            "units": sum(counts),
            "extra": {
                "rss_per_stream": (peak_rss - base_rss) / streams,
                "lag_p99": percentile(
                    [lag for t, lag in lags if steady[0] <= t <= steady[1]], 0.99
                ),
                "lag_max": max((lag for _, lag in lags), default=0.0),
            },
        }


def _runner(loop: str) -> Callable[[Awaitable[Result]], Result]:
    if loop == "uvloop":
        import uvloop

        return uvloop.run  # type: ignore[no-any-return]
    return asyncio.run  # type: ignore[return-value]


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", required=True, choices=sorted(CLIENTS))
    parser.add_argument("--loop", default="asyncio", choices=("asyncio", "uvloop"))
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    raise_fd_limit()
    client = CLIENTS[args.client]()
    try:
        version = client.version()
        run = _runner(args.loop)
    except ImportError as exc:
        _reply({"skip": f"{exc.name or exc} is not installed"})
        return
    _reply({"ready": True, "version": version})
    worker = Worker(client, args.root)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        try:
            _reply({"ok": True, **run(worker.run(cmd))})
        except Unsupported as exc:
            _reply({"ok": False, "unsupported": str(exc)})
        except Exception as exc:
            _reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]})
            traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":
    main()
