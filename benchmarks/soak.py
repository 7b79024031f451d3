"""Load and soak run of hf_inference against the local server (issue 4), not a timed test.

::

    python -m benchmarks.soak                      # the issue's sizes
    python -m benchmarks.soak --scale 0.1          # a quick pass
    python -m benchmarks.soak --json results.json  # also write the figures as JSON

The local Inference API server runs in a child process (``python -m hf_inference.testing``),
so the memory and descriptor figures are the client's alone. Each scenario gets a fresh
client, and reports:

* the client's sockets still open when the scenario ends with the client open (its idle pool,
  at most ``max_connections``) and after ``aclose()`` (must be 0);
* the server's connections after ``aclose()`` (its sockets minus its baseline; must be 0);
* open file descriptors after ``aclose()`` against the baseline before the client existed;
* tracemalloc bytes still allocated per request after the scenario (client open, and after
  ``aclose()``; target < 1 KiB) and the process's peak RSS.

Linux only for the descriptor figures (they read ``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio

from hf_inference import AsyncInferenceClient, __version__

from .harness import reap

MODEL = "openai-community/gpt2"
ROOT = Path(__file__).resolve().parent.parent


def count_fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def count_sockets(pid: int | str = "self") -> int:
    folder = f"/proc/{pid}/fd"
    count = 0
    for name in os.listdir(folder):
        try:
            if os.readlink(f"{folder}/{name}").startswith("socket:"):
                count += 1
        except OSError:
            pass  # closed while we looked
    return count


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


class Server:
    """``python -m hf_inference.testing`` in a child process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hf_inference.testing", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError(f"the local server did not start (said {self.url!r})")
        self.baseline = count_sockets(self.process.pid)

    @property
    def connections(self) -> int:
        return count_sockets(self.process.pid) - self.baseline

    async def settle(self, expected: int = 0, within: float = 5.0) -> int:
        """Connections the server holds, polled until ``expected`` or ``within`` seconds."""
        for _ in range(int(within / 0.01)):
            if self.connections == expected:
                break
            await asyncio.sleep(0.01)
        return self.connections

    def close(self) -> None:
        self.process.terminate()
        reap(self.process, 10)


@dataclass
class Result:
    scenario: str
    requests: int
    seconds: float
    client_sockets_open: int  # idle pool with the client still open
    client_sockets_closed: int  # after aclose()
    server_connections_closed: int  # after aclose()
    fds_delta: int  # after aclose(), against the baseline before the client was made
    retained_per_request_open: float  # tracemalloc bytes, client still open
    retained_per_request_closed: float  # tracemalloc bytes, after aclose()
    peak_rss_mib: float
    max_connections: int


Scenario = Callable[[AsyncInferenceClient], Awaitable[int]]


async def concurrent_streams(client: AsyncInferenceClient, n: int) -> int:
    """``n`` paced streams open at the same time on one client."""
    done = 0

    async def one() -> None:
        nonlocal done
        stream = client.text_generation_stream(
            "soak",
            model=MODEL,
            parameters={"max_new_tokens": 20},
            headers={"x-test-token-delay": "0.02"},
        )
        events = [event async for event in stream]
        assert events[-1].generated_text is not None
        done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    assert done == n
    return n


async def sequential_requests(client: AsyncInferenceClient, n: int) -> int:
    for _ in range(n):
        out = await client.text_generation("soak", model=MODEL, parameters={"max_new_tokens": 4})
        assert out.generated_text
    return n


async def early_breaks(client: AsyncInferenceClient, n: int) -> int:
    """Leave ``n`` long streams after their first event."""
    for _ in range(n):
        async for _event in client.text_generation_stream(
            "soak",
            model=MODEL,
            parameters={"max_new_tokens": 200},
            headers={"x-test-token-delay": "0.01"},
        ):
            break
    return n


async def cancellations(client: AsyncInferenceClient, n: int) -> int:
    """Cancel ``n`` streams, 100 at a time: a third before the headers, the rest mid-stream."""

    async def one(i: int) -> None:
        with anyio.CancelScope() as scope:
            if i % 3 == 0:
                scope.cancel()  # cancelled at the first await: connecting or sending
            async for _event in client.text_generation_stream(
                "soak",
                model=MODEL,
                parameters={"max_new_tokens": 200},
                headers={"x-test-token-delay": "0.01"},
            ):
                scope.cancel()  # mid-stream: the next read is cancelled

    for start in range(0, n, 100):
        async with anyio.create_task_group() as tg:
            for i in range(start, min(n, start + 100)):
                tg.start_soon(one, i)
    return n


