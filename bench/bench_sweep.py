"""The escalation engine's benchmark: the sweep at 300,000 cases with 0, 100 and 3,000
deadlines due, and recomputing one case's deadlines after an edit.

Run from the repository root: `.venv/bin/python bench/bench_sweep.py --engine both`.
Prints figures; exits non-zero only when something is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_machine import probe_ms
from bench_report import p50, p95
from bench_server import REPO, Target, cli, drop_database, fresh_database

EMPTY_SWEEP_TARGET_MS = 20.0
DUE_SIZES = (100, 3000)
ESCALATING = ("housing_deadline", "time_box", "conference_due")


@dataclass
class SweepFigures:
    engine: str
    cases: int
    pending: int
    load_s: float
    empty_ms: list[float]
    due_ms: dict[int, list[float]]
    due_acted: dict[int, list[int]]
    due_made: dict[int, list[int]]
    refresh_ms: list[float]
    update_ms: list[float]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5, help="sweeps per due size (5)")
    parser.add_argument("--empty-runs", type=int, default=100, help="sweeps with none due")
    parser.add_argument("--edits", type=int, default=200, help="recomputes measured (200)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for engine in engines:
        target = fresh_database(engine, args.postgres)
        try:
            cli(target, "migrate")
            load_s, _ = cli(target, "demo", "--cases", str(args.cases), timeout=1800)
            cli(target, "demo")
            before = probe_ms()
            figures = asyncio.run(_measure(target, args, load_s))
            after = probe_ms()
        finally:
            if not args.keep:
                drop_database(target)
        print(render(figures))
        print(f"machine probe (see bench_machine.py): {before:.1f} ms before, {after:.1f} ms after")
    return 0


async def _measure(target: Target, args: argparse.Namespace, load_s: float) -> SweepFigures:
    os.environ.update(target.env)
    from casetafel import clock, db
    from casetafel.escalation.setup import start
    from casetafel.settings import load_settings

    settings = load_settings(REPO / "config")
    db.configure(settings)
    config = start(settings.config_dir)
    await db.start_pool(settings)
    try:
        figures = SweepFigures(
            engine=target.engine,
            cases=await _count("SELECT count(*) AS n FROM case_file"),
            pending=await _count("SELECT count(*) AS n FROM deadline WHERE state = 'pending'"),
            load_s=load_s,
            empty_ms=[],
            due_ms={},
            due_acted={},
            due_made={},
            refresh_ms=[],
            update_ms=[],
        )
        await _sweep_until_quiet(config)
        now = clock.now()
        for _ in range(args.empty_runs):
            figures.empty_ms.append(await _timed_sweep(config, now, expect=0))
        rng = random.Random(11)
        for size in DUE_SIZES:
            figures.due_ms[size], figures.due_acted[size], figures.due_made[size] = [], [], []
            for _ in range(args.runs):
                moment = clock.now()
                figures.due_made[size].append(await _make_due(size, moment, rng))
                started = time.perf_counter()
                report = await _sweep(config, moment)
                figures.due_ms[size].append((time.perf_counter() - started) * 1000)
                figures.due_acted[size].append(report)
        figures.refresh_ms, figures.update_ms = await _recomputes(config, args.edits, rng)
        return figures
    finally:
        await db.close_pool()


async def _count(sql: str) -> int:
    from casetafel import db

    return int((await db.fetch(sql))[0]["n"])


async def _sweep(config: object, now: object) -> int:
    from casetafel.escalation.sweep import sweep

    report = await sweep(config, now)  # type: ignore[arg-type]
    if report.failed:
        raise SystemExit(f"sweep failed on cases {report.failed[:10]}")
    return report.acted


async def _sweep_until_quiet(config: object) -> None:
    from casetafel import clock

    while await _sweep(config, clock.now()):
        pass


async def _timed_sweep(config: object, now: object, expect: int) -> float:
    started = time.perf_counter()
    acted = await _sweep(config, now)
    elapsed = (time.perf_counter() - started) * 1000
    if acted != expect:
        raise SystemExit(f"expected {expect} deadlines acted on, got {acted}")
    return elapsed


async def _make_due(size: int, moment: object, rng: random.Random) -> int:
    """Make `size` pending escalating deadlines of different cases fall due a minute ago
    (fewer when a small database has fewer open cases); returns how many."""
    from casetafel import db

    rows = await db.fetch(
        "SELECT min(id) AS id FROM deadline WHERE state = 'pending'"
        f' AND kind IN {ESCALATING} GROUP BY "case"'
    )
    chosen = rng.sample([int(row["id"]) for row in rows], min(size, len(rows)))
    past = moment - timedelta(minutes=1)  # type: ignore[operator]
    for start in range(0, len(chosen), 500):
        part = chosen[start : start + 500]
        marks = ", ".join("{}" for _ in part)
        async with db.transaction():
            await db.fetch(f"UPDATE deadline SET due_at = {{}} WHERE id IN ({marks})", past, *part)
    return len(chosen)


async def _recomputes(
    config: object, edits: int, rng: random.Random
) -> tuple[list[float], list[float]]:
    """Recompute after a release date change: the engine's part alone (refresh), and the
    whole edit through the case service (validation, timeline, audit, recompute)."""
    from casetafel import clock, db
    from casetafel.accounts.models import User
    from casetafel.accounts.service import actor_for
    from casetafel.cases import service
    from casetafel.escalation import deadlines
    from casetafel.organisations.service import load_directory

    rows = await db.fetch(
        "SELECT id, reference FROM case_file WHERE status = 'open' AND release_date IS NOT NULL"
    )
    sample = rng.sample(rows, min(edits, len(rows)))
    user = await User.objects().where(User.username == "coordinator").first()
    assert user is not None
    actor = await actor_for(user)
    directory = await load_directory()
    ladder = config.ladder  # type: ignore[attr-defined]
    refresh_ms: list[float] = []
    update_ms: list[float] = []
    for row in sample:
        state = await deadlines.load_state(int(row["id"]))
        moved = replace(
            state, release_date=(state.release_date or date.today()) - timedelta(days=3)
        )
        rules = config.rules_for(state.region_code)  # type: ignore[attr-defined]
        started = time.perf_counter()
        async with db.transaction():
            await deadlines.refresh(moved, rules, clock.now())
        refresh_ms.append((time.perf_counter() - started) * 1000)
        new_release = clock.today() + timedelta(days=rng.randint(10, 120))
        started = time.perf_counter()
        await service.update_case(
            actor, row["reference"], {"release_date": new_release.isoformat()}, directory, ladder
        )
        update_ms.append((time.perf_counter() - started) * 1000)
    return refresh_ms, update_ms


def render(f: SweepFigures) -> str:
    lines = [
        f"== {f.engine}: {f.cases:,} cases, {f.pending:,} pending deadlines;"
        f" bulk load {f.load_s:.1f} s ==",
        f"{'measurement':44} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}  note",
        f"{'sweep, nothing due':44} {len(f.empty_ms):>4} {p50(f.empty_ms):>9.2f}"
        f" {p95(f.empty_ms):>9.2f}  target <= {EMPTY_SWEEP_TARGET_MS:.0f} ms: "
        + ("ok" if p95(f.empty_ms) <= EMPTY_SWEEP_TARGET_MS else "over"),
    ]
    for size in DUE_SIZES:
        ms, acted, made = f.due_ms[size], f.due_acted[size], min(f.due_made[size])
        per = p50(ms) / max(1, int(p50([float(a) for a in acted])))
        lines.append(
            f"{f'sweep, {made} deadlines made due':44} {len(ms):>4} {p50(ms):>9.1f}"
            f" {p95(ms):>9.1f}  acted on {int(p50([float(a) for a in acted]))} (with follow-ups),"
            f" {per:.2f} ms per deadline"
        )
    lines.append(
        f"{'recompute one case (deadlines.refresh)':44} {len(f.refresh_ms):>4}"
        f" {p50(f.refresh_ms):>9.2f} {p95(f.refresh_ms):>9.2f}"
    )
    lines.append(
        f"{'edit release date (whole update_case)':44} {len(f.update_ms):>4}"
        f" {p50(f.update_ms):>9.2f} {p95(f.update_ms):>9.2f}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
