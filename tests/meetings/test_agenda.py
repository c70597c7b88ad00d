"""The agenda service: referrals against the cut-off, the order of items, outcomes,
decisions that meet a case's deadlines, actions, access per role and the audit trail."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from casetafel import clock
from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.cases import service as cases
from casetafel.cases.models import TimelineEvent
from casetafel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from casetafel.escalation.models import Deadline
from casetafel.meetings import actions, agenda, referrals, service
from casetafel.meetings.models import Action, AgendaItem, Decision, Meeting, Occurrence
from casetafel.organisations.models import Organisation
from tests.meetings.conftest import local
from tests.meetings.test_agenda_helpers import (
    MONDAY,
    NEXT_TUESDAY,
    TUESDAY,
    conference,
    new_case,
    set_local,
    standing_triage,
)

QUESTION = "Kan de woningcorporatie een woning buiten Velsen aanbieden?"


async def organisation_id(key: str) -> int:
    row = await Organisation.objects().where(Organisation.key == key).first()
    return int(row.id)


# --- referral cut-off -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "lands_on"),
    [(11, 59, TUESDAY), (12, 0, TUESDAY), (12, 1, NEXT_TUESDAY)],
    ids=["11:59 this week", "12:00 exactly still this week", "12:01 next week"],
)
async def test_a_referral_closes_at_monday_noon_for_the_tuesday_triage(
    users, ctx, hour, minute, lands_on
):
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    case = await new_case(coordinator, ctx)
    set_local(MONDAY, hour, minute)
    meeting_id, occurrence_at = await referrals.refer_to_next(
        coordinator, case.reference, "triage", QUESTION, ctx
    )
    assert (meeting_id, occurrence_at) == (triage, local(lands_on, 10))
    item = await AgendaItem.objects().first()
    assert (item.occurrence_at, item.question, item.position) == (
        local(lands_on, 10),
        QUESTION,
        1,
    )


async def test_a_referral_in_the_week_before_goes_to_the_first_triage(users, ctx):
    coordinator = users.actors["coordinator"]
    await standing_triage(users, ctx)
    case = await new_case(coordinator, ctx)
    target = await referrals.referral_target(case.region_id, "triage", ctx.meetings, clock.now())
    assert target is not None
    assert (target.occurrence_at, target.cutoff) == (local(TUESDAY, 10), local(MONDAY, 12))
    _, occurrence_at = await referrals.refer_to_next(coordinator, case.reference, "triage", "", ctx)
    assert occurrence_at == local(TUESDAY, 10)


async def test_a_cancelled_triage_is_skipped(users, ctx):
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    await Occurrence(
        meeting=triage,
        recurrence_id=local(TUESDAY, 10),
        start_at=local(TUESDAY, 10),
        end_at=local(TUESDAY, 12),
        status="cancelled",
        sequence=1,
    ).save()
    case = await new_case(coordinator, ctx)
    _, occurrence_at = await referrals.refer_to_next(coordinator, case.reference, "triage", "", ctx)
    assert occurrence_at == local(NEXT_TUESDAY, 10)


async def test_a_moved_triage_keeps_its_slot_and_takes_its_cutoff_from_the_new_time(users, ctx):
    """Moved from Tuesday to Wednesday: referrals close Tuesday 12:00, and the item stays
    on the original slot (its RECURRENCE-ID)."""
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    await Occurrence(
        meeting=triage,
        recurrence_id=local(TUESDAY, 10),
        start_at=local(TUESDAY + timedelta(days=1), 10),
        end_at=local(TUESDAY + timedelta(days=1), 12),
        status="planned",
        sequence=1,
    ).save()
    case = await new_case(coordinator, ctx)
    set_local(TUESDAY, 11, 0)
    _, occurrence_at = await referrals.refer_to_next(coordinator, case.reference, "triage", "", ctx)
    assert occurrence_at == local(TUESDAY, 10)
    other = await new_case(coordinator, ctx)
    set_local(TUESDAY, 12, 1)
    _, occurrence_at = await referrals.refer_to_next(
        coordinator, other.reference, "triage", "", ctx
    )
    assert occurrence_at == local(NEXT_TUESDAY, 10)


async def test_no_standing_meeting_in_the_region_is_a_dutch_error(users, ctx):
    coordinator = users.actors["coordinator"]
    case = await new_case(coordinator, ctx)
    with pytest.raises(ValidationFailed) as refused:
        await referrals.refer_to_next(coordinator, case.reference, "triage", "", ctx)
    assert "Deze regio heeft geen wekelijkse triage" in refused.value.errors["kind"]
    with pytest.raises(ValidationFailed) as wrong_kind:
        await referrals.refer_to_next(coordinator, case.reference, "casusoverleg", "", ctx)
    assert "kind" in wrong_kind.value.errors
    assert await AgendaItem.count() == 0


async def test_a_referral_is_checked_and_written_to_the_timeline_and_audit_log(users, ctx):
    coordinator = users.actors["coordinator"]
    await standing_triage(users, ctx)
    case = await new_case(coordinator, ctx)
    with pytest.raises(ValidationFailed) as too_long:
        await referrals.refer_to_next(coordinator, case.reference, "triage", "x" * 1001, ctx)
    assert "maximaal 1000 tekens" in too_long.value.errors["question"]
    with pytest.raises(Forbidden):
        await referrals.refer_to_next(users.actors["velsen"], case.reference, "triage", "", ctx)
    await referrals.refer_to_next(coordinator, case.reference, "triage", QUESTION, ctx)
    with pytest.raises(ValidationFailed) as twice:
        await referrals.refer_to_next(coordinator, case.reference, "triage", "", ctx)
    assert "staat al op deze agenda" in twice.value.errors["reference"]
    event = await TimelineEvent.objects().where(TimelineEvent.kind == "agenda.added").first()
    assert event.summary.startswith("Verwezen naar Wekelijkse triage Kennemerland van 01-12-2026")
    assert QUESTION not in event.summary
    assert json.loads(event.details)["casework"] == f"Vraag aan het overleg: {QUESTION}"
    logged = await AuditEvent.objects().where(AuditEvent.action == "agenda.refer").first()
    assert (logged.case_id, logged.case_reference) == (case.id, case.reference)
    closed = await new_case(coordinator, ctx)
    await cases.close_case(
        coordinator, closed.reference, "returned_home", "", ctx.directory, ctx.escalation.ladder
    )
    with pytest.raises(ValidationFailed) as shut:
        await referrals.refer_to_next(coordinator, closed.reference, "triage", "", ctx)
    assert "afgesloten" in shut.value.errors["reference"]


async def test_a_case_whose_subject_the_meeting_names_does_not_join_its_agenda(users, ctx):
    """Title and place already went out in the invites: checked against each new case."""
    coordinator = users.actors["coordinator"]
    case = await new_case(coordinator, ctx)  # J. Testpersoon, born 17 May 1980
    named = await standing_triage(users, ctx, title="Triage Testpersoon")
    with pytest.raises(ValidationFailed) as by_name:
        await agenda.add_item(coordinator, named, case.reference, "", local(TUESDAY, 10), ctx)
    assert by_name.value.errors["reference"].startswith(
        f"De titel van dit overleg noemt de betrokkene van casus {case.reference}"
    )
    other = await new_case(coordinator, ctx, subject_name="A. Ander", subject_birth_date=None)
    await agenda.add_item(coordinator, named, other.reference, "", local(TUESDAY, 10), ctx)
    elsewhere = await conference(users, ctx, level=None)
    meeting = await Meeting.objects().where(Meeting.id == elsewhere).first()
    await service.reschedule(
        coordinator,
        elsewhere,
        start=meeting.start_at,
        end=meeting.end_at,
        location="Spreekkamer 2",
        video_url="https://video.example.nl/17-05-1980",
        expected_version=None,
        ctx=ctx,
    )
    with pytest.raises(ValidationFailed) as by_date:
        await agenda.add_item(coordinator, elsewhere, case.reference, "", None, ctx)
    assert by_date.value.errors["reference"].startswith("De videolink van dit overleg noemt")
    assert await AgendaItem.count() == 1


async def test_a_referral_to_a_triage_naming_the_subject_is_refused(users, ctx):
    coordinator = users.actors["coordinator"]
    await standing_triage(users, ctx, title="Triage 17-5-1980")
    case = await new_case(coordinator, ctx)
    with pytest.raises(ValidationFailed) as refused:
        await referrals.refer_to_next(coordinator, case.reference, "triage", QUESTION, ctx)
    assert "De titel van dit overleg noemt de betrokkene" in refused.value.errors["reference"]
    assert await AgendaItem.count() == 0


# --- items: order, outcome, access --------------------------------------------------------


async def test_items_are_appended_moved_and_removed_in_order(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    first, second, third = [await new_case(coordinator, ctx) for _ in range(3)]
    for case in (first, second, third):
        await agenda.add_item(coordinator, meeting_id, case.reference, "", None, ctx)
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()

    async def order() -> list[str]:
        view = await agenda.agenda_for(coordinator, meeting, None, ctx)
        return [item.reference for item in view.items]

    assert await order() == [first.reference, second.reference, third.reference]
    items = {i.case: i.id for i in await AgendaItem.objects()}
    await agenda.move_item(coordinator, items[third.id], "up", meeting_id=meeting_id)
    assert await order() == [first.reference, third.reference, second.reference]
    await agenda.move_item(coordinator, items[first.id], "up")  # already first: no change
    await agenda.move_item(coordinator, items[first.id], "down")
    assert await order() == [third.reference, first.reference, second.reference]
    await agenda.remove_item(coordinator, items[first.id])
    assert await order() == [third.reference, second.reference]
    assert sorted(i.position for i in await AgendaItem.objects()) == [1, 2]
    with pytest.raises(NotFound):
        await agenda.move_item(coordinator, items[third.id], "down", meeting_id=meeting_id + 1)
    with pytest.raises(ValidationFailed):
        await agenda.move_item(coordinator, items[third.id], "sideways")


async def test_adding_checks_the_case_the_occurrence_and_the_question(users, ctx):
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    case = await new_case(coordinator, ctx)
    with pytest.raises(ValidationFailed) as not_a_slot:
        await agenda.add_item(coordinator, triage, case.reference, "", local(MONDAY, 10), ctx)
    assert "bijeenkomst" in not_a_slot.value.errors["occurrence_at"]
    with pytest.raises(ValidationFailed) as no_slot:
        await agenda.add_item(coordinator, triage, case.reference, "", None, ctx)
    assert "occurrence_at" in no_slot.value.errors
    with pytest.raises(ValidationFailed) as unknown:
        await agenda.add_item(coordinator, triage, "KEN-2026-9999", "", local(TUESDAY, 10), ctx)
    assert "bestaat niet" in unknown.value.errors["reference"]
    with pytest.raises(ValidationFailed) as long:
        await agenda.add_item(
            coordinator, triage, case.reference, "x" * 1001, local(TUESDAY, 10), ctx
        )
    assert "question" in long.value.errors
    await agenda.add_item(coordinator, triage, case.reference, "", local(NEXT_TUESDAY, 10), ctx)
    await agenda.add_item(coordinator, triage, case.reference, "", local(TUESDAY, 10), ctx)
    assert await AgendaItem.count() == 2  # the same case on two occurrences
    with pytest.raises(ValidationFailed):
        await agenda.add_item(coordinator, triage, case.reference, "", local(TUESDAY, 10), ctx)


async def test_attendees_read_the_agenda_with_cases_they_may_not_see_masked(users, ctx):
    coordinator, politie = users.actors["coordinator"], users.actors["politie"]
    meeting_id = await conference(users, ctx, level=None)
    shared = await new_case(coordinator, ctx)
    hidden = await new_case(coordinator, ctx, participants=["reclassering-nederland"])
    await agenda.add_item(coordinator, meeting_id, shared.reference, QUESTION, None, ctx)
    await agenda.add_item(coordinator, meeting_id, hidden.reference, "Geheim", None, ctx)
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()

    view = await agenda.agenda_for(politie, meeting, None, ctx)
    assert not view.can_edit and view.owners == []
    assert [(i.reference, i.visible, i.question) for i in view.items] == [
        (shared.reference, True, QUESTION),
        ("[afgeschermd]", False, "[afgeschermd]"),
    ]
    logged = await AuditEvent.objects().where(AuditEvent.action == "agenda.read").first()
    assert json.loads(logged.details)["references"] == [shared.reference]
    assert hidden.reference not in logged.details

    item = (await AgendaItem.objects().where(AgendaItem.case == shared.id).first()).id
    with pytest.raises(Forbidden):
        await agenda.record_outcome(politie, item, "Politie beslist zelf")
    with pytest.raises(Forbidden):
        await agenda.move_item(politie, item, "down")
    with pytest.raises(Forbidden):
        await agenda.add_item(politie, meeting_id, shared.reference, "", None, ctx)
    for outsider in ("woning", "regiegroep", "velsen"):
        with pytest.raises(NotFound):
            await agenda.agenda_for(users.actors[outsider], meeting, None, ctx)
        with pytest.raises(NotFound):
            await agenda.remove_item(users.actors[outsider], item)

    editor = await agenda.agenda_for(coordinator, meeting, None, ctx)
    assert editor.can_edit and [i.visible for i in editor.items] == [True, True]
    woonwaard = await organisation_id("woonwaard")
    assert f"organisation:{woonwaard}" in dict(editor.owners)


async def test_the_outcome_is_recorded_as_casework(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    case = await new_case(coordinator, ctx)
    ref = await agenda.add_item(coordinator, meeting_id, case.reference, "", None, ctx)
    assert (ref.meeting_id, ref.anchor) == (meeting_id, "agenda")
    item = (await AgendaItem.objects().first()).id
    with pytest.raises(ValidationFailed):
        await agenda.record_outcome(coordinator, item, "x" * 1001)
    await agenda.record_outcome(coordinator, item, "Aangehouden tot de woningcorporatie reageert")
    assert (await AgendaItem.objects().first()).outcome.startswith("Aangehouden")
    event = await TimelineEvent.objects().where(TimelineEvent.kind == "agenda.outcome").first()
    assert "Aangehouden" not in event.summary
    assert json.loads(event.details)["casework"].startswith("Aangehouden")


# --- decisions and deadlines ---------------------------------------------------------------


async def level_deadlines(case_id: int) -> dict[str, str]:
    rows = await Deadline.objects().where(
        (Deadline.case == case_id)
        & Deadline.kind.is_in(["conference_due", "conference_reminder", "time_box"])
    )
    return {row.kind: row.state for row in rows}


async def test_a_decision_at_the_cases_level_meets_its_conference_deadline_and_time_box(users, ctx):
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    case = await new_case(coordinator, ctx)
    assert await level_deadlines(case.id) == {
        "conference_due": "pending",
        "conference_reminder": "pending",
        "time_box": "pending",
    }
    await referrals.refer_to_next(coordinator, case.reference, "triage", QUESTION, ctx)
    item = (await AgendaItem.objects().first()).id
    with pytest.raises(ValidationFailed) as early:
        await agenda.record_decision(coordinator, item, "Woning zoeken in de regio", ctx)
    assert "nog niet begonnen" in early.value.errors["text"]
    set_local(TUESDAY, 11)
    with pytest.raises(ValidationFailed):
        await agenda.record_decision(coordinator, item, "   ", ctx)
    with pytest.raises(Forbidden):
        await agenda.record_decision(users.actors["politie"], item, "Wij beslissen", ctx)
    ref = await agenda.record_decision(
        coordinator, item, "Woning zoeken in de regio", ctx, meeting_id=triage
    )
    assert ref.anchor == "agenda-20261201T0900Z"
    assert await level_deadlines(case.id) == {
        "conference_due": "met",
        "conference_reminder": "met",
        "time_box": "met",
    }
    decision = await Decision.objects().first()
    assert (decision.text, decision.decided_by) == (
        "Woning zoeken in de regio",
        coordinator.user_id,
    )
    progress = await TimelineEvent.objects().where(TimelineEvent.kind == "progress").first()
    assert "Casusoverleg gehouden op 01-12-2026" in progress.summary
    assert "Woning zoeken" not in progress.summary
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action)]
    assert "agenda.decision" in actions and "case.progress" in actions


async def test_a_decision_at_another_level_leaves_the_deadlines(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level="regional")
    case = await new_case(coordinator, ctx)  # at the local level
    await agenda.add_item(coordinator, meeting_id, case.reference, "", None, ctx)
    item = (await AgendaItem.objects().first()).id
    set_local(TUESDAY, 16)
    await agenda.record_decision(coordinator, item, "Eerst de driehoek laten besluiten", ctx)
    assert set((await level_deadlines(case.id)).values()) == {"pending"}
    event = await TimelineEvent.objects().where(TimelineEvent.kind == "agenda.decision").first()
    assert "Eerst de driehoek" not in event.summary
    assert json.loads(event.details)["casework"] == "Eerst de driehoek laten besluiten"


# --- actions ---------------------------------------------------------------------------


async def test_actions_are_validated(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    case = await new_case(coordinator, ctx)
    await agenda.add_item(coordinator, meeting_id, case.reference, "", None, ctx)
    item = (await AgendaItem.objects().first()).id
    woonwaard = await organisation_id("woonwaard")
    today = clock.today()
    cases_ = [
        (("", woonwaard, None, today), "description"),
        (("x" * 501, woonwaard, None, today), "description"),
        (("Woning aanbieden", None, None, today), "owner"),
        (("Woning aanbieden", woonwaard, 1, today), "owner"),
        (("Woning aanbieden", 999_999, None, today), "owner"),
        (("Woning aanbieden", woonwaard, None, today - timedelta(days=1)), "due_date"),
        (("Woning aanbieden", woonwaard, None, None), "due_date"),
    ]
    for (description, org, person, due), field in cases_:
        with pytest.raises(ValidationFailed) as refused:
            await actions.add_action(coordinator, item, description, org, person, due)
        assert field in refused.value.errors, (description[:10], org, person, due)
    with pytest.raises(Forbidden):
        await actions.add_action(users.actors["politie"], item, "Zelf doen", woonwaard, None, today)
    await actions.add_action(coordinator, item, "Woning aanbieden", woonwaard, None, today)
    action = await Action.objects().first()
    assert (action.case, action.agenda_item, action.owner_organisation, action.due_date) == (
        case.id,
        item,
        woonwaard,
        today,
    )
    event = await TimelineEvent.objects().where(TimelineEvent.kind == "action.added").first()
    assert event.summary.startswith(
        "Actie afgesproken voor Woningcorporatie Kennemer Wonen, uiterlijk 25-11-2026"
    )
    assert "Woning aanbieden" not in event.summary


async def test_open_and_overdue_actions_follow_the_readers_scope(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    shared = await new_case(coordinator, ctx)
    hidden = await new_case(coordinator, ctx, participants=["reclassering-nederland"])
    politie_org = await organisation_id("politie-noord-holland")
    for case in (shared, hidden):
        await agenda.add_item(coordinator, meeting_id, case.reference, "", None, ctx)
        item = (await AgendaItem.objects().where(AgendaItem.case == case.id).first()).id
        await actions.add_action(
            coordinator,
            item,
            f"Buurtonderzoek {case.reference}",
            politie_org,
            None,
            date(2026, 12, 2),
        )
    ladder = ctx.escalation.ladder
    politie = users.actors["politie"]
    assert [a.reference for a in await actions.open_actions(politie, shared.id, ladder)] == [
        shared.reference
    ]
    assert await actions.open_actions(politie, hidden.id, ladder) == []
    assert await actions.overdue_actions(coordinator, ladder) == []
    set_local(date(2026, 12, 3), 9)
    overdue = await actions.overdue_actions(coordinator, ladder)
    assert [(a.reference, a.days_overdue) for a in overdue] == [
        (shared.reference, 1),
        (hidden.reference, 1),
    ]
    assert [a.reference for a in await actions.overdue_actions(politie, ladder)] == [
        shared.reference
    ]
    regiegroep = await actions.overdue_actions(users.actors["regiegroep"], ladder)
    assert regiegroep == []
    logged = await AuditEvent.objects().where(AuditEvent.action == "dashboard.actions.read")
    assert json.loads(logged[-1].details)["references"] == [shared.reference]
    read = await AuditEvent.objects().where(AuditEvent.action == "case.actions.read").first()
    assert (read.case_id, read.case_reference) == (shared.id, shared.reference)


async def test_the_coordinator_or_the_owner_completes_an_action(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    case = await new_case(coordinator, ctx)
    await agenda.add_item(coordinator, meeting_id, case.reference, "", None, ctx)
    item = (await AgendaItem.objects().first()).id
    politie_org = await organisation_id("politie-noord-holland")
    await actions.add_action(coordinator, item, "Buurtonderzoek", politie_org, None, clock.today())
    await actions.add_action(coordinator, item, "Tweede", politie_org, None, clock.today())
    first, second = [a.id for a in await Action.objects().order_by(Action.id)]
    for outsider in ("woning", "velsen", "regiegroep"):
        with pytest.raises(Forbidden):
            await actions.complete_action(users.actors[outsider], first)
    assert await actions.complete_action(users.actors["politie"], first) == case.reference
    with pytest.raises(Conflict):
        await actions.complete_action(coordinator, first)
    await actions.complete_action(coordinator, second)
    assert all(a.done_at is not None for a in await Action.objects())
    with pytest.raises(NotFound):
        await actions.complete_action(coordinator, 999_999)
    assert await actions.open_actions(coordinator, case.id, ctx.escalation.ladder) == []
    with pytest.raises(Conflict):
        await agenda.remove_item(coordinator, item)


async def test_every_change_is_in_the_audit_log_and_the_chain_holds(users, ctx):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    first, second = await new_case(coordinator, ctx), await new_case(coordinator, ctx)
    await agenda.add_item(coordinator, meeting_id, first.reference, "", None, ctx)
    await agenda.add_item(coordinator, meeting_id, second.reference, "", None, ctx)
    item = (await AgendaItem.objects().where(AgendaItem.case == first.id).first()).id
    other = (await AgendaItem.objects().where(AgendaItem.case == second.id).first()).id
    await agenda.move_item(coordinator, item, "down")
    await agenda.record_outcome(coordinator, item, "Besproken")
    await actions.add_action(
        coordinator, item, "Bellen", await organisation_id("woonwaard"), None, clock.today()
    )
    await actions.complete_action(coordinator, (await Action.objects().first()).id)
    await agenda.remove_item(coordinator, other)
    set_local(TUESDAY, 16)
    await agenda.record_decision(coordinator, item, "Doorgaan", ctx)
    changes = [
        (e.action, e.case_reference)
        for e in await AuditEvent.objects().order_by(AuditEvent.seq)
        if e.action.startswith(("agenda.", "action."))
    ]
    assert changes == [
        ("agenda.add", first.reference),
        ("agenda.add", second.reference),
        ("agenda.move", first.reference),
        ("agenda.outcome", first.reference),
        ("action.add", first.reference),
        ("action.complete", first.reference),
        ("agenda.remove", second.reference),
        ("agenda.decision", first.reference),
    ]
    assert (await audit.verify()).ok
