"""``python -m benchmarks [SCENARIO ...] [--quick] [--runs N] [--write | --render]``.

``python -m benchmarks relay [--write]``: relaying chat streams to WebSockets (``relay.py``).

Scenarios: stream, chat-stream, responses-stream, paced, requests, large, import, many,
profile, providers (default: all). Prints one Markdown table per measurement as it completes.
``--write`` merges the results into ``benchmarks/results.json`` and renders
``docs/benchmarks.md`` and ``docs/img/benchmarks.png``; ``--render`` renders them again from
``results.json`` alone (after editing ``analysis.md``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import imports, page
from .harness import ROOT_DIR, LoadServer, Table, WorkerPool, run_table
from .report import render_import, render_table, render_targets, targets, write_chart
from .scenarios import ORDER, SCENARIOS, Sizes

RESULTS = Path(__file__).with_name("results.json")
DOC = ROOT_DIR / "docs" / "benchmarks.md"
CHART = ROOT_DIR / "docs" / "img" / "benchmarks.png"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table_result(table: Table, rows: list[Any], command: str, quick: bool) -> dict[str, Any]:
    return {
        "quick": quick,
        "key": table.key,
        "scenario": table.scenario,
        "title": table.title,
        "unit": table.unit,
        "baseline": table.baseline,
        "columns": list(table.columns),
        "notes": table.notes,
        "runs": table.runs,
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": ", ".join(sorted({r.commit for r in rows if r.commit})),
        "rows": [asdict(row) for row in rows],
    }


def _breakdown(root: str, quick: bool) -> dict[str, Any]:
    tokens, reps = ("5000", "3") if quick else ("20000", "7")
    options = ["--root", root, "--tokens", tokens, "--reps", reps]
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.breakdown", *options],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["relay"]:
        from . import relay

        return relay.main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(ORDER))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, quick 2)")
    parser.add_argument(
        "--clients", help="comma-separated client ids to keep (e.g. raw-msgspec,hf_inference)"
    )
    parser.add_argument("--write", action="store_true", help="write the page and the chart")
    parser.add_argument("--render", action="store_true", help="re-render from results.json only")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(ORDER)
    if unknown:
        parser.error(
            f"unknown scenario {', '.join(sorted(unknown))} (choose from {', '.join(ORDER)})"
        )
    if args.render:
        write({"tables": {}}, "")
        return 0
    chosen = args.scenarios or list(ORDER)
    sizes = Sizes(quick=args.quick, runs=args.runs or (2 if args.quick else 5))
    command = page.command_line()
    keep = set(args.clients.split(",")) if args.clients else None
    results: dict[str, Any] = {"tables": {}}
    started = time.perf_counter()
    with LoadServer() as server, WorkerPool(server.url) as pool:
        log(f"load server at {server.url}")
        for scenario in chosen:
            log(f"== {scenario}")
            if scenario == "import":
                results["import"] = imports.measure(3 if args.quick else 10, log)
                print(f"\n## import\n\n{render_import(results['import'])}\n", flush=True)
                continue
            if scenario == "providers":
                from . import providers
                from .harness import git_commit

                measured = providers.measure(args.quick, log)
                measured["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                measured["commit"] = git_commit()
                results["providers"] = measured
                print(f"\n## providers\n\n{providers.render(measured)}\n", flush=True)
                continue
            if scenario == "profile":
                results["breakdown"] = _breakdown(server.url, args.quick)
                print(f"\n## profile\n\n{page.render_breakdown(results['breakdown'])}\n")
                continue
            for table in SCENARIOS[scenario](sizes):
                if keep is not None:
                    table.entries = [e for e in table.entries if e.client_id in keep]
                rows = run_table(table, pool, log)
                result = _table_result(table, rows, command, args.quick)
                results["tables"][table.key] = result
                print(f"\n### {table.title}\n\n{render_table(result)}\n", flush=True)
    checks = targets(results["tables"], results.get("import"))
    if checks:
        print(f"\n## Targets\n\n{render_targets(checks)}\n")
    log(f"done in {time.perf_counter() - started:.0f} s")
    if args.write:
        write(results, command)
    return 0


def write(new: dict[str, Any], command: str) -> None:
    """Merge ``new`` into the stored results, then render the page and the chart from them."""
    stored: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    tables = {**stored.get("tables", {}), **new["tables"]}
    merged = {**stored, **{k: v for k, v in new.items() if k != "tables"}, "tables": tables}
    meta = page.machine()
    commands = {t["command"] for t in tables.values()}
    if len(new) > 1 or new["tables"]:
        commands.add(command)
    meta["commands"] = sorted(commands)
    merged["meta"] = meta
    merged["chart"] = write_chart(tables, CHART)
    if not merged["chart"]:
        log("matplotlib is not installed: no chart")
    RESULTS.write_text(json.dumps(merged, indent=1) + "\n")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(page.render(merged))
    log(f"wrote {DOC.relative_to(ROOT_DIR)}, {RESULTS.relative_to(ROOT_DIR)}")


if __name__ == "__main__":
    sys.exit(main())
