"""The privacy officer's side of retention: the preview of the next run and the extension
of one case's term. Both name cases by reference and dates only, never their content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor, current
from casetafel.cases import retention, timeline
from casetafel.cases.models import Case, RetentionExtension
from casetafel.errors import Forbidden, ValidationFailed

MAX_REASON = 1000
MAX_EXTENSION_YEARS = 10


@dataclass(frozen=True)
class PreviewRow:
    reference: str
    closed_at: datetime
    years: int
    bases: str
    term_end: date


@dataclass(frozen=True)
class ExtendedRow:
    reference: str
    closed_at: datetime
    years: int
    term_end: date
    until: date
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Preview:
    due: list[PreviewRow]
    extended: list[ExtendedRow]


def require_retention_manager(actor: Actor) -> None:
    if not actor.may("retention.manage"):
        raise Forbidden("Alleen de privacyfunctionaris beheert de bewaartermijnen.")


async def preview(actor: Actor, now: datetime | None = None) -> Preview:
    """What the next run anonymises, and the cases an extension keeps."""
    require_retention_manager(actor)
    bases = current().bases
    due = [
        PreviewRow(
            reference=case.reference,
            closed_at=case.closed_at,
            years=case.years,
            bases=", ".join(bases[k].label if k in bases else k for k in case.legal_bases),
            term_end=retention.term_end(case.closed_at, case.years),
        )
        for case in await retention.due_cases(now)
    ]
    extended = await _extended(now or clock.now())
    async with db.transaction():
        await audit.record(
            actor, "retention.read", details={"due": len(due), "extended": len(extended)}
        )
    return Preview(due=due, extended=extended)


async def _extended(now: datetime) -> list[ExtendedRow]:
    today = clock.local(now).date()
    rows = (
        await RetentionExtension.select(
            RetentionExtension.until,
            RetentionExtension.reason,
            RetentionExtension.created_at,
            RetentionExtension.user.display_name,
            RetentionExtension.case.reference,
            RetentionExtension.case.closed_at,
            RetentionExtension.case.legal_bases,
        )
        .where(
            (RetentionExtension.until >= today) & RetentionExtension.case.anonymised_at.is_null()
        )
        .order_by(RetentionExtension.until, ascending=False)
        .order_by(RetentionExtension.id, ascending=False)
    )
    policy = current()
    latest: dict[str, ExtendedRow] = {}
    for row in rows:
        reference = row["case.reference"]
        if reference in latest:
            continue
        closed_at = row["case.closed_at"]
        years = policy.retention_years(b for b in row["case.legal_bases"].split(",") if b)
        latest[reference] = ExtendedRow(
            reference=reference,
            closed_at=closed_at,
            years=years,
            term_end=retention.term_end(closed_at, years),
            until=row["until"],
            reason=row["reason"],
            by=row["user.display_name"] or "—",
            at=row["created_at"],
        )
    return sorted(latest.values(), key=lambda r: r.reference)


async def extend(actor: Actor, reference: str, until_text: str, reason: str) -> ExtendedRow:
    """Keep one closed case's data until a date (inclusive), for a reason."""
    require_retention_manager(actor)
    reference = reference.strip().upper()
    reason = reason.strip()
    today = clock.today()
    errors: dict[str, str] = {}
    until = _date(until_text)
    if not reference:
        errors["kenmerk"] = "Vul het kenmerk van de casus in, bijvoorbeeld KEN-2026-0042."
    if until is None:
        errors["tot"] = "Vul een geldige datum in (dd-mm-jjjj)."
    elif until <= today:
        errors["tot"] = "Kies een datum na vandaag."
    elif until > retention.term_end(clock.now(), MAX_EXTENSION_YEARS):
        errors["tot"] = f"Verleng per keer hoogstens {MAX_EXTENSION_YEARS} jaar."
    if not reason:
        errors["reden"] = "Vul de reden van de verlenging in."
    elif len(reason) > MAX_REASON:
        errors["reden"] = f"Maximaal {MAX_REASON} tekens (nu {len(reason)})."
    if errors:
        raise ValidationFailed(errors)
    assert until is not None
    async with db.transaction():
        case = await Case.objects().where(Case.reference == reference).first()
        if case is None:
            raise ValidationFailed({"kenmerk": "Er is geen casus met dit kenmerk."})
        if case.status != "closed" or case.closed_at is None:
            raise ValidationFailed(
                {
                    "kenmerk": "Deze casus is nog niet afgesloten: de bewaartermijn begint pas bij "
                    "het afsluiten."
                }
            )
        if case.anonymised_at is not None:
            raise ValidationFailed(
                {"kenmerk": "De persoonsgegevens van deze casus zijn al verwijderd."}
            )
        years = current().retention_years(b for b in case.legal_bases.split(",") if b)
        end = retention.term_end(case.closed_at, years)
        if until <= end:
            raise ValidationFailed(
                {"tot": f"De bewaartermijn loopt al tot {end:%d-%m-%Y}: kies een latere datum."}
            )
        now = clock.now()
        await RetentionExtension(
            case=case.id, until=until, reason=reason, user=actor.user_id, created_at=now
        ).save()
        await timeline.add(
            case.id, "retention.extended", f"Bewaartermijn verlengd tot {until:%d-%m-%Y}", actor
        )
        await audit.record(
            actor,
            "case.retention_extended",
            case_id=case.id,
            case_reference=case.reference,
            details={"until": until.isoformat(), "term_years": years},
        )
    return ExtendedRow(
        reference=case.reference,
        closed_at=case.closed_at,
        years=years,
        term_end=end,
        until=until,
        reason=reason,
        by=actor.display_name,
        at=now,
    )


def _date(text: str) -> date | None:
    text = text.strip()
    for parse in (date.fromisoformat, _dutch_date):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _dutch_date(text: str) -> date:
    return datetime.strptime(text, "%d-%m-%Y").date()
