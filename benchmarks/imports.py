"""Import time of hf_inference and the peers, over aiohttp + anyio + msgspec, in fresh processes.

Every interpreter reads compiled bytecode, as an installed package would: bytecode goes to a
temporary ``PYTHONPYCACHEPREFIX`` filled by a warm-up pass (``PYTHONDONTWRITEBYTECODE`` would
otherwise make a source checkout compile itself on every import while site-packages does not).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

from .harness import ROOT_DIR, Log

STATEMENTS = {
    "hf_inference": "import hf_inference",
    "huggingface_hub": "from huggingface_hub import AsyncInferenceClient",
    "text_generation": "from text_generation import AsyncClient",
    "openai": "from openai import AsyncOpenAI",
}

_PROGRAM = """
import json, time
t0 = time.perf_counter()
import aiohttp, anyio, msgspec
t1 = time.perf_counter()
try:
    {statement}
except ImportError as exc:
    print(json.dumps({{"error": str(exc.name or exc)}}))
else:
    print(json.dumps({{"base": t1 - t0, "extra": time.perf_counter() - t1}}))
"""


def _env(cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _once(statement: str, cache: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(statement=statement)],
        cwd=ROOT_DIR,
        env=_env(cache),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def _slowest_modules(cache: str, count: int = 5) -> list[tuple[str, int]]:
    """Self time of the modules ``import hf_inference`` itself brings in (``-X importtime``)."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import aiohttp, anyio, msgspec, hf_inference"],
        cwd=ROOT_DIR,
        env=_env(cache),
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    seen = False
    rows = []
    for line in err.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        name = parts[2].strip()
        # Modules print after their imports; everything after msgspec's own line is ours.
        if not seen:
            seen = name == "msgspec"
            continue
        rows.append((name, int(parts[0])))
    return sorted(rows, key=lambda r: -r[1])[:count]


def measure(runs: int, log: Log) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hf-bench-pycache-") as cache:
        return _measure(runs, cache, log)


def _measure(runs: int, cache: str, log: Log) -> dict[str, Any]:
    for statement in STATEMENTS.values():
        _once(statement, cache)  # compiles into the cache
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in STATEMENTS}
    for run in range(runs):
        for name, statement in STATEMENTS.items():
            samples[name].append(_once(statement, cache))
        log(f"  import run {run + 1}/{runs}")
    rows = []
    bases = []
    for name, statement in STATEMENTS.items():
        good = [s for s in samples[name] if "error" in s or "extra" in s]
        if any("error" in s for s in good):
            rows.append({"name": name, "statement": statement, "runs": 0, "note": "not installed"})
            continue
        bases += [s["base"] for s in good]
        rows.append(
            {
                "name": name,
                "statement": statement,
                "runs": len(good),
                "ms": statistics.median(s["extra"] for s in good) * 1e3,
            }
        )
    return {
        "rows": rows,
        "base_ms": statistics.median(bases) * 1e3 if bases else 0.0,
        "top": _slowest_modules(cache),
    }
