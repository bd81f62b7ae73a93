"""Crimes and what follows them: offences, victims, suspects, arrests, custody, bail, charges and outcomes.

Two tables are reference data shared by the whole deployment rather than owned by a force: the offence
catalogue (`offence`) and the Home Office outcome types (`outcome_type`). Both are loaded by the migration
from the CSV files in `safeguard/crimes/data/`; the application's role may read them but not change them,
so only `safeguard import offences` (run as the owner) replaces the catalogue. Everything else here is
force-owned and guarded by row-level security.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

# The report categories: the seed operation's four, then the others DA work meets (DOMAIN.md §6).
OFFENCE_CATEGORIES = (
    "assault-wounding",
    "coercive-control-stalking",
    "false-imprisonment-kidnap",
    "threats-to-kill",
    "strangulation",
    "harassment",
    "criminal-damage",
    "breach-of-order",
    "sexual-offences",
    "other",
)
# Crime Harm Index days, ONS Crime Severity Score, or a placeholder until the official table is imported.
HARM_SOURCES = ("chi", "css", "estimate")
CONFIDENCES = ("VERIFIED", "PARTIAL", "UNVERIFIED")
CRIME_STATUSES = ("under-investigation", "awaiting-charging-decision", "charged", "closed")
CRIME_PERSON_ROLES = ("victim", "witness")
SUSPECT_STATUSES = (
    "outstanding",
    "wanted",
    "arrested",
    "interviewed",
    "charged",
    "bailed",
    "released-under-investigation",
    "no-further-action",
)
# Who set or extended pre-charge bail (DOMAIN.md §8.4): 3 months, 6, 9, then the magistrates' court.
BAIL_AUTHORITIES = ("custody-officer", "inspector", "superintendent", "court")
BAIL_KINDS = ("pre-charge", "post-charge")
CHARGE_DECIDERS = ("cps", "police")
CHARGE_METHODS = ("charge", "summons", "postal-requisition")
CODE_TESTS = ("full-code", "threshold")


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN {values!r}"


class Offence(Base):
    """One offence in the catalogue. Rows are never deleted (crimes refer to them): a retired one is inactive."""

    __tablename__ = "offence"
    __table_args__ = (
        CheckConstraint(_known("category", OFFENCE_CATEGORIES), name="category_known"),
        CheckConstraint(_known("harm_source", HARM_SOURCES), name="harm_source_known"),
        CheckConstraint("harm_weight >= 0", name="harm_weight_not_negative"),
        Index("ix_offence_category", "category"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # Safeguard's stable key, e.g. "coercive-control"
    title: Mapped[str] = mapped_column(String(300))
    legislation: Mapped[str] = mapped_column(String(300))
    ho_class: Mapped[str | None] = mapped_column(String(20), nullable=True)  # Home Office classification
    da_related: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    category: Mapped[str] = mapped_column(String(40))
    harm_weight: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    harm_source: Mapped[str] = mapped_column(String(10))
    harm_note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    updated_at: Mapped[datetime] = utcnow_column()


class OutcomeType(Base):
    """A Home Office crime outcome type (DOMAIN.md §8.1), as data with how sure we are of its wording."""

    __tablename__ = "outcome_type"
    __table_args__ = (CheckConstraint(_known("confidence", CONFIDENCES), name="confidence_known"),)

    code: Mapped[str] = mapped_column(String(4), primary_key=True)  # "1", "1A", "2" ... "22"
    title: Mapped[str] = mapped_column(String(300))
    outcome_group: Mapped[str] = mapped_column(String(100))
    # False for outcomes that file the crime pending new evidence (it may be reopened); true for the rest.
    final: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[str] = mapped_column(String(10))
    sort_order: Mapped[int] = mapped_column(SmallInteger)


class Crime(ForceOwned, Base):
    __tablename__ = "crime"
    __table_args__ = (
        UniqueConstraint("force_id", "reference", name="uq_crime_reference"),
        CheckConstraint(_known("status", CRIME_STATUSES), name="status_known"),
        CheckConstraint("(outcome_code IS NULL) = (outcome_at IS NULL)", name="outcome_has_time"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident.id"), nullable=True, index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_by: Mapped[str] = mapped_column(String(140))
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    da_related: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    status: Mapped[str] = mapped_column(String(30), default="under-investigation",
                                        server_default="under-investigation")
    area_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id"), nullable=True, index=True)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True, index=True)
    outcome_code: Mapped[str | None] = mapped_column(String(4), ForeignKey("outcome_type.code"), nullable=True,
                                                     index=True)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    outcome_by: Mapped[str | None] = mapped_column(String(140), nullable=True)
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class CrimeOffence(ForceOwned, Base):
    """An offence a crime was recorded as; the principal one is the one it is counted under."""

    __tablename__ = "crime_offence"
    __table_args__ = (UniqueConstraint("crime_id", "offence_id", name="uq_crime_offence_pair"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    crime_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("crime.id", ondelete="CASCADE"), index=True)
    offence_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offence.id"), index=True)
    principal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class CrimePerson(ForceOwned, Base):
    """A victim or witness of a crime. Suspects have their own table, with their lifecycle."""

    __tablename__ = "crime_person"
    __table_args__ = (
        CheckConstraint(_known("role", CRIME_PERSON_ROLES), name="role_known"),
        UniqueConstraint("crime_id", "person_id", "role", name="uq_crime_person_role"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    crime_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("crime.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))


class Suspect(ForceOwned, Base):
    """A person suspected of a crime, and where they are in the lifecycle (history in `suspect_event`)."""

    __tablename__ = "suspect"
    __table_args__ = (
        UniqueConstraint("crime_id", "person_id", name="uq_suspect_crime_person"),
        CheckConstraint(_known("status", SUSPECT_STATUSES), name="status_known"),
        Index("ix_suspect_status", "status", "wanted_since"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    crime_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("crime.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), default="outstanding", server_default="outstanding")
    status_since: Mapped[datetime] = utcnow_column()
    wanted_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Circulated as wanted (on the PNC or locally), and how.
    circulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    circulation_note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class SuspectEvent(ForceOwned, Base):
    """One step in a suspect's lifecycle: from which status to which, when, by whom and why."""

    __tablename__ = "suspect_event"
    __table_args__ = (
        CheckConstraint(_known("to_status", SUSPECT_STATUSES), name="to_status_known"),
        CheckConstraint(f"from_status IS NULL OR {_known('from_status', SUSPECT_STATUSES)}",
                        name="from_status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    suspect_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("suspect.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30), nullable=True)  # NULL: the suspect was added
    to_status: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    by: Mapped[str] = mapped_column(String(140))
    by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class Arrest(ForceOwned, Base):
    """An arrest and its custody record: the PACE clock runs from these times (DOMAIN.md §8.3)."""

    __tablename__ = "arrest"
    __table_args__ = (
        CheckConstraint("arrived_at_station IS NULL OR arrived_at_station >= arrested_at", name="arrived_after"),
        CheckConstraint("released_at IS NULL OR released_at >= arrested_at", name="released_after"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    suspect_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("suspect.id"), nullable=True, index=True)
    arrested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    place: Mapped[str | None] = mapped_column(Text, nullable=True)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True, index=True)
    arrested_by: Mapped[str] = mapped_column(String(140))
    arrested_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("team.id"), nullable=True, index=True)
    # The targeted operation the arrest was made in; NULL is "regular response".
    operation_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("operation.id"), nullable=True,
                                                     index=True)
    da_related: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Arrested for breaching pre-charge bail: the custody clock gets 3 more hours (PCSC Act 2022).
    for_bail_breach: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    custody_station: Mapped[str | None] = mapped_column(String(120), nullable=True)
    arrived_at_station: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Reviews fall due from when detention was first authorised (6 hours, then every 9).
    detention_authorised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    release_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    superintendent_extension_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    superintendent_extension_by: Mapped[str | None] = mapped_column(String(140), nullable=True)
    warrant_of_further_detention_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                                nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class ArrestOffence(ForceOwned, Base):
    __tablename__ = "arrest_offence"
    __table_args__ = (UniqueConstraint("arrest_id", "offence_id", name="uq_arrest_offence_pair"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    arrest_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("arrest.id", ondelete="CASCADE"), index=True)
    offence_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offence.id"), index=True)


class CustodyReview(ForceOwned, Base):
    """A PACE s40 review of continued detention."""

    __tablename__ = "custody_review"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    arrest_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("arrest.id", ondelete="CASCADE"), index=True)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(140))
    by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    reviewer_rank: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detention_continued: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Charge(ForceOwned, Base):
    """A charge (or summons) of a suspect: who decided, and remand or bail to the first court date."""

    __tablename__ = "charge"
    __table_args__ = (
        CheckConstraint(_known("decided_by", CHARGE_DECIDERS), name="decided_by_known"),
        CheckConstraint(_known("method", CHARGE_METHODS), name="method_known"),
        CheckConstraint(f"code_test IS NULL OR {_known('code_test', CODE_TESTS)}", name="code_test_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    suspect_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("suspect.id"), index=True)
    arrest_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("arrest.id"), nullable=True, index=True)
    charged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    method: Mapped[str] = mapped_column(String(20), default="charge", server_default="charge")
    decided_by: Mapped[str] = mapped_column(String(10))
    # The Code for Crown Prosecutors test applied; a threshold-test charge must be reviewed under the full test.
    code_test: Mapped[str | None] = mapped_column(String(10), nullable=True)
    charged_by: Mapped[str] = mapped_column(String(140))
    charged_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    # Remanded in custody, or else bailed (a `bail` row of kind post-charge points here).
    remanded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    first_court_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    court: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = utcnow_column()


class ChargeOffence(ForceOwned, Base):
    __tablename__ = "charge_offence"
    __table_args__ = (UniqueConstraint("charge_id", "offence_id", name="uq_charge_offence_pair"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    charge_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("charge.id", ondelete="CASCADE"), index=True)
    offence_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offence.id"), index=True)


class Bail(ForceOwned, Base):
    """Bail with its conditions: pre-charge (3, 6, 9 months, then court) or after charge to court."""

    __tablename__ = "bail"
    __table_args__ = (
        CheckConstraint(_known("authority", BAIL_AUTHORITIES), name="authority_known"),
        CheckConstraint(_known("kind", BAIL_KINDS), name="kind_known"),
        CheckConstraint("(kind = 'post-charge') = (charge_id IS NOT NULL)", name="post_charge_has_charge"),
        CheckConstraint("return_on IS NULL OR return_on >= starts_on", name="returns_after_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    suspect_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("suspect.id"), index=True)
    arrest_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("arrest.id"), nullable=True, index=True)
    charge_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("charge.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(12), default="pre-charge", server_default="pre-charge")
    # A list of conditions, each {"kind": ..., "detail": ...} (no contact, exclusion zone, curfew ...).
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    starts_on: Mapped[date] = mapped_column(Date)
    return_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    authority: Mapped[str] = mapped_column(String(20))
    # The alleged victim's views on conditions that affect them, sought where practicable (s50A PACE).
    victim_views: Mapped[str | None] = mapped_column(Text, nullable=True)
    set_by: Mapped[str] = mapped_column(String(140))
    set_at: Mapped[datetime] = utcnow_column()
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


FORCE_OWNED_TABLES = ("crime", "crime_offence", "crime_person", "suspect", "suspect_event", "arrest",
                      "arrest_offence", "custody_review", "charge", "charge_offence", "bail")
