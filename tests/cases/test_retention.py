"""Retention with an injected clock: a closed case past its term is anonymised once, keeps
what reports need, and the audit log records it; a case within its term or extended is left
alone; the preview lists exactly what the run then does."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.app import RETENTION_ERASERS
from casetafel.cases import retention, retention_admin, service
from casetafel.cases.models import (
    Case,
    CaseCategory,
    CaseParticipant,
    RetentionExtension,
    TimelineEvent,
)
from casetafel.errors import Forbidden, ValidationFailed
from casetafel.escalation.models import Escalation
from casetafel.meetings.models import Action, AgendaItem, Decision, Meeting
from casetafel.meetings.retention import REMOVED
from tests.conftest import csrf, login, velsen_case
from tests.test_settings_and_cli import run_cli

CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOTE = "Zus woont in de Lange Nieuwstraat"
CONDITION_NOTE = "Schuld bij de woningcorporatie"
CASEWORK = "Afgesloten na gesprek met de reclasseringswerker"


def at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def years_after(years: int, days: int = 0) -> datetime:
    return CLOSED.replace(year=CLOSED.year + years) + timedelta(days=days)


async def closed_case(users, directory, ladder, **overrides: Any) -> service.CaseView:
    """A case with free text everywhere, closed at CLOSED."""
    coordinator = users.actors["coordinator"]
    at(CLOSED - timedelta(days=30))
    case = await service.create_case(
        coordinator, velsen_case(notes=NOTE, **overrides), directory, ladder
    )
    case = await service.update_case(
        coordinator,
        case.reference,
        {"debts_note": CONDITION_NOTE, "housing_requirement": "Niet in Velsen-Noord"},
        directory,
        ladder,
    )
    await _meeting_texts(case.id, users.actors["coordinator"].user_id)
    at(CLOSED)
    return await service.close_case(
        coordinator, case.reference, "returned_home", CASEWORK, directory, ladder
    )


async def _meeting_texts(case_id: int, user_id: int) -> None:
    """An agenda item with a question, outcome, decision and action, and a noted escalation."""
    meeting = Meeting(
        uid=f"retention-{case_id}@casetafel.test",
        region=(await Case.select(Case.region).where(Case.id == case_id).first())["region"],
        kind="case_conference",
        title="Casusoverleg",
        start_at=CLOSED - timedelta(days=10),
        end_at=CLOSED - timedelta(days=10, hours=-1),
        organizer_email="zvh@example.test",
        organizer_name="ZVH",
        created_by=user_id,
        created_at=CLOSED - timedelta(days=20),
        updated_at=CLOSED - timedelta(days=20),
    )
    await meeting.save()
    item = AgendaItem(
        meeting=meeting.id,
        case=case_id,
        question=f"Vraag: {NOTE}",
        outcome="Woning bij zus afgewezen",
        created_at=CLOSED - timedelta(days=20),
    )
    await item.save()
    await Decision(
        agenda_item=item.id, text="Besluit over de zus", decided_at=CLOSED - timedelta(days=10)
    ).save()
    await Action(
        agenda_item=item.id,
        case=case_id,
        description="Bel de zus",
        due_date=date(2026, 2, 28),
        created_at=CLOSED - timedelta(days=10),
    ).save()
    await Escalation(
        case=case_id,
        at=CLOSED - timedelta(days=15),
        to_level="regional",
        direction="up",
        trigger="user",
        note="Zus weigert opvang",
    ).save()


async def anonymise_events() -> list[AuditEvent]:
    return await AuditEvent.objects().where(AuditEvent.action == "case.anonymise")


async def snapshot(case_id: int) -> dict[str, Any]:
    row = await Case.select().where(Case.id == case_id).first()
    return {
        "case": row,
        "categories": sorted(
            r["category"]
            for r in await CaseCategory.select(CaseCategory.category).where(
                CaseCategory.case == case_id
            )
        ),
        "participants": await CaseParticipant.count().where(CaseParticipant.case == case_id),
        "timeline": await TimelineEvent.select(TimelineEvent.kind, TimelineEvent.details)
        .where(TimelineEvent.case == case_id)
        .order_by(TimelineEvent.id),
        "escalations": await Escalation.select(Escalation.to_level, Escalation.note).where(
            Escalation.case == case_id
        ),
        "items": await AgendaItem.select(AgendaItem.question, AgendaItem.outcome).where(
            AgendaItem.case == case_id
        ),
        "decisions": await Decision.select(Decision.text).where(
            Decision.agenda_item.case == case_id
        ),
        "actions": await Action.select(Action.description).where(Action.case == case_id),
    }


async def test_a_closed_case_past_its_term_is_anonymised_and_keeps_what_reports_need(
    users, directory, ladder
):
    # No fixed abode: Wgs and art. 18a Pbw, 2 years.
    case = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    before = await snapshot(case.id)
    assert before["case"]["subject_name"] == "J. Testpersoon"

    report = await retention.anonymise_due(years_after(2, 1), erasers=RETENTION_ERASERS)

    assert report.anonymised == [case.reference]
    after = await snapshot(case.id)
    row = after["case"]
    assert row["subject_name"] is None and row["subject_birth_date"] is None
    assert row["notes"] == "" and row["debts_note"] == "" and row["housing_requirement"] == ""
    assert row["anonymised_at"] is not None
    kept = ("reference", "region", "home_municipality", "release_date", "level", "status")
    kept += ("outcome", "legal_bases", "closed_at", "created_at", "legal_framework")
    for column in kept:
        assert row[column] == before["case"][column], column
    assert after["categories"] == before["categories"] == ["no_fixed_abode"]
    assert after["participants"] == before["participants"] >= 2
    assert [e["to_level"] for e in after["escalations"]] == ["regional"]
    assert after["escalations"][0]["note"] == ""
    assert after["items"] == [{"question": "", "outcome": ""}]
    assert after["decisions"] == [{"text": REMOVED}]
    assert after["actions"] == [{"description": REMOVED}]
    # The timeline keeps its events, plus one saying the data went; no free text is left.
    kinds = [e["kind"] for e in after["timeline"]]
    assert kinds == [e["kind"] for e in before["timeline"]] + ["retention.anonymised"]
    text = json.dumps(after["timeline"], default=str)
    for secret in (NOTE, CONDITION_NOTE, CASEWORK, "Velsen-Noord", "Testpersoon"):
        assert secret not in text, secret
    assert NOTE in json.dumps(before["timeline"], default=str)
    # The page shows the change happened, without its content.
    coordinator = users.actors["coordinator"]
    page = await service.get_case(coordinator, case.reference, directory, ladder)
    lines = [line for entry in page.timeline for line in entry.lines]
    assert "Toelichting gewijzigd" in lines
    assert page.timeline[0].summary.startswith("Persoonsgegevens verwijderd")
    # One audit event, with the term and no content.
    events = await anonymise_events()
    assert [(e.case_reference, e.username) for e in events] == [(case.reference, "systeem")]
    details = (
        json.loads(events[0].details) if isinstance(events[0].details, str) else events[0].details
    )
    assert details == {"term_years": 2}


async def test_a_case_within_its_term_or_open_is_left_alone(users, directory, ladder):
    # A sex offender: art. 18b Pbw and BIJ, 5 years; the 2 years of Wgs do not count.
    sex_offender = await closed_case(users, directory, ladder)
    at(CLOSED)
    still_open = await service.create_case(
        users.actors["coordinator"], velsen_case(), directory, ladder
    )
    report = await retention.anonymise_due(years_after(4, 364), erasers=RETENTION_ERASERS)
    assert report.anonymised == []
    for case in (sex_offender, still_open):
        row = await Case.select(Case.subject_name, Case.anonymised_at).where(Case.id == case.id)
        assert row == [{"subject_name": "J. Testpersoon", "anonymised_at": None}]
    assert await anonymise_events() == []
    report = await retention.anonymise_due(years_after(5, 1), erasers=RETENTION_ERASERS)
    assert report.anonymised == [sex_offender.reference]


async def test_a_second_run_changes_nothing(users, directory, ladder):
    case = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    first = await retention.anonymise_due(years_after(3), erasers=RETENTION_ERASERS)
    assert first.anonymised == [case.reference]
    state = await snapshot(case.id)
    events = await AuditEvent.count()
    second = await retention.anonymise_due(years_after(3, 1), erasers=RETENTION_ERASERS)
    assert second.anonymised == []
    assert await snapshot(case.id) == state
    assert await AuditEvent.count() == events


async def test_batches_cover_every_due_case_once(users, directory, ladder):
    cases = [
        await closed_case(users, directory, ladder, categories=["no_fixed_abode"]) for _ in range(3)
    ]
    report = await retention.anonymise_due(years_after(3), batch_size=2)
    assert sorted(report.anonymised) == sorted(c.reference for c in cases)
    assert len(await anonymise_events()) == 3


async def test_the_preview_lists_exactly_what_the_run_then_anonymises(users, directory, ladder):
    short = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    long = await closed_case(users, directory, ladder)
    kept = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    privacy = users.actors["privacy"]
    at(CLOSED + timedelta(days=1))
    await retention_admin.extend(privacy, kept.reference, "2032-01-31", "Klachtprocedure loopt")
    at(years_after(5, 2))
    preview = await retention_admin.preview(privacy)
    assert [(row.reference, row.years, row.term_end) for row in preview.due] == [
        (short.reference, 2, date(2028, 3, 2)),
        (long.reference, 5, date(2031, 3, 2)),
    ]
    assert [(row.reference, row.until) for row in preview.extended] == [
        (kept.reference, date(2032, 1, 31))
    ]
    report = await retention.anonymise_due(erasers=RETENTION_ERASERS)
    assert report.anonymised == [row.reference for row in preview.due]
    again = await retention_admin.preview(privacy)
    assert again.due == [] and len(again.extended) == 1


async def test_an_extension_keeps_a_case_until_its_date_and_is_logged(users, directory, ladder):
    case = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    privacy = users.actors["privacy"]
    at(CLOSED + timedelta(days=400))
    reason = "Lopende klacht bij de Nationale ombudsman over de huisvesting"
    extended = await retention_admin.extend(privacy, case.reference.lower(), "2029-06-30", reason)
    assert (extended.term_end, extended.until) == (date(2028, 3, 2), date(2029, 6, 30))

    preview = await retention_admin.preview(privacy, years_after(3))
    assert preview.due == []
    assert [(r.reference, r.until, r.reason) for r in preview.extended] == [
        (case.reference, date(2029, 6, 30), reason)
    ]
    at(years_after(3))
    assert (await retention.anonymise_due()).anonymised == []
    # Kept up to and including its date; the night after, it goes.
    at(datetime(2029, 6, 30, 21, 0, tzinfo=UTC))  # 23:00 in Amsterdam, still the 30th
    assert (await retention.anonymise_due()).anonymised == []
    at(datetime(2029, 6, 30, 22, 30, tzinfo=UTC))  # 00:30 on 1 July in Amsterdam
    assert (await retention.anonymise_due()).anonymised == [case.reference]

    stored = await RetentionExtension.select(RetentionExtension.reason, RetentionExtension.user)
    assert stored == [{"reason": reason, "user": privacy.user_id}]
    event = await AuditEvent.objects().where(AuditEvent.action == "case.retention_extended").first()
    assert event is not None and event.case_reference == case.reference
    assert event.username == "privacy"
    assert "ombudsman" not in str(event.details)
    kinds = await TimelineEvent.select(TimelineEvent.summary).where(
        TimelineEvent.kind == "retention.extended"
    )
    assert kinds == [{"summary": "Bewaartermijn verlengd tot 30-06-2029"}]


@pytest.mark.parametrize(
    ("reference", "until", "reason", "field", "message"),
    [
        ("", "2030-01-01", "reden", "kenmerk", "Vul het kenmerk"),
        ("KEN-2026-9999", "2030-01-01", "reden", "kenmerk", "geen casus met dit kenmerk"),
        ("{open}", "2030-01-01", "reden", "kenmerk", "nog niet afgesloten"),
        ("{closed}", "2027-01-01", "reden", "tot", "loopt al tot 02-03-2028"),
        ("{closed}", "gisteren", "reden", "tot", "geldige datum"),
        ("{closed}", "2026-03-01", "reden", "tot", "na vandaag"),
        ("{closed}", "2045-01-01", "reden", "tot", "hoogstens 10 jaar"),
        ("{closed}", "2030-01-01", "  ", "reden", "Vul de reden"),
    ],
)
async def test_an_extension_says_what_is_wrong(
    users, directory, ladder, reference, until, reason, field, message
):
    closed = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    opened = await service.create_case(
        users.actors["coordinator"], velsen_case(), directory, ladder
    )
    reference = reference.format(open=opened.reference, closed=closed.reference)
    with pytest.raises(ValidationFailed) as failed:
        await retention_admin.extend(users.actors["privacy"], reference, until, reason)
    assert message in failed.value.errors[field]
    assert await RetentionExtension.count() == 0


async def test_only_the_privacy_officer_manages_retention(users, directory, ladder):
    for name in ("coordinator", "beheer", "politie", "regiegroep"):
        with pytest.raises(Forbidden):
            await retention_admin.preview(users.actors[name])
        with pytest.raises(Forbidden):
            await retention_admin.extend(users.actors[name], "KEN-2026-0001", "2030-01-01", "x")


async def test_two_runs_at_once_anonymise_each_case_once(users, directory, ladder):
    """On PostgreSQL the runs claim with SKIP LOCKED; on SQLite they take turns."""
    cases = [
        await closed_case(users, directory, ladder, categories=["no_fixed_abode"]) for _ in range(4)
    ]
    first, second = await asyncio.gather(
        retention.anonymise_due(years_after(3), batch_size=1),
        retention.anonymise_due(years_after(3), batch_size=1),
    )
    done = first.anonymised + second.anonymised
    assert sorted(done) == sorted(c.reference for c in cases)
    events = await anonymise_events()
    assert sorted(e.case_reference for e in events) == sorted(done)


async def test_the_command_previews_and_runs(users, directory, ladder, database_url):
    case = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    moment = years_after(2, 1).isoformat()
    env = {"CASETAFEL_DATABASE_URL": database_url}
    dry = await asyncio.to_thread(run_cli, "retention", "--now", moment, "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert case.reference in dry.stdout and "1 case(s) would be anonymised" in dry.stdout
    assert await anonymise_events() == []
    early = await asyncio.to_thread(
        run_cli, "retention", "--now", years_after(1).isoformat(), **env
    )
    assert "0 case(s) anonymised" in early.stdout
    done = await asyncio.to_thread(run_cli, "retention", "--now", moment, **env)
    assert done.returncode == 0, done.stderr
    assert "1 case(s) anonymised" in done.stdout
    row = await Case.select(Case.subject_name).where(Case.id == case.id).first()
    assert row == {"subject_name": None}
    wrong = await asyncio.to_thread(run_cli, "retention", "--now", "2030-01-01T00:00", **env)
    assert wrong.returncode == 2 and "time zone" in wrong.stderr


async def test_the_retention_page_names_references_and_dates_only(client, users, directory, ladder):
    due = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    kept = await closed_case(users, directory, ladder, categories=["no_fixed_abode"])
    at(years_after(2, 1))
    await login(client, "privacy")
    page = await client.get("/bewaartermijnen")
    assert page.status_code == 200
    assert due.reference in page.text and kept.reference in page.text
    assert "02-03-2028" in page.text and "2 jaar" in page.text
    for content in ("Testpersoon", "1980", NOTE, CONDITION_NOTE, CASEWORK, "Velsen-Noord"):
        assert content not in page.text, content
    extension = {"kenmerk": kept.reference, "tot": "2030-12-31", "reden": "Bezwaarprocedure"}
    response = await client.post(
        "/bewaartermijnen/verlengen", data={**extension, "_csrf_token": csrf(client)}
    )
    assert response.status_code in (302, 303)
    page = await client.get(response.headers["location"])
    assert "De bewaartermijn is verlengd en vastgelegd." in page.text
    assert "31-12-2030" in page.text and "Bezwaarprocedure" in page.text
    wrong = await client.post(
        "/bewaartermijnen/verlengen",
        data={**extension, "tot": "2027-01-01", "_csrf_token": csrf(client)},
    )
    assert wrong.status_code == 422
    assert "Kies een datum na vandaag." in wrong.text
    # The run does what the page said: the one case due, not the extended one.
    assert (await retention.anonymise_due()).anonymised == [due.reference]
