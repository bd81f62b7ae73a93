"""Imports from legacy systems: each batch, and every row it refused with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column


class ImportBatch(ForceOwned, Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "people", later "incidents", "crimes"
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(140))
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = utcnow_column()


class ImportRejection(ForceOwned, Base):
    """A row an import refused, kept with its reason so that nothing is lost."""

    __tablename__ = "import_rejection"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("import_batch.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(1000))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB)


class SourceRecord(ForceOwned, Base):
    """Which Safeguard record a legacy system's reference became, so the same file never loads twice."""

    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("force_id", "kind", "source_ref"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("import_batch.id"))
