"""Safeguarding: support services and referrals to them, safe contact, protective orders and their breaches,
Clare's Law (DVDS) requests, and the Victims' Code entitlements and contact log.

Force-owned tables are guarded by row-level security; those about a person also require that person to be
visible, so a restricted victim's safe number or referrals are refused by the database to anyone not granted
that person (migration 0011). The support-service directory is the one exception to force ownership: its
national helplines (`force_id` NULL) are shipped with Safeguard and seen by every force, read-only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

SERVICE_SCOPES = ("national", "local")
REFERRAL_STATUSES = ("made", "accepted", "rejected", "withdrawn")
CONSENT_METHODS = ("verbal", "written", "electronic")
ORDER_KINDS = ("dapn", "dapo", "dvpn", "dvpo", "non-molestation", "restraining", "bail-conditions")
ORDER_STATUSES = ("active", "expired", "discharged", "withdrawn", "superseded")
DVDS_ROUTES = ("right-to-ask", "right-to-know")
DVDS_STATUSES = ("received", "checks", "panel", "decided", "closed")
DVDS_DECISIONS = ("disclose", "no-disclosure")
CONTACT_METHODS = ("phone", "in-person", "letter", "email", "text", "via-third-party")
# The Victims' Code rights (DOMAIN.md §9.2), by number.
VICTIM_RIGHTS = tuple(range(1, 13))


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN {values!r}"


class SupportService(Base):
    """A helpline or local service a victim (or a perpetrator, for behaviour-change services) can be referred to.

    National rows (`force_id` NULL) are loaded by the migration from `safeguarding/data/support_services.csv`;
    a force adds its own local services. Row-level security shows each force the national rows and its own.
    """

    __tablename__ = "support_service"
    __table_args__ = (
        CheckConstraint("(force_id IS NULL) = (scope = 'national')", name="national_has_no_force"),
        CheckConstraint(_known("scope", SERVICE_SCOPES), name="scope_known"),
        UniqueConstraint("force_id", "code", name="uq_support_service_force_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    force_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("force.id"), nullable=True, index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    # Who the service is for, in words, and as tags to filter by: women, men, lgbt, older-people, children,
    # young-people, perpetrators, stalking, honour-based-abuse, sexual-violence, deaf, any.
    eligibility: Mapped[str] = mapped_column(Text)
    groups: Mapped[list[str]] = mapped_column(JSONB)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    text_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    website: Mapped[str | None] = mapped_column(String(300), nullable=True)
    hours: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # How a referral reaches them: self-referral only, an agency (police) referral, or both.
    referral_route: Mapped[str] = mapped_column(String(200))
    accepts_police_referrals: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    area: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The contact details were checked against the service's own published details on this date.
    checked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = utcnow_column()


class SupportReferral(ForceOwned, Base):
    """A referral of a victim to a support service, with the victim's consent and what became of it."""

    __tablename__ = "support_referral"
    __table_args__ = (
        CheckConstraint(_known("status", REFERRAL_STATUSES), name="status_known"),
        CheckConstraint(_known("consent_method", CONSENT_METHODS), name="consent_method_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("support_service.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(10), default="made", server_default="made", index=True)
    reason: Mapped[str] = mapped_column(Text)
    # A support referral is made only with the victim's consent: who gave it, how and when is kept.
    consent_given: Mapped[bool] = mapped_column(Boolean)
    consent_method: Mapped[str] = mapped_column(String(12))
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_recorded_by: Mapped[str] = mapped_column(String(100))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    made_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Every step: [{"at", "by", "from", "to", "note"}].
    history: Mapped[list[dict[str, str | None]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = utcnow_column()


class SafeContact(ForceOwned, Base):
    """How a victim may safely be contacted. Shown first on every screen from which someone might contact them."""

    __tablename__ = "safe_contact"
    __table_args__ = (UniqueConstraint("person_id", name="uq_safe_contact_person_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    safe_number: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    safe_times: Mapped[str | None] = mapped_column(String(500), nullable=True)
    no_voicemail: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    no_text_messages: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    no_letters_home: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    third_party_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    third_party_number: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    third_party_relationship: Mapped[str | None] = mapped_column(String(100), nullable=True)
    only_through_third_party: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(100))


class ProtectiveOrder(ForceOwned, Base):
    """One protective order or notice, of any kind: DAPN, DAPO, DVPN, DVPO, non-molestation, restraining order
    or bail conditions. `subject_id` is the person bound by it; the protected people are in
    `protective_order_person`, the exclusion zones in `protective_order_zone`."""

    __tablename__ = "protective_order"
    __table_args__ = (
        CheckConstraint(_known("kind", ORDER_KINDS), name="kind_known"),
        CheckConstraint(_known("status", ORDER_STATUSES), name="status_known"),
        CheckConstraint("expires_at IS NULL OR expires_at > starts_at", name="expires_after_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active", index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    authorised_by: Mapped[str | None] = mapped_column(String(200), nullable=True)  # officer and rank, or court
    court: Mapped[str | None] = mapped_column(String(200), nullable=True)
    no_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Legal clocks (DOMAIN.md §7.2–7.4), worked out when the order is recorded and kept with it.
    hearing_due_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    notification_due_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    hearing_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    crime_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("crime.id"), nullable=True, index=True)
    bail_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("bail.id"), nullable=True, index=True)
    follows_order_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("protective_order.id"),
                                                         nullable=True, index=True)  # a DAPO after its DAPN
    recorded_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class ProtectiveOrderPerson(ForceOwned, Base):
    """A person an order protects."""

    __tablename__ = "protective_order_person"
    __table_args__ = (UniqueConstraint("order_id", "person_id", name="uq_protective_order_person_pair"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("protective_order.id", ondelete="CASCADE"),
                                          index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)


class ProtectiveOrderZone(ForceOwned, Base):
    """An address the subject must keep away from, with the distance where the order sets one."""

    __tablename__ = "protective_order_zone"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("protective_order.id", ondelete="CASCADE"),
                                          index=True)
    location_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("location.id"), index=True)
    radius_m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    description: Mapped[str | None] = mapped_column(String(300), nullable=True)


class OrderBreach(ForceOwned, Base):
    """A recorded breach of a protective order."""

    __tablename__ = "order_breach"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("protective_order.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True)
    incident_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident.id"), nullable=True, index=True)
    contact_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("contact.id"), nullable=True, index=True)
    arrest_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("arrest.id"), nullable=True)
    # For a DAPN breach the subject must be brought before the court within 24 hours (DOMAIN.md §7.2).
    court_due_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DisclosureRequest(ForceOwned, Base):
    """A Clare's Law (DVDS) request: right to ask or right to know, its 28-day clock, decision and disclosure."""

    __tablename__ = "disclosure_request"
    __table_args__ = (
        CheckConstraint(_known("route", DVDS_ROUTES), name="route_known"),
        CheckConstraint(_known("status", DVDS_STATUSES), name="status_known"),
        CheckConstraint("decision IS NULL OR " + _known("decision", DVDS_DECISIONS), name="decision_known"),
        CheckConstraint("decided_at IS NULL OR decided_at >= received_at", name="decided_after_received"),
        CheckConstraint("disclosed_at IS NULL OR disclosed_at >= received_at", name="disclosed_after_received"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    route: Mapped[str] = mapped_column(String(14))
    # The person at risk, and the partner or ex-partner asked about.
    person_at_risk_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    # Who asked (right to ask: the person or a third party) or who raised it (right to know: officer or agency).
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_relationship: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    due_by: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(10), default="received", server_default="received", index=True)
    decision: Mapped[str | None] = mapped_column(String(14), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    disclosed_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disclosed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disclosure_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    history: Mapped[list[dict[str, str | None]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = utcnow_column()


class VictimEntitlement(ForceOwned, Base):
    """A Victims' Code entitlement owed to a victim of a crime, with its due date and when it was met."""

    __tablename__ = "victim_entitlement"
    __table_args__ = (
        CheckConstraint("right_number BETWEEN 1 AND 12", name="right_known"),
        CheckConstraint("met_at IS NULL OR met_by IS NOT NULL", name="met_by_someone"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    crime_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("crime.id"), nullable=True, index=True)
    right_number: Mapped[int] = mapped_column(SmallInteger)
    # What is owed: "needs assessment", "update: suspect charged", "written confirmation of the crime".
    what: Mapped[str] = mapped_column(String(300))
    enhanced: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    officer: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)  # who owes it
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    met_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class VictimContact(ForceOwned, Base):
    """One contact with a victim under the Victims' Code: when, how, by whom, and what was said."""

    __tablename__ = "victim_contact"
    __table_args__ = (CheckConstraint(_known("method", CONTACT_METHODS), name="method_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    crime_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("crime.id"), nullable=True, index=True)
    entitlement_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("victim_entitlement.id"),
                                                       nullable=True, index=True)
    contacted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    method: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = utcnow_column()
