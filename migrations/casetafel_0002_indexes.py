"""Composite indexes for the queries the UI makes (Piccolo declares single-column ones only).

Raw statements run before a migration's table operations, so they live in their own migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-24T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes for the case list, dashboard and timeline"


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
    # Case list and dashboard: a region's open cases by release date, keyset on (date, id).
    "CREATE INDEX IF NOT EXISTS case_region_status_release"
    " ON case_file (region, status, release_order, id)",
    "CREATE INDEX IF NOT EXISTS case_region_status_level ON case_file (region, status, level)",
    "CREATE INDEX IF NOT EXISTS case_status_level_release"
    " ON case_file (status, level, release_order, id)",
    "CREATE INDEX IF NOT EXISTS case_region_updated ON case_file (region, updated_at)",
    'CREATE INDEX IF NOT EXISTS case_category_category_case ON case_category (category, "case")',
    'CREATE INDEX IF NOT EXISTS case_category_case ON case_category ("case")',
    "CREATE INDEX IF NOT EXISTS case_participant_org_case"
    ' ON case_participant (organisation, "case")',
    'CREATE INDEX IF NOT EXISTS case_participant_case ON case_participant ("case")',
    'CREATE INDEX IF NOT EXISTS timeline_case_at ON timeline_event ("case", at, id)',
    "CREATE UNIQUE INDEX IF NOT EXISTS reference_counter_region_year"
    " ON reference_counter (region, year)",
]
