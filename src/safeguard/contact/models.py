"""Contacts on every channel, and the incidents they raise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

CHANNELS = ("999", "999-silent", "101", "online", "in-person")
INCIDENT_ROLES = ("victim", "suspect", "witness")


class Incident(ForceOwned, Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True, index=True)
    area_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id"), nullable=True, index=True)
    da_related: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class IncidentPerson(ForceOwned, Base):
    """A person's part in an incident: victim, suspect or witness."""

    __tablename__ = "incident_person"
    __table_args__ = (CheckConstraint(f"role IN {INCIDENT_ROLES!r}", name="role_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))


class Contact(ForceOwned, Base):
    """One call or report, on any channel."""

    __tablename__ = "contact"
    __table_args__ = (CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    caller_number: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    pressed_55: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident.id"), nullable=True, index=True)
    da_flag: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    grade: Mapped[str | None] = mapped_column(String(4), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()
