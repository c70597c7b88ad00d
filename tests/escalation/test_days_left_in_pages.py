"""What the case page, the level queue and the dashboard print as the time left before a
deadline, read from the HTML with a fixed clock.

The case: registered on Wednesday 25 November 2026 at 10:00, release Friday 15 January
2027. Its conference is due at the end of Wednesday 9 December, housing must be arranged
before Wednesday 16 December (the last day is Tuesday 15th) and the time box ends with
Wednesday 16 December."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser

import httpx

from casetafel.cases import service
from tests.conftest import login, velsen_case
from tests.escalation.conftest import START, local, set_now, sweep_at


@dataclass
class Table:
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)

    def column(self, *headers: str) -> list[tuple[str, ...]]:
        """The body rows' cells under these headers."""
        head, *body = self.rows
        return [tuple(row[head.index(h)] for h in headers) for row in body]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table())
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "caption"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag == "caption":
            self.tables[-1].caption = text
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(text)
        elif tag == "tr" and self._row is not None:
            self.tables[-1].rows.append(self._row)
            self._row = None
        if tag in ("td", "th", "caption"):
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


async def table(client: httpx.AsyncClient, path: str, *, caption: str = "", header: str = ""):  # type: ignore[no-untyped-def]
    """The table of a page with this caption, or whose header row has this header."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    parser = _Tables()
    parser.feed(response.text)
    for found in parser.tables:
        if (caption and found.caption == caption) or (header and header in found.rows[0]):
            return found
    return None


async def at(client: httpx.AsyncClient, instant: datetime) -> None:
    """Move the clock, and log in again (the session would have expired meanwhile)."""
    set_now(instant)
    await login(client, "coordinator")


CASE_TABLE = {"header": "Termijn"}
QUEUE = "Casussen op niveau Lokale driehoek"
THIS_WEEK = "Termijnen die uiterlijk zondag verlopen"
OVERDUE = "Casussen waarvan het casusoverleg op het huidige niveau te laat is"


async def test_working_days_left_on_the_case_page_the_queue_and_the_dashboard(
    now_is_start, users, directory, ladder, config, client
):
    case = await service.create_case(
        users.actors["coordinator"], velsen_case(release_date="2027-01-15"), directory, ladder
    )
    ref = case.reference
    await sweep_at(config, START)  # the BIJ notice was due on 16 November: missed
    await login(client, "coordinator")
    page = f"/casussen/{ref}"

    # Wednesday 25 November.
    deadlines = await table(client, page, **CASE_TABLE)
    assert deadlines.column("Termijn", "Resterende tijd", "Stand") == [
        ("BIJ-melding ontvangen", "—", "Verstreken"),
        ("Casusoverleg gehouden", "nog 10 werkdagen", "Loopt"),
        ("Huisvesting geregeld", "nog 14 werkdagen", "Loopt"),
        ("Besluit op dit niveau", "nog 15 werkdagen", "Loopt"),
    ]
    queue = await table(client, "/wachtrij/local", caption=QUEUE)
    assert queue.column("Kenmerk", "Resterende tijd") == [(ref, "nog 10 werkdagen")]
    assert await table(client, "/", caption=THIS_WEEK) is None

    # Wednesday 9 December, the conference's last day.
    await at(client, local(date(2026, 12, 9), 10))
    deadlines = await table(client, page, **CASE_TABLE)
    assert deadlines.column("Resterende tijd")[1:] == [
        ("vandaag",),
        ("nog 4 werkdagen",),
        ("nog 5 werkdagen",),
    ]
    queue = await table(client, "/wachtrij/local", caption=QUEUE)
    assert queue.column("Resterende tijd") == [("vandaag",)]
    week = await table(client, "/", caption=THIS_WEEK)
    assert week.column("Kenmerk", "Termijn", "Resterende tijd") == [
        (ref, "Casusoverleg gehouden", "vandaag")
    ]

    # Monday 14 December: the conference was missed on Thursday 10th (overdue for three
    # working days: Thursday, Friday and Monday); housing has one working day left.
    await sweep_at(config, local(date(2026, 12, 10), 10))
    await at(client, local(date(2026, 12, 14), 10))
    deadlines = await table(client, page, **CASE_TABLE)
    assert deadlines.column("Termijn", "Resterende tijd") == [
        ("BIJ-melding ontvangen", "—"),
        ("Casusoverleg gehouden", "—"),
        ("Huisvesting geregeld", "nog 1 werkdag"),
        ("Besluit op dit niveau", "nog 2 werkdagen"),
    ]
    queue = await table(client, "/wachtrij/local", caption=QUEUE)
    assert queue.column("Resterende tijd") == [("nog 1 werkdag",)]
    overdue = await table(client, "/", caption=OVERDUE)
    assert overdue.column("Termijn", "Resterende tijd") == [
        ("Casusoverleg gehouden", "3 werkdagen te laat")
    ]
    week = await table(client, "/", caption=THIS_WEEK)
    assert week.column("Termijn", "Resterende tijd") == [
        ("Huisvesting geregeld", "nog 1 werkdag"),
        ("Besluit op dit niveau", "nog 2 werkdagen"),
    ]

    # Thursday 10 December, just after the sweep: one working day late.
    await at(client, local(date(2026, 12, 10), 10))
    overdue = await table(client, "/", caption=OVERDUE)
    assert overdue.column("Resterende tijd") == [("1 werkdag te laat",)]
