"""Writing to the audit trail, and reading it back for "who viewed this".

The chain trigger (audit/models.py) takes the chain head's row lock for each new event and holds it until the
transaction ends, so an audited transaction waits for the one before it to commit. Two ways to keep that short:

- `record_reads` writes many read events in one INSERT (history at a glance audits every record it shows);
- `events_for_rows` builds an INSERT of one event per row that a data-modifying CTE has just written, so that a
  hot path (contact intake) writes its record and its event in one statement;
- `defer_until_commit(db)`: from then until its transaction ends, the session keeps its events and writes them
  all in one INSERT just before it commits, so the lock is held for the commit alone. Nothing is lost, duplicated
  or reordered: the events are inserted in the order recorded; a rollback (of the transaction, or of the
  savepoint they were recorded in) drops them with everything else; and any statement that reads `audit_event`,
  and any raw SQL statement (which may change the force for row-level security), writes them first, so the
  transaction sees its own events and inserts each under the force it was recorded for. A request that
  writes at high rates (contact intake) asks for it; the rest write each event at once.

`commit(db)` ends such a transaction: the held events and the COMMIT go to the server together in one psycopg
pipeline, so the lock is held for the server's own work, never for a round trip through a busy event loop
(under load that round trip, not the INSERT, was most of the time the lock was held).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import BigInteger, String, Table, bindparam, event, insert, null, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import ColumnElement, FromClause, Insert
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.sql.util import find_tables

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor

_DEFER = "safeguard.audit.defer"  # key in Session.info: set by defer_until_commit until the transaction ends
_PENDING = "safeguard.audit.pending"  # key in Session.info: [(recording transaction, row), ...]
_AUDIT_TABLE = cast(Table, AuditEvent.__table__)


async def record(
    db: AsyncSession,
    *,
    action: str,
    actor: Actor | None = None,
    actor_label: str | None = None,
    force_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    client_addr: str | None = None,
) -> None:
    """Append one event. It commits or rolls back with the request's own transaction, so an action and
    its audit record are never separated. Written at once, or at commit after `defer_until_commit`."""
    row = {
        "force_id": force_id if force_id is not None else (actor.force_id if actor else None),
        "actor_user_id": actor.user_id if actor else None,
        "actor_label": actor_label or (actor.label if actor else "anonymous"),
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "client_addr": client_addr or (actor.client_addr if actor else None),
        "reason": reason,
        "details": details,
    }
    session = db.sync_session
    if not session.info.get(_DEFER):
        await db.execute(insert(AuditEvent).values(row))
        return
    if session.autoflush:  # as the insert would have: changes made so far reach the database now
        await db.flush()
    session.info.setdefault(_PENDING, []).append((session.get_nested_transaction() or session.get_transaction(),
                                                  row))


def events_for_rows(rows: FromClause, *, action: str, object_type: str, object_id: ColumnElement[Any],
                    force_id: ColumnElement[Any], details: ColumnElement[Any] | None = None) -> Insert:
    """An INSERT of one event for each row of `rows` (typically a CTE of rows an INSERT ... RETURNING has just
    written), done by the actor whose `actor_params` are bound with the statement: the record and its audit event
    in one statement, so that neither can be written without the other."""
    return insert(_AUDIT_TABLE).from_select(
        ["force_id", "actor_user_id", "actor_label", "action", "object_type", "object_id", "client_addr", "details"],
        select(force_id, bindparam("audit_actor_user_id", type_=BigInteger),
               bindparam("audit_actor_label", type_=String),
               bindparam("audit_action", action), bindparam("audit_object_type", object_type),
               sql_cast(object_id, String), bindparam("audit_client_addr", type_=String),
               details if details is not None else null()).select_from(rows))


def actor_params(actor: Actor) -> dict[str, Any]:
    """The bind parameters of `events_for_rows` that name the actor."""
    return {"audit_actor_user_id": actor.user_id, "audit_actor_label": actor.label,
            "audit_client_addr": actor.client_addr}


def defer_until_commit(db: AsyncSession) -> None:
    """Keep this session's events until its transaction (or savepoint) commits, then write them in one INSERT."""
    db.sync_session.info[_DEFER] = True


