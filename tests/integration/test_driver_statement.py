"""A statement run on the driver's connection (`db.driver.DriverStatement`) behaves as the session's own: inside
its transaction and savepoints, under its force for row-level security, after its pending changes and held audit
events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.audit.models import AuditEvent
from safeguard.contact.models import Contact
from safeguard.db.driver import DriverStatement
from safeguard.db.session import sessionmaker_for, set_force_context
from tests.conftest import DatabaseUnderTest, ForceData

COUNT_CONTACTS = DriverStatement(select(func.count()).select_from(Contact).where(
    Contact.note == bindparam("note")))
INSERT_CONTACT = DriverStatement(insert(Contact).values(
    force_id=bindparam("force_id"), channel="101", received_at=bindparam("at"), note=bindparam("note"))
    .returning(Contact.id, Contact.force_id, Contact.status, Contact.pressed_55))
COUNT_EVENTS = DriverStatement(select(func.count()).select_from(AuditEvent).where(
    AuditEvent.action == bindparam("action")))
FORCE_SETTING = DriverStatement(select(func.current_setting("app.force_id", True)))


async def _count(db: AsyncSession, note: str) -> int:
    (count,) = await COUNT_CONTACTS.first(db, {"note": note}) or (0,)
    return int(count)


async def test_it_runs_in_the_sessions_transaction_and_savepoints(
        db: AsyncSession, force_a: ForceData) -> None:
    note = "driver statement"
    async with db.begin_nested() as savepoint:
        row = await INSERT_CONTACT.first(db, {"force_id": force_a.id, "at": datetime.now(UTC), "note": note})
        # The columns' scalar defaults were filled in as SQLAlchemy would have (status "open", pressed_55 false).
        assert row is not None and row[1:] == (force_a.id, "open", False)
        assert await _count(db, note) == 1
        # The session itself sees the row the driver wrote: one transaction.
        assert await db.scalar(select(func.count()).select_from(Contact).where(Contact.note == note)) == 1
        await savepoint.rollback()
    assert await _count(db, note) == 0


async def test_it_sees_only_the_force_the_session_has_set(
        db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    note = "one force's contact"
    await set_force_context(db, force_a.id)
    await INSERT_CONTACT.first(db, {"force_id": force_a.id, "at": datetime.now(UTC), "note": note})
    assert await FORCE_SETTING.first(db, {}) == (str(force_a.id),)
    assert await _count(db, note) == 1
    await set_force_context(db, force_b.id)
    assert await _count(db, note) == 0  # row-level security: force B does not see force A's contact


async def test_pending_changes_and_held_audit_events_are_written_first(
        db: AsyncSession, force_a: ForceData) -> None:
    note = "added, not flushed"
    await set_force_context(db, force_a.id)
    db.add(Contact(force_id=force_a.id, channel="999", caller_number="+447700900123", received_at=datetime.now(UTC),
                   note=note))
    assert await _count(db, note) == 1

    audit.defer_until_commit(db)
    await audit.record(db, action="driver.test", force_id=force_a.id, actor_label="test")
    (held,) = await COUNT_EVENTS.first(db, {"action": "driver.test"}) or (0,)
    assert held == 1


BACKEND_PID = DriverStatement(select(func.pg_backend_pid()))


async def test_each_transaction_uses_its_own_connection_not_the_one_before(fresh_db: DatabaseUnderTest) -> None:
    """The driver's connection is found once per transaction: once a session's transaction has ended, its
    connection may already be another session's, and the next statement must not run on it."""
    maker = sessionmaker_for(fresh_db.app_url)
    try:
        async with maker() as mine, maker() as other:
            await mine.begin()
            (first_pid,) = await BACKEND_PID.first(mine, {}) or (0,)
            assert await BACKEND_PID.first(mine, {}) == (first_pid,)  # the same transaction, the same connection
            await mine.commit()  # its connection goes back to the pool...
            await other.begin()
            (other_pid,) = await BACKEND_PID.first(other, {}) or (0,)
            assert other_pid == first_pid  # ...and the other session takes it
            await mine.begin()
            (second_pid,) = await BACKEND_PID.first(mine, {}) or (0,)
            assert second_pid != first_pid  # so this transaction runs on a connection of its own
            await other.rollback()
            await mine.rollback()
    finally:
        await maker.kw["bind"].dispose()
