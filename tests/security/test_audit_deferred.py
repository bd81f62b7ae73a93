"""A session that asks for it (`defer_until_commit`, as contact intake does) writes its audit events when its
transaction commits, in one statement, so that the chain head's lock is held only for the commit. Waiting must
lose nothing, duplicate nothing and reorder nothing: a commit writes every event in the order recorded, a
rollback (of the transaction or of the savepoint they were recorded in) drops them with the rest, and the
transaction sees its own events whenever it reads the trail. `record_reads` writes many reads in one statement.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.audit.service import commit as audit_commit
from safeguard.audit.service import defer_until_commit, record, record_reads, who_viewed
from safeguard.audit.verify import verify_chain
from safeguard.auth.actor import Actor
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from tests.conftest import DatabaseUnderTest


def _add_force(db: DatabaseUnderTest, code: str) -> int:
    with psycopg.connect(psycopg_dsn(db.admin_url), autocommit=True) as conn:
        row = conn.execute("INSERT INTO force (code, name) VALUES (%s, %s) RETURNING id", (code, f"{code} Police"))
        (force_id,) = row.fetchone() or (0,)
    return int(force_id)  # type: ignore[call-overload]


def _trail(db: DatabaseUnderTest) -> list[tuple[int, int | None, str, str | None]]:
    with psycopg.connect(psycopg_dsn(db.admin_url)) as conn:
        return conn.execute("SELECT id, force_id, action, object_id FROM audit_event ORDER BY id"
                            ).fetchall()  # type: ignore[return-value]


async def test_a_commit_writes_every_event_in_the_order_recorded(fresh_db: DatabaseUnderTest) -> None:
    force_id = _add_force(fresh_db, "DEF")
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as db, db.begin():
            await set_force_context(db, force_id)
            defer_until_commit(db)
            await record(db, action="test.first", actor_label="t", force_id=force_id, object_id=1)
            await record_reads(db, _actor(force_id), "person", [5, 3, 4], reason="history at a glance")
            await record(db, action="test.last", actor_label="t", force_id=force_id, object_id=9)
            # Not yet in the database: another connection sees nothing until the commit.
            assert _trail(fresh_db) == []
    finally:
        await engine.dispose()
    assert [(action, object_id) for _, _, action, object_id in _trail(fresh_db)] == [
        ("test.first", "1"), ("person.read", "5"), ("person.read", "3"), ("person.read", "4"), ("test.last", "9")]
    assert verify_chain(fresh_db.admin_url).ok


async def test_a_rollback_drops_the_events_and_a_savepoint_drops_only_its_own(fresh_db: DatabaseUnderTest) -> None:
    force_id = _add_force(fresh_db, "DEF")
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as db:
            async with db.begin():
                await set_force_context(db, force_id)
                defer_until_commit(db)
                await record(db, action="test.before", actor_label="t", force_id=force_id)
                savepoint = await db.begin_nested()
                await record(db, action="test.undone", actor_label="t", force_id=force_id)
                await savepoint.rollback()
                async with db.begin_nested():
                    await record(db, action="test.kept", actor_label="t", force_id=force_id)
                await record(db, action="test.after", actor_label="t", force_id=force_id)
            transaction = await db.begin()
            await set_force_context(db, force_id)
            defer_until_commit(db)
            await record(db, action="test.rolled_back", actor_label="t", force_id=force_id)
            await transaction.rollback()
            async with db.begin():  # nothing left over from the rolled-back transaction
                await set_force_context(db, force_id)
                await record(db, action="test.next", actor_label="t", force_id=force_id)
    finally:
        await engine.dispose()
    assert [action for _, _, action, _ in _trail(fresh_db)] == ["test.before", "test.kept", "test.after",
                                                                 "test.next"]
    assert verify_chain(fresh_db.admin_url).ok


async def test_the_transaction_sees_its_own_events_before_it_commits(db: AsyncSession) -> None:
    force_id = (await db.execute(text("INSERT INTO force (code, name) VALUES ('OWN', 'Own Police') RETURNING id"))
                ).scalar_one()
    await set_force_context(db, force_id)
    defer_until_commit(db)
    await record(db, action="person.read", actor_label="reader", force_id=force_id, object_type="person",
                 object_id=77, reason="looked")
    assert [v.reason for v in await who_viewed(db, "person", 77)] == ["looked"]
    await record(db, action="person.read", actor_label="reader", force_id=force_id, object_type="person",
                 object_id=77, reason="again")
    count = select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == "77")
    assert await db.scalar(count) == 2


async def test_each_event_is_written_under_the_force_it_was_recorded_for(fresh_db: DatabaseUnderTest) -> None:
    """Row-level security checks an event's force against the transaction's force when it is inserted: a
    change of force (a command acting for two forces) writes what was recorded before it first."""
    first, second = _add_force(fresh_db, "ONE"), _add_force(fresh_db, "TWO")
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as db, db.begin():
            await set_force_context(db, first)
            defer_until_commit(db)
            await record(db, action="test.one", actor_label="t", force_id=first)
            await set_force_context(db, second)
            await record(db, action="test.two", actor_label="t", force_id=second)
    finally:
        await engine.dispose()
    assert [(force, action) for _, force, action, _ in _trail(fresh_db)] == [(first, "test.one"),
                                                                             (second, "test.two")]


async def test_deferring_ends_with_the_transaction(fresh_db: DatabaseUnderTest) -> None:
    """The next transaction on the session writes each event at once again: another connection sees the event
    (once committed) only because it was inserted before the chain head was read."""
    force_id = _add_force(fresh_db, "END")
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as db:
            async with db.begin():
                await set_force_context(db, force_id)
                defer_until_commit(db)
                await record(db, action="test.deferred", actor_label="t", force_id=force_id)
            async with db.begin():
                await set_force_context(db, force_id)
                await record(db, action="test.at_once", actor_label="t", force_id=force_id)
                with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
                    # The insert has run: its row holds the chain head until this transaction ends.
                    assert conn.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                        "WHERE c.relname = 'audit_chain_head' AND l.mode = 'RowExclusiveLock'"
                                        ).fetchone() == (1,)
    finally:
        await engine.dispose()
    assert [action for _, _, action, _ in _trail(fresh_db)] == ["test.deferred", "test.at_once"]


def _actor(force_id: int) -> Actor:
    return Actor(kind="user", force_id=force_id, label="reader", permissions=frozenset(), role="call_handler")


async def test_commit_sends_the_held_events_with_the_commit_and_leaves_the_connection_clean(
        fresh_db: DatabaseUnderTest) -> None:
    """`audit.commit` (what a request's transaction ends with) writes the held events, details included, in the
    same round trip as the COMMIT; the connection goes back to the pool ready for the next transaction."""
    force_id = _add_force(fresh_db, "PIP")
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        for n in range(2):  # the second transaction takes the same connection back from the pool
            async with AsyncSession(engine) as db:
                await db.begin()
                await set_force_context(db, force_id)
                defer_until_commit(db)
                await record(db, action="test.pipelined", actor_label="t", force_id=force_id, object_id=n,
                             details={"channel": "999-silent", "n": n})
                await record_reads(db, _actor(force_id), "person", [7 + n], reason="history at a glance")
                assert _trail(fresh_db)[2 * n:] == []
                await audit_commit(db)
                assert not db.in_transaction()
    finally:
        await engine.dispose()
    assert [(action, object_id) for _, _, action, object_id in _trail(fresh_db)] == [
        ("test.pipelined", "0"), ("person.read", "7"), ("test.pipelined", "1"), ("person.read", "8")]
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        details = conn.execute("SELECT details FROM audit_event WHERE action = 'test.pipelined' ORDER BY id"
                               ).fetchall()
    assert [d for (d,) in details] == [{"channel": "999-silent", "n": 0}, {"channel": "999-silent", "n": 1}]
    assert verify_chain(fresh_db.admin_url).ok


async def test_a_commit_that_fails_on_the_server_keeps_nothing(fresh_db: DatabaseUnderTest) -> None:
    """An event the server refuses (here, under a force the transaction does not act for) fails the COMMIT with it:
    neither the event nor the rest of the transaction is kept."""
    force_id = _add_force(fresh_db, "PIP")
    other = _add_force(fresh_db, "OTH")
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as db:
            await db.begin()
            await set_force_context(db, force_id)
            defer_until_commit(db)
            await record(db, action="test.kept", actor_label="t", force_id=force_id, object_id=1)
            await record(db, action="test.refused", actor_label="t", force_id=other, object_id=2)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await audit_commit(db)
            await db.rollback()
        async with AsyncSession(engine) as db:  # the connection is usable again
            assert await db.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
    assert _trail(fresh_db) == []
