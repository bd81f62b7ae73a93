"""A token records when it was last used, to the minute, without making a burst of requests queue behind the row.

A telephony switch sends many requests at once with one token. When the token's last use is more than a minute
old, whichever request reaches the row first writes it; a request that finds the row locked by another carries
on rather than waiting for that transaction to commit.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.tokens import actor_for_token, create_token
from safeguard.db.engine import make_engine, psycopg_dsn
from tests.conftest import DatabaseUnderTest


def _force(db: DatabaseUnderTest) -> int:
    with psycopg.connect(psycopg_dsn(db.admin_url), autocommit=True) as conn:
        (force_id,) = conn.execute("INSERT INTO force (code, name) VALUES ('TOK', 'Token Police') RETURNING id"
                                   ).fetchone() or (0,)
    return int(force_id)  # type: ignore[call-overload]


async def _force_set(db: AsyncSession) -> tuple[str | None, str | None]:
    row = (await db.execute(text("SELECT current_setting('app.force_id', true), "
                                 "current_setting('app.user_id', true)"))).one()
    return row[0] or None, row[1] or None  # unset and '' both mean none (rls.CURRENT_FORCE)


def _last_used(db: DatabaseUnderTest) -> datetime | None:
    with psycopg.connect(psycopg_dsn(db.admin_url)) as conn:
        (value,) = conn.execute("SELECT last_used_at FROM api_token").fetchone() or (None,)
    return value  # type: ignore[return-value]


async def test_last_use_is_written_once_a_minute_and_a_locked_row_is_not_waited_for(
        fresh_db: DatabaseUnderTest) -> None:
    force_id = _force(fresh_db)
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine) as db, db.begin():
            token = await create_token(db, force_id=force_id, name="switch", scopes=["contacts:write"])
        assert _last_used(fresh_db) is None

        async with AsyncSession(engine) as db, db.begin():
            actor = await actor_for_token(db, token, "127.0.0.1")
            assert actor is not None and actor.force_id == force_id
        first = _last_used(fresh_db)
        assert first is not None and datetime.now(UTC) - first < timedelta(seconds=30)

        async with AsyncSession(engine) as db, db.begin():  # within the minute: not written again
            assert await actor_for_token(db, token, None) is not None
        assert _last_used(fresh_db) == first

        # An hour stale, and another transaction holds the row: the request neither waits nor fails.
        with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as holder:
            holder.execute("UPDATE api_token SET last_used_at = now() - interval '1 hour'")
            holder.commit()
            holder.execute("SELECT 1 FROM api_token FOR UPDATE")
            async with AsyncSession(engine) as db, db.begin():
                actor = await asyncio.wait_for(actor_for_token(db, token, None), timeout=20)
                assert actor is not None
            holder.rollback()
        stale = _last_used(fresh_db)
        assert stale is not None and datetime.now(UTC) - stale > timedelta(minutes=50)

        async with AsyncSession(engine) as db, db.begin():  # the row free again: written
            assert await actor_for_token(db, token, None) is not None
        latest = _last_used(fresh_db)
        assert latest is not None and datetime.now(UTC) - latest < timedelta(seconds=30)
    finally:
        await engine.dispose()


async def test_a_wrong_or_revoked_token_is_refused(fresh_db: DatabaseUnderTest) -> None:
    force_id = _force(fresh_db)
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine) as db, db.begin():
            token = await create_token(db, force_id=force_id, name="switch", scopes=["contacts:write"])
        async with AsyncSession(engine) as db, db.begin():
            assert await actor_for_token(db, token[:-1] + ("A" if token[-1] != "A" else "B"), None) is None
            assert await actor_for_token(db, "sg_nothing_here", None) is None
            assert await _force_set(db) == (None, None)  # a refused token sets no force
        async with AsyncSession(engine) as db, db.begin():
            assert await actor_for_token(db, token, None) is not None
            assert await _force_set(db) == (str(force_id), None)  # the token's own lookup sets its force
        with psycopg.connect(psycopg_dsn(fresh_db.admin_url), autocommit=True) as conn:
            conn.execute("UPDATE api_token SET revoked_at = now(), last_used_at = NULL")
        async with AsyncSession(engine) as db, db.begin():
            assert await actor_for_token(db, token, None) is None
            assert await _force_set(db) == (None, None)  # the last transaction's ended with it; none set now
    finally:
        await engine.dispose()
    assert _last_used(fresh_db) is None