async def warm_up(url: str) -> None:
    """First-use costs (imports, decoders, URL caches) stay out of the retained figures."""
    async with AsyncInferenceClient(False, base_url=url + "/hf-inference") as client:
        await sequential_requests(client, 50)
        await early_breaks(client, 20)
        await cancellations(client, 30)
        await concurrent_streams(client, 20)


async def measure(
    name: str,
    server: Server,
    scenario: Scenario,
    *,
    own_sockets: int,
    max_connections: int = 100,
) -> Result:
    """Run one scenario on a fresh client; ``own_sockets``: this process's non-client sockets."""
    gc.collect()
    fds_before = count_fds()
    memory_before = tracemalloc.get_traced_memory()[0]
    client = AsyncInferenceClient(
        "hf_soak_token", base_url=server.url + "/hf-inference", max_connections=max_connections
    )
    start = time.perf_counter()
    try:
        requests = await scenario(client)
        seconds = time.perf_counter() - start
        gc.collect()
        await asyncio.sleep(0)  # a closed transport lets go of its socket on the next turn
        sockets_open = count_sockets() - own_sockets
        retained_open = tracemalloc.get_traced_memory()[0] - memory_before
    finally:
        await client.aclose()
    held = await server.settle(0)
    gc.collect()
    await asyncio.sleep(0)  # transports finish closing on the next loop turn
    retained_closed = tracemalloc.get_traced_memory()[0] - memory_before
    return Result(
        scenario=name,
        requests=requests,
        seconds=round(seconds, 2),
        client_sockets_open=sockets_open,
        client_sockets_closed=count_sockets() - own_sockets,
        server_connections_closed=held,
        fds_delta=count_fds() - fds_before,
        retained_per_request_open=round(retained_open / requests, 1),
        retained_per_request_closed=round(retained_closed / requests, 1),
        peak_rss_mib=round(peak_rss_mib(), 1),
        max_connections=max_connections,
    )


async def run(scale: float) -> list[Result]:
    size = {
        "concurrent": max(1, int(1000 * scale)),
        "sequential": max(1, int(10_000 * scale)),
        "breaks": max(1, int(1000 * scale)),
        "cancels": max(1, int(1000 * scale)),
    }
    server = Server()
    try:
        await warm_up(server.url)
        await server.settle(0)
        # The event loop's self-pipe is a socket pair: everything else is a client connection.
        own = count_sockets()
        tracemalloc.start()
        results = [
            await measure(
                f"{size['concurrent']:,} concurrent streams",
                server,
                lambda c: concurrent_streams(c, size["concurrent"]),
                own_sockets=own,
                max_connections=max(100, size["concurrent"]),
            ),
            await measure(
                f"{size['sequential']:,} sequential requests",
                server,
                lambda c: sequential_requests(c, size["sequential"]),
                own_sockets=own,
            ),
            await measure(
                f"{size['breaks']:,} early breaks",
                server,
                lambda c: early_breaks(c, size["breaks"]),
                own_sockets=own,
            ),
            await measure(
                f"{size['cancels']:,} cancellations",
                server,
                lambda c: cancellations(c, size["cancels"]),
                own_sockets=own,
            ),
        ]
        tracemalloc.stop()
    finally:
        server.close()
    return results


def table(results: list[Result]) -> str:
    lines = [
        "| scenario | time (s) | client sockets, client open (pool limit) "
        "| client sockets after aclose | server connections after aclose | fds vs baseline "
        "| retained B/request, open | retained B/request, closed | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.seconds} | {r.client_sockets_open} ({r.max_connections}) "
            f"| {r.client_sockets_closed} | {r.server_connections_closed} | {r.fds_delta:+d} "
            f"| {r.retained_per_request_open:g} | {r.retained_per_request_closed:g} "
            f"| {r.peak_rss_mib} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's sizes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not Path("/proc/self/fd").is_dir():
        parser.error("the descriptor figures need Linux's /proc")
    # One socket per concurrent stream, in this process and in the server's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4096))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    results = asyncio.run(run(args.scale))
    print(
        f"hf_inference {__version__}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(table(results))
    failed = [
        r.scenario
        for r in results
        if r.client_sockets_closed
        or r.server_connections_closed
        or r.fds_delta > 0
        or r.client_sockets_open > r.max_connections
    ]
    if args.json is not None:
        payload: dict[str, Any] = {"results": [asdict(r) for r in results], "failed": failed}
        args.json.write_text(json.dumps(payload, indent=2))
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
