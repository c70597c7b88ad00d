"""The audit log is append-only in the database too: UPDATE and DELETE on audit_event are
refused by a trigger, on PostgreSQL and on SQLite. The app has no such path; this stops a
mistaken script or a hand-typed statement. (TRUNCATE fires no row trigger: only the known
head that `casetafel audit head` writes away shows a log emptied that way.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

ID = "2026-12-04T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_event: a trigger refuses UPDATE and DELETE"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="casetafel", description=DESCRIPTION)

    async def create_triggers() -> None:
        engine = engine_finder()
        assert engine is not None
        statements = SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES
        for statement in statements:
            await engine.run_querystring(QueryString(statement))

    manager.add_raw(create_triggers)
    return manager


POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP"
    " USING ERRCODE = 'insufficient_privilege';"
    " END $$",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
    " FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
]

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event"
    " BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event"
    " BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
]
