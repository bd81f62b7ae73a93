"""Writing to the audit trail, and reading it back for "who viewed this"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor


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
    its audit record are never separated."""
    await db.execute(
        insert(AuditEvent).values(
            force_id=force_id if force_id is not None else (actor.force_id if actor else None),
            actor_user_id=actor.user_id if actor else None,
            actor_label=actor_label or (actor.label if actor else "anonymous"),
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            client_addr=client_addr or (actor.client_addr if actor else None),
            reason=reason,
            details=details,
        )
    )


async def record_read(db: AsyncSession, actor: Actor, object_type: str, object_id: int | str,
                      reason: str | None = None) -> None:
    await record(db, action=f"{object_type}.read", actor=actor, object_type=object_type, object_id=object_id,
                 reason=reason)


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
