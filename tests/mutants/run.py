"""Apply each realistic bug of ``mutations.py`` alone and check that the suite catches it.

::

    python tests/mutants/run.py                 # every mutation, one worker
    python tests/mutants/run.py -j 2            # two workers (two copies of the tree)
    python tests/mutants/run.py -k retry        # the mutations whose name contains "retry"
    python tests/mutants/run.py --list          # names and files, nothing run
    nox -s mutants -- -j 2                      # the same through nox

The working tree is never written to: the tree is copied into a temporary directory per worker,
a mutation is applied to the copy, the mutation's own test files run against the copy (put first
on ``PYTHONPATH``, so it shadows the editable install), and the file is put back before the next
one. The copies are deleted at the end, Ctrl-C included.

A mutation whose ``original`` text no longer occurs exactly once in its file is reported
STALE (the code moved or changed: update or retire the entry), never silently skipped.
Exit status 0 only when every mutation applied and was caught.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutations import MUTATIONS, Mutation

#: The tree that is copied and mutated (``--root`` points at another checkout).
ROOT = Path(__file__).resolve().parents[2]
#: What a test run needs from the tree (the docs and examples are exercised by some tests).
COPIED = ("hf_inference", "tests", "examples", "docs", "pyproject.toml", "README.md", "mkdocs.yml")
#: A mutation that hangs the suite counts as caught once this many seconds pass.
TIMEOUT = 600.0
#: Test runs in flight (each its own process group), killed if we are interrupted.
RUNNING: set[subprocess.Popen[str]] = set()
STOPPING = threading.Event()


@dataclass
class Outcome:
    mutation: Mutation
    verdict: str  # KILLED, SURVIVED, STALE
    seconds: float = 0.0
    detail: str = ""


def copy_tree(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, destination / name)


def environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy), env.get("PYTHONPATH")]))
    # A mutated file may keep its size and mtime second: never trust a cached .pyc.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_copy_is_imported(copy: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-c", "import hf_inference; print(hf_inference.__file__)"],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"the copy is not what gets imported ({found}): mutants would lie")


def pristine_text(mutation: Mutation) -> str:
    return (ROOT / mutation.file).read_text(encoding="utf-8")


def applies(mutation: Mutation) -> str | None:
    """Why the mutation cannot be applied, or None."""
    path = ROOT / mutation.file
    if not path.exists():
        return f"{mutation.file} does not exist"
    count = path.read_text(encoding="utf-8").count(mutation.original)
    if count != 1:
        return f"original text found {count} times in {mutation.file} (must be exactly once)"
    return None


def run_tests(copy: Path, tests: tuple[str, ...]) -> tuple[int, float, str]:
    """(pytest exit code, seconds, last lines of output); a hang is killed and returns -1."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-header",
        *tests,
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=copy,
        env=environment(copy),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    RUNNING.add(process)
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
        code = process.returncode
    except subprocess.TimeoutExpired:
        kill(process)
        output, _ = process.communicate()
        code = -1
    finally:
        RUNNING.discard(process)
    tail = "\n".join(output.strip().splitlines()[-3:])
    return code, time.monotonic() - started, tail


def kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def try_mutation(copy: Path, mutation: Mutation) -> Outcome:
    reason = applies(mutation)
    if reason is not None:
        return Outcome(mutation, "STALE", detail=reason)
    original = pristine_text(mutation)
    target = copy / mutation.file
    target.write_text(original.replace(mutation.original, mutation.replacement), encoding="utf-8")
    try:
        code, seconds, tail = run_tests(copy, mutation.tests)
    finally:
        target.write_text(original, encoding="utf-8")
    if code == 0:
        return Outcome(mutation, "SURVIVED", seconds, tail)
    if code in (1, -1):  # tests failed, or the run hung and was killed
        detail = "hung: killed after the time limit" if code == -1 else tail
        return Outcome(mutation, "KILLED", seconds, detail)
    # 2-5: interrupted, internal error, usage error, no tests collected: the entry is broken.
    return Outcome(mutation, "STALE", seconds, f"pytest exit code {code}: {tail}")


