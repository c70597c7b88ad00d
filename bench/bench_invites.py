"""The mail benchmark: 100 invites (real iCalendar REQUESTs, one per attendee) queued in the
outbox and sent to a local aiosmtpd over one connection. Prints the figures.

Run from the repository root: `.venv/bin/python bench/bench_invites.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_report import p50
from bench_server import REPO

from tests.support.smtp import SmtpServer, free_port

TARGET_S = 2.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invites", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["CASETAFEL_DATABASE_URL"] = f"sqlite:///{folder}/bench_invites.db"
        os.environ["CASETAFEL_CONFIG_DIR"] = str(REPO / "config")
        build, send, connections = asyncio.run(_measure(args))
    print(f"== {args.invites} invites, {args.runs} runs ==")
    print(f"queue (build iCalendar + MIME, outbox insert): p50 {p50(build):.2f} s")
    verdict = "ok" if p50(send) <= TARGET_S else "over"
    print(
        f"send over SMTP (send_due): p50 {p50(send):.2f} s, max {max(send):.2f} s,"
        f" {max(connections)} connection(s) per run; target <= {TARGET_S:.0f} s: {verdict}"
    )
    return 0


async def _measure(args: argparse.Namespace) -> tuple[list[float], list[float], list[int]]:
    from casetafel import db
    from casetafel.mail.sender import send_due
    from casetafel.settings import load_settings

    settings = load_settings(REPO / "config")
    db.configure(settings)
    await db.start_pool(settings)
    await db.prepare(settings)
    await db.migrate()
    server = SmtpServer(free_port())
    server.start()
    settings = replace(settings, smtp_url=server.url)
    build: list[float] = []
    send: list[float] = []
    connections: list[int] = []
    try:
        for run in range(args.runs):
            started = time.perf_counter()
            await _queue(run, args.invites)
            build.append(time.perf_counter() - started)
            before = server.recorder.connections
            received = len(server.recorder.received)
            started = time.perf_counter()
            report = await send_due(settings, batch_size=args.invites)
            send.append(time.perf_counter() - started)
            connections.append(server.recorder.connections - before)
            if len(report.sent) != args.invites or (
                len(server.recorder.received) - received != args.invites
            ):
                raise SystemExit(f"sent {len(report.sent)} of {args.invites}: {report}")
    finally:
        server.stop()
        await db.close_pool()
    return build, send, connections


async def _queue(run: int, count: int) -> None:
    """One meeting with `count` attendees: each gets the REQUEST listing all of them."""
    from casetafel import db
    from casetafel.invites import calendar as ical
    from casetafel.mail import messages
    from casetafel.mail.service import enqueue

    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(days=run)
    attendees = tuple(
        ical.AttendeeLine(
            f"deelnemer{i}@example.nl", f"Deelnemer {i}", "REQ-PARTICIPANT", "NEEDS-ACTION"
        )
        for i in range(count)
    )
    event = ical.EventData(
        uid=f"bench-{run}@casetafel",
        sequence=0,
        start=start,
        end=start + timedelta(hours=1),
        summary="Casusoverleg KEN-2026-0042",
        description="Casusoverleg (ICO). Casussen: KEN-2026-0042.",
        location="Zorg- en Veiligheidshuis, Haarlem",
        url="https://casetafel.example.nl/rsvp/x",
        organizer=ical.Party("zvh@kennemerland.example.nl", "ZVH Kennemerland"),
        attendees=attendees,
        dtstamp=start,
    )
    async with db.transaction():
        for line in attendees:
            data = ical.request([event])
            await enqueue(
                messages.build(
                    idempotency_key=f"{event.uid}:0:{line.email}:invite",
                    kind="invite",
                    sender="zvh@kennemerland.example.nl",
                    recipient=line.email,
                    subject="Uitnodiging: Casusoverleg KEN-2026-0042",
                    text="U bent uitgenodigd.",
                    html="<p>U bent uitgenodigd.</p>",
                    calendar=messages.Calendar("REQUEST", data),
                )
            )


if __name__ == "__main__":
    sys.exit(main())
