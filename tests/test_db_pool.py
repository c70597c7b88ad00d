"""The PostgreSQL pool hands connections back without asyncpg's reset query (db.start_pool):
that is safe only while nothing sets session state. These pin what it relies on."""

from __future__ import annotations

import pytest

from casetafel import db


async def test_a_transaction_local_setting_does_not_outlive_its_transaction(clean) -> None:
    if db.is_sqlite():
        pytest.skip("PostgreSQL pool only")
    await db.fetch_top("SELECT 1 AS x ORDER BY 1 LIMIT 1")
    for _ in range(8):  # several pooled connections
        shown = await db.fetch("SHOW enable_sort")
        assert shown[0]["enable_sort"] == "on"


async def test_a_transaction_left_open_by_an_error_is_rolled_back(clean) -> None:
    if db.is_sqlite():
        pytest.skip("PostgreSQL pool only")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.fetch("SELECT pg_advisory_xact_lock(4242)")
            raise RuntimeError("boom")
    held = await db.fetch(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
    )
    assert held[0]["n"] == 0
