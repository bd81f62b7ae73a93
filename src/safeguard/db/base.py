"""The declarative base that every model shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ForceOwned:
    """A row that belongs to one force, and that PostgreSQL row-level security keeps inside it.

    Every table that mixes this in gets an ENABLE + FORCE row-level-security policy in its migration
    (see `safeguard.db.rls`); a test checks that none is missed.
    """

    @declared_attr
    def force_id(cls) -> Mapped[int]:
        return mapped_column(BigInteger, ForeignKey("force.id"), index=True, nullable=False)


def utcnow_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
