"""Database engine from settings, migrations, and the transaction helper every service uses."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from casetafel.settings import Settings

os.environ.setdefault("PICCOLO_CONF", "casetafel.piccolo_conf")

_engine: Engine[Any] | None = None


def make_engine(settings: Settings) -> Engine[Any]:
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)
    url = urlparse(settings.database_url)
    config: dict[str, Any] = {
        "host": url.hostname,
        "port": url.port or 5432,
        "database": url.path.lstrip("/"),
        "user": url.username or "postgres",
    }
    if url.password:
        config["password"] = url.password
    return PostgresEngine(config=config, log_queries=False)


def configure(settings: Settings) -> Engine[Any]:
    """Point Piccolo (tables and migrations) at the database of these settings."""
    global _engine
    import casetafel.piccolo_conf as piccolo_conf
    from casetafel.piccolo_app import TABLES

    engine = make_engine(settings)
    piccolo_conf.DB = engine
    for table in TABLES:
        table._meta.db = engine
    _engine = engine
    return engine


def engine() -> Engine[Any]:
    if _engine is None:
        raise RuntimeError("casetafel.db.configure() has not been called")
    return _engine


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def prepare(settings: Settings) -> None:
    """Per-database settings that must hold before the app serves requests."""
    if isinstance(engine(), SQLiteEngine):
        # WAL lets readers go on while one writer writes; it persists in the file.
        await engine().run_ddl("PRAGMA journal_mode=WAL")


async def start_pool(settings: Settings) -> None:
    current = engine()
    if isinstance(current, PostgresEngine):
        await current.start_connection_pool(
            min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )


async def close_pool() -> None:
    current = engine()
    if isinstance(current, PostgresEngine):
        await current.close_connection_pool()


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A write transaction. On SQLite it is IMMEDIATE so that concurrent writers queue
    on the busy timeout instead of failing with 'database is locked'."""
    current = engine()
    if isinstance(current, SQLiteEngine):
        async with current.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with current.transaction():
            yield


@asynccontextmanager
async def savepoint() -> AsyncIterator[None]:
    """Inside a transaction: undo only this block's writes when it raises."""
    current = engine().current_transaction.get()
    if current is None:
        raise RuntimeError("savepoint() needs an open transaction")
    point = await current.savepoint()
    try:
        yield
    except BaseException:
        await point.rollback_to()
        raise
    await point.release()


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A raw query with {} placeholders, for the few queries the query builder cannot say."""
    rows: list[dict[str, Any]] = await engine().run_querystring(QueryString(sql, *args))
    return rows