def baseline(copy: Path, mutations: list[Mutation]) -> None:
    """The unmutated copy must pass every selected test file, or every mutant would 'die'."""
    files = sorted({test.split("::")[0] for m in mutations for test in m.tests})
    code, seconds, tail = run_tests(copy, tuple(files))
    if code != 0:
        raise SystemExit(f"baseline run failed (pytest exit {code}) in {seconds:.0f} s:\n{tail}")
    print(f"baseline: {len(files)} test files pass unmutated ({seconds:.0f} s)", flush=True)


def worker(copy: Path, todo: queue.Queue[Mutation], done: list[Outcome]) -> None:
    while not STOPPING.is_set():
        try:
            mutation = todo.get_nowait()
        except queue.Empty:
            return
        outcome = try_mutation(copy, mutation)
        if STOPPING.is_set():
            return  # its test run was killed by the interruption: no verdict
        done.append(outcome)
        line = f"{outcome.verdict:8} {mutation.name:48} {outcome.seconds:5.1f} s  {mutation.file}"
        if outcome.verdict != "KILLED":
            line += "\n         " + outcome.detail.replace("\n", "\n         ")
        print(line, flush=True)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C and kill both clean up (even when started in the background, where a shell may
    # have set SIGINT to be ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-k",
        dest="patterns",
        action="append",
        help="only mutations whose name contains this (repeatable: any of them)",
    )
    parser.add_argument("-j", "--jobs", type=int, default=1, help="workers (each its own copy)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    parser.add_argument(
        "--root", type=Path, help="mutate and test this checkout instead (e.g. an older commit)"
    )
    args = parser.parse_args(argv)
    if args.root is not None:
        global ROOT
        ROOT = args.root.resolve()

    names = [m.name for m in MUTATIONS]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"duplicate mutation names: {sorted(duplicates)}")
    patterns = args.patterns or [""]
    selected = [m for m in MUTATIONS if any(p in m.name for p in patterns)]
    if args.list:
        for m in selected:
            print(f"{m.name:48} {m.file:40} {m.why}")
        return 0
    if not selected:
        raise SystemExit(f"no mutation name contains any of {patterns!r}")

    with tempfile.TemporaryDirectory(prefix="hf-inference-mutants-") as tmp:
        copies = [Path(tmp) / f"tree{i}" for i in range(max(1, args.jobs))]
        for copy in copies:
            copy_tree(copy)
        check_copy_is_imported(copies[0])
        if not args.no_baseline:
            baseline(copies[0], selected)
        todo: queue.Queue[Mutation] = queue.Queue()
        for m in selected:
            todo.put(m)
        done: list[Outcome] = []
        threads = [
            threading.Thread(target=worker, args=(copy, todo, done), daemon=True) for copy in copies
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.5)  # a short join keeps Ctrl-C responsive
        except KeyboardInterrupt:
            STOPPING.set()
            # The test runs have their own sessions (Ctrl-C does not reach them): end them,
            # and let each worker put its file back, before the copies are deleted. The
            # working tree was never touched.
            for thread in threads:
                while thread.is_alive():
                    for process in list(RUNNING):
                        kill(process)
                    thread.join(0.2)
            raise

    count = {v: sum(o.verdict == v for o in done) for v in ("KILLED", "SURVIVED", "STALE")}
    applied = count["KILLED"] + count["SURVIVED"]
    print(
        f"\n{len(selected)} mutations: {applied} applied, {count['KILLED']} caught, "
        f"{count['SURVIVED']} survived, {count['STALE']} stale"
    )
    for verdict in ("SURVIVED", "STALE"):
        for o in sorted(done, key=lambda o: o.mutation.name):
            if o.verdict == verdict:
                print(f"  {verdict.lower()}: {o.mutation.name} ({o.mutation.why})")
    return 0 if applied == len(selected) and count["SURVIVED"] == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: the copies are deleted, the working tree was never touched")
        sys.exit(130)
