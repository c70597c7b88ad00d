from typing import TYPE_CHECKING

from piccolo.columns import JSON, BigInt, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """Append-only, hash-chained record of every read of personal data and every change.

    `seq` is the position in the chain; `hash` covers this row's content and the previous
    row's hash, so an edited, inserted or deleted row breaks the chain from there on.
    Holds no case content: who (user, role, organisation), what (action, and for a change
    only the names of the changed fields), which case, when, on what basis, for what purpose.
    """

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    seq = BigInt(unique=True)
    at = Timestamptz()
    user_id = Integer(null=True, default=None, index=True)
    username = Varchar(length=80)
    role = Varchar(length=30)
    action = Varchar(length=50)
    case_id = Integer(null=True, default=None, index=True)
    case_reference = Varchar(length=20, default="")
    legal_basis = Varchar(length=200, default="")
    organisation = Varchar(length=200, default="")
    purpose = Varchar(length=100, default="")
    request_id = Varchar(length=40, default="")
    details = JSON(default="{}")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
