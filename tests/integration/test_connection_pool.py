"""A web process keeps a fixed set of connections: a burst of requests waits for them rather than making
PostgreSQL start new backends (db.session.web_sessionmaker)."""

from __future__ import annotations

import asyncio

import psycopg
from sqlalchemy import text

from safeguard.config import Settings
from safeguard.db.engine import psycopg_dsn
from safeguard.db.session import web_sessionmaker
from tests.conftest import DatabaseUnderTest


def _open_backends(db: DatabaseUnderTest) -> set[int]:
    """The application role's connections to the database, now."""
    with psycopg.connect(psycopg_dsn(db.admin_url), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND usename = %s", (db.app_role,)).fetchall()
    return {int(pid) for (pid,) in rows}


async def test_a_burst_beyond_the_pool_waits_for_its_connections_and_opens_no_more(
        fresh_db: DatabaseUnderTest) -> None:
    sessionmaker = web_sessionmaker(fresh_db.app_url, pool_size=2)

    async def request() -> int:
        async with sessionmaker() as db:
            # Each holds its connection a while, so that all twelve want one at once.
            return int((await db.execute(text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))).scalar_one())

    try:
        backends = await asyncio.gather(*(request() for _ in range(12)))
        assert len(backends) == 12  # every request was answered
        assert len(set(backends)) == 2  # by the pool's two connections: no backend was started for the burst
        assert _open_backends(fresh_db) == set(backends)  # and both stay open for the next one
        again = await asyncio.gather(*(request() for _ in range(4)))
        assert set(again) == set(backends)
    finally:
        await sessionmaker.kw["bind"].dispose()


def test_the_pool_size_is_a_setting_with_ten_by_default() -> None:
    assert Settings().safeguard_db_pool_size == 10
    assert Settings(safeguard_db_pool_size=4).safeguard_db_pool_size == 4
