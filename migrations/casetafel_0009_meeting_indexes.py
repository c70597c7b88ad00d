"""Indexes of the meetings domain: the reminder job and the slot finder ask for series (their
occurrences may fall in any window) apart from single meetings (found by start time)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-25T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for series, attendees, agenda items by occurrence, missed deadlines"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="casetafel", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in INDEXES:
            await engine.run_querystring(QueryString(statement))

    manager.add_raw(create_indexes)
    return manager


INDEXES = [
    # The dashboard's overdue conferences and BIJ alerts: missed deadlines by kind, newest first.
    "CREATE INDEX IF NOT EXISTS deadline_missed_kind_due ON deadline (kind, due_at)"
    " WHERE state = 'missed'",
    "CREATE INDEX IF NOT EXISTS meeting_series_start ON meeting (start_at) WHERE rrule IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS agenda_item_meeting_occurrence ON agenda_item (meeting, occurrence_at)",
    "CREATE INDEX IF NOT EXISTS meeting_attendee_meeting_active ON meeting_attendee (meeting)"
    " WHERE removed_at IS NULL",
]
