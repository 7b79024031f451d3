"""``docs/benchmarks.md``: the tables, the targets, the chart, the profile and the machine."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .harness import git_commit
from .report import render_import, render_table, render_targets, targets
from .scenarios import ORDER

Result = dict[str, Any]

ANALYSIS = Path(__file__).with_name("analysis.md")
RELAY_ANALYSIS = Path(__file__).with_name("relay_analysis.md")

SECTIONS = {
    "stream": "Streaming: TGI text generation",
    "chat-stream": "Streaming: chat completion",
    "responses-stream": "Responses API stream",
    "paced": "Paced streaming",
    "requests": "Non-streamed requests",
    "large": "Large answers",
    "many": "Many concurrent streams",
}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> Result:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": usable,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "packages": {
            dist: _version(dist)
            for dist in (
                "hf-inference",
                "aiohttp",
                "msgspec",
                "anyio",
                "uvloop",
                "huggingface_hub",
                "text-generation",
                "openai",
            )
        },
    }


def render_breakdown(data: Result) -> str:
    online = dict(data["online"])
    offline = dict(data["offline"])
    lines = [
        f"One {data['tokens']:,}-token TGI stream ({data['chunks']} socket reads), client CPU "
        "per token (online: median of the passes; offline, replaying the recorded chunks "
        "without socket or event loop: fastest pass):",
        "",
        "| Stage | µs/token |",
        "|---|---|",
    ]
    lines += [f"| online: {name} | {value:.2f} |" for name, value in data["online"]]
    lines += [f"| offline: {name} | {value:.2f} |" for name, value in data["offline"]]
    names = list(offline)
    hf_online = online.get("hf_inference text_generation_stream")
    raw_online = online.get("raw loop: iter_any + split + msgspec decode")
    if len(names) == 5 and hf_online and raw_online:
        split, decode, sse, sse_decode, stream = (offline[n] for n in names)
        lines += [
            "",
            "Attribution of hf_inference's extra cost over the raw loop "
            f"({hf_online - raw_online:+.2f} µs/token online):",
            "",
            f"- SSE decoder instead of a bare split: {sse - split:+.2f} µs/token",
            f"- the loop handing each event to the decoder, beyond the bare decode: "
            f"{sse_decode - sse - decode:+.2f} µs/token",
            f"- AsyncStream (its per-token step, checks, bookkeeping): "
            f"{stream - sse_decode:+.2f} µs/token",
            f"- the rest online (transport, read wrapper, watchdog, allocator/GC pressure): "
            f"{(hf_online - raw_online) - (stream - split - decode):+.2f} µs/token",
        ]
    if data.get("profile"):
        lines += [
            "",
            "cProfile of the online hf_inference stream (share of profiled time; cProfile "
            "inflates many small calls, so read the ranking, not absolute times):",
            "",
            "| Function | calls/token | share |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{row['function']}` | {row['calls_per_token']:.3g} | {row['share']:.0%} |"
            for row in data["profile"]
        ]
    return "\n".join(lines)


def render(results: Result) -> str:
    tables: dict[str, Result] = results.get("tables", {})
    meta = results.get("meta", {})
    commands = sorted(
        {t.get("command", "") for t in tables.values()} | set(meta.get("commands", []))
    )
    out = [
        "# Benchmarks",
        "",
        "Client CPU time per token (or request) of hf_inference next to a raw aiohttp + msgspec "
        "loop reading the same bytes (the practical floor for a Python client) and next to the "
        "peer clients. The load server runs in its own process and serves pre-encoded answers, "
        "so the client is what is measured: each client runs in its own worker process and its "
        "CPU is `getrusage(RUSAGE_SELF)` user + system time of that process. Runs of a table "
        "alternate between clients (rotating the order) and every figure is the median of the "
        "runs; the peers, 5-100x above the floor, get 2 runs. The load server is pinned to one CPU "
        "and the clients to the others.",
        "",
        "Reproduce (the `bench` nox session runs the same module):",
        "",
        "```sh",
        *(f"python -m benchmarks {c}".rstrip() for c in commands),
        "nox -s bench -- --write   # same, in a fresh virtualenv with the peers installed",
        "```",
        "",
    ]
    if meta:
        packages = ", ".join(f"{k} {v}" for k, v in meta.get("packages", {}).items())
        out += [
            f"Machine: {meta.get('cpus')} CPUs ({meta.get('cpu')}), {meta.get('python')}, "
            f"{meta.get('platform')}; page written {meta.get('date')}, hf_inference at "
            f"`{meta.get('commit')}` (each table says when and at which commit it was measured). "
            f"Packages: {packages}. The machine is shared with other work and noisy: absolute "
            "figures move by up to 40% from one pass to the next, and even the medians of "
            "interleaved runs move by about ±0.2x (hf_inference ÷ raw on unpaced TGI streams "
            "read 1.2x-1.7x across this session's passes): read ratios near a threshold "
            "accordingly.",
            "",
        ]
    checks = targets(tables, results.get("import"))
    if checks:
        out += ["## Targets", "", render_targets(checks), ""]
    if results.get("chart"):
        out += ["![client CPU per token and per request](img/benchmarks.png)", ""]
    for scenario in ORDER:
        chosen = [t for t in tables.values() if t["scenario"] == scenario]
        if chosen:
            out += [f"## {SECTIONS[scenario]}", ""]
            for table in chosen:
                out += [f"### {table['title']}", "", render_table(table), ""]
                if table.get("date"):
                    out[-1:] = ["", f"Measured {table['date']} at `{table.get('commit')}`.", ""]
                if table.get("quick"):
                    out[-1:] = ["", "(From a `--quick` pass: smaller sizes, fewer runs.)", ""]
    if results.get("relay"):
        from .relay import DESCRIPTION
        from .relay import render as render_relay

        out += ["## Relaying streams to WebSockets", "", DESCRIPTION, ""]
        out += [render_relay(results["relay"]), ""]
        if RELAY_ANALYSIS.exists():
            out += [RELAY_ANALYSIS.read_text().strip(), ""]
    if results.get("import"):
        out += ["## Import time", "", render_import(results["import"]), ""]
    if results.get("providers"):
        from . import providers

        data = results["providers"]
        out += ["## Inference Providers", "", providers.__doc__.split("\n\n", 1)[1].strip(), ""]
        out += [
            providers.render(data),
            "",
            f"Measured {data.get('date')} at `{data.get('commit')}`.",
            "",
        ]
    if results.get("breakdown") or ANALYSIS.exists():
        out += ["## Where the time goes", ""]
        if results.get("breakdown"):
            out += [render_breakdown(results["breakdown"]), ""]
        if ANALYSIS.exists():
            out += [ANALYSIS.read_text().strip(), ""]
    return "\n".join(out)


def command_line() -> str:
    return " ".join(sys.argv[1:])
