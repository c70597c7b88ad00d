"""The case-register benchmark: bulk load, then page latency through a real server.

Run from the repository root: `.venv/bin/python bench/bench_cases.py --engine both --cases 300000`
(`make bench`). See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bench_sql as sql
import httpx
from bench_machine import probe_ms
from bench_report import EngineReport, Timing, render
from bench_server import (
    BenchError,
    Target,
    cli,
    drop_database,
    fresh_database,
    login,
    running_server,
    server_log_tail,
)
from bench_sql import ListFilter, RawDb

from casetafel import clock
from casetafel.cases.queries import decode_cursor

DEMO_PASSWORD = "casetafel-demo-2026"  # noqa: S105 (the demo's published password)
REGION = "KEN"
MUNICIPALITY = "GM0453"
CATEGORY = "sex_offender"
LEVEL = "national"
NEXT_LINK = re.compile(r'rel="next" href="([^"]+)"')


@dataclass(frozen=True)
class Probe:
    """One request and the raw queries behind it; the body must contain every `expect`."""

    path: str
    expect: tuple[str, ...]
    raw: Callable[[], Coroutine[Any, Any, object]]


@dataclass(frozen=True)
class Scenario:
    name: str
    probes: list[Probe]  # cycled through, so a scenario may vary its request


@dataclass(frozen=True)
class Facts:
    region_id: int
    municipality_id: int
    total_cases: int
    open_references: list[str]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cases", type=int, default=300_000, help="cases to bulk-generate")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--depth", type=int, default=25, help="list pages to follow for 'deep'")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database name",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.requests < 1 or args.warmup < 0 or args.depth < 1:
        parser.error("--cases, --requests and --depth must be 1 or more, --warmup 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    reports: list[EngineReport] = []
    for engine in engines:
        try:
            reports.append(bench_engine(engine, args))
        except BenchError as error:
            print(f"\nbench ({engine}) broken: {error}", file=sys.stderr)
            return 1
        print(render(reports[-1]), flush=True)
    if len(reports) > 1:
        print("\n" + "\n\n".join(render(r) for r in reports))
    return 0


def bench_engine(engine: str, args: argparse.Namespace) -> EngineReport:
    print(f"\n[{engine}] fresh database, migrate, bulk load of {args.cases:,} cases", flush=True)
    target = fresh_database(engine, args.postgres)
    try:
        cli(target, "migrate")
        load_wall, load_out = cli(target, "demo", "--cases", str(args.cases), timeout=3600)
        cli(target, "demo")
        print(f"[{engine}] loaded in {load_wall:.1f} s; measuring pages", flush=True)
        return _measure_engine(target, args, load_wall, load_out.strip())
    finally:
        if args.keep:
            print(f"[{engine}] kept the database: {target.url}")
        else:
            drop_database(target)


def _measure_engine(
    target: Target, args: argparse.Namespace, load_wall: float, load_out: str
) -> EngineReport:
    raw = (
        RawDb.open_sqlite(target.sqlite_path)
        if target.sqlite_path is not None
        else RawDb.open_postgres(target.url)
    )
    try:
        facts = raw.run(_facts(raw))
        report = EngineReport(
            engine=target.engine,
            generated=args.cases,
            total_cases=facts.total_cases,
            open_cases=len(facts.open_references),
            load_wall_s=load_wall,
            load_reported=load_out,
        )
        with running_server(target) as url:
            client = login(url, "coordinator", DEMO_PASSWORD)
            try:
                before = probe_ms()
                for scenario in _scenarios(client, raw, facts, args):
                    report.timings.append(_measure(client, raw, scenario, args))
                report.probe_ms = (before, probe_ms())
            except BenchError as error:
                raise BenchError(
                    f"{error}\n--- server log ---\n{server_log_tail(target)}"
                ) from None
            finally:
                client.close()
        return report
    finally:
        raw.close()


async def _facts(raw: RawDb) -> Facts:
    region = await raw.fetch("SELECT id FROM region WHERE code = {}", REGION)
    municipality = await raw.fetch("SELECT id FROM municipality WHERE cbs_code = {}", MUNICIPALITY)
    if not region or not municipality:
        raise BenchError(f"region {REGION} or municipality {MUNICIPALITY} missing after migrate")
    total = await raw.fetch("SELECT count(*) AS n FROM case_file")
    references = await raw.fetch(
        "SELECT reference FROM case_file WHERE region = {} AND status = 'open' ORDER BY id",
        region[0]["id"],
    )
    return Facts(
        region_id=int(region[0]["id"]),
        municipality_id=int(municipality[0]["id"]),
        total_cases=int(total[0]["n"]),
        open_references=[str(r["reference"]) for r in references],
    )


def _scenarios(
    client: httpx.Client, raw: RawDb, facts: Facts, args: argparse.Namespace
) -> list[Scenario]:
    lists = [
        (f"gemeente={MUNICIPALITY}&status=open", ListFilter(municipality_id=facts.municipality_id)),
        (f"categorie={CATEGORY}", ListFilter(category=CATEGORY)),
        (f"niveau={LEVEL}", ListFilter(level=LEVEL)),
    ]
    return [
        _dashboard(raw, facts),
        *(_list_first_page(raw, facts, query, filters) for query, filters in lists),
        _deep_page(client, raw, facts, args.depth),
        _case_pages(raw, facts, args.requests + args.warmup),
    ]


def _dashboard(raw: RawDb, facts: Facts) -> Scenario:
    run = partial(sql.dashboard, raw, facts.region_id, clock.today())
    per_level = raw.run(run())
    # The level cards must show the counts the database gives.
    cards = tuple(f'<span class="ct-card__number">{n}</span>' for n in per_level.values())
    return Scenario("dashboard /", [Probe("/", ("Open casussen per niveau", *cards), run)])


def _list_first_page(raw: RawDb, facts: Facts, query: str, filters: ListFilter) -> Scenario:
    run = partial(sql.case_list_page, raw, facts.region_id, filters)
    path = f"/casussen?{query}"
    return Scenario(f"list {path}", [Probe(path, _first_reference(raw, run, path), run)])


def _deep_page(client: httpx.Client, raw: RawDb, facts: Facts, depth: int) -> Scenario:
    """Follow the list's rel="next" links `depth` times, then keep asking for that page."""
    path, followed = "/casussen", 0
    while followed < depth:
        found = NEXT_LINK.search(_get(client, path).text)
        if found is None:
            break
        path, followed = html.unescape(found.group(1)), followed + 1
    if followed == 0:
        raise BenchError("/casussen has no next-page link: too few open cases to page through")
    cursor = parse_qs(urlsplit(path).query)["na"][0]
    run = partial(sql.case_list_page, raw, facts.region_id, ListFilter(), decode_cursor(cursor))
    name = f"list /casussen?na=... (page {followed + 1})"
    return Scenario(name, [Probe(path, _first_reference(raw, run, path), run)])


