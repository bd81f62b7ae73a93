"""The pool checks a connection that has sat idle before handing it out, and replaces it if the server has dropped
it; a connection in steady use is handed out without that extra round trip."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from safeguard.db.engine import make_engine, psycopg_dsn
from tests.conftest import DatabaseUnderTest


async def _backend(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as db:
        return int((await db.execute(text("SELECT pg_backend_pid()"))).scalar_one())


def _terminate(db: DatabaseUnderTest, pid: int) -> None:
    with psycopg.connect(psycopg_dsn(db.admin_url), autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0, ping_after_idle=0)
    try:
        first = await _backend(engine)
        assert await _backend(engine) == first  # the pool hands the same connection out again
        _terminate(fresh_db, first)
        second = await _backend(engine)  # the ping found it gone: a new connection, and no error
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0, ping_after_idle=3600)
    try:
        first = await _backend(engine)
        _terminate(fresh_db, first)
        # Not idle long enough to be checked, so the request that finds the connection gone fails ...
        with pytest.raises(DBAPIError):
            await _backend(engine)
        # ... and the pool is renewed for the next.
        assert await _backend(engine) != first
    finally:
        await engine.dispose()
