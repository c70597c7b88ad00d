"""Database engine from settings, migrations, and the transaction helper every service uses."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from casetafel.settings import Settings

os.environ.setdefault("PICCOLO_CONF", "casetafel.piccolo_conf")

_engine: Engine[Any] | None = None


class SharedConnectionSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection, and a thread, for every statement outside
    a transaction and for every transaction: 2-7 ms each, most of a page's time (and of the
    audit event every read writes). This one keeps one autocommit connection per event loop
    for the statements outside transactions, one at a time, and hands each transaction an
    idle connection of its own (opened when none is idle), so that concurrent transactions
    still take their IMMEDIATE locks on separate connections."""

    MAX_IDLE = 4

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self._shared: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Lock, list[aiosqlite.Connection]]
        ] = weakref.WeakKeyDictionary()
        self._idle: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[aiosqlite.Connection]
        ] = weakref.WeakKeyDictionary()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _ReusingTransaction(self, transaction_type, allow_nested)

    async def take_connection(self) -> aiosqlite.Connection:
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        return idle.pop() if idle else await self._connect()

    async def give_back(self, connection: aiosqlite.Connection, healthy: bool) -> None:
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        if healthy and len(idle) < self.MAX_IDLE:
            idle.append(connection)
        else:
            await connection.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        lock, holder = self._shared.setdefault(asyncio.get_running_loop(), (asyncio.Lock(), []))
        async with lock:
            if not holder:
                holder.append(await self._connect())
            # One hop to aiosqlite's thread instead of three (execute, fetch, close).
            return await holder[0].execute_fetchall(query, args or [])

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        """A statement in a transaction: Piccolo sets the foreign-key pragma again before
        each one, an extra hop to the connection's thread; ours are set when opened."""
        return await connection.execute_fetchall(query, args or [])

    async def _connect(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**{**self.connection_kwargs, "isolation_level": None})
        # aiosqlite's worker thread is not a daemon: one left open would hang the exit.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        # In WAL mode NORMAL syncs at checkpoints instead of at every commit: a crash of
        # the process loses nothing committed; a power loss may lose the last commits, and
        # the database stays consistent (SQLite is the single-instance embedded default).
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def close_shared(self) -> None:
        entry = self._shared.pop(asyncio.get_running_loop(), None)
        if entry:
            lock, holder = entry
            async with lock:
                for connection in holder:
                    await connection.close()
        for connection in self._idle.pop(asyncio.get_running_loop(), []):
            await connection.close()


class _ReusingTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, on a connection taken from the engine and given back
    afterwards instead of closed (closed when the transaction could not end cleanly)."""

    engine: SharedConnectionSQLiteEngine

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.engine.take_connection()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        healthy = True
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
        except BaseException:
            healthy = False
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.give_back(
                self.connection, healthy and not self.connection.in_transaction
            )
        return exception is None


def make_engine(settings: Settings) -> Engine[Any]:
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SharedConnectionSQLiteEngine(path=str(settings.sqlite_path), timeout=30)
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
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            reset=_keep_session,
        )


async def _keep_session(connection: object) -> None:
    """asyncpg resets a connection it takes back with one more round trip (advisory locks,
    cursors, LISTEN, session settings): 0.3 of the 0.7 ms of every statement outside a
    transaction. casetafel keeps no such state (its locks and settings are transaction-
    local), and asyncpg still rolls back a transaction left open, so nothing is reset."""


async def close_pool() -> None:
    current = engine()
    if isinstance(current, PostgresEngine):
        await current.close_connection_pool()
    if isinstance(current, SharedConnectionSQLiteEngine):
        await current.close_shared()


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


async def fetch_top(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A top-N query (ORDER BY ... LIMIT n) whose order an index gives, over a join.

    PostgreSQL misjudges how many joined rows pass filters that compare columns of both
    tables (a deadline's level and entry time against its case's): it expects almost none,
    so it fetches and sorts every candidate (50 ms at 300,000 cases) instead of walking the
    index until n rows passed (1 ms). Without sorting allowed, it walks.
    """
    if is_sqlite():
        return await fetch(sql, *args)
    async with transaction():
        await fetch("SET LOCAL enable_sort = off")
        return await fetch(sql, *args)
