from typing import TYPE_CHECKING

from piccolo.columns import (
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from casetafel.accounts.models import User
from casetafel.cases.models import Case
from casetafel.organisations.models import Organisation, Person, Region


class Meeting(Table, tablename="meeting"):
    """A case conference, or a standing meeting (a series with an RRULE).

    `uid` and `sequence` are its iCalendar identity: the uid never changes, the sequence
    rises with every change the attendees must hear of. The title never names a subject.
    """

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    uid = Varchar(length=120, unique=True)
    region = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=40)
    level = Varchar(length=30, null=True, default=None)
    title = Varchar(length=200)
    start_at = Timestamptz(index=True)
    end_at = Timestamptz()
    location = Varchar(length=300, default="")
    video_url = Varchar(length=500, default="")
    organizer_email = Varchar(length=254)
    organizer_name = Varchar(length=200)
    status = Varchar(length=20, default="planned")
    sequence = Integer(default=0)
    # A series: e.g. FREQ=WEEKLY;BYDAY=TU, with COUNT or UNTIL; null for a single meeting.
    rrule = Varchar(length=200, null=True, default=None)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)


class Occurrence(Table, tablename="meeting_occurrence"):
    """One occurrence of a series that was moved or cancelled (its RECURRENCE-ID is the
    original start); the other occurrences follow the RRULE."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    meeting = ForeignKey(references=Meeting, null=False, on_delete=OnDelete.cascade, index=True)
    recurrence_id = Timestamptz()
    start_at = Timestamptz()
    end_at = Timestamptz()
    status = Varchar(length=20, default="planned")
    sequence = Integer(default=0)


class Attendee(Table, tablename="meeting_attendee"):
    """A user or a person invited to a meeting, with their answer."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    meeting = ForeignKey(references=Meeting, null=False, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict, index=True)
    person = ForeignKey(references=Person, null=True, on_delete=OnDelete.restrict, index=True)
    email = Varchar(length=254)
    name = Varchar(length=200)
    role = Varchar(length=20)
    partstat = Varchar(length=20, default="needs-action")
    comment = Varchar(length=500, default="")
    responded_at = Timestamptz(null=True, default=None)
    # The DTSTAMP of the last iMIP REPLY applied, so that an older reply does not win.
    reply_stamp = Timestamptz(null=True, default=None)
    removed_at = Timestamptz(null=True, default=None)


class AgendaItem(Table, tablename="agenda_item"):
    """A case on a meeting's agenda, with the question put to the meeting. For a series,
    `occurrence_at` is the original start of the occurrence it is on."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    meeting = ForeignKey(references=Meeting, null=False, on_delete=OnDelete.cascade, index=True)
    occurrence_at = Timestamptz(null=True, default=None)
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.restrict, index=True)
    question = Varchar(length=1000, default="")
    position = Integer(default=1)
    outcome = Varchar(length=1000, default="")
    referred_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


class Decision(Table, tablename="meeting_decision"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    agenda_item = ForeignKey(
        references=AgendaItem, null=False, on_delete=OnDelete.cascade, index=True
    )
    text = Varchar(length=1000)
    decided_at = Timestamptz()
    decided_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)


class Action(Table, tablename="meeting_action"):
    """Who does what by when, agreed at a meeting about a case."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    agenda_item = ForeignKey(
        references=AgendaItem, null=True, on_delete=OnDelete.cascade, index=True
    )
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.restrict, index=True)
    description = Varchar(length=500)
    owner_organisation = ForeignKey(references=Organisation, null=True, on_delete=OnDelete.restrict)
    owner_person = ForeignKey(references=Person, null=True, on_delete=OnDelete.restrict)
    due_date = Date()
    done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)


class FeedToken(Table, tablename="feed_token"):
    """A personal calendar feed (/feeds/<token>.ics) of a user or a person: only the hash
    of the token is stored, so revoking is setting revoked_at."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(references=Person, null=True, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class OccurrenceReply(Table, tablename="occurrence_reply"):
    """An attendee's answer for one occurrence of a series (a REPLY with a RECURRENCE-ID),
    which overrides their answer to the series for that occurrence."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    attendee = ForeignKey(references=Attendee, null=False, on_delete=OnDelete.cascade, index=True)
    recurrence_id = Timestamptz()
    partstat = Varchar(length=20)
    comment = Varchar(length=500, default="")
    responded_at = Timestamptz()
    reply_stamp = Timestamptz(null=True, default=None)
