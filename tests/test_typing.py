"""mypy --strict rejects misspelled and mistyped task parameters, in every calling form.

Runs mypy over ``tests/typing_errors.py`` and holds the reported errors to the lines marked
there. The ``typing`` nox session runs it (mypy is not in the test dependency group); elsewhere
it skips unless ``HF_INFERENCE_TYPING_REQUIRED`` is set.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "typing_errors.py"
MARK = re.compile(r"#\s*error:\s*([\w-]+)\s*$")
REPORTED = re.compile(r"^[^:]+:(\d+): error: .*\[([\w-]+)\]$")


def expected_errors() -> dict[int, str]:
    lines = CASES.read_text().splitlines()
    return {n: m.group(1) for n, line in enumerate(lines, 1) if (m := MARK.search(line))}


def test_mypy_rejects_each_misspelled_or_mistyped_parameter(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        if os.environ.get("HF_INFERENCE_TYPING_REQUIRED"):
            pytest.fail("mypy is not installed, and HF_INFERENCE_TYPING_REQUIRED is set")
        pytest.skip("needs mypy (the typing nox session runs this)")
    expected = expected_errors()
    assert len(expected) >= 10
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--hide-error-context",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(CASES),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    reported: dict[int, set[str]] = {}
    for line in run.stdout.splitlines():
        if match := REPORTED.match(line):
            reported.setdefault(int(match.group(1)), set()).add(match.group(2))
    assert run.returncode == 1, run.stdout + run.stderr
    missed = {n: code for n, code in expected.items() if code not in reported.get(n, set())}
    assert not missed, f"mypy let these through: {missed}\n{run.stdout}"
    unexpected = sorted(set(reported) - set(expected))
    assert not unexpected, f"errors on unmarked lines {unexpected}:\n{run.stdout}"
