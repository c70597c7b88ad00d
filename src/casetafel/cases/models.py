from typing import TYPE_CHECKING

from piccolo.columns import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from casetafel.accounts.models import User
from casetafel.organisations.models import Municipality, Organisation, Region

# The five basic conditions (basisvoorwaarden); each has a state and a note column on Case.
BASIC_CONDITIONS = ("id_document", "housing", "income", "debts", "care")


class Case(Table, tablename="case_file"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    reference = Varchar(length=20, unique=True)
    region = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict)
    # Subject: optional and sensitive (class "identity"); never in email or the audit log.
    subject_name = Varchar(length=200, null=True, default=None)
    subject_birth_date = Date(null=True, default=None)
    home_municipality = ForeignKey(
        references=Municipality, null=False, on_delete=OnDelete.restrict, index=True
    )
    receiving_municipality = ForeignKey(
        references=Municipality, null=True, on_delete=OnDelete.restrict, index=True
    )
    legal_framework = Varchar(length=30)
    release_date = Date(null=True, default=None)
    # release_date, or 9999-12-31 when unknown: a non-null sort key for keyset pagination.
    release_order = Date()
    release_certainty = Varchar(length=20)
    bij_notice_date = Date(null=True, default=None)
    level = Varchar(length=30)
    # When the case entered its current level: the level's deadlines count from here.
    level_since = Timestamptz()
    status = Varchar(length=20)
    outcome = Varchar(length=30, null=True, default=None)
    process_lead = ForeignKey(references=Organisation, null=True, on_delete=OnDelete.restrict)
    case_lead = ForeignKey(references=Organisation, null=True, on_delete=OnDelete.restrict)
    notes = Text(default="")
    id_document_state = Varchar(length=20, default="unknown")
    id_document_note = Varchar(length=500, default="")
    housing_state = Varchar(length=20, default="unknown")
    housing_note = Varchar(length=500, default="")
    income_state = Varchar(length=20, default="unknown")
    income_note = Varchar(length=500, default="")
    debts_state = Varchar(length=20, default="unknown")
    debts_note = Varchar(length=500, default="")
    care_state = Varchar(length=20, default="unknown")
    care_note = Varchar(length=500, default="")
    # A condition on the housing set by a rule (e.g. away from the victims); empty if none.
    housing_requirement = Varchar(length=300, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    # Raised on every change; a form or API call sending an older version gets 409.
    version = Integer(default=1)
    # The legal bases for sharing that apply (keys of config/access.toml, comma-separated).
    legal_bases = Varchar(length=200, default="")
    # When the retention job removed the personal data (cases/retention.py); null before.
    anonymised_at = Timestamptz(null=True, default=None)


class CaseCategory(Table, tablename="case_category"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    case = ForeignKey(references=Case, null=False)
    category = Varchar(length=40)


class CaseParticipant(Table, tablename="case_participant"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    case = ForeignKey(references=Case, null=False)
    organisation = ForeignKey(references=Organisation, null=False, on_delete=OnDelete.restrict)
    # The basis the organisation takes part on, and its purpose (from config/access.toml),
    # fixed when it joined: the partner sees what that basis opens, and the page says why.
    legal_basis = Varchar(length=30, default="")
    purpose = Varchar(length=300, default="")


class TimelineEvent(Table, tablename="timeline_event"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    case = ForeignKey(references=Case, null=False)
    at = Timestamptz()
    kind = Varchar(length=40)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    # Dutch, for the case page; values of identity fields are never written here.
    summary = Varchar(length=1000)
    details = JSON(default="{}")


class RetentionExtension(Table, tablename="retention_extension"):
    """The privacy officer keeps one closed case's data until a date (inclusive), for a
    reason; the reason is kept here, never in the audit log."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    case = ForeignKey(references=Case, null=False, index=True)
    until = Date()
    reason = Varchar(length=1000)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


class ReferenceCounter(Table, tablename="reference_counter"):
    """Last case number per region and year, for references like KEN-2026-0042."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    region = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict)
    year = Integer()
    last_number = Integer(default=0)
