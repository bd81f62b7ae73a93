"""Harm-ranking weights (versioned per force) and the ranked lists computed with them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

ENGINES = ("duckdb", "spark", "postgres")


class HarmWeightSet(ForceOwned, Base):
    """One version of a force's RFG(V) weights. Versions are never changed or deleted: a list names the one it
    used, so an officer can always see how a past list was scored. A change is a new version."""

    __tablename__ = "harm_weight_set"
    __table_args__ = (
        UniqueConstraint("force_id", "version", name="uq_harm_weight_set_version"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    # {"recency_bands": [[months, points], ...], "recency": w, "frequency": w, "frequency_cap": n,
    #  "gravity": w, "victims": w, "non_crime_harm": days, "serial_min_victims": n, "serial_min_age": years}
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_by: Mapped[str] = mapped_column(String(140))
    created_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class HarmRanking(ForceOwned, Base):
    """One computed list: when, over which window, with which weight version and on which engine."""

    __tablename__ = "harm_ranking"
    __table_args__ = (CheckConstraint(f"engine IN {ENGINES!r}", name="engine_known"),
                      CheckConstraint("window_days > 0", name="window_positive"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    weight_set_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("harm_weight_set.id"), index=True)
    weight_version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(10))
    perpetrators: Mapped[int] = mapped_column(Integer)  # everyone scored, before any top-N cut
    computed_by: Mapped[str] = mapped_column(String(140))
    computed_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    seconds: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    computed_at: Mapped[datetime] = utcnow_column()


class HarmRankingEntry(ForceOwned, Base):
    """One perpetrator's place in a list, with the breakdown of the score and the flags seen at the time."""

    __tablename__ = "harm_ranking_entry"
    __table_args__ = (
        UniqueConstraint("ranking_id", "rank", name="uq_harm_ranking_entry_rank"),
        UniqueConstraint("ranking_id", "person_id", name="uq_harm_ranking_entry_person"),
        Index("ix_harm_ranking_entry_person_ranking", "person_id", "ranking_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ranking_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("harm_ranking.id", ondelete="CASCADE"),
                                            index=True)
    rank: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    score: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    recency: Mapped[Decimal] = mapped_column(Numeric(14, 4))  # each part already weighted: they sum to score
    frequency: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    gravity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    victims: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    total_harm: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # harm-weight days over the window
    incidents: Mapped[int] = mapped_column(Integer)
    victim_count: Mapped[int] = mapped_column(Integer)
    last_incident_on: Mapped[date] = mapped_column(Date)
    flags: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
