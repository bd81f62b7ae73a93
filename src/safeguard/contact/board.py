"""The live board: the force's open contacts by grade, with their age and attendance timers, and the event
stream that tells a supervisor's browser when one of them changes.

How the stream works (docs/control-room.md, "The board's event stream"): a trigger sends
`pg_notify('contact_board', '{"force_id": .., "contact_id": ..}')` when an open contact is inserted or updated
and when a grade, specialist advice or an AML fix is added to one. Each stream holds ONE dedicated psycopg
connection (autocommit) that LISTENs on `contact_board`, keeps only its own force's notifications and sends
each as an event whose data is the contact id alone, never personal data. It sends a comment every
`HEARTBEAT` seconds, and ends after `LIFETIME` seconds (the browser's EventSource reconnects at once, and the
reconnect is authorised afresh, so a signed-out user's stream does not outlive their session for long).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.contact.grading import GRADE_RANK
from safeguard.contact.models import Contact
from safeguard.contact.rules import GRADE_LABELS, rules_for

CHANNEL = "contact_board"
HEARTBEAT = 15.0  # seconds between comments that keep proxies from closing an idle stream
LIFETIME = 60.0  # seconds before the server ends a stream and the browser reconnects (bounds shutdown too)
RETRY_MS = 2000
MAX_ROWS = 500
CHANNEL_LABELS = {"999": "999", "999-silent": "Silent 999", "101": "101", "online": "Online report",
                  "in-person": "In person"}


@dataclass(frozen=True)
class BoardRow:
    id: int
    channel: str
    channel_label: str
    received_at: datetime
    grade: str | None
    grade_label: str
    graded_at: datetime | None
    attend_by: datetime | None
    da_flag: bool
    silent: bool
    pressed_55: bool
    rural: bool

    def age(self, now: datetime) -> timedelta:
        return max(now - self.received_at, timedelta(0))

    def time_left(self, now: datetime) -> timedelta | None:
        return None if self.attend_by is None else self.attend_by - now


def duration(span: timedelta) -> str:
    """A span in words for the page without JavaScript: '1 h 05 min', '12 min 30 s', '45 s'."""
    seconds = int(abs(span).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def timer_text(row: BoardRow, now: datetime) -> str:
    left = row.time_left(now)
    if left is None:
        return "No timed attendance" if row.grade else "Not graded yet"
    return f"{duration(left)} left" if left.total_seconds() >= 0 else f"Overdue by {duration(left)}"


async def board_rows(db: AsyncSession, actor: Actor, *, contact_id: int | None = None) -> list[BoardRow]:
    """Open contacts of the reader's force: ungraded first, then by grade (most urgent first), oldest first."""
    rules = await rules_for(db, actor.force_id)
    rank = case({grade: position for grade, position in GRADE_RANK.items()}, value=Contact.grade, else_=-1)
    query = (select(Contact).where(Contact.force_id == actor.force_id, Contact.status == "open")
             .order_by(rank, Contact.received_at, Contact.id).limit(MAX_ROWS))
    if contact_id is not None:
        query = query.where(Contact.id == contact_id)
    return [BoardRow(c.id, c.channel, CHANNEL_LABELS.get(c.channel, c.channel), c.received_at, c.grade,
                     GRADE_LABELS[c.grade] if c.grade else "Not graded", c.graded_at,
                     rules.attend_by(c.received_at, c.grade, rural=c.rural), c.da_flag,
                     c.channel == "999-silent", c.pressed_55, c.rural)
            for c in await db.scalars(query)]


def board_groups(rows: list[BoardRow]) -> list[tuple[str, str, list[BoardRow]]]:
    """(key, heading, rows) for each grade with open contacts, ungraded first."""
    order: list[tuple[str, str]] = [("ungraded", "Not graded")] + [(g, GRADE_LABELS[g]) for g in GRADE_RANK]
    return [(key, label, found) for key, label in order
            if (found := [r for r in rows if (r.grade or "ungraded") == key])]


def event_for(payload: str, force_id: int) -> str | None:
    """The SSE event for one notification, or None when it is another force's (or not understood)."""
    try:
        data = json.loads(payload)
        if int(data["force_id"]) != force_id:
            return None
        contact_id = int(data["contact_id"])
    except (ValueError, KeyError, TypeError):
        return None
    return f"event: contact\ndata: {contact_id}\n\n"


async def contact_events(dsn: str, force_id: int, *, heartbeat: float = HEARTBEAT, lifetime: float = LIFETIME
                         ) -> AsyncIterator[str]:
    """The text of an event stream for one reader: a `retry` line, then an event per change to one of the
    force's open contacts, a heartbeat comment every `heartbeat` seconds, until `lifetime` runs out.

    Holds its own connection for as long as it runs, and closes it however the stream ends (the client going
    away cancels the generator)."""
    loop = asyncio.get_running_loop()
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    try:
        await conn.execute(f"LISTEN {CHANNEL}")
        yield f"retry: {RETRY_MS}\n: listening\n\n"
        deadline = loop.time() + lifetime
        while (remaining := deadline - loop.time()) > 0:
            async for notice in conn.notifies(timeout=min(heartbeat, remaining)):
                event = event_for(notice.payload, force_id)
                if event is not None:
                    yield event
            yield ": heartbeat\n\n"
    finally:
        await conn.close()


def now_utc() -> datetime:
    return datetime.now(UTC)