async def record_read(db: AsyncSession, actor: Actor, object_type: str, object_id: int | str,
                      reason: str | None = None) -> None:
    await record(db, action=f"{object_type}.read", actor=actor, object_type=object_type, object_id=object_id,
                 reason=reason)


async def record_reads(db: AsyncSession, actor: Actor, object_type: str, object_ids: Sequence[int | str],
                       reason: str | None = None) -> None:
    """A read event for each object, in the order given, in one INSERT."""
    if db.sync_session.info.get(_DEFER):
        for object_id in object_ids:
            await record_read(db, actor, object_type, object_id, reason=reason)
        return
    if object_ids:
        await db.execute(insert(AuditEvent).values([{
            "force_id": actor.force_id, "actor_user_id": actor.user_id, "actor_label": actor.label,
            "action": f"{object_type}.read", "object_type": object_type, "object_id": str(object_id),
            "client_addr": actor.client_addr, "reason": reason, "details": None} for object_id in object_ids]))


_COLUMNS = ("force_id", "actor_user_id", "actor_label", "action", "object_type", "object_id", "client_addr", "reason",
            "details")
_INSERT_ONE = sql.SQL("INSERT INTO audit_event ({}) VALUES ({})").format(
    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)), sql.SQL(", ").join(sql.Placeholder() * len(_COLUMNS)))


async def commit(db: AsyncSession) -> None:
    """Commit the session's transaction, sending any held events in the same round trip as the COMMIT."""
    session = db.sync_session
    pending = session.info.get(_PENDING)
    if not pending:
        await db.commit()
        return
    connection = await db.connection()
    if connection.in_nested_transaction():
        # Nothing held, or the session's "transaction" is a savepoint inside a caller's (a test's): the events
        # are written as the savepoint is released.
        await db.commit()
        return
    await db.flush()
    rows = [row for _, row in pending]
    pending.clear()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    params = [[Jsonb(row[c]) if c == "details" and row[c] is not None else row[c] for c in _COLUMNS] for row in rows]
    async with raw.pipeline():
        await raw.cursor().executemany(_INSERT_ONE, params)  # in a pipeline, one batch: no wait between rows
        await raw.commit()  # queued behind the INSERT; both are sent before psycopg waits for either
    # The session's own commit finds the connection's transaction ended (psycopg does nothing) and gives the
    # connection back to the pool, now that the pipeline has finished with it.
    await db.commit()


async def write_held(db: AsyncSession) -> None:
    """Write the events `defer_until_commit` holds now: before a statement the session's events do not see (one
    run on the driver's connection, `db.driver`), which might read them or change the force."""
    if db.sync_session.info.get(_PENDING):
        await db.run_sync(_write)


def _write(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    rows = [row for _, row in pending]
    pending.clear()  # first: the insert below goes through _before_statement too
    session.execute(insert(_AUDIT_TABLE).values(rows))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also called when a savepoint is released: its events (and any recorded before it) are written inside it.
    _write(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A transaction or savepoint that ended without writing its events rolled back: drop them with it."""
    if transaction.parent is None:
        session.info.pop(_DEFER, None)
    pending = session.info.get(_PENDING)
    if not pending:
        return

    def within(tx: SessionTransaction | None) -> bool:
        while tx is not None:
            if tx is transaction:
                return True
            tx = tx.parent
        return False

    pending[:] = [(tx, row) for tx, row in pending if not within(tx)]


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    if not state.session.info.get(_PENDING):
        return
    statement = state.statement
    if isinstance(statement, TextClause) or (isinstance(statement, ClauseElement) and _AUDIT_TABLE in find_tables(
            statement, include_aliases=True, include_joins=True, include_crud=True)):
        _write(state.session)


@dataclass(frozen=True)
class Viewing:
    occurred_at: datetime
    actor_label: str
    action: str
    reason: str | None


async def who_viewed(db: AsyncSession, object_type: str, object_id: int | str, limit: int = 200) -> list[Viewing]:
    rows = await db.execute(
        select(AuditEvent.occurred_at, AuditEvent.actor_label, AuditEvent.action, AuditEvent.reason)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return [Viewing(*row) for row in rows]


async def recent_events(db: AsyncSession, limit: int = 100) -> list[AuditEvent]:
    rows = await db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
    return list(rows)
