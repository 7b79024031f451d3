"""Processes and measurement: the load server, one worker per client, interleaved runs.

Runs of one table go round-robin over the clients (rotating who goes first), so a burst of
noise on this shared machine hits every client instead of one; each figure is the median.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .clients import CLIENTS

ROOT_DIR = Path(__file__).resolve().parent.parent
SLOW_PEERS = frozenset({"huggingface_hub", "text_generation", "openai"})

# With two CPUs or more the server gets the first and the clients the others: left to the
# scheduler, a client sometimes shares a core with the server for a whole run, and its CPU
# per token then swings by 2x from one process to the next.
_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
SERVER_CPUS = set(_CPUS[:1]) if len(_CPUS) >= 2 else set()
CLIENT_CPUS = set(_CPUS[1:]) if len(_CPUS) >= 2 else set()


def git_commit() -> str:
    """The checkout's commit (``-dirty`` with uncommitted changes), or ``unknown``."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _pin(pid: int, cpus: set[int]) -> None:
    if cpus:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, cpus)


Log = Callable[[str], None]


def client_label(client_id: str) -> str:
    name, _, loop = client_id.partition("@")
    label = CLIENTS[name].label
    return f"{label} (uvloop)" if loop else label


def reap(process: subprocess.Popen[str], grace: float) -> None:
    """Wait ``grace`` seconds for a child told to exit, then kill it; close its stdout."""
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


class LoadServer:
    """``python -m benchmarks.load_server`` in a child process; exits when we close its stdin."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.load_server", "--port", "0", "--watch-stdin"],
            cwd=ROOT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        _pin(self.process.pid, SERVER_CPUS)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"load server did not start (said {line!r})")
        self.url = f"http://127.0.0.1:{line}"

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        reap(self.process, 10)

    def __enter__(self) -> LoadServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WorkerProcess:
    """One client (``name`` or ``name@uvloop``) in its own interpreter."""

    def __init__(self, client_id: str, root: str) -> None:
        name, _, loop = client_id.partition("@")
        self.client_id = client_id
        self.skip: str | None = None
        self.version = ""
        # The code this worker runs is the code of the moment it starts (it imports then).
        self.commit = git_commit()
        # Kept for the worker's lifetime (closed in close()), so no `with` block.
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        options = ["--client", name, "--loop", loop or "asyncio", "--root", root]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._worker", *options],
            cwd=ROOT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            # One hash seed for every worker: dict layouts are not another per-process variable.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        _pin(self.process.pid, CLIENT_CPUS)

    def wait_ready(self) -> None:
        hello = self._read()
        self.skip = hello.get("skip")
        self.version = hello.get("version", "")

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self._stderr.seek(0)
            tail = self._stderr.read()[-800:]
            raise RuntimeError(f"worker {self.client_id} died: {tail}")
        result: dict[str, Any] = json.loads(line)
        return result

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            try:
                self.process.stdin.write('{"op": "quit"}\n')
                self.process.stdin.close()
            except BrokenPipeError:
                pass
        reap(self.process, 30)
        self._stderr.close()


class WorkerPool:
    """Workers kept across tables: starting ~8 interpreters (openai alone imports for half a
    second) per table would cost more than some tables take to measure."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._workers: dict[str, WorkerProcess] = {}

    def get(self, *client_ids: str) -> list[WorkerProcess]:
        """Workers for ``client_ids``, the missing ones started in parallel."""
        fresh = []
        for client_id in dict.fromkeys(client_ids):
            if client_id not in self._workers:
                self._workers[client_id] = WorkerProcess(client_id, self.root)
                fresh.append(self._workers[client_id])
        for worker in fresh:
            worker.wait_ready()
        return [self._workers[c] for c in client_ids]

    def drop(self, client_id: str) -> None:
        worker = self._workers.pop(client_id, None)
        if worker is not None:
            worker.close()

    def close(self) -> None:
        for client_id in list(self._workers):
            self.drop(client_id)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Entry:
    """One row of a table: a client running one command."""

    key: str
    client_id: str
    command: dict[str, Any]
    label: str = ""
    warmup: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.label = self.label or client_label(self.client_id)


