"""The force itself and its local policing areas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column


class Force(Base):
    __tablename__ = "force"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = utcnow_column()
    # The force's own thresholds and weights, over Safeguard's defaults (see each domain's rules).
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class Area(ForceOwned, Base):
    """A local policing area (LPA)."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("force_id", "code"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id"), nullable=True)
