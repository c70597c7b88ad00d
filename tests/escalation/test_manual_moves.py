"""Escalating and de-escalating by hand: one level at a time, with an obstacle; who may do
it; and every bad input answered with a clear 4xx, nothing changed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from casetafel.access.models import AuditEvent
from casetafel.cases import service
from casetafel.cases.models import Case
from casetafel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from casetafel.escalation import moves
from casetafel.escalation.models import Escalation
from tests.conftest import csrf, login, velsen_case
from tests.escalation.conftest import escalations_of, notifications_for


async def move(actor, reference, config, directory, to, obstacle="no_housing_offered", **kw):  # type: ignore[no-untyped-def]
    await moves.escalate(
        actor,
        reference,
        to_level=to,
        obstacle=obstacle,
        note=kw.get("note", ""),
        expected_version=kw.get("version"),
        config=config,
        directory=directory,
    )


@pytest.fixture
async def case(now_is_start, users, directory, ladder):  # type: ignore[no-untyped-def]
    return await service.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)


async def test_escalate_and_deescalate_one_level_with_a_reason(case, users, directory, config):
    coordinator = users.actors["coordinator"]
    await move(coordinator, case.reference, config, directory, "regional", note="Geen plek.")
    await move(coordinator, case.reference, config, directory, "national", "no_care_bed")
    await move(
        users.actors["regiegroep"],
        case.reference,
        config,
        directory,
        "regional",
        "other",
        note="Terug naar de regio: er is een bed.",
    )
    history = await escalations_of(case.id)
    assert [(e.from_level, e.to_level, e.direction) for e in history] == [
        ("local", "regional", "up"),
        ("regional", "national", "up"),
        ("national", "regional", "down"),
    ]
    assert [e.obstacle for e in history] == ["no_housing_offered", "no_care_bed", "other"]
    assert all(e.trigger == "user" and e.actor for e in history)
    # The regiegroep heard of the national escalation; the coordinator of the way back.
    assert len(await notifications_for("regiegroep", "escalated")) == 1
    assert len(await notifications_for("coordinator", "deescalated")) == 1
    actions = [
        row["action"]
        for row in await AuditEvent.select(AuditEvent.action).where(
            AuditEvent.action.is_in(["case.escalate", "case.deescalate"])
        )
    ]
    assert actions == ["case.escalate", "case.escalate", "case.deescalate"]


@pytest.mark.parametrize(
    ("setup", "to", "obstacle", "note", "error", "field"),
    [
        ([], "national", "no_housing_offered", "", ValidationFailed, "to"),
        ([], "local", "no_housing_offered", "", Conflict, None),
        ([], "regional", "bad_weather", "", ValidationFailed, "obstacle"),
        ([], "regional", "other", "", ValidationFailed, "note"),
        ([], "regional", "other", "x" * 1001, ValidationFailed, "note"),
        ([], "mars", "no_housing_offered", "", ValidationFailed, "to"),
        (["regional", "national"], "national", "no_housing_offered", "", Conflict, None),
    ],
)
async def test_bad_moves_are_refused_and_change_nothing(
    case, users, directory, config, setup, to, obstacle, note, error, field
):
    coordinator = users.actors["coordinator"]
    for level in setup:
        await move(coordinator, case.reference, config, directory, level)
    before = (await Case.objects().where(Case.id == case.id).first()).version
    with pytest.raises(error) as failure:
        await move(coordinator, case.reference, config, directory, to, obstacle, note=note)
    if field:
        assert field in failure.value.errors
    assert (await Case.objects().where(Case.id == case.id).first()).version == before
    assert len(await escalations_of(case.id)) == len(setup)


async def test_below_the_bottom_past_the_top_and_closed_cases_are_conflicts(
    case, users, directory, ladder, config
):
    coordinator = users.actors["coordinator"]
    with pytest.raises(Conflict, match="staat al op niveau"):
        await move(coordinator, case.reference, config, directory, "local")
    await service.close_case(coordinator, case.reference, "other", "", directory, ladder)
    with pytest.raises(Conflict, match="afgesloten"):
        await move(coordinator, case.reference, config, directory, "regional")


async def test_a_stale_version_is_a_conflict(case, users, directory, config):
    coordinator = users.actors["coordinator"]
    await move(coordinator, case.reference, config, directory, "regional", version=case.version)
    with pytest.raises(Conflict, match="intussen verplaatst"):
        await move(coordinator, case.reference, config, directory, "national", version=case.version)


async def test_who_may_move_what(case, users, directory, config):
    with pytest.raises(Forbidden):
        await move(users.actors["politie"], case.reference, config, directory, "regional")
    with pytest.raises(NotFound):  # the housing corporation does not take part: 404
        await move(users.actors["woning"], case.reference, config, directory, "regional")
    with pytest.raises(NotFound):
        await move(users.actors["haarlem"], case.reference, config, directory, "regional")
    # The municipality escalates from its own table, not further.
    await move(users.actors["velsen"], case.reference, config, directory, "regional")
    with pytest.raises(Forbidden):
        await move(users.actors["velsen"], case.reference, config, directory, "national")
    with pytest.raises(Forbidden):
        await move(users.actors["velsen"], case.reference, config, directory, "local")
    await move(users.actors["coordinator"], case.reference, config, directory, "national")
    await move(users.actors["regiegroep"], case.reference, config, directory, "regional")
    assert len(await escalations_of(case.id)) == 3


async def test_progress_cannot_be_recorded_in_the_future_or_before_the_level(
    case, users, directory, config
):
    for held_on, field in [(date(2026, 12, 1), "held_on"), (date(2026, 11, 1), "held_on")]:
        with pytest.raises(ValidationFailed) as failure:
            await moves.record_progress(
                users.actors["coordinator"],
                case.reference,
                held_on=held_on,
                decision="",
                expected_version=None,
                config=config,
                directory=directory,
            )
        assert field in failure.value.errors
    with pytest.raises(Forbidden):
        await moves.record_progress(
            users.actors["politie"],
            case.reference,
            held_on=date(2026, 11, 25),
            decision="",
            expected_version=None,
            config=config,
            directory=directory,
        )


async def test_the_case_page_escalates_with_dutch_messages_and_shows_the_history(
    case, users, client
):
    await login(client, "coordinator")
    page = await client.get(f"/casussen/{case.reference}")
    assert "Escalatieladder" in page.text and "Opschalen naar Zorg- en Veiligheidshuis" in page.text
    form = {"to": "regional", "obstacle": "", "note": "mijn toelichting", "version": "1"}
    refused = await client.post(
        f"/casussen/{case.reference}/niveau", data={**form, "_csrf_token": csrf(client)}
    )
    assert refused.status_code == 422
    assert "Kies een belemmering uit de lijst." in refused.text
    assert (
        "mijn toelichting" in refused.text
        and '<details class="ct-disclosure" open>' in refused.text
    )
    done = await client.post(
        f"/casussen/{case.reference}/niveau",
        data={**form, "obstacle": "municipality_refuses", "_csrf_token": csrf(client)},
    )
    assert done.status_code == 302
    page = await client.get(f"/casussen/{case.reference}")
    assert "Gemeente weigert medewerking" in page.text and "mijn toelichting" in page.text
    stale = await client.post(
        f"/casussen/{case.reference}/niveau",
        data={**form, "to": "national", "obstacle": "other", "_csrf_token": csrf(client)},
    )
    assert stale.status_code == 409 and "intussen verplaatst" in stale.text
    queue = await client.get("/wachtrij/regional")
    assert case.reference in queue.text
    assert (await client.get("/wachtrij/galactic")).status_code == 404


def section_alert(html: str) -> str:
    """The text of the alert at the top of the escalation section ('' when there is none)."""
    section = html.split('<h2 id="kop-ladder">Escalatieladder</h2>', 1)[1]
    match = re.match(r'\s*<div class="ct-alert ct-alert--error" role="alert">(.*?)</div>', section)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


async def test_a_form_posted_twice_says_why_it_was_refused(case, users, client):
    await login(client, "coordinator")
    form = {"to": "regional", "obstacle": "no_care_bed", "note": "", "version": str(case.version)}
    path = f"/casussen/{case.reference}/niveau"
    first = await client.post(path, data={**form, "_csrf_token": csrf(client)})
    assert first.status_code == 302
    version = (await Case.objects().where(Case.id == case.id).first()).version
    # The same form again (a second click, or the back button): the case has moved, and the
    # "local -> regional" form is not on the page any more; the message is.
    again = await client.post(path, data={**form, "_csrf_token": csrf(client)})
    assert again.status_code == 409
    assert "Deze casus is intussen verplaatst of gewijzigd." in section_alert(again.text)
    assert (await Case.objects().where(Case.id == case.id).first()).version == version
    assert len(await escalations_of(case.id)) == 1
    # Errors of a form that is not on the page show there too.
    junk = await client.post(
        path, data={**form, "to": "mars", "version": str(version), "_csrf_token": csrf(client)}
    )
    assert junk.status_code == 422
    assert section_alert(junk.text) == "Kies een niveau van de ladder."
    # A page without a failed form has no alert.
    assert section_alert((await client.get(f"/casussen/{case.reference}")).text) == ""


async def test_escalating_a_closed_case_through_the_web_form_says_why(
    case, users, directory, ladder, client
):
    await service.close_case(
        users.actors["coordinator"], case.reference, "returned_home", "", directory, ladder
    )
    closed = await Case.objects().where(Case.id == case.id).first()
    await login(client, "coordinator")
    page = await client.get(f"/casussen/{case.reference}")
    assert "Opschalen naar" not in page.text  # no form to escalate with
    refused = await client.post(
        f"/casussen/{case.reference}/niveau",
        data={
            "to": "regional",
            "obstacle": "no_care_bed",
            "version": str(closed.version),
            "_csrf_token": csrf(client),
        },
    )
    assert refused.status_code == 409
    assert section_alert(refused.text) == (
        "Deze casus is afgesloten en kan niet meer worden op- of afgeschaald."
    )
    progress = await client.post(
        f"/casussen/{case.reference}/overleg",
        data={"held_on": "2026-11-25", "version": str(closed.version), "_csrf_token": csrf(client)},
    )
    assert progress.status_code == 409
    assert section_alert(progress.text) == "Deze casus is afgesloten."
    after = await Case.objects().where(Case.id == case.id).first()
    assert (after.level, after.version, after.status) == ("local", closed.version, "closed")
    assert await escalations_of(case.id) == []


async def test_the_regiegroep_sees_why_but_not_the_notes(case, users, directory, config, client):
    coordinator = users.actors["coordinator"]
    await move(coordinator, case.reference, config, directory, "regional", note="Naam: Jan")
    await move(coordinator, case.reference, config, directory, "national", note="Naam: Jan")
    headers = await users.api_headers("regiegroep")
    history = (
        await client.get(f"/api/v1/cases/{case.reference}/escalations", headers=headers)
    ).json()
    assert [h["obstacle"] for h in history] == ["no_housing_offered", "no_housing_offered"]
    assert all(h["note"] is None for h in history)
    await login(client, "regiegroep")
    page = await client.get(f"/casussen/{case.reference}")
    assert page.status_code == 200 and "Naam: Jan" not in page.text
    assert "Geen huisvesting aangeboden" in page.text


async def test_the_api_moves_lists_and_refuses(case, users, client):
    headers = await users.api_headers("coordinator")
    path = f"/api/v1/cases/{case.reference}/escalations"
    created = await client.post(
        path, json={"to": "regional", "obstacle": "no_information"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()[0]["to_level"] == "regional"
    for body, status, field in [
        ({"to": "national", "obstacle": "nope"}, 422, "obstacle"),
        ({"to": "regional", "obstacle": "other", "note": "x"}, 409, None),
        ({"to": "national"}, 400, "obstacle"),
        ({"to": "national", "obstacle": "other", "note": "x", "version": 1}, 409, None),
    ]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        if field:
            assert field in response.json()["errors"]
    assert await Escalation.count() == 1
    missing = await client.post(
        "/api/v1/cases/KEN-2026-9999/escalations",
        json={"to": "regional", "obstacle": "other", "note": "x"},
        headers=headers,
    )
    assert missing.status_code == 404

    due = await client.get(
        "/api/v1/deadlines", params={"due_before": "2027-06-01T00:00:00+02:00"}, headers=headers
    )
    assert due.status_code == 200
    kinds = {(d["reference"], d["kind"]) for d in due.json()}
    assert (case.reference, "conference_due") in kinds
    naive = await client.get(
        "/api/v1/deadlines", params={"due_before": "2027-06-01T00:00:00"}, headers=headers
    )
    assert naive.status_code == 422 and "due_before" in naive.json()["errors"]
    bad = await client.get("/api/v1/deadlines", params={"due_before": "morgen"}, headers=headers)
    assert bad.status_code == 400


async def test_the_deadline_api_leaves_out_later_deadlines_and_counts_working_days(
    now_is_start, users, directory, ladder, client
):
    # Wednesday 25 November 2026, 10:00; release Friday 15 January 2027.
    case = await service.create_case(
        users.actors["coordinator"], velsen_case(release_date="2027-01-15"), directory, ladder
    )
    headers = await users.api_headers("coordinator")

    async def due_before(moment: str) -> list[tuple[str, str, int]]:
        response = await client.get(
            "/api/v1/deadlines", params={"due_before": moment}, headers=headers
        )
        assert response.status_code == 200, response.text
        assert {row["reference"] for row in response.json()} <= {case.reference}
        return [(r["kind"], r["due_at"], r["working_days_left"]) for r in response.json()]

    # The housing deadline is due at 16 December 00:00 exactly: "before" leaves it out,
    # and the time box (17 December) too.
    assert await due_before("2026-12-16T00:00:00+01:00") == [
        ("bij_missing", "2026-11-15T23:00:00Z", -8),  # 8 working days late
        ("conference_due", "2026-12-09T23:00:00Z", 10),  # the end of Wednesday 9 December
    ]
    assert (await due_before("2026-12-16T00:00:01+01:00"))[2:] == [
        ("housing_deadline", "2026-12-15T23:00:00Z", 14)  # the last day is Tuesday 15th
    ]
    assert [kind for kind, _, _ in await due_before("2026-12-18T00:00:00+01:00")] == [
        "bij_missing",
        "conference_due",
        "housing_deadline",
        "time_box",
    ]
    assert await due_before("2026-11-16T00:00:00+01:00") == []
