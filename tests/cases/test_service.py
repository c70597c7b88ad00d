from datetime import date, timedelta

import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.access.policy import Sensitivity
from casetafel.cases import service, timeline
from casetafel.cases.models import Case, TimelineEvent
from casetafel.errors import Conflict, NotFound, ValidationFailed
from tests.conftest import velsen_case


async def test_register_a_sex_offender_returning_to_velsen(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    year = clock.today().year
    assert case.reference == f"KEN-{year}-0001"
    assert case.level == "local"
    assert case.status == "open"
    assert case.values["home_municipality"] == "GM0453"
    assert case.values["release_date"] == clock.today() + timedelta(days=40)
    assert case.values["housing_state"] == "unknown"
    assert [e.kind for e in case.timeline] == ["created"]
    second = await service.create_case(coordinator, velsen_case(), directory, ladder)
    assert second.reference == f"KEN-{year}-0002"


async def test_update_records_old_and_new_in_timeline_and_field_names_in_audit(
    users, directory, ladder
):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    new_date = clock.today() + timedelta(days=20)
    updated = await service.update_case(
        coordinator,
        case.reference,
        {
            "release_date": new_date.isoformat(),
            "housing_state": "arranged",
            "subject_name": "Andere Naam",
        },
        directory,
        ladder,
        expected_version=case.version,
    )
    assert updated.version == case.version + 1
    assert updated.values["release_date"] == new_date
    latest = updated.timeline[0]
    assert latest.kind == "updated"
    assert any(line.startswith("Datum terugkeer:") for line in latest.lines)
    assert "Naam betrokkene gewijzigd" in latest.lines
    event = await AuditEvent.objects().where(AuditEvent.action == "case.update").first()
    assert event is not None
    # The audit log names the changed fields, never their values.
    text = str(event.details)
    assert text == '{"fields":["subject_name","release_date","housing_state"]}'
    # The subject's name never reaches the audit log or the timeline.
    assert "Andere Naam" not in text and "Testpersoon" not in text
    for row in await TimelineEvent.select(TimelineEvent.details, TimelineEvent.summary):
        assert "Andere Naam" not in str(row) and "Testpersoon" not in str(row)


async def test_stale_version_is_a_conflict_and_changes_nothing(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    await service.update_case(
        coordinator, case.reference, {"notes": "eerste"}, directory, ladder, case.version
    )
    with pytest.raises(Conflict):
        await service.update_case(
            coordinator, case.reference, {"notes": "tweede"}, directory, ladder, case.version
        )
    row = await Case.objects().where(Case.reference == case.reference).first()
    assert row.notes == "eerste"


async def test_closed_case_cannot_be_changed(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    closed = await service.close_case(
        coordinator, case.reference, "returned_home", "woning geregeld", directory, ladder
    )
    assert closed.status == "closed" and closed.outcome == "returned_home"
    assert closed.closed_at is not None
    with pytest.raises(Conflict):
        await service.update_case(coordinator, case.reference, {"notes": "x"}, directory, ladder)
    with pytest.raises(Conflict):
        await service.close_case(coordinator, case.reference, "other", "", directory, ladder)


async def test_case_released_long_ago_stays_editable(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(
        coordinator, velsen_case(release_date=clock.today().isoformat()), directory, ladder
    )
    later = clock.now() + timedelta(days=200)
    clock.set_clock(lambda: later)
    try:
        ticked = await service.update_case(
            coordinator, case.reference, {"housing_state": "arranged"}, directory, ladder
        )
        assert ticked.values["housing_state"] == "arranged"
        # A newly typed date that old is still refused.
        with pytest.raises(ValidationFailed) as failure:
            await service.update_case(
                coordinator,
                case.reference,
                {"release_date": (clock.today() - timedelta(days=120)).isoformat()},
                directory,
                ladder,
            )
        assert "release_date" in failure.value.errors
    finally:
        clock.set_clock(None)


async def test_closing_note_is_casework_not_a_summary(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    note = "n" * 1000
    closed = await service.close_case(
        coordinator, case.reference, "returned_home", note, directory, ladder
    )
    assert note in closed.timeline[0].lines
    row = await TimelineEvent.objects().where(TimelineEvent.kind == "closed").first()
    assert note not in row.summary
    process_only = await timeline.entries(row.case, frozenset({Sensitivity.PROCESS}), directory)
    assert all(note not in entry.lines for entry in process_only)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"home_municipality": "GM9999"}, "home_municipality"),
        ({"home_municipality": ""}, "home_municipality"),
        ({"categories": []}, "categories"),
        ({"categories": ["unknown_kind"]}, "categories"),
        ({"release_date": "2001-01-01"}, "release_date"),
        ({"release_date": None}, "release_date"),
        ({"release_date": "31-02-2026"}, "release_date"),
        ({"subject_name": "x" * 201}, "subject_name"),
        ({"subject_birth_date": "2999-01-01"}, "subject_birth_date"),
        ({"legal_framework": "martial_law"}, "legal_framework"),
        ({"participants": ["nobody"]}, "participants"),
        ({"bij_notice_date": (date.today() + timedelta(days=5)).isoformat()}, "bij_notice_date"),
        ({"notes": "x" * 4001}, "notes"),
        ({"categories": "sex_offender", "subject_name": 12}, "subject_name"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    users, directory, ladder, overrides, field
):
    with pytest.raises(ValidationFailed) as failure:
        await service.create_case(
            users.actors["coordinator"], velsen_case(**overrides), directory, ladder
        )
    assert field in failure.value.errors
    assert await Case.count() == 0


async def test_immediate_release_without_date_means_today(users, directory, ladder):
    case = await service.create_case(
        users.actors["coordinator"],
        velsen_case(
            release_certainty="immediate", release_date=None, categories=["sudden_tbs_end"]
        ),
        directory,
        ladder,
    )
    assert case.values["release_date"] == clock.today()


async def test_unknown_reference_is_not_found(users, directory, ladder):
    with pytest.raises(NotFound):
        await service.get_case(users.actors["coordinator"], "KEN-2026-9999", directory, ladder)


async def test_coordinator_cannot_register_outside_region(users, directory, ladder):
    # Amsterdam belongs to the second region of the tests (tests/support/regions).
    with pytest.raises(ValidationFailed) as failure:
        await service.create_case(
            users.actors["coordinator"], velsen_case(home_municipality="GM0363"), directory, ladder
        )
    assert "andere regio" in str(failure.value.errors) or "uw regio" in str(failure.value.errors)


async def test_municipality_registers_only_its_own_returns(users, directory, ladder):
    velsen = users.actors["velsen"]
    own = await service.create_case(velsen, velsen_case(), directory, ladder)
    assert own.values["home_municipality"] == "GM0453"
    with pytest.raises(ValidationFailed) as failure:
        await service.create_case(
            velsen, velsen_case(home_municipality="GM0392"), directory, ladder
        )
    assert "home_municipality" in failure.value.errors
