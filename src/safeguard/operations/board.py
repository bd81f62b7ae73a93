"""The live operation board: the operation's targets by status and team, today's arrest attempts, arrests today
and in the last seven days, and charges so far; and the event stream that tells a browser when to refresh.

How the stream works (docs/operation-results.md, "The board's event stream"): migration 0013's trigger sends
`pg_notify('operation_board', '{"force_id": F, "operation_id": O}')` when a target, an arrest attempt, an
arrest or a charge is inserted or updated (`operation_id` is null for an arrest outside any operation and for
every charge). Each stream holds ONE dedicated psycopg connection (autocommit) that LISTENs on the channel and
keeps only its own force's notifications that are for its operation or for none. Each becomes an event whose
data is the operation id (or `none`): never personal data. A comment goes every `HEARTBEAT` seconds, and the
stream ends after `LIFETIME` seconds (the browser reconnects at once, authorised afresh).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import TEAM_NAMES
from safeguard.crimes import results as crime_results
from safeguard.operations import results
from safeguard.operations.models import (
    ATTEMPT_OUTCOMES,
    OUTCOME_LABELS,
    TARGET_STATUSES,
    TARGET_TEAM_KINDS,
    ArrestAttempt,
    Operation,
    OperationTarget,
)

CHANNEL = "operation_board"
HEARTBEAT = 15.0
LIFETIME = 60.0
RETRY_MS = 2000
STATUS_LABELS = {"outstanding": "Outstanding", "arrested": "Arrested", "withdrawn": "Withdrawn"}
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class TeamRow:
    kind: str
    label: str
    counts: dict[str, int]  # by target status

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Board:
    operation_id: int
    name: str
    period: results.Period
    state: str
    today: date
    week: results.Period  # the last seven days, today included
    targets: dict[str, int]  # by status
    teams: list[TeamRow]
    attempts_today: list[tuple[str, str, int]]  # (outcome, label, count)
    planned_today: int  # attempts planned for today not yet made
    arrests_today: results.ArrestCounts
    arrests_week: results.ArrestCounts
    charges_period: results.Period | None  # the operation's days so far; None before it starts
    charges: list[tuple[str, str, int]]  # (category, label, count)

    @property
    def targets_total(self) -> int:
        return sum(self.targets.values())

    @property
    def attempts_made_today(self) -> int:
        return sum(count for _, _, count in self.attempts_today)

    @property
    def charges_total(self) -> int:
        return sum(count for _, _, count in self.charges)

    @property
    def state_label(self) -> str:
        return results.STATE_LABELS[self.state]


async def board(db: AsyncSession, actor: Actor, operation: Operation, *, now: datetime | None = None) -> Board:
    """Everything the board shows for one operation of the reader's force (counts only)."""
    today = results.uk_today(now)
    week = results.Period(today - timedelta(days=6), today)
    rows = await db.execute(select(OperationTarget.team_kind, OperationTarget.status, func.count())
                            .where(OperationTarget.operation_id == operation.id)
                            .group_by(OperationTarget.team_kind, OperationTarget.status))
    by_team: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        by_team.setdefault(kind or UNASSIGNED, {})[status] = int(count)
    kinds = [*TARGET_TEAM_KINDS, UNASSIGNED]
    teams = [TeamRow(kind, TEAM_NAMES.get(kind, "Not assigned to a team"),
                     {s: by_team.get(kind, {}).get(s, 0) for s in TARGET_STATUSES})
             for kind in kinds if kind != UNASSIGNED or kind in by_team]
    targets = {s: sum(t.counts[s] for t in teams) for s in TARGET_STATUSES}

    day_start, day_end = crime_results.bounds(today, today + timedelta(days=1))
    made = {outcome: int(count) for outcome, count in await db.execute(
        select(ArrestAttempt.outcome, func.count())
        .where(ArrestAttempt.operation_id == operation.id, ArrestAttempt.attempted_at >= day_start,
               ArrestAttempt.attempted_at < day_end).group_by(ArrestAttempt.outcome))}
    planned = await db.scalar(select(func.count()).where(
        ArrestAttempt.operation_id == operation.id, ArrestAttempt.outcome.is_(None),
        ArrestAttempt.planned_at >= day_start, ArrestAttempt.planned_at < day_end))

    week_start, _ = crime_results.bounds(week.start, week.end)
    arrests_today = await results.arrest_counts(db, operation.id, day_start, day_end)
    arrests_week = await results.arrest_counts(db, operation.id, week_start, day_end)

    counted = results.counted_period(operation, today)
    by_category: dict[str, int] = {}
    if counted is not None:
        since, until = crime_results.bounds(counted.start, counted.end + timedelta(days=1))
        by_category = await crime_results.charges_by_category(db, since, until)
    return Board(
        operation_id=operation.id, name=operation.name, period=results.Period(operation.starts_on, operation.ends_on),
        state=results.state_of(operation, today), today=today, week=week, targets=targets, teams=teams,
        attempts_today=[(o, OUTCOME_LABELS[o], made.get(o, 0)) for o in ATTEMPT_OUTCOMES],
        planned_today=int(planned or 0), arrests_today=arrests_today, arrests_week=arrests_week,
        charges_period=counted, charges=results.category_rows(by_category))


def event_for(payload: str, force_id: int, operation_id: int) -> str | None:
    """The SSE event for one notification: for this force, and this operation or none; else None."""
    try:
        data = json.loads(payload)
        if int(data["force_id"]) != force_id:
            return None
        about = data["operation_id"]
        if about is not None and int(about) != operation_id:
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return f"event: board\ndata: {operation_id if about is not None else 'none'}\n\n"


async def board_events(dsn: str, force_id: int, operation_id: int, *, heartbeat: float = HEARTBEAT,
                       lifetime: float = LIFETIME) -> AsyncIterator[str]:
    """The text of one reader's event stream: a `retry` line, then an event per change that may move this
    operation's board, a heartbeat comment every `heartbeat` seconds, until `lifetime` runs out. Holds its own
    connection while it runs and closes it however the stream ends."""
    loop = asyncio.get_running_loop()
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    try:
        await conn.execute(f"LISTEN {CHANNEL}")
        yield f"retry: {RETRY_MS}\n: listening\n\n"
        deadline = loop.time() + lifetime
        while (remaining := deadline - loop.time()) > 0:
            async for notice in conn.notifies(timeout=min(heartbeat, remaining)):
                event = event_for(notice.payload, force_id, operation_id)
                if event is not None:
                    yield event
            yield ": heartbeat\n\n"
    finally:
        await conn.close()