@dataclass
class Table:
    """What to measure for one table of the report."""

    key: str
    scenario: str
    title: str
    unit: str
    entries: list[Entry]
    runs: int
    notes: list[str] = field(default_factory=list)
    baseline: str = "raw-msgspec"
    fresh_process: bool = False
    columns: tuple[str, ...] = ()
    #: Runs for the slow peers (default: at most 2, one in a quick pass).
    peer_runs: int | None = None


@dataclass
class Row:
    key: str
    client_id: str
    label: str
    version: str = ""
    runs: int = 0
    cpu_per_unit: float | None = None
    wall: float | None = None
    rate: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    note: str = ""
    commit: str = ""


def _median_row(row: Row, results: list[dict[str, Any]]) -> None:
    if not results:
        return
    row.runs = len(results)
    row.cpu_per_unit = statistics.median(r["cpu"] / r["units"] for r in results)
    row.wall = statistics.median(r["wall"] for r in results)
    row.rate = statistics.median(r["units"] / r["wall"] for r in results)
    keys = {k for r in results for k, v in r.get("extra", {}).items() if isinstance(v, int | float)}
    for k in sorted(keys):
        values = [r["extra"][k] for r in results if k in r.get("extra", {})]
        row.extra[k] = statistics.median(values)


def _runs_for(table: Table, client_id: str) -> int:
    # Peers costing 5-100x more per token are far from any ratio that matters; two runs (one
    # in a quick pass) bound their share of the wall time.
    if client_id.partition("@")[0] in SLOW_PEERS:
        if table.peer_runs is not None:
            return min(table.runs, table.peer_runs)
        return min(table.runs, 2) if table.runs > 2 else 1
    return table.runs


def _describe(result: dict[str, Any]) -> str:
    return result.get("unsupported") or result.get("error") or "failed"


def run_table(table: Table, pool: WorkerPool, log: Log) -> list[Row]:
    rows = {e.key: Row(e.key, e.client_id, e.label) for e in table.entries}
    results: dict[str, list[dict[str, Any]]] = {e.key: [] for e in table.entries}
    live = list(table.entries)
    started = time.perf_counter()

    def attempt(entry: Entry, command: dict[str, Any]) -> dict[str, Any] | None:
        (worker,) = pool.get(entry.client_id)
        row = rows[entry.key]
        if worker.skip:
            row.note = worker.skip
            return None
        row.version = worker.version
        row.commit = worker.commit
        try:
            result = worker.call(command)
        except RuntimeError as exc:  # the worker died (its stderr tail is in the message)
            pool.drop(entry.client_id)
            result = {"ok": False, "error": str(exc)[:300]}
        if not result.get("ok"):
            row.note = _describe(result)
            log(f"  {entry.label}: {row.note}")
            return None
        return result

    if table.fresh_process:
        # Memory figures must not inherit a heap: a new interpreter per run (warm-up included
        # in the command).
        for entry in live:
            pool.drop(entry.client_id)
    else:
        pool.get(*(e.client_id for e in live))
        for entry in list(live):
            if attempt(entry, entry.warmup or entry.command) is None:
                live.remove(entry)
    for run in range(table.runs):
        order = live[run % len(live) :] + live[: run % len(live)] if live else []
        for entry in order:
            if run >= _runs_for(table, entry.client_id) or entry not in live:
                continue
            result = attempt(entry, entry.command)
            if table.fresh_process:
                pool.drop(entry.client_id)
            if result is None:
                live.remove(entry)
                continue
            results[entry.key].append(result)
            per_unit = result["cpu"] / result["units"] * 1e6
            log(
                f"  {table.key} run {run + 1}/{table.runs} {entry.label}: "
                f"{per_unit:.2f} us CPU per {table.unit}, {result['wall']:.2f} s"
            )
    for entry in table.entries:
        _median_row(rows[entry.key], results[entry.key])
    log(f"  {table.key}: {time.perf_counter() - started:.0f} s")
    return [rows[e.key] for e in table.entries]
