"""Fixtures of the participants' registry tests: an organisation of a second region, and
helpers to read the audit events a step adds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from casetafel.access.models import AuditEvent
from casetafel.organisations.models import Organisation, Person, Region
from tests.e2e.conftest import browser_page, live_server, server_env  # noqa: F401  (browser test)


@pytest.fixture
async def other_region_organisation(clean: None) -> AsyncIterator[Organisation]:
    """Police of a region the demo does not have; removed again after the test, since the
    suite keeps master data between tests."""
    region = Region(
        code="ZZT",
        name="Zuid-Testland",
        zvh_name="ZVH Zuid-Testland",
        mailbox="zvh@zuid-testland.example.nl",
    )
    await region.save()
    organisation = Organisation(
        key="politie-zuid-testland",
        name="Politie Zuid-Testland",
        kind="politie",
        region=region.id,
        municipality=None,
        national=False,
    )
    await organisation.save()
    yield organisation
    await Person.delete().where(Person.organisation == organisation.id)
    await Organisation.delete().where(Organisation.id == organisation.id)
    await Region.delete().where(Region.id == region.id)


async def last_seq() -> int:
    row = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(row["seq"]) if row else 0


async def actions_after(seq: int) -> list[str]:
    rows = (
        await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.seq > seq)
        .order_by(AuditEvent.seq)
    )
    return [row["action"] for row in rows]
