"""Benchmark rows: every figure is the project beside a baseline measured in the same run.

A ratio only means something when both sides ran on the same machine at the same moment,
so a benchmark returns both raw figures and lets the runner print the ratio.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field


@dataclass
class Result:
    """One row of the benchmark table.

    ``higher_is_better`` decides how the ratio reads: for rates it is project/baseline,
    for costs (latency, memory) baseline/project, so a ratio above 1 always means "better
    than the baseline".
    """

    figure: str
    unit: str
    project: float
    baseline: float | None = None
    baseline_name: str = ""
    higher_is_better: bool = True
    goal: float | None = None
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0) or self.project == 0:
            return None
        if self.higher_is_better:
            return self.project / self.baseline
        return self.baseline / self.project


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def markdown_table(results: list[Result]) -> str:
    lines = [
        f"Machine: {machine()}",
        "",
        "| figure | unit | project | baseline | ratio | goal | notes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = r.ratio
        ratio_s = "–" if ratio is None else f"{ratio:.2f}×"
        goal_s = "–" if r.goal is None else f"≥ {r.goal:g}×"
        base = _fmt(r.baseline)
        if r.baseline_name:
            base = f"{base} ({r.baseline_name})"
        lines.append(
            f"| {r.figure} | {r.unit} | {_fmt(r.project)} | {base} | {ratio_s} | {goal_s} | {r.notes} |"
        )
    return "\n".join(lines)
