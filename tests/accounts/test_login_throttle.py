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
    assert failures == service.MAX_FAILED_LOGINS
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


async def test_unknown_user_is_simply_refused(users):
    assert await service.authenticate("bestaat.niet", PASSWORD) is None