def _first_reference(
    raw: RawDb, run: Callable[[], Coroutine[Any, Any, list[sql.Row]]], path: str
) -> tuple[str, ...]:
    page = raw.run(run())
    if not page:
        raise BenchError(f"{path}: the database has no rows for it; nothing worth timing")
    return (f">{page[0]['reference']}</a>",)


def _case_pages(raw: RawDb, facts: Facts, count: int) -> Scenario:
    references = facts.open_references
    picked = random.Random(2026).sample(references, min(count, len(references)))
    probes = [
        Probe(f"/casussen/{ref}", (f"Casus {ref}",), partial(sql.case_detail, raw, ref))
        for ref in picked
    ]
    return Scenario(f"case /casussen/KEN-YYYY-NNNN ({len(picked)} refs)", probes)


def _measure(
    client: httpx.Client, raw: RawDb, scenario: Scenario, args: argparse.Namespace
) -> Timing:
    probes = scenario.probes
    for i in range(args.warmup):
        _check(_get(client, probes[i % len(probes)].path), probes[i % len(probes)])
    app_ms = []
    for i in range(args.warmup, args.warmup + args.requests):
        probe = probes[i % len(probes)]
        started = time.perf_counter()
        response = client.get(probe.path)
        app_ms.append((time.perf_counter() - started) * 1000)
        _check(response, probe)
    raw_ms = raw.run(_time_raw(probes, args.warmup, args.requests))
    return Timing(scenario.name, app_ms, raw_ms)


async def _time_raw(probes: list[Probe], warmup: int, requests: int) -> list[float]:
    timings = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        await probes[i % len(probes)].raw()
        if i >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def _get(client: httpx.Client, path: str) -> httpx.Response:
    response = client.get(path)
    if response.status_code != 200:
        raise BenchError(f"GET {path}: HTTP {response.status_code}\n{response.text[:2000]}")
    return response


def _check(response: httpx.Response, probe: Probe) -> None:
    if response.status_code != 200:
        raise BenchError(f"GET {probe.path}: HTTP {response.status_code}\n{response.text[:2000]}")
    missing = [text for text in probe.expect if text not in response.text]
    if missing:
        raise BenchError(f"GET {probe.path}: the page lacks {missing}\n{response.text[:2000]}")


if __name__ == "__main__":
    sys.exit(main())
