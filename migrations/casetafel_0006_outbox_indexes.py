"""The outbox sender's index: it looks for rows by state and due time.

Raw statements run before a migration's table operations, so this follows the table's own
migration (casetafel_0005_outbox).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-25T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox index for the sender's claim (state, due_at)"


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
    # The claim: pending rows by due time, and 'sending' rows (expired leases) by state.
    "CREATE INDEX IF NOT EXISTS outbox_state_due ON outbox_message (state, due_at, id)",
]
