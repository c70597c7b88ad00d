"""Reading the audit log: for the privacy officer only.

What leaves here is who, what, which case, when, on what basis and for what purpose, and for
a change the names of the changed fields; the events hold nothing more (see `audit`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.access.policy import Actor, role_labels
from casetafel.access.vocabulary import ACTION_LABELS, action_label
from casetafel.errors import Forbidden, ValidationFailed

PAGE_SIZE = 50
EXPORT_BATCH = 2000
MAX_REFERENCE = 20
MAX_USERNAME = 80
MAX_ORGANISATION = 200
# Larger than any sequence number a log reaches, small enough for a 64-bit column.
MAX_SEQ = 10**15

CSV_COLUMNS = [
    "volgnummer",
    "tijd",
    "gebruiker",
    "rol",
    "organisatie",
    "actie",
    "casus",
    "grondslag",
    "doel",
]


@dataclass(frozen=True)
class AuditFilter:
    """The privacy officer's filter; `day_from` and `day_to` are Amsterdam days, inclusive."""

    case_reference: str = ""
    username: str = ""
    organisation: str = ""
    action: str = ""
    day_from: date | None = None
    day_to: date | None = None

    def where(self) -> Any:
        where: Any = AuditEvent.seq > 0
        if self.case_reference:
            where &= AuditEvent.case_reference == self.case_reference
        if self.username:
            where &= AuditEvent.username == self.username
        if self.organisation:
            where &= AuditEvent.organisation == self.organisation
        if self.action:
            where &= AuditEvent.action == self.action
        if self.day_from:
            where &= AuditEvent.at >= clock.start_of_day(self.day_from)
        if self.day_to:
            where &= AuditEvent.at < clock.start_of_day(self.day_to + timedelta(days=1))
        return where

    def used(self) -> dict[str, str]:
        """The filters set, for the audit event of the read itself."""
        return {k: str(v) for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    username: str
    role: str
    organisation: str
    action: str
    case_reference: str
    legal_basis: str
    purpose: str
    # Names of the changed fields of a change; the page shows their labels.
    fields: tuple[str, ...]

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def role_label(self) -> str:
        return role_label(self.role)


@dataclass(frozen=True)
class EventPage:
    rows: list[AuditRow]
    # The `voor` of the next (older) page, None on the last page.
    older: int | None


def parse_filter(
    *,
    kenmerk: str = "",
    gebruiker: str = "",
    organisatie: str = "",
    actie: str = "",
    van: str = "",
    tot: str = "",
) -> AuditFilter:
    """The filter from the page's query parameters, or ValidationFailed in Dutch."""
    errors: dict[str, str] = {}
    if len(kenmerk.strip()) > MAX_REFERENCE:
        errors["kenmerk"] = f"Een kenmerk is hoogstens {MAX_REFERENCE} tekens lang."
    if len(gebruiker.strip()) > MAX_USERNAME:
        errors["gebruiker"] = f"Een gebruikersnaam is hoogstens {MAX_USERNAME} tekens lang."
    if len(organisatie.strip()) > MAX_ORGANISATION:
        errors["organisatie"] = "Kies een organisatie uit de lijst."
    if actie and actie not in ACTION_LABELS:
        errors["actie"] = "Kies een actie uit de lijst."
    day_from = _day(van, "van", "Vanaf", errors)
    day_to = _day(tot, "tot", "Tot en met", errors)
    if day_from and day_to and day_to < day_from:
        errors["tot"] = "De einddatum ligt vóór de begindatum. Kies een latere einddatum."
    if errors:
        raise ValidationFailed(errors)
    return AuditFilter(
        case_reference=kenmerk.strip().upper(),
        username=gebruiker.strip().lower(),
        organisation=organisatie.strip(),
        action=actie,
        day_from=day_from,
        day_to=day_to,
    )


def parse_before(voor: str) -> int | None:
    """The keyset cursor of the page: a sequence number, or ValidationFailed in Dutch."""
    text = voor.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_SEQ:
        raise ValidationFailed(
            {"voor": "Deze pagina bestaat niet. Begin opnieuw bij de nieuwste gebeurtenissen."}
        )
    return int(text)


async def recent_events(
    actor: Actor, selection: AuditFilter, *, before_seq: int | None = None
) -> EventPage:
    require_privacy_officer(actor)
    where = selection.where()
    if before_seq:
        where &= AuditEvent.seq < before_seq
    found = (
        await AuditEvent.objects()
        .where(where)
        .order_by(AuditEvent.seq, ascending=False)
        .limit(PAGE_SIZE + 1)
    )
    rows = [_row(event) for event in found[:PAGE_SIZE]]
    async with db.transaction():
        await audit.record(
            actor,
            "audit.read",
            case_reference=selection.case_reference,
            details={"filters": selection.used(), "before": before_seq},
        )
    return EventPage(rows, rows[-1].seq if len(found) > PAGE_SIZE else None)


async def export_csv(actor: Actor, selection: AuditFilter) -> AsyncIterator[str]:
    """The filtered events as CSV, oldest first, read in batches. The export is logged
    before the first row is read."""
    require_privacy_officer(actor)
    async with db.transaction():
        await audit.record(
            actor,
            "audit.export",
            case_reference=selection.case_reference,
            details={"filters": selection.used()},
        )
    return _csv_lines(selection)


async def _csv_lines(selection: AuditFilter) -> AsyncIterator[str]:
    # A byte order mark and semicolons: the spreadsheet programs of Dutch offices read it so.
    yield "\ufeff" + _csv_line(CSV_COLUMNS)
    after = 0
    while True:
        batch = (
            await AuditEvent.objects()
            .where(selection.where() & (AuditEvent.seq > after))
            .order_by(AuditEvent.seq)
            .limit(EXPORT_BATCH)
        )
        if not batch:
            return
        yield "".join(_csv_line(_csv_values(_row(event))) for event in batch)
        after = batch[-1].seq


def _csv_values(row: AuditRow) -> list[str]:
    return [
        str(row.seq),
        clock.local(row.at).isoformat(timespec="seconds"),
        row.username,
        row.role_label,
        row.organisation,
        row.action_label,
        row.case_reference,
        row.legal_basis,
        row.purpose,
    ]


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(
        ["'" + v if v[:1] in ("=", "+", "-", "@") else v for v in values]
    )
    return out.getvalue()


async def verify_chain(actor: Actor) -> audit.VerifyResult:
    require_privacy_officer(actor)
    result = await audit.verify()
    async with db.transaction():
        await audit.record(
            actor,
            "audit.verify",
            details={"ok": result.ok, "checked": result.checked, "problem": result.problem},
        )
    return result


def role_label(role: str) -> str:
    return role_labels().get(role, "Systeem")


def require_privacy_officer(actor: Actor) -> None:
    if not actor.can_see_audit:
        raise Forbidden("Alleen de privacyfunctionaris mag het auditlog inzien.")


def _row(event: AuditEvent) -> AuditRow:
    details = json.loads(event.details) if isinstance(event.details, str) else event.details
    fields = details.get("fields") if isinstance(details, dict) else None
    return AuditRow(
        seq=event.seq,
        at=event.at,
        username=event.username,
        role=event.role,
        organisation=event.organisation,
        action=event.action,
        case_reference=event.case_reference,
        legal_basis=event.legal_basis,
        purpose=event.purpose,
        fields=tuple(str(f) for f in fields) if isinstance(fields, list) else (),
    )


_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


def _day(text: str, field: str, label: str, errors: dict[str, str]) -> date | None:
    """A date typed as 2026-12-31 (what a date field sends) or 31-12-2026."""
    text = text.strip()
    if not text:
        return None
    dutch = _DUTCH_DATE.fullmatch(text)
    try:
        if dutch:
            return date(int(dutch[3]), int(dutch[2]), int(dutch[1]))
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = f"{label}: '{text[:20]}' is geen geldige datum. Gebruik dd-mm-jjjj."
        return None
