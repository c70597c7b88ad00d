"""Legal bases for sharing: the bases recorded on a case, and per participating
organisation the basis and purpose it takes part on (config/access.toml)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "legal bases of a case and of each participating organisation"


def _params(length: int) -> dict[str, object]:
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
    for table_class, table, column, length in (
        ("Case", "case_file", "legal_bases", 200),
        ("CaseParticipant", "case_participant", "legal_basis", 30),
        ("CaseParticipant", "case_participant", "purpose", 300),
    ):
        manager.add_column(
            table_class_name=table_class,
            tablename=table,
            column_name=column,
            db_column_name=column,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_params(length),
            schema=None,
        )
    return manager
