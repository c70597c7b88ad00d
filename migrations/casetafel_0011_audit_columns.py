"""The audit log names the actor's organisation and the purpose of processing.

Existing events keep both empty, and with them their hash (see `access.audit._content`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_event: organisation and purpose"


def _text(length: int) -> dict[str, object]:
    return {
        "length": length,
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="casetafel", description=DESCRIPTION)
    for name, length in (("organisation", 200), ("purpose", 100)):
        manager.add_column(
            table_class_name="AuditEvent",
            tablename="audit_event",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_text(length),
            schema=None,
        )
    return manager
