"""The escalation engine against a real database, with an injected clock: every rule kind,
the sweep's idempotency and catch-up, and what the users see."""

from __future__ import annotations

from datetime import date, timedelta

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.cases import service
from casetafel.cases.models import Case, CaseParticipant, TimelineEvent
from casetafel.escalation import moves, queries
from casetafel.escalation.models import Deadline, Escalation
from casetafel.notifications.models import Notification
from casetafel.organisations.models import Organisation
from tests.conftest import login, velsen_case
from tests.escalation.conftest import (
    deadlines_of,
    escalations_of,
    local,
    notifications_for,
    pending,
    sweep_at,
)

# Friday 15 January 2027: the local housing deadline (20 working days before) is the start
# of Wednesday 16 December 2026; the regional one (10) the start of Thursday 31 December.
RELEASE = date(2027, 1, 15)


async def new_case(users, directory, ladder, **overrides):  # type: ignore[no-untyped-def]
    values = velsen_case(**{"release_date": RELEASE.isoformat(), **overrides})
    return await service.create_case(users.actors["coordinator"], values, directory, ladder)


async def test_housing_not_arranged_in_time_moves_the_case_up_with_the_obstacle(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    housing = await pending(case.id, "housing_deadline")
    assert housing.due_at == local(date(2026, 12, 16), 0)

    await sweep_at(config, local(date(2026, 12, 15), 23, 59))
    assert await escalations_of(case.id) == []

    report = await sweep_at(config, local(date(2026, 12, 16), 0))
    assert report.escalated == 1
    [move] = await escalations_of(case.id)
    assert (move.from_level, move.to_level, move.direction) == ("local", "regional", "up")
    assert (move.trigger, move.obstacle, move.actor) == ("housing", "no_housing_offered", None)
    row = await Case.objects().where(Case.id == case.id).first()
    assert row.level == "regional" and row.level_since == local(date(2026, 12, 16), 0)
    assert (await Deadline.objects().where(Deadline.id == housing.id).first()).state == "missed"
    # The regional table's own deadlines start now.
    regional = await pending(case.id, "housing_deadline")
    assert (regional.level, regional.due_at) == ("regional", local(date(2026, 12, 31), 0))
    conference = await pending(case.id, "conference_due")
    assert conference.due_at == local(date(2026, 12, 23) + timedelta(days=1), 0)
    # The owner of the new level is told, and the timeline says why.
    [told] = await notifications_for("coordinator", "escalated")
    assert "Opgeschaald van Lokale driehoek naar Zorg- en Veiligheidshuis" in told.text
    assert "Geen huisvesting aangeboden" in told.text and "J. Testpersoon" not in told.text
    event = await TimelineEvent.objects().where(TimelineEvent.kind == "escalation.up").first()
    assert "regel housing" in event.summary
    audit = await AuditEvent.objects().where(AuditEvent.action == "case.escalate").first()
    assert audit.username == "systeem" and "Escalatieregels" in audit.legal_basis


async def test_housing_arranged_in_time_meets_the_deadline(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    housing = await pending(case.id, "housing_deadline")
    await service.update_case(
        users.actors["coordinator"],
        case.reference,
        {"housing_state": "arranged"},
        directory,
        ladder,
    )
    met = await Deadline.objects().where(Deadline.id == housing.id).first()
    assert met.state == "met"
    assert await deadlines_of(case.id, kind="housing_deadline", state="pending") == []
    # Its warning ends with it.
    warnings = await deadlines_of(case.id, kind="warning", target=housing.id)
    assert [w.state for w in warnings] == ["cancelled"]
    await sweep_at(config, local(date(2026, 12, 16), 0, 1))
    assert await escalations_of(case.id) == []


async def test_a_release_date_moved_earlier_recomputes_the_deadline(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    before = await pending(case.id, "housing_deadline")
    earlier = date(2027, 1, 4)  # Monday
    await service.update_case(
        users.actors["coordinator"],
        case.reference,
        {"release_date": earlier.isoformat()},
        directory,
        ladder,
    )
    after = await pending(case.id, "housing_deadline")
    assert after.id == before.id
    assert after.due_at == clock.start_of_day(clock.add_working_days(earlier, -20))
    assert after.due_at == local(date(2026, 12, 3), 0)
    [warning] = await deadlines_of(case.id, kind="warning", state="pending", target=after.id)
    assert warning.due_at == local(date(2026, 12, 1), 0)


async def test_a_deadline_on_monday_does_not_act_over_the_weekend(
    now_is_start, users, directory, ladder, config
):
    release = clock.add_working_days(date(2026, 12, 28), 20)  # housing due Monday 28 Dec
    case = await new_case(users, directory, ladder, release_date=release.isoformat())
    # A decision at the driehoek meets its time box (due 17 December), so only the housing
    # deadline can move the case.
    await moves.record_progress(
        users.actors["velsen"],
        case.reference,
        held_on=date(2026, 11, 25),
        decision="Woningcorporatie zoekt verder.",
        expected_version=None,
        config=config,
        directory=directory,
    )
    assert [r.state for r in await deadlines_of(case.id, kind="time_box")] == ["met"]
    housing = await pending(case.id, "housing_deadline")
    assert clock.local(housing.due_at).strftime("%a %d-%m %H:%M") == "Mon 28-12 00:00"
    await sweep_at(config, local(date(2026, 12, 24), 17))  # Thursday before Christmas
    await sweep_at(config, local(date(2026, 12, 27), 23, 59))  # Sunday evening
    assert await escalations_of(case.id) == []
    assert (await pending(case.id, "housing_deadline")).id == housing.id
    await sweep_at(config, local(date(2026, 12, 28), 0))
    [move] = await escalations_of(case.id)
    assert (move.trigger, move.from_level, move.to_level) == ("housing", "local", "regional")
    assert move.at == local(date(2026, 12, 28), 0)


async def test_no_decision_within_the_time_box_moves_the_case_up(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder, release_certainty="unknown", release_date=None)
    box = await pending(case.id, "time_box")
    # 15 working days after Wednesday 25 November: the end of Wednesday 16 December.
    assert box.due_at == local(date(2026, 12, 17), 0)
    await sweep_at(config, local(date(2026, 12, 16), 23, 59))
    assert await escalations_of(case.id) == []
    await sweep_at(config, local(date(2026, 12, 17), 0))
    [move] = await escalations_of(case.id)
    # Its own obstacle, not "Anders (zie toelichting)" with an empty note.
    assert (move.trigger, move.obstacle, move.to_level) == ("time_box", "no_decision", "regional")
    assert config.obstacle_label(move.obstacle) == "Geen besluit binnen de termijn"
    event = await TimelineEvent.objects().where(TimelineEvent.kind == "escalation.up").first()
    assert "belemmering: Geen besluit binnen de termijn (regel time_box)" in event.summary


async def test_a_decision_meets_the_time_box_and_the_conference(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder, release_certainty="unknown", release_date=None)
    await moves.record_progress(
        users.actors["velsen"],
        case.reference,
        held_on=date(2026, 11, 25),
        decision="Reclassering zoekt een plek in Velsen-Noord.",
        expected_version=None,
        config=config,
        directory=directory,
    )
    states = {r.kind: r.state for r in await deadlines_of(case.id)}
    assert states["time_box"] == "met" and states["conference_due"] == "met"
    await sweep_at(config, local(date(2027, 1, 4)))
    assert await escalations_of(case.id) == []
    entry = await TimelineEvent.objects().where(TimelineEvent.kind == "progress").first()
    assert "Velsen-Noord" not in entry.summary  # the decision is casework, not a summary


async def test_conference_reminder_at_half_time_then_overdue_on_the_dashboard(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    reminder = await pending(case.id, "conference_reminder")
    assert reminder.due_at == local(date(2026, 12, 3), 0)  # end of 5th of 10 working days
    await sweep_at(config, local(date(2026, 12, 3), 8))
    [told] = await notifications_for("velsen", "reminder")
    assert "casusoverleg op niveau Lokale driehoek nog niet vastgelegd" in told.text
    assert await notifications_for("haarlem") == []

    await sweep_at(config, local(date(2026, 12, 10), 8))
    [overdue] = await notifications_for("velsen", "overdue")
    assert case.reference in overdue.text
    board = await queries.dashboard(users.actors["coordinator"], config)
    assert [d.reference for d in board.overdue] == [case.reference]

    await moves.record_progress(
        users.actors["coordinator"],
        case.reference,
        held_on=date(2026, 12, 10),
        decision="",
        expected_version=None,
        config=config,
        directory=directory,
    )
    board = await queries.dashboard(users.actors["coordinator"], config)
    assert board.overdue == []


async def test_a_sudden_tbs_end_starts_at_the_regional_table_the_same_day(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(
        users,
        directory,
        ladder,
        categories=["sudden_tbs_end"],
        legal_framework="tbs_conditional",
        release_certainty="immediate",
        release_date=None,
    )
    assert case.level == "regional"
    [start] = await escalations_of(case.id)
    assert (start.direction, start.trigger, start.from_level) == (
        "start",
        "sudden_tbs_end",
        "local",
    )
    conference = await pending(case.id, "conference_due")
    # Within 2 working days: the end of Friday 27 November.
    assert conference.due_at == local(date(2026, 11, 28), 0)
    assert [r.level for r in await deadlines_of(case.id, kind="time_box")] == ["regional"]


async def test_no_fixed_abode_brings_in_the_shelter_and_victims_set_a_housing_condition(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder, categories=["no_fixed_abode"])
    shelter = await Organisation.objects().where(Organisation.kind == "opvang").first()
    participants = await CaseParticipant.select(CaseParticipant.organisation).where(
        CaseParticipant.case == case.id
    )
    assert shelter.id in {row["organisation"] for row in participants}
    assert (await Case.objects().where(Case.id == case.id).first()).housing_requirement == ""

    # A category added later applies its rule then; a condition written by hand stays.
    updated = await service.update_case(
        users.actors["coordinator"],
        case.reference,
        {"categories": ["no_fixed_abode", "victim_proximity"]},
        directory,
        ladder,
    )
    assert "slachtoffers" in updated.values["housing_requirement"]
    other = await new_case(
        users, directory, ladder, categories=["sex_offender"], notes="eigen afspraak"
    )
    await service.update_case(
        users.actors["coordinator"],
        other.reference,
        {"housing_requirement": "Niet in Velsen-Zuid"},
        directory,
        ladder,
    )
    kept = await service.update_case(
        users.actors["coordinator"],
        other.reference,
        {"categories": ["sex_offender", "victim_proximity"]},
        directory,
        ladder,
    )
    assert kept.values["housing_requirement"] == "Niet in Velsen-Zuid"


async def test_a_bij_case_without_notice_warns_the_mayor_and_the_coordinator(
    now_is_start, users, directory, ladder, config
):
    soon = (date(2026, 11, 25) + timedelta(days=30)).isoformat()
    missing = await new_case(users, directory, ladder, release_date=soon)
    noticed = await new_case(
        users, directory, ladder, release_date=soon, bij_notice_date="2026-11-20"
    )
    await sweep_at(config, local(date(2026, 11, 25), 11))
    for username in ("velsen", "coordinator"):
        [alert] = await notifications_for(username, "bij_missing")
        assert missing.reference in alert.text and "geen BIJ-melding" in alert.text
        assert noticed.reference not in alert.text
    assert await notifications_for("haarlem", "bij_missing") == []
    board = await queries.dashboard(users.actors["velsen"], config)
    assert [d.reference for d in board.bij_alerts] == [missing.reference]
    # The regiegroep may not see offence data, so no BIJ panel.
    assert (await queries.dashboard(users.actors["regiegroep"], config)).bij_alerts == []
    await service.update_case(
        users.actors["velsen"],
        missing.reference,
        {"bij_notice_date": "2026-11-25"},
        directory,
        ladder,
    )
    assert (await queries.dashboard(users.actors["velsen"], config)).bij_alerts == []


async def test_a_dashboard_panel_shows_the_ten_most_recent_and_says_there_are_more(
    now_is_start, users, directory, ladder, config, client
):
    start = date(2026, 11, 25) + timedelta(days=20)
    made = [
        await new_case(
            users, directory, ladder, release_date=(start + timedelta(days=n)).isoformat()
        )
        for n in range(queries.PANEL_ROWS + 1)
    ]
    await sweep_at(config, local(date(2026, 11, 25), 11))
    board = await queries.dashboard(users.actors["coordinator"], config)
    # Newest deadline first: the case returning last leads, the first one is left out.
    assert [d.reference for d in board.bij_alerts] == [c.reference for c in made[:0:-1]]
    assert "bij_alerts" in board.more  # (their housing deadlines fill this week's panel too)
    await login(client, "coordinator")
    page = (await client.get("/")).text
    bij_panel = page[page.index('id="kop-bij"') :].split("</section>")[0]
    assert bij_panel.count('<th scope="row">') == queries.PANEL_ROWS
    assert made[0].reference not in bij_panel
    assert "Dit zijn de 10 meest recente; er zijn er meer." in bij_panel
    await service.update_case(
        users.actors["coordinator"],
        made[-1].reference,
        {"bij_notice_date": "2026-11-25"},
        directory,
        ladder,
    )
    board = await queries.dashboard(users.actors["coordinator"], config)
    assert len(board.bij_alerts) == queries.PANEL_ROWS and "bij_alerts" not in board.more
    page = (await client.get("/")).text
    assert "meest recente; er zijn er meer" not in page[page.index('id="kop-bij"') :]


async def test_the_owner_is_warned_two_working_days_before_a_deadline(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    housing = await pending(case.id, "housing_deadline")
    warnings = await deadlines_of(case.id, kind="warning", target=housing.id)
    assert [w.due_at for w in warnings] == [local(date(2026, 12, 14), 0)]  # Monday 00:00
    await sweep_at(config, local(date(2026, 12, 14), 7))
    told = [n for n in await notifications_for("velsen", "warning") if "huisvesting" in n.text]
    assert len(told) == 1 and "verloopt op 16-12-2026 00:00" in told[0].text


async def test_sweeping_twice_acts_once(now_is_start, users, directory, ladder, config):
    cases = [await new_case(users, directory, ladder) for _ in range(3)]
    moment = local(date(2026, 12, 16), 1)
    first = await sweep_at(config, moment)
    counts = (
        await Escalation.count(),
        await Notification.count(),
        await Deadline.count().where(Deadline.state == "pending"),
        await AuditEvent.count(),
    )
    second = await sweep_at(config, moment)
    assert first.escalated == 3 and second.acted == 0 and second.escalated == 0
    assert counts == (
        await Escalation.count(),
        await Notification.count(),
        await Deadline.count().where(Deadline.state == "pending"),
        await AuditEvent.count(),
    )
    assert {(await Case.objects().where(Case.id == c.id).first()).level for c in cases} == {
        "regional"
    }


async def test_after_a_week_of_downtime_every_missed_deadline_acts_once_in_order(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    # Down from Monday 14 to Monday 21 December: the warning (14th), the local housing
    # deadline (16th) and the time box (17th) all fell due meanwhile.
    report = await sweep_at(config, local(date(2026, 12, 21), 9))
    [move] = await escalations_of(case.id)
    assert (move.trigger, move.to_level) == ("housing", "regional")
    states = {(r.kind, r.level): r.state for r in await deadlines_of(case.id)}
    assert states[("housing_deadline", "local")] == "missed"
    assert states[("time_box", "local")] == "cancelled"  # the case had left the level
    assert states[("conference_due", "local")] == "missed"
    assert report.escalated == 1
    # What the warnings and the reminder announced had itself fallen due: they are
    # cancelled, not sent late; the deadlines themselves act and tell.
    local_warnings = await deadlines_of(case.id, kind="warning", level="local")
    assert len(local_warnings) == 3 and {w.state for w in local_warnings} == {"cancelled"}
    assert states[("conference_reminder", "local")] == "cancelled"
    assert await Notification.count().where(Notification.kind.is_in(["warning", "reminder"])) == 0
    assert len(await notifications_for("velsen", "overdue")) == 1
    assert len(await notifications_for("coordinator", "escalated")) == 1
    assert (await sweep_at(config, local(date(2026, 12, 21), 9, 5))).acted == 0


async def test_a_warning_caught_up_before_its_deadline_is_still_sent(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    # No sweep until Tuesday 15 December 9:00: the housing warning (Monday 00:00) is late,
    # but its deadline (Wednesday 00:00) is still ahead, so the owner hears of it. The
    # conference (due 10 December) had fallen due itself: its warning is cancelled.
    await sweep_at(config, local(date(2026, 12, 15), 9))
    texts = [n.text for n in await notifications_for("velsen", "warning")]
    assert [t for t in texts if "huisvesting" in t] == [
        f"Casus {case.reference}: termijn 'huisvesting geregeld' verloopt op 16-12-2026 00:00."
    ]
    assert not [t for t in texts if "casusoverleg" in t]
    conference_warning = await deadlines_of(
        case.id, kind="warning", target=(await deadlines_of(case.id, kind="conference_due"))[0].id
    )
    assert [w.state for w in conference_warning] == ["cancelled"]


async def test_closing_a_case_cancels_its_deadlines(now_is_start, users, directory, ladder, config):
    case = await new_case(users, directory, ladder)
    await service.close_case(
        users.actors["coordinator"], case.reference, "returned_home", "", directory, ladder
    )
    assert {r.state for r in await deadlines_of(case.id)} == {"cancelled"}
    assert (await sweep_at(config, local(date(2027, 2, 1)))).acted == 0


async def test_the_new_owner_sees_the_case_in_the_level_queue(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    await sweep_at(config, local(date(2026, 12, 16), 0))
    regional = await queries.queue(users.actors["coordinator"], "regional", config, directory)
    assert [row.reference for row in regional] == [case.reference]
    assert regional[0].next_due is not None and regional[0].days_left is not None
    local_queue = await queries.queue(users.actors["velsen"], "local", config, directory)
    assert local_queue == []
    event = await AuditEvent.objects().where(AuditEvent.action == "queue.read").first()
    assert case.reference in event.details


async def test_notifications_are_emailed_through_the_outbox_without_personal_data(
    now_is_start, users, directory, ladder, config
):
    import email
    from email import policy

    from casetafel.mail.models import OutboxMessage

    case = await new_case(users, directory, ladder)
    await sweep_at(config, local(date(2026, 12, 16), 0))
    sweep_again = await sweep_at(config, local(date(2026, 12, 16), 0))
    assert sweep_again.acted == 0
    rows = await OutboxMessage.objects().where(
        OutboxMessage.recipient == "coordinator@example.test"
    )
    subjects = [row.subject for row in rows]
    assert f"[casetafel] {case.reference}: opgeschaald" in subjects
    for row in rows:
        message = email.message_from_string(row.content, policy=policy.default)
        assert message["From"].addresses[0].addr_spec == "zvh@kennemerland.example.nl"
        body = message.get_body(("plain",)).get_content()
        assert case.reference in body and f"/casussen/{case.reference}" in body
        for private in ("Testpersoon", "1980", "Zedendelinquent", "sex_offender"):
            assert private not in row.content and private not in body
