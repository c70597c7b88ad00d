from datetime import timedelta

import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.cases import queries, service
from casetafel.cases.models import Case
from casetafel.errors import ValidationFailed
from tests.conftest import velsen_case


def in_days(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def test_dashboard_counts_windows_and_housing_at_risk(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    soon = await service.create_case(
        coordinator, velsen_case(release_date=in_days(5)), directory, ladder
    )
    housed = await service.create_case(
        coordinator, velsen_case(release_date=in_days(7)), directory, ladder
    )
    await service.update_case(
        coordinator, housed.reference, {"housing_state": "arranged"}, directory, ladder
    )
    await service.create_case(coordinator, velsen_case(release_date=in_days(40)), directory, ladder)
    await service.create_case(coordinator, velsen_case(release_date=in_days(90)), directory, ladder)
    national = await service.create_case(coordinator, velsen_case(), directory, ladder)
    await Case.update({Case.level: "national"}).where(Case.reference == national.reference)
    closed = await service.create_case(
        coordinator, velsen_case(release_date=in_days(3)), directory, ladder
    )
    await service.close_case(coordinator, closed.reference, "other", "", directory, ladder)

    before = await AuditEvent.count()
    board = await queries.dashboard(coordinator, directory, ladder)
    assert board.per_level == {"local": 4, "national": 1}
    assert board.returns_14 == 2
    assert board.returns_60 == 4
    assert [r.reference for r in board.upcoming] == [soon.reference, housed.reference]
    assert [r.reference for r in board.housing_at_risk] == [soon.reference]
    assert board.recent[0].reference == closed.reference
    assert await AuditEvent.count() == before + 1
    event = await AuditEvent.objects().order_by(AuditEvent.seq, ascending=False).first()
    assert event.action == "dashboard.read"


async def test_keyset_pages_visit_every_case_once_in_release_order(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    created = []
    for n in range(23):
        case = await service.create_case(
            coordinator, velsen_case(release_date=in_days(n % 7 + 1)), directory, ladder
        )
        created.append(case.reference)
    await service.create_case(
        coordinator, velsen_case(release_certainty="unknown", release_date=None), directory, ladder
    )
    seen, cursor = [], None
    while True:
        page = await queries.list_cases(
            coordinator, queries.CaseFilters(), directory, ladder, cursor, limit=5
        )
        seen.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 24 and len({r.reference for r in seen}) == 24
    dates = [r.release_date for r in seen[:-1]]
    assert dates == sorted(dates)
    assert seen[-1].release_date is None


async def test_filters(users, directory, ladder):
    coordinator = users.actors["coordinator"]
    velsen = await service.create_case(
        coordinator, velsen_case(release_date=in_days(10)), directory, ladder
    )
    haarlem = await service.create_case(
        coordinator,
        velsen_case(
            home_municipality="GM0392", categories=["no_fixed_abode"], release_date=in_days(50)
        ),
        directory,
        ladder,
    )

    async def refs(**filters):
        page = await queries.list_cases(
            coordinator, queries.CaseFilters(**filters), directory, ladder
        )
        return [r.reference for r in page.rows]

    assert await refs(municipality="GM0392") == [haarlem.reference]
    assert await refs(category="sex_offender") == [velsen.reference]
    assert await refs(release_from=clock.today() + timedelta(days=20)) == [haarlem.reference]
    assert await refs(release_to=clock.today() + timedelta(days=20)) == [velsen.reference]
    assert await refs(level="regional") == []
    assert await refs(reference=haarlem.reference[-4:]) == [haarlem.reference]
    assert await refs(status="closed") == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"level": "galactic"}, "level"),
        ({"municipality": "GM0000"}, "municipality"),
        ({"category": "x"}, "category"),
        ({"status": "half"}, "status"),
    ],
)
async def test_bad_filters_are_refused(users, directory, ladder, filters, field):
    with pytest.raises(ValidationFailed) as failure:
        await queries.list_cases(
            users.actors["coordinator"], queries.CaseFilters(**filters), directory, ladder
        )
    assert field in failure.value.errors


async def test_tampered_cursor_is_refused(users, directory, ladder):
    with pytest.raises(ValidationFailed) as failure:
        await queries.list_cases(
            users.actors["coordinator"], queries.CaseFilters(), directory, ladder, cursor="@@@"
        )
    assert "cursor" in failure.value.errors
