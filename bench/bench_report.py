"""Percentiles and the printed table of one engine's run."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

P95_TARGET_MS = 50.0
P95_TARGET_CASES = 300_000
LOAD_TARGET_S = 60.0


@dataclass(frozen=True)
class Timing:
    name: str
    app_ms: list[float]
    raw_ms: list[float]

    @property
    def ratio(self) -> float:
        raw = p50(self.raw_ms)
        return p50(self.app_ms) / raw if raw > 0 else float("inf")


@dataclass
class EngineReport:
    engine: str
    generated: int
    total_cases: int
    open_cases: int
    load_wall_s: float
    load_reported: str
    timings: list[Timing] = field(default_factory=list)
    # bench_machine.probe_ms() before and after the pages: the machine's speed at the time.
    probe_ms: tuple[float, float] | None = None


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "over"


def render(report: EngineReport) -> str:
    load_note = f" (the CLI says: {report.load_reported})" if report.load_reported else ""
    load = verdict(report.load_wall_s, LOAD_TARGET_S)
    scale = "" if report.generated >= P95_TARGET_CASES else f", target is for {P95_TARGET_CASES:,}"
    lines = [
        f"== {report.engine}: {report.total_cases:,} cases in the database"
        f" ({report.open_cases:,} open in the region) ==",
        f"bulk load `casetafel demo --cases {report.generated}`: {report.load_wall_s:.1f} s wall"
        f"{load_note}; target <= {LOAD_TARGET_S:.0f} s: {load}",
        *(
            [
                f"machine probe (fixed CPU work; compare runs only when it agrees):"
                f" {report.probe_ms[0]:.1f} ms before, {report.probe_ms[1]:.1f} ms after the pages"
            ]
            if report.probe_ms
            else []
        ),
        "",
        f"{'page':<46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'raw p50 ms':>11} {'ratio':>7}"
        f"  p95 <= {P95_TARGET_MS:.0f} ms{scale}",
    ]
    for t in report.timings:
        app_p95 = p95(t.app_ms)
        lines.append(
            f"{t.name:<46} {len(t.app_ms):>5} {p50(t.app_ms):>8.2f} {app_p95:>8.2f}"
            f" {p50(t.raw_ms):>11.2f} {t.ratio:>7.1f}  {verdict(app_p95, P95_TARGET_MS)}"
        )
    return "\n".join(lines)
