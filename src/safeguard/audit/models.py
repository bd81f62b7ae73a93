"""The append-only, hash-chained audit trail.

Rows are numbered and chained by a database trigger (see the first migration): it takes the chain head
under a row lock, gives the new row the next id, and stores SHA-256(previous hash || the row's content).
The application's role may only INSERT and SELECT; it can neither UPDATE nor DELETE.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CHAR, BigInteger, DateTime, FetchedValue, ForeignKey, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"
    # No RETURNING on insert: the trigger assigns the id, and an event that belongs to no force could
    # not be returned through the read policy anyway.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"), {"implicit_returning": False})

    # Assigned by the chain trigger, so that id order is chain order.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue())
    # Null only for events that belong to no force yet (a sign-in attempt with an unknown username).
    force_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("force.id"), nullable=True, index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    actor_label: Mapped[str] = mapped_column(String(140))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), server_default=FetchedValue())
    hash: Mapped[str] = mapped_column(String(64), server_default=FetchedValue())


class AuditChainHead(Base):
    """The newest event's id and hash. Only the owner's chain trigger reads or moves it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(CHAR(64))
