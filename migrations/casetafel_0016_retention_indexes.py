"""Indexes for retention and the subject overview: the retention job walks closed cases not
yet anonymised by closing time (a partial index: the anonymised ones, which grow every year,
are not in it); the privacy officer finds a subject's cases by birth date."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-05T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of closed cases awaiting retention and of subjects by birth date"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS case_file_retention_due ON case_file (closed_at, id)"
    " WHERE status = 'closed' AND anonymised_at IS NULL",
    "CREATE INDEX IF NOT EXISTS case_file_subject_birth_date ON case_file (subject_birth_date)"
    " WHERE subject_birth_date IS NOT NULL",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="casetafel", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_querystring(QueryString(statement))

    manager.add_raw(create_indexes)
    return manager
