"""Indexes of the escalation engine: the sweep's due query costs O(due), not O(cases)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-25T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the sweep, the deadline lists and the notification list"


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
    # The sweep and the lists of what is due: only pending rows, by due time.
    "CREATE INDEX IF NOT EXISTS deadline_pending_due ON deadline (due_at, \"case\")"
    " WHERE state = 'pending'",
    'CREATE INDEX IF NOT EXISTS deadline_case_state ON deadline ("case", state)',
    'CREATE INDEX IF NOT EXISTS escalation_case_at ON escalation ("case", at)',
    'CREATE INDEX IF NOT EXISTS notification_user_created ON notification ("user", created_at)',
]
