"""The case list of a partner or a municipality (no region in its scope): without this index
SQLite read every open case of a level and sorted (26 ms for the police at 300,000 cases);
with it, it walks the open cases in release order and stops at the page's end (0.1 ms)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-04T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of cases by status and release order"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="casetafel", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_querystring(
            QueryString(
                "CREATE INDEX IF NOT EXISTS case_status_release"
                " ON case_file (status, release_order, id)"
            )
        )

    manager.add_raw(create_index)
    return manager
