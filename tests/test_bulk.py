"""`casetafel demo --cases N`: generated cases that the rest of casetafel can work with."""

from __future__ import annotations

from casetafel import bulk
from casetafel.access import audit
from casetafel.cases import service
from casetafel.cases.models import Case, TimelineEvent
from casetafel.escalation.models import Deadline
from tests.conftest import velsen_case


async def test_generated_cases_are_complete_and_numbered_on(users, settings, directory, ladder):
    await bulk.generate(settings, 400)
    assert await Case.count() == 400
    references = [row["reference"] for row in await Case.select(Case.reference)]
    assert len(set(references)) == 400
    assert all(reference.startswith("KEN-") for reference in references)
    assert {row["level"] for row in await Case.select(Case.level)} <= {
        "local",
        "regional",
        "national",
    }
    assert await TimelineEvent.count() >= 400
    open_cases = await Case.count().where(Case.status == "open")
    assert open_cases > 0
    assert await Deadline.count().where(Deadline.state == "pending") > 0
    assert (await audit.verify()).ok
    # The reference counters were moved on: a new case gets the next free number.
    created = await service.create_case(
        users.actors["coordinator"], velsen_case(), directory, ladder
    )
    assert created.reference not in references
    # A generated case reads like any other.
    sample = await Case.objects().where(Case.status == "open").first()
    view = await service.get_case(users.actors["coordinator"], sample.reference, directory, ladder)
    assert view.reference == sample.reference and view.timeline
