from typing import TYPE_CHECKING

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from casetafel.accounts.models import User
from casetafel.cases.models import Case


class Escalation(Table, tablename="escalation"):
    """One move of a case on the ladder, with why it moved.

    direction: "up" or "down" (one level), or "start" (a category's start level, set when
    the case is registered). trigger: "user", or the id of the rule that moved it.
    """

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    case = ForeignKey(references=Case, null=False, index=True)
    at = Timestamptz()
    from_level = Varchar(length=30, null=True, default=None)
    to_level = Varchar(length=30)
    direction = Varchar(length=10)
    trigger = Varchar(length=40)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    obstacle = Varchar(length=40, null=True, default=None)
    note = Varchar(length=1000, default="")


class Deadline(Table, tablename="deadline"):
    """A moment at which a rule acts on a case, unless it is met first.

    kind: housing_deadline, time_box, conference_due, conference_reminder, bij_missing or
    warning. level: the level it belongs to (null for bij_missing, which follows the case).
    entered_at: the start of the level stay it belongs to, so that a later stay at the same
    level gets deadlines of its own. target: for a warning, the deadline it warns of.
    """

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    case = ForeignKey(references=Case, null=False, index=True)
    rule = Varchar(length=40)
    kind = Varchar(length=30)
    level = Varchar(length=30, null=True, default=None)
    entered_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz()
    state = Varchar(length=12, default="pending")
    target = Integer(null=True, default=None)
    created_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)
