"""``python -m benchmarks relay``: what relaying token streams to WebSockets costs a backend.

Three processes besides this one: the load server (``benchmarks.load_server``), the relay app
under uvicorn (``benchmarks.relay_apps``, one process per library, all started up front) and
the WebSocket clients (``benchmarks.relay_clients``, a fresh process per run). The load server
paces each chat stream (``--rate`` tokens per second, one write per token) and stamps each
token with its send time; the clients measure each token's arrival, so the latency is what
the relay adds to loopback. A relay's CPU is its process's user + system time
(``/proc/<pid>/stat``) over the run, divided by the tokens the clients received. Runs
alternate between the libraries (rotating the order) and each figure is the median of runs.

``--write`` stores the result in ``benchmarks/results.json`` and renders ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from . import page
from .harness import CLIENT_CPUS, ROOT_DIR, LoadServer, _pin, git_commit, reap
from .relay_apps import KINDS

LABELS = {
    "hf_inference": "hf_inference helpers (`pump_to_websocket`)",
    "huggingface_hub": "huggingface_hub AsyncInferenceClient + `send_json`",
    "openai": "openai AsyncOpenAI + `send_json`",
    "floor": "floor: raw aiohttp + msgspec + `send_text` (no client)",
}
BASELINES = ("huggingface_hub", "openai")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
DESCRIPTION = (
    "What relaying chat streams from the API to browsers costs a backend, the job the "
    "[integration helpers](integrations.md) are for. The same relay app written three ways "
    "(`benchmarks/relay_apps.py`): the hf_inference helpers, huggingface_hub's "
    "`AsyncInferenceClient` and openai's `AsyncOpenAI` (each with `websocket.send_json` per "
    "token, as their users write it), plus a floor with no client library; each under uvicorn "
    "(asyncio loop, h11, sans-I/O websockets) in its own process, pinned to one CPU while the "
    "load server is pinned to the other. The load server (own process) paces "
    "every stream and stamps each token with its send time (`time.monotonic_ns()`); a third "
    "process opens the WebSocket clients and takes each token's arrival time, so the latency "
    "is load server write to browser read, through the relay. CPU is the relay process's user "
    "+ system time (`/proc/<pid>/stat`) over the run divided by the tokens relayed; *user* is "
    "the Python share, the rest is the kernel's (socket reads and writes, mostly). Reproduce: "
    "`python -m benchmarks relay` (one run of each, about 4 minutes; `--runs 2` for the "
    "table below; `--write` updates this page)."
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process so far, from ``/proc/<pid>/stat`` (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    # After the command name: state is field 3, utime field 14 and stime field 15 (1-based).
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK


class RelayProcess:
    def __init__(self, kind: str, upstream: str, headers: dict[str, str]) -> None:
        options = [f"--header={k}={v}" for k, v in headers.items()]
        self.kind = kind
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "benchmarks.relay_apps"),
                *("--kind", kind, "--upstream", upstream),
                *options,
            ],
            cwd=ROOT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        _pin(self.process.pid, CLIENT_CPUS)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"{kind} relay did not start (said {line!r})")
        self.url = f"ws://127.0.0.1:{line}/ws"

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        reap(self.process, 10)


def run_clients(url: str, streams: int, tokens: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.relay_clients", "--url", url),
            *("--streams", str(streams), "--tokens", str(tokens)),
        ],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def measure(relay: RelayProcess, streams: int, tokens: int) -> dict[str, Any]:
    user, system = cpu_seconds(relay.process.pid)
    result = run_clients(relay.url, streams, tokens)
    user_after, system_after = cpu_seconds(relay.process.pid)
    if result["completed"] != streams or result["tokens"] != streams * tokens:
        raise RuntimeError(f"{relay.kind}: incomplete run {result}")
    result["cpu_per_token_us"] = (
        (user_after - user + system_after - system) / tokens / streams * 1e6
    )
    result["user_per_token_us"] = (user_after - user) / tokens / streams * 1e6
    return result


def run(streams: int, tokens: int, rate: float, runs: int) -> dict[str, Any]:
    headers = {"x-bench-rate": f"{rate:g}", "x-bench-stamp": "1"}
    per_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    started = time.perf_counter()
    with LoadServer() as server:
        relays = [RelayProcess(kind, server.url, headers) for kind in KINDS]
        try:
            for relay in relays:  # imports, first connections, code paths: all warm
                measure(relay, 8, min(tokens, 100))
            for i in range(runs):
                order = relays[i % len(relays) :] + relays[: i % len(relays)]
                for relay in order:
                    result = measure(relay, streams, tokens)
                    per_kind[relay.kind].append(result)
                    log(
                        f"run {i + 1}/{runs} {relay.kind}: "
                        f"{result['cpu_per_token_us']:.1f} us CPU/token "
                        f"({result['user_per_token_us']:.1f} us user), latency p50 "
                        f"{result['latency_us']['p50']:.0f} us p99 "
                        f"{result['latency_us']['p99']:.0f} us ({result['elapsed']:.1f} s)"
                    )
        finally:
            for relay in relays:
                relay.close()
    rows = []
    for kind in KINDS:
        results = per_kind[kind]
        rows.append(
            {
                "kind": kind,
                "cpu_per_token_us": statistics.median(r["cpu_per_token_us"] for r in results),
                "user_per_token_us": statistics.median(r["user_per_token_us"] for r in results),
                "p50_us": statistics.median(r["latency_us"]["p50"] for r in results),
                "p99_us": statistics.median(r["latency_us"]["p99"] for r in results),
                "runs": [
                    {
                        "cpu_per_token_us": r["cpu_per_token_us"],
                        "user_per_token_us": r["user_per_token_us"],
                        **r["latency_us"],
                    }
                    for r in results
                ],
            }
        )
    log(f"relay benchmark done in {time.perf_counter() - started:.0f} s")
    return {
        "machine": machine(),
        "streams": streams,
        "tokens": tokens,
        "rate": rate,
        "runs": runs,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
        "rows": rows,
    }


def machine() -> str:
    meta = page.machine()
    versions = ", ".join(
        f"{dist} {page._version(dist)}"
        for dist in (
            "hf-inference",
            "aiohttp",
            "huggingface_hub",
            "openai",
            "starlette",
            "uvicorn",
            "websockets",
        )
    )
    return f"{meta['cpus']} CPUs ({meta['cpu']}), {meta['python']}; {versions}"


def checks(result: dict[str, Any]) -> list[tuple[str, bool, str]]:
    rows = {row["kind"]: row for row in result["rows"]}
    ours = rows["hf_inference"]
    out = []
    for base in BASELINES:
        r = rows[base]["cpu_per_token_us"] / ours["cpu_per_token_us"]
        out.append((f"relay CPU/token: {base} ÷ hf_inference ≥ 3x", r >= 3, f"{r:.1f}x"))
    hub = rows["huggingface_hub"]
    out.append(
        (
            "p99 added latency below the huggingface_hub relay's",
            ours["p99_us"] < hub["p99_us"],
            f"{ours['p99_us'] / 1000:.2f} ms vs {hub['p99_us'] / 1000:.2f} ms",
        )
    )
    return out


def render(result: dict[str, Any]) -> str:
    rows = {row["kind"]: row for row in result["rows"]}
    ours = rows["hf_inference"]
    lines = [
        f"{result['streams']} concurrent chat streams of {result['tokens']:,} tokens, paced at "
        f"{result['rate']:g} tokens/s each, relayed to {result['streams']} WebSocket clients; "
        f"median of {result['runs']} interleaved run(s). Measured {result['date']} at "
        f"`{result['commit']}` with `python -m benchmarks {result['command']}` on "
        f"{result['machine']}.",
        "",
        "| relay app | CPU per token | ÷ hf_inference | of which user (Python) | ÷ hf_inference "
        "| latency p50 | latency p99 | p99 ÷ hf_inference |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        row = rows[kind]
        lines.append(
            f"| {LABELS[kind]} | {row['cpu_per_token_us']:.1f} µs | "
            f"{row['cpu_per_token_us'] / ours['cpu_per_token_us']:.2f}x | "
            f"{row['user_per_token_us']:.1f} µs | "
            f"{row['user_per_token_us'] / ours['user_per_token_us']:.2f}x | "
            f"{row['p50_us'] / 1000:.2f} ms | {row['p99_us'] / 1000:.2f} ms | "
            f"{row['p99_us'] / ours['p99_us']:.2f}x |"
        )
    lines += ["", "| target | measured | met |", "|---|---:|:---:|"]
    for label, ok, shown in checks(result):
        lines.append(f"| {label} | {shown} | {'yes' if ok else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks relay", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="tokens/s of each stream")
    parser.add_argument("--runs", type=int, default=1, help="runs per library (default 1)")
    parser.add_argument("--write", action="store_true", help="store and render docs/benchmarks.md")
    args = parser.parse_args(argv)
    result = run(args.streams, args.tokens, args.rate, args.runs)
    result["command"] = " ".join(["relay", *(argv or [])])
    print(f"\n## Relaying streams to WebSockets\n\n{render(result)}\n", flush=True)
    if args.write:
        write(result)
    return 0


def write(result: dict[str, Any]) -> None:
    """Store ``result`` in results.json and render docs/benchmarks.md again.

    The other tables and the page's machine line stay as they were measured.
    """
    from .__main__ import DOC, RESULTS

    stored: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored["relay"] = result
    meta = stored.setdefault("meta", {})
    # The page lists how to reproduce each result: only this relay result is stored.
    others = {c for c in meta.get("commands", []) if not c.startswith("relay")}
    meta["commands"] = sorted({*others, result["command"]})
    RESULTS.write_text(json.dumps(stored, indent=1) + "\n")
    DOC.write_text(page.render(stored))
    log(f"wrote {DOC.relative_to(ROOT_DIR)}, {RESULTS.relative_to(ROOT_DIR)}")
