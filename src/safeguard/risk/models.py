"""Risk assessments (DASH) and MARAC: the referral, its history, meetings and the actions agreed there.

Every table here is force-owned and guarded by row-level security; the policies also require the person a
row is about to be visible, so a restricted victim's assessment or referral is refused by the database to
anyone not granted that person (migration 0011).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

RISK_LEVELS = ("standard", "medium", "high")
REVIEW_STATUSES = ("awaiting-review", "reviewed")
# DOMAIN.md §1.5 and §9.3: draft → submitted → accepted | declined; accepted → listed for a meeting → heard;
# heard → closed once its actions are done (or the chair closes it).
MARAC_STATUSES = ("draft", "submitted", "accepted", "declined", "listed", "heard", "closed")
MARAC_CONSENT = ("given", "refused", "not-sought")
MEETING_STATUSES = ("planned", "held")
ACTION_STATUSES = ("open", "done", "cancelled")


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN {values!r}"


class RiskAssessment(ForceOwned, Base):
    """A completed DASH assessment for one victim at one incident, with its supervisor review."""

    __tablename__ = "risk_assessment"
    __table_args__ = (
        CheckConstraint(_known("suggested_level", RISK_LEVELS), name="suggested_level_known"),
        CheckConstraint(_known("final_level", RISK_LEVELS), name="final_level_known"),
        CheckConstraint("professional_judgement IS NULL OR " + _known("professional_judgement", RISK_LEVELS),
                        name="judgement_known"),
        CheckConstraint("reviewed_level IS NULL OR " + _known("reviewed_level", RISK_LEVELS),
                        name="reviewed_level_known"),
        CheckConstraint(_known("review_status", REVIEW_STATUSES), name="review_status_known"),
        CheckConstraint("score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    victim_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incident.id"), index=True)
    form: Mapped[str] = mapped_column(String(40))
    # Every question of the form, each yes, no, dont-know or not-asked: an unanswered question is kept as
    # not-asked, so the record shows it was not asked rather than losing it.
    answers: Mapped[dict[str, str]] = mapped_column(JSONB)
    supplement_form: Mapped[str | None] = mapped_column(String(40), nullable=True)
    supplement_answers: Mapped[dict[str, str] | None] = mapped_column(JSONB, nullable=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    supplement_score: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    suggested_level: Mapped[str] = mapped_column(String(10))
    professional_judgement: Mapped[str | None] = mapped_column(String(10), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    final_level: Mapped[str] = mapped_column(String(10), index=True)
    marac_routes: Mapped[list[str]] = mapped_column(JSONB)
    victim_view: Mapped[str | None] = mapped_column(Text, nullable=True)  # the victim's own view of the risk
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    assessed_by: Mapped[str] = mapped_column(String(100))
    review_status: Mapped[str] = mapped_column(String(20), default="awaiting-review",
                                               server_default="awaiting-review", index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # A supervisor may raise the level (with a note), never lower it.
    reviewed_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class MaracReferral(ForceOwned, Base):
    """A referral of a victim to MARAC, on one or more of the four routes (DOMAIN.md §1.5)."""

    __tablename__ = "marac_referral"
    __table_args__ = (
        CheckConstraint(_known("status", MARAC_STATUSES), name="status_known"),
        CheckConstraint(_known("consent", MARAC_CONSENT), name="consent_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    victim_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("risk_assessment.id"),
                                                      nullable=True, index=True)
    routes: Mapped[list[str]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft", index=True)
    # Below 14 ticks a referral rests on professional judgement, which must be written down (DOMAIN.md §1.5).
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    consent: Mapped[str] = mapped_column(String(12))
    consent_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    referred_by: Mapped[str] = mapped_column(String(100))
    referred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    meeting_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("marac_meeting.id"), nullable=True,
                                                   index=True)
    heard_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    meeting_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class MaracReferralEvent(ForceOwned, Base):
    """One step in a referral's history: who moved it, when, from which state to which, and why."""

    __tablename__ = "marac_referral_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    referral_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("marac_referral.id", ondelete="CASCADE"),
                                             index=True)
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class MaracMeeting(ForceOwned, Base):
    """A MARAC meeting: its date, where, who chairs, and the referrals listed for it."""

    __tablename__ = "marac_meeting"
    __table_args__ = (CheckConstraint(_known("status", MEETING_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    area_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id"), nullable=True, index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    venue: Mapped[str] = mapped_column(String(200))
    chair: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="planned", server_default="planned")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = utcnow_column()


class MaracAction(ForceOwned, Base):
    """An action agreed at a meeting for one referral: which agency, what, by when, and whether it is done."""

    __tablename__ = "marac_action"
    __table_args__ = (CheckConstraint(_known("status", ACTION_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    referral_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("marac_referral.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("marac_meeting.id"), nullable=True,
                                                   index=True)
    agency: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open", index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = utcnow_column()

