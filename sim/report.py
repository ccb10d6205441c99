"""The simulator's outputs: a table for the terminal, JSON, and the SVG plots of one day."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim import kpis, svg
from sim.engine import DayRecord

BIN_MINUTES = 10
BINS = 12  # 0–10, 10–20, … 110–120, then 120 and more in the last bin


def table(results: list[dict[str, Any]]) -> str:
    """Policies side by side: one column per result, one row per figure."""
    rows: list[tuple[str, list[str]]] = [
        ("profile", [str(r["profile"]) for r in results]),
        ("policy", [str(r["policy"]) for r in results]),
        ("seed(s)", [str(r["seed"]) for r in results]),
        ("visitors", [f"{r['visitors']:g}" for r in results]),
        ("offered load", [f"{r['offered_load']:.2f}" for r in results]),
    ]
    for kind in kpis.KINDS:
        target = results[0]["kinds"][kind]["target_minutes"]
        rows.append((f"{kind} ≤ {target:g} min",
                     [f"{r['kinds'][kind]['within_target']:.1%}" for r in results]))
        rows.append((f"{kind} p90 / max", [f"{r['kinds'][kind]['p90']:.0f} / {r['kinds'][kind]['max']:.0f}"
                                            for r in results]))
    rows += [
        ("longest wait (min)", [f"{r['longest_wait']:.0f}" for r in results]),
        ("counter utilisation", [f"{r['utilisation']:.1%}" for r in results]),
        ("last call", [str(r["last_call"]) for r in results]),
    ]
    for service in results[0]["services"]:
        rows.append((f"  {service} ≤ target", [f"{r['services'].get(service, {}).get('within_target', 1):.0%}"
                                              for r in results]))
    width = max(len(name) for name, _ in rows)
    cells = max(len(cell) for _, values in rows for cell in values)
    return "\n".join(f"{name:<{width}}  " + "  ".join(f"{cell:>{cells}}" for cell in values)
                     for name, values in rows) + "\n"


def write_plots(record: DayRecord, directory: Path, name: str) -> list[Path]:
    """`<name>-waiting.svg` (tickets waiting over the day) and `<name>-waits.svg` (waits per kind)."""
    directory.mkdir(parents=True, exist_ok=True)
    series = kpis.waiting_series(record)
    waiting = svg.line_chart(f"Tickets waiting — {name}", [kpis.clock_time(t) for t, _ in series],
                             {"waiting": [count for _, count in series]}, "time of day", "tickets waiting")
    groups: dict[str, Sequence[float]] = {}
    for kind in kpis.KINDS:
        counts = [0.0] * BINS
        for leg in kpis.first_legs(record):
            if leg.called is not None and kpis.kind_of(leg) == kind:
                counts[min(BINS - 1, int(kpis.waited(leg) // BIN_MINUTES))] += 1
        groups[kind] = counts
    labels = [f"{i * BIN_MINUTES}" for i in range(BINS - 1)] + [f"{(BINS - 1) * BIN_MINUTES}+"]
    waits = svg.bar_chart(f"Waits per kind — {name}", labels, groups, "wait (minutes, from)", "visitors")
    paths = [directory / f"{name}-waiting.svg", directory / f"{name}-waits.svg"]
    for path, text in zip(paths, (waiting, waits), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths
