"""Markdown tables, the targets of issue 5, and the chart.

Results are plain dicts (as stored in ``benchmarks/results.json``) so a partial rerun can be
merged with earlier tables and the page rendered again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Result = dict[str, Any]

HF = "hf_inference"


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    us = seconds * 1e6
    if us >= 10_000:
        return f"{us / 1000:.0f} ms"
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    if us >= 100:
        return f"{us:.0f} µs"
    return f"{us:.2f} µs"


def fmt_num(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _rows(table: Result) -> dict[str, Result]:
    return {row["key"]: row for row in table["rows"]}


def _same_loop(rows: dict[str, Result], key: str, base: str) -> Result | None:
    """``base`` on the loop of ``key`` (uvloop rows compare with uvloop rows)."""
    if key.endswith("@uvloop") and f"{base}@uvloop" in rows:
        return rows[f"{base}@uvloop"]
    return rows.get(base)


def ratio(a: Result | None, b: Result | None, field: str = "cpu_per_unit") -> float | None:
    if not a or not b or a.get(field) is None or not b.get(field):
        return None
    return float(a[field]) / float(b[field])


def render_table(table: Result) -> str:
    rows = _rows(table)
    unit = table["unit"]
    base = table["baseline"]
    base_label = "bare msgspec" if base.startswith("decode:") else "raw"
    if base.startswith(f"{HF}:"):
        base_label = rows[base]["label"] if base in rows else base
    head = [
        "Client",
        f"CPU per {unit}",
        "wall (s)",
        f"{unit}s/s",
        f"CPU ÷ {base_label}",
        f"CPU ÷ {HF}",
    ]
    if unit == "request":
        head.insert(5, "req/s ÷ raw")
    extra_heads = {
        "peak": "peak heap",
        "copies": "peak heap ÷ body",
        "rss": "RSS per stream",
        "lag": "loop lag p99 steady / max",
    }
    head += [extra_heads[c] for c in table.get("columns", ())]
    head.append("runs")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for key, row in rows.items():
        label = row["label"]
        if key.startswith(HF):
            label = f"**{label}**"
        if row.get("cpu_per_unit") is None:
            notes.append(f"{row['label']}: {row.get('note') or 'no result'}")
            continue
        if row.get("note"):
            notes.append(f"{row['label']}: failed after {row['runs']} run(s): {row['note']}")
        baseline = _same_loop(rows, key, base) if not base.startswith("decode:") else rows[base]
        cells = [
            label,
            fmt_time(row["cpu_per_unit"]),
            f"{row['wall']:.2f}",
            fmt_num(row["rate"]),
            fmt_ratio(ratio(row, baseline)),
            fmt_ratio(ratio(row, _same_loop(rows, key, HF))),
        ]
        if unit == "request":
            cells.insert(5, fmt_ratio(ratio(row, _same_loop(rows, key, base), "rate")))
        extra = row.get("extra", {})
        for column in table.get("columns", ()):
            cells.append(_extra_cell(column, extra))
        cells.append(str(row["runs"]))
        lines.append("| " + " | ".join(cells) + " |")
    all_notes = [*table.get("notes", []), *notes]
    if all_notes:
        lines.append("")
        lines += [f"- {note}" for note in all_notes]
    return "\n".join(lines)


def _extra_cell(column: str, extra: dict[str, float]) -> str:
    if column == "peak" and "peak_bytes" in extra:
        return f"{extra['peak_bytes'] / 1e6:.1f} MB"
    if column == "copies" and extra.get("result_size"):
        return f"{extra['peak_bytes'] / extra['result_size']:.2f}"
    if column == "rss" and "rss_per_stream" in extra:
        return f"{extra['rss_per_stream'] / 1024:.1f} KiB"
    if column == "lag" and "lag_p99" in extra:
        return f"{extra['lag_p99'] * 1e3:.1f} / {extra['lag_max'] * 1e3:.0f} ms"
    return "—"


def render_import(result: Result) -> str:
    lines = [
        "| Import (in a fresh interpreter) | ms over aiohttp + anyio + msgspec | runs |",
        "|---|---|---|",
    ]
    for row in result["rows"]:
        value = f"{row['ms']:.1f}" if row.get("ms") is not None else row.get("note", "—")
        lines.append(f"| `{row['statement']}` | {value} | {row['runs']} |")
    lines.append(f"\n- aiohttp + anyio + msgspec themselves: {result['base_ms']:.1f} ms (median).")
    if result.get("top"):
        top = ", ".join(f"`{name}` {us / 1000:.1f} ms" for name, us in result["top"])
        lines.append(f"- Slowest modules of `import hf_inference` (self time): {top}.")
    return "\n".join(lines)


# -- targets ------------------------------------------------------------------------------------

Check = tuple[str, str, float | None, bool | None]


def _check(label: str, value: float | None, ok: Callable[[float], bool], shown: str) -> Check:
    return (
        label,
        shown if value is not None else "not measured",
        value,
        ok(value) if value else None,
    )


def targets(tables: dict[str, Result], imports: Result | None) -> list[Check]:
    checks: list[Check] = []

    def rows_of(prefix: str) -> Iterable[tuple[str, dict[str, Result]]]:
        for key, table in tables.items():
            if key.startswith(prefix):
                yield table["title"], _rows(table)

    for prefix in ("stream-", "chat-"):
        for key, rows in rows_of(prefix):
            hf = rows.get(HF)
            value = ratio(hf, rows.get("raw-msgspec"))
            checks.append(
                _check(
                    f"{key}: CPU/token ≤ 1.5x raw", value, lambda v: v <= 1.5, f"{value or 0:.2f}x"
                )
            )
            for peer, need in (("huggingface_hub", 10), ("text_generation", 3), ("openai", 25)):
                value = ratio(rows.get(peer), hf)
                if value is not None:
                    checks.append(
                        _check(
                            f"{key}: ≥ {need}x cheaper than {peer}",
                            value,
                            lambda v, n=need: v >= n,
                            f"{value:.1f}x",
                        )
                    )
    for key, rows in rows_of("responses-"):
        value = ratio(rows.get(f"{HF}:responses"), rows.get(f"{HF}:chat"))
        checks.append(
            _check(
                f"{key}: CPU/token ≤ 1.3x hf_inference's chat stream",
                value,
                lambda v: v <= 1.3,
                f"{value or 0:.2f}x",
            )
        )
    for key, rows in rows_of("paced-"):
        for loop in ("", "@uvloop"):
            value = ratio(rows.get(HF + loop), rows.get("raw-msgspec" + loop))
            name = "uvloop" if loop else "asyncio"
            checks.append(
                _check(
                    f"{key} ({name}): ≤ 1.2x raw", value, lambda v: v <= 1.2, f"{value or 0:.2f}x"
                )
            )
    for key, rows in rows_of("requests-"):
        value = ratio(rows.get(HF), rows.get("raw-msgspec"), "rate")
        checks.append(
            _check(f"{key}: req/s ≥ 0.75x raw", value, lambda v: v >= 0.75, f"{value or 0:.2f}x")
        )
        value = ratio(rows.get(HF), rows.get("huggingface_hub"), "rate")
        checks.append(
            _check(
                f"{key}: req/s ≥ 5x huggingface_hub", value, lambda v: v >= 5, f"{value or 0:.1f}x"
            )
        )
    for _, rows in rows_of("large-embedding"):
        value = ratio(rows.get(HF), rows.get("decode:raw-msgspec"))
        checks.append(
            _check(
                "feature_extraction: ≤ 1.2x bare msgspec.json.decode",
                value,
                lambda v: v <= 1.2,
                f"{value or 0:.2f}x",
            )
        )
        value = ratio(rows.get("decode:raw-json"), rows.get(HF))
        checks.append(
            _check(
                "feature_extraction: ≥ 3x json.loads", value, lambda v: v >= 3, f"{value or 0:.1f}x"
            )
        )
    for _, rows in rows_of("large-binary"):
        extra = (rows.get(HF) or {}).get("extra", {})
        value = extra["peak_bytes"] / extra["result_size"] if extra.get("result_size") else None
        checks.append(
            _check(
                "binary answer: at most one copy after the socket (peak ≤ 2.1x body)",
                value,
                lambda v: v <= 2.1,
                f"{value or 0:.2f}x body",
            )
        )
    for _, rows in rows_of("many"):
        extra = (rows.get(HF) or {}).get("extra", {})
        value = extra.get("rss_per_stream")
        checks.append(
            _check(
                "1,000 streams: RSS per stream ≤ 20 KiB",
                value,
                lambda v: v <= 20 * 1024,
                f"{(value or 0) / 1024:.1f} KiB",
            )
        )
        value = extra.get("lag_p99")
        checks.append(
            _check(
                "1,000 streams: event-loop lag p99 < 10 ms",
                value,
                lambda v: v < 0.010,
                f"{(value or 0) * 1e3:.1f} ms",
            )
        )
    if imports:
        row = next((r for r in imports["rows"] if r["name"] == HF), None)
        value = row.get("ms") if row else None
        checks.append(
            _check(
                "import hf_inference ≤ 15 ms over its dependencies",
                value,
                lambda v: v <= 15,
                f"{value or 0:.1f} ms",
            )
        )
    return checks


def render_targets(checks: list[Check]) -> str:
    lines = ["| Target (issue 5) | Measured | Met |", "|---|---|---|"]
    for label, shown, _, ok in checks:
        mark = "—" if ok is None else ("yes" if ok else "**no**")
        lines.append(f"| {label} | {shown} | {mark} |")
    return "\n".join(lines)


# -- chart --------------------------------------------------------------------------------------

CHART_TABLES = ("stream-", "chat-", "paced-", "requests-")


def write_chart(tables: dict[str, Result], path: Path) -> bool:
    """CPU per unit, one panel per table, log scale; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import LogLocator, NullFormatter
    except ImportError:
        return False
    chosen = [
        table
        for prefix in CHART_TABLES
        for key, table in tables.items()
        if key.startswith(prefix) and any(r.get("cpu_per_unit") for r in table["rows"])
    ]
    if not chosen:
        return False
    cols = 2
    rows_n = (len(chosen) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(12, 2.9 * rows_n), squeeze=False)
    for ax, table in zip(axes.flat, chosen, strict=False):
        rows = [r for r in table["rows"] if r.get("cpu_per_unit")]
        labels = [r["label"].replace(" AsyncInferenceClient", "") for r in rows]
        values = [r["cpu_per_unit"] * 1e6 for r in rows]
        colors = ["#ff9d00" if r["key"].startswith(HF) else "#7f8fa6" for r in rows]
        bars = ax.barh(labels, values, color=colors)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_title(table["title"], fontsize=9)
        ax.set_xlabel(f"client CPU µs per {table['unit']} (log scale, lower is better)", fontsize=8)
        ax.tick_params(labelsize=7)
        for bar, value in zip(bars, values, strict=True):
            text = f" {value:,.0f}" if value >= 100 else f" {value:.3g}"
            ax.text(value, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=7)
        ax.set_xlim(right=max(values) * 4)
        # Only decade labels: on a short log range matplotlib labels minor ticks too, and the
        # labels run into each other.
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_minor_formatter(NullFormatter())
    for ax in list(axes.flat)[len(chosen) :]:
        ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
