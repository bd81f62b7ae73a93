"""Targeted operations: the operation, its targets and their teams, and every arrest attempt."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

OPERATION_STATUSES = ("planned", "active", "closed")
TARGET_SOURCES = ("ranking", "wanted", "manual")
TARGET_STATUSES = ("outstanding", "arrested", "withdrawn")
# The team kinds a target may be given to (auth.models.TEAM_KINDS less the control room).
TARGET_TEAM_KINDS = ("public_protection", "operational_support", "local_policing")
ATTEMPT_OUTCOMES = ("arrested", "not-present", "address-invalid", "wanted-elsewhere", "other")
OUTCOME_LABELS = {"arrested": "Arrested", "not-present": "Not present", "address-invalid": "Address no longer valid",
                  "wanted-elsewhere": "Wanted elsewhere", "other": "Other"}


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN {values!r}"


class Operation(ForceOwned, Base):
    __tablename__ = "operation"
    __table_args__ = (
        UniqueConstraint("force_id", "name", name="uq_operation_name"),
        CheckConstraint(_known("status", OPERATION_STATUSES), name="status_known"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    objective: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    lead_name: Mapped[str] = mapped_column(String(140))
    lead_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="planned", server_default="planned")
    created_by: Mapped[str] = mapped_column(String(140))
    created_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class OperationTarget(ForceOwned, Base):
    """A person the operation means to arrest, where they came from, and the team that has them."""

    __tablename__ = "operation_target"
    __table_args__ = (
        UniqueConstraint("operation_id", "person_id", name="uq_operation_target_person"),
        CheckConstraint(_known("source", TARGET_SOURCES), name="source_known"),
        CheckConstraint(_known("status", TARGET_STATUSES), name="status_known"),
        CheckConstraint(f"team_kind IS NULL OR {_known('team_kind', TARGET_TEAM_KINDS)}", name="team_kind_known"),
        Index("ix_operation_target_status", "operation_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("operation.id", ondelete="CASCADE"),
                                              index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    ranking_entry_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("harm_ranking_entry.id"),
                                                         nullable=True)
    suspect_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("suspect.id"), nullable=True)
    team_kind: Mapped[str | None] = mapped_column(String(24), nullable=True)
    team_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("team.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(12), default="outstanding", server_default="outstanding")
    # Set when the person is also a target of another operation whose dates overlap: allowed, but shown.
    overlaps: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    added_by: Mapped[str] = mapped_column(String(140))
    added_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    added_at: Mapped[datetime] = utcnow_column()


class ArrestAttempt(ForceOwned, Base):
    """A planned arrest attempt and, once made, what happened. An attempt leads to one arrest at most."""

    __tablename__ = "arrest_attempt"
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR {_known('outcome', ATTEMPT_OUTCOMES)}", name="outcome_known"),
        CheckConstraint("(outcome IS NULL) = (attempted_at IS NULL)", name="outcome_has_time"),
        CheckConstraint("arrest_id IS NULL OR outcome = 'arrested'", name="arrest_only_when_arrested"),
        UniqueConstraint("arrest_id", name="uq_arrest_attempt_arrest"),
        Index("ix_arrest_attempt_operation_planned", "operation_id", "planned_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("operation.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("operation_target.id", ondelete="CASCADE"),
                                           index=True)
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True)
    address: Mapped[str] = mapped_column(String(500))
    team_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("team.id"), nullable=True, index=True)
    planned_by: Mapped[str] = mapped_column(String(140))
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(140), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    arrest_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("arrest.id"), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()
