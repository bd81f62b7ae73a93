"""Contacts on every channel, and the incidents they raise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

CHANNELS = ("999", "999-silent", "101", "online", "in-person")
INCIDENT_ROLES = ("victim", "suspect", "witness")
# DOMAIN.md §2.2: the common four grades. Attendance targets per grade are force settings (contact/rules.py).
GRADES = ("emergency", "priority", "scheduled", "resolution")
CONTACT_STATUSES = ("open", "closed")
AML_TRANSPORTS = ("sms", "https")
# G GNSS, W Wi-Fi, C cell, F fused, N none, U unknown (DOMAIN.md §4.2–4.4), as one vocabulary.
AML_METHODS = ("gnss", "wifi", "cell", "fused", "none", "unknown")


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
    # A person's incidents (history at a glance, the person page) from the index alone, force included for
    # row-level security, without a visit to the table for each one.
    __table_args__ = (CheckConstraint(f"role IN {INCIDENT_ROLES!r}", name="role_known"),
                      Index("ix_incident_person_person_id", "person_id",
                            postgresql_include=["incident_id", "force_id", "role"]))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    role: Mapped[str] = mapped_column(String(10))


class Contact(ForceOwned, Base):
    """One call or report, on any channel."""

    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
        CheckConstraint(f"grade IS NULL OR grade IN {GRADES!r}", name="grade_known"),
        CheckConstraint(f"status IN {CONTACT_STATUSES!r}", name="status_known"),
        # A retried POST with the same Idempotency-Key returns the first contact, never a second one.
        UniqueConstraint("force_id", "idempotency_key", name="uq_contact_idempotency"),
        Index("ix_contact_open", "force_id", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))
    caller_number: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    pressed_55: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident.id"), nullable=True, index=True)
    da_flag: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    grade: Mapped[str | None] = mapped_column(String(12), nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who took it: a handler's username, "telephony" for a switch integration, "public" for the online form.
    taken_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    caller_person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"), nullable=True,
                                                         index=True)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True, index=True)
    location_text: Mapped[str | None] = mapped_column(String(300), nullable=True)  # as the caller gave it
    rural: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")  # attendance target
    injury: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    weapons: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    children_present: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The public online report's own answers: what happened, danger now, safe ways and times, voicemail safe.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class ContactGrade(ForceOwned, Base):
    """One grading of a contact, with its THRIVE record: the grade history is these rows, oldest first."""

    __tablename__ = "contact_grade"
    __table_args__ = (
        CheckConstraint(f"grade IN {GRADES!r}", name="grade_known"),
        CheckConstraint(f"suggested_grade IS NULL OR suggested_grade IN {GRADES!r}", name="suggested_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str] = mapped_column(String(12))
    suggested_grade: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JSONB)  # why Safeguard suggested what it did
    below_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # needed to grade below the suggestion
    # Threat, Harm, Risk, Investigation, Vulnerability, Engagement: the handler's words for each.
    thrive: Mapped[dict[str, str]] = mapped_column(JSONB)
    graded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    graded_by: Mapped[str] = mapped_column(String(100))


class AmlFix(ForceOwned, Base):
    """A handset's Advanced Mobile Location fix (DOMAIN.md §4), normalised, attached to the caller's contact.

    A fix that arrives before its call is held (`contact_id` NULL) and attached when the call arrives.
    """

    __tablename__ = "aml_fix"
    __table_args__ = (
        CheckConstraint(f"transport IN {AML_TRANSPORTS!r}", name="transport_known"),
        CheckConstraint(f"method IN {AML_METHODS!r}", name="method_known"),
        CheckConstraint("confidence_pct IS NULL OR confidence_pct BETWEEN 0 AND 100", name="confidence_range"),
        # Handsets resend; one fix per handset and time of positioning.
        UniqueConstraint("force_id", "imei", "fixed_at", name="uq_aml_fix_imei_time"),
        Index("ix_aml_fix_number_time", "force_id", "msisdn", "fixed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("contact.id"), nullable=True, index=True)
    msisdn: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    imei: Mapped[str] = mapped_column(String(20))
    transport: Mapped[str] = mapped_column(String(5))
    version: Mapped[str] = mapped_column(String(5))
    has_fix: Mapped[bool] = mapped_column(Boolean)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    radius_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    fixed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    emergency_number: Mapped[str | None] = mapped_column(String(10), nullable=True)
    raw: Mapped[str] = mapped_column(Text)


class AmlQuarantine(ForceOwned, Base):
    """An AML message that could not be used, kept with the reason so that nothing is lost. Its force is the
    force of the token that delivered it."""

    __tablename__ = "aml_quarantine"
    __table_args__ = (CheckConstraint(f"transport IN {AML_TRANSPORTS!r}", name="transport_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transport: Mapped[str] = mapped_column(String(5))
    msisdn: Mapped[str | None] = mapped_column(String(40), nullable=True)  # as given; not validated
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = utcnow_column()


class SpecialistAdvice(ForceOwned, Base):
    """A DA specialist's review of a DA contact: safeguarding advice for the handler and attending officers."""

    __tablename__ = "specialist_advice"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    advice: Mapped[str] = mapped_column(Text)
    referral_note: Mapped[str | None] = mapped_column(Text, nullable=True)  # referrals made or suggested
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    given_by: Mapped[str] = mapped_column(String(100))
