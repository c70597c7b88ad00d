from typing import TYPE_CHECKING

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from casetafel.accounts.models import User


class Notification(Table, tablename="notification"):
    """An alert, warning or reminder for one user. The text names the case by its reference
    and never holds personal data of the subject. `key` makes sending idempotent."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=160, unique=True)
    kind = Varchar(length=30)
    case_id = Integer(null=True, default=None)
    case_reference = Varchar(length=20, default="")
    text = Varchar(length=500)
    link = Varchar(length=200, default="")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
