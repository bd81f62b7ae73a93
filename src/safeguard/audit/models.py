"""The append-only, hash-chained audit trail.

Rows are numbered and chained by a database trigger (migrations 0001 and 0016). There are several chains side
by side (`audit_chain_head` has one row for each), so that audited transactions do not queue behind one another's
commits: a transaction takes the first chain head no other transaction holds, under a row lock it keeps until it
ends, and each of its events gets the chain's next position (`chain_seq`, without gaps), a fresh id from a
sequence, and SHA-256(previous hash in the chain || the row's content). Within a chain, id order is chain order.
The application's role may only INSERT and SELECT; it can neither UPDATE nor DELETE.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CHAR, BigInteger, DateTime, FetchedValue, ForeignKey, Index, Integer, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"
    # No RETURNING on insert: the trigger assigns the id, and an event that belongs to no force could
    # not be returned through the read policy anyway.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),
                      Index("ux_audit_event_chain_position", "chain", "chain_seq", unique=True),
                      {"implicit_returning": False})

    # Assigned by the chain trigger once it holds the chain, so that within a chain id order is chain order.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue())
    chain: Mapped[int] = mapped_column(SmallInteger, server_default=FetchedValue())
    chain_seq: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue())
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
    """One chain's newest event: its id, position and hash. Only the owner's chain trigger reads or moves it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(CHAR(64))
