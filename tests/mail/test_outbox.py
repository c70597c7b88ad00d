"""The outbox: a message is queued in the transaction of the change that causes it."""

from __future__ import annotations

import pytest

from casetafel import db
from casetafel.access.models import AuditEvent
from casetafel.access.policy import Actor
from casetafel.errors import Conflict, Forbidden, NotFound
from casetafel.mail import service
from casetafel.mail.messages import message_id_for
from casetafel.mail.models import OutboxMessage
from casetafel.organisations.models import Region
from tests.mail.conftest import invite_mail, queue_mails


async def test_enqueue_in_a_transaction_that_rolls_back_queues_nothing(clean):
    with pytest.raises(RuntimeError, match="the change failed"):
        async with db.transaction():
            assert await service.enqueue(invite_mail())
            assert await OutboxMessage.count() == 1
            raise RuntimeError("the change failed")
    assert await OutboxMessage.count() == 0


async def test_duplicate_idempotency_key_gives_one_row(clean):
    first = invite_mail()
    async with db.transaction():
        assert await service.enqueue(first) is True
        assert await service.enqueue(invite_mail()) is False
    async with db.transaction():
        assert await service.enqueue(invite_mail()) is False
    rows = await OutboxMessage.select()
    assert len(rows) == 1
    row = rows[0]
    assert row["idempotency_key"] == "meeting-42:2:p.jansen@politie.example:invite"
    assert row["message_id"] == first.message_id == message_id_for(row["idempotency_key"])
    assert row["state"] == "pending" and row["attempts"] == 0
    assert row["content"] == first.content


async def test_enqueue_outside_a_transaction_is_refused(clean):
    with pytest.raises(RuntimeError, match="transaction"):
        await service.enqueue(invite_mail())
    assert await OutboxMessage.count() == 0


@pytest.mark.parametrize(
    "recipient", ["a@example.test, b@example.test", "geen-adres", "a@example.test\r\nBcc: x@y"]
)
async def test_one_recipient_per_message(clean, recipient):
    mail = invite_mail()
    bad = type(mail)(**{**mail.__dict__, "recipient": recipient})
    with pytest.raises(ValueError, match="recipient"):
        async with db.transaction():
            await service.enqueue(bad)
    assert await OutboxMessage.count() == 0


async def _kill(row_id: int, error: str = "550 5.1.1 Onbekende ontvanger") -> None:
    await OutboxMessage.update(
        {OutboxMessage.state: "dead", OutboxMessage.attempts: 3, OutboxMessage.last_error: error}
    ).where(OutboxMessage.id == row_id)


async def _region_id(code: str = "KEN") -> int:
    region = await Region.select(Region.id).where(Region.code == code).first()
    assert region is not None
    return int(region["id"])


async def test_resend_puts_a_dead_message_back_with_the_same_message_id(users):
    region = await _region_id()
    async with db.transaction():
        await service.enqueue(invite_mail(region_id=region))
    row = await OutboxMessage.objects().first()
    await _kill(row.id)
    coordinator: Actor = users.actors["coordinator"]
    problems = await service.problems(coordinator)
    assert [entry.id for entry in problems.dead] == [row.id]

    await service.resend(coordinator, row.id)

    again = await OutboxMessage.objects().where(OutboxMessage.id == row.id).first()
    assert again.state == "pending" and again.attempts == 0 and again.last_error == ""
    assert again.message_id == row.message_id and again.content == row.content
    event = await AuditEvent.objects().where(AuditEvent.action == "mail.resend").first()
    assert event is not None and event.username == "coordinator"
    assert str(row.id) in str(event.details)
    with pytest.raises(Conflict):
        await service.resend(coordinator, row.id)


async def test_only_coordinator_and_functional_admin_see_the_queue(users):
    async with db.transaction():
        await service.enqueue(invite_mail(region_id=await _region_id()))
    row = await OutboxMessage.objects().first()
    await _kill(row.id)
    for username in ("velsen", "politie", "regiegroep", "privacy"):
        with pytest.raises(Forbidden):
            await service.problems(users.actors[username])
        with pytest.raises(Forbidden):
            await service.resend(users.actors[username], row.id)
    assert (await OutboxMessage.objects().first()).state == "dead"
    assert len((await service.problems(users.actors["beheer"])).dead) == 1


async def test_coordinator_sees_only_the_own_region(users):
    async with db.transaction():
        await service.enqueue(invite_mail(region_id=None, key="system-alert"))
    row = await OutboxMessage.objects().first()
    await _kill(row.id)
    coordinator = users.actors["coordinator"]
    assert (await service.problems(coordinator)).dead == []
    with pytest.raises(NotFound):
        await service.resend(coordinator, row.id)
    assert (await service.state_counts(coordinator))["dead"] == 0
    assert (await service.state_counts(users.actors["beheer"]))["dead"] == 1


async def test_state_counts(users):
    await queue_mails(3, region_id=await _region_id())
    row = await OutboxMessage.objects().first()
    await _kill(row.id)
    counts = await service.state_counts(users.actors["coordinator"])
    assert counts == {"pending": 2, "sending": 0, "sent": 0, "dead": 1}
