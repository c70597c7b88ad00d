from typing import TYPE_CHECKING

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
DEAD = "dead"
STATES = (PENDING, SENDING, SENT, DEAD)


class OutboxMessage(Table, tablename="outbox_message"):
    """One email to one recipient, written in the transaction of the change that causes it.

    The sender claims a row (state 'sending', lease_until, claimed_by), sends `content` as it
    is, and records the outcome. A claim whose lease ran out belongs to a crashed sender and
    may be claimed again.
    """

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    idempotency_key = Varchar(length=255, unique=True)
    kind = Varchar(length=30)
    sender = Varchar(length=254)
    recipient = Varchar(length=254)
    subject = Varchar(length=500)
    message_id = Varchar(length=255)
    # The complete RFC 5322 message with CRLF line ends, ASCII only (parts are encoded).
    content = Text()
    # For whom the queue page shows the row: the coordinator of this region (no foreign key,
    # so that the mail package depends on no domain table).
    region_id = Integer(null=True, default=None)
    created_at = Timestamptz()
    due_at = Timestamptz()
    attempts = Integer(default=0)
    state = Varchar(length=10, default=PENDING)
    lease_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=32, default="")
    last_error = Text(default="")
    last_attempt_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
