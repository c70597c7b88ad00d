import json
from datetime import timedelta

import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.accounts import service
from tests.conftest import PASSWORD


async def test_five_failures_lock_the_account_for_fifteen_minutes(users):
    for _ in range(service.MAX_FAILED_LOGINS):
        assert await service.authenticate("coordinator", "fout-wachtwoord") is None
    with pytest.raises(service.LoginThrottled):
        await service.authenticate("coordinator", PASSWORD)
    failures = await AuditEvent.count().where(AuditEvent.action == "session.login_failed")
    # Five wrong passwords, and the attempt on the locked account (issue 10, defect 5).
    assert failures == service.MAX_FAILED_LOGINS + 1
    last = await AuditEvent.objects().order_by(AuditEvent.seq, ascending=False).first()
    assert (last.action, _details(last)["reason"]) == ("session.login_failed", "locked")
    later = clock.now() + timedelta(minutes=16)
    clock.set_clock(lambda: later)
    assert await service.authenticate("coordinator", PASSWORD) is not None


async def test_a_success_resets_the_count(users):
    for _ in range(service.MAX_FAILED_LOGINS - 1):
        assert await service.authenticate("coordinator", "fout") is None
    assert await service.authenticate("coordinator", PASSWORD) is not None
    for _ in range(service.MAX_FAILED_LOGINS - 1):
        assert await service.authenticate("coordinator", "fout") is None
    assert await service.authenticate("coordinator", PASSWORD) is not None


async def test_unknown_user_is_simply_refused_and_logged(users):
    assert await service.authenticate("Bestaat.Niet", PASSWORD) is None
    event = await AuditEvent.objects().where(AuditEvent.action == "session.login_failed").first()
    assert event is not None, "a login of an unknown account must be audit-logged"
    assert _details(event) == {"username": "bestaat.niet", "reason": "unknown"}


def _details(event: AuditEvent) -> dict[str, object]:
    value = event.details
    return dict(json.loads(value) if isinstance(value, str) else value)
