"""The pytest plugin's cost to a run that does not use it: ``python -m benchmarks.plugin_startup``.

pytest imports every installed ``pytest11`` plugin at start-up, in every project of the
environment. Three configurations run one trivial test in a fresh interpreter, interleaved so
machine load hits them alike; the table gives the median CPU time of each and its cost over
the run without the plugin:

* ``-p no:hf_inference``: the baseline, no plugin;
* the entry point as installed: ``_hf_inference_pytestplugin``, which imports nothing of
  hf_inference until a test asks for a fixture;
* ``-p hf_inference.testing.plugin``: the plugin loaded through the hf_inference package,
  which imports hf_inference and aiohttp (what the entry point did before it moved).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIGS = {
    "no plugin (`-p no:hf_inference`)": ["-p", "no:hf_inference"],
    "entry point (`_hf_inference_pytestplugin`)": [],
    "eager (`-p hf_inference.testing.plugin`)": [
        "-p",
        "no:hf_inference",
        "-p",
        "hf_inference.testing.plugin",
    ],
}
#: Plugins of this environment that are not the subject (and hypothesis' costs seconds).
QUIET = ["-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:asyncio"]


def once(project: Path, extra: list[str]) -> float:
    """CPU seconds (user + system) of one pytest process: steadier than wall time on a
    shared machine, and what start-up work costs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, *extra],
        cwd=project,
        check=True,
        capture_output=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per configuration")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "test_unrelated.py").write_text("def test_nothing():\n    pass\n")
        for extra in CONFIGS.values():  # warm-up: bytecode caches, page cache
            once(project, extra)
        times: dict[str, list[float]] = {name: [] for name in CONFIGS}
        for _ in range(args.runs):
            for name, extra in CONFIGS.items():
                times[name].append(once(project, extra))
    base = statistics.median(times[next(iter(CONFIGS))])
    print(f"| An empty pytest run ({args.runs} runs each) | median CPU ms | over baseline |")
    print("|---|---|---|")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"| {name} | {median * 1000:.0f} | {(median - base) * 1000:+.0f} ms |")


if __name__ == "__main__":
    main()
