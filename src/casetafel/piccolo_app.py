"""The one Piccolo app of casetafel; its migrations live in the repository's migrations/."""

import os
from pathlib import Path

from piccolo.conf.apps import AppConfig

from casetafel.access.models import AuditEvent
from casetafel.accounts.models import ApiToken, User, UserSession
from casetafel.cases.models import (
    Case,
    CaseCategory,
    CaseParticipant,
    ReferenceCounter,
    RetentionExtension,
    TimelineEvent,
)
from casetafel.escalation.models import Deadline, Escalation
from casetafel.mail.models import OutboxMessage
from casetafel.meetings.models import (
    Action,
    AgendaItem,
    Attendee,
    Decision,
    FeedToken,
    Meeting,
    Occurrence,
    OccurrenceReply,
)
from casetafel.notifications.models import Notification
from casetafel.organisations.models import Municipality, Organisation, Person, Region


def migrations_folder() -> Path:
    explicit = os.environ.get("CASETAFEL_MIGRATIONS_DIR")
    if explicit:
        return Path(explicit)
    return Path(__file__).resolve().parents[2] / "migrations"


TABLES = [
    Region,
    Municipality,
    Organisation,
    Person,
    User,
    UserSession,
    ApiToken,
    Case,
    CaseCategory,
    CaseParticipant,
    TimelineEvent,
    ReferenceCounter,
    RetentionExtension,
    AuditEvent,
    OutboxMessage,
    Escalation,
    Deadline,
    Notification,
    Meeting,
    Occurrence,
    Attendee,
    OccurrenceReply,
    AgendaItem,
    Decision,
    Action,
    FeedToken,
]

APP_CONFIG = AppConfig(
    app_name="casetafel",
    migrations_folder_path=str(migrations_folder()),
    table_classes=TABLES,
)
