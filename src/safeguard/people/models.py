"""People: one record per person, with names, dates of birth, phones, addresses and relationships."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.db.base import Base, ForceOwned, utcnow_column

GENDERS = ("female", "male", "non-binary", "unknown")
RELATIONSHIP_KINDS = ("intimate_partner", "ex_partner", "family_member")
# How an address's first line is keyed for search; `people.search.address_keys` does the same in Python.
ADDRESS_SEPARATORS = "[^A-Za-z0-9]+"
HOUSE_NUMBER = ("^[^A-Za-z0-9]*((flat|apartment|unit)[^A-Za-z0-9]+[A-Za-z0-9]+[^A-Za-z0-9]+)?"
                "([0-9]+[A-Za-z]?[^A-Za-z0-9]+)?")


class Location(ForceOwned, Base):
    """An address or place, with its coordinates."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    area_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id"), nullable=True, index=True)
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    town: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    # "B12 9QS", "b129qs" and "B12  9QS" are one postcode.
    postcode_key: Mapped[str | None] = mapped_column(
        Text, Computed("upper(replace(postcode, ' ', ''))", persisted=True), nullable=True, index=True)
    # "77 Ash Street", "77 ash street." and "77  Ash St" (not the last) are one first line; and the street
    # without its number ("ash street"; "shrewsbury court" for "Flat 2, Shrewsbury Court"), so that a
    # caller who gives only an address is found. Keyed for equality, which row-level security allows.
    line1_key: Mapped[str] = mapped_column(
        Text, Computed(f"lower(btrim(regexp_replace(line1, {ADDRESS_SEPARATORS!r}, ' ', 'g')))", persisted=True),
        index=True)
    street_key: Mapped[str] = mapped_column(
        Text, Computed(f"lower(btrim(regexp_replace(regexp_replace(line1, {HOUSE_NUMBER!r}, '', 'i'), "
                       f"{ADDRESS_SEPARATORS!r}, ' ', 'g')))", persisted=True), index=True)
    uprn: Mapped[str | None] = mapped_column(String(12), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class Person(ForceOwned, Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(f"gender IN {GENDERS!r}", name="gender_known"),
        # Search runs under row-level security, where only leakproof operators (equality, not pg_trgm's
        # similarity) may drive an index. So every search branch is an equality on one of these.
        Index("ix_person_sound", "surname_sound", "forename_sound"),
        Index("ix_person_sound_forename", "surname_sound", "forename_key"),
        Index("ix_person_sound_dob", "surname_sound", "dob_year"),
        Index("ix_person_forename_sound", "forename_sound", "surname_sound"),
        Index("ix_person_forename_head", "forename_sound", "surname_head"),
        Index("ix_person_forename_tail", "forename_sound", "surname_tail"),
        Index("ix_person_variant_head", "forename_key", "surname_head"),
        Index("ix_person_surname_forename_dob", "surname_key", "forename_key", "dob_year"),
        Index("ix_person_dob", "dob_year", "dob_month", "dob_day"),
        CheckConstraint("dob_month IS NULL OR dob_month BETWEEN 1 AND 12", name="dob_month_range"),
        CheckConstraint("dob_day IS NULL OR dob_day BETWEEN 1 AND 31", name="dob_day_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    forename: Mapped[str] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200), nullable=True)
    surname: Mapped[str] = mapped_column(String(100), index=True)
    # A date of birth may be known only in part (a year, or a year and month).
    dob_year: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    dob_month: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    dob_day: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    gender: Mapped[str] = mapped_column(String(12), default="unknown", server_default="unknown")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Set when an analyst merged this record into another. The record is kept, so that the merge can be
    # undone exactly; search and the person page lead to the surviving record instead.
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"), nullable=True,
                                                       index=True)
    created_at: Mapped[datetime] = utcnow_column()
    # Search keys, kept by PostgreSQL itself: lower-case names for trigram matching, and Double
    # Metaphone codes so that "Smyth" finds "Smith".
    forename_key: Mapped[str] = mapped_column(Text, Computed("lower(forename)", persisted=True))
    surname_key: Mapped[str] = mapped_column(Text, Computed("lower(surname)", persisted=True))
    forename_sound: Mapped[str] = mapped_column(Text, Computed("dmetaphone(forename)", persisted=True))
    surname_sound: Mapped[str] = mapped_column(Text, Computed("dmetaphone(surname)", persisted=True))
    # The first and last three letters, so a surname with a typo in the middle or at one end is found.
    surname_head: Mapped[str] = mapped_column(Text, Computed("left(lower(surname), 3)", persisted=True))
    surname_tail: Mapped[str] = mapped_column(Text, Computed("right(lower(surname), 3)", persisted=True))

    @property
    def display_name(self) -> str:
        return f"{self.forename} {self.surname}".strip()

    @property
    def date_of_birth(self) -> str | None:
        if self.dob_year is None:
            return None
        if self.dob_month is None:
            return f"{self.dob_year:04d}"
        if self.dob_day is None:
            return f"{self.dob_year:04d}-{self.dob_month:02d}"
        return f"{self.dob_year:04d}-{self.dob_month:02d}-{self.dob_day:02d}"


class PersonAlias(ForceOwned, Base):
    __tablename__ = "person_alias"
    __table_args__ = (
        Index("ix_person_alias_surname_key", "surname_key"),
        Index("ix_person_alias_sound", "surname_sound", "forename_sound"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    forename_key: Mapped[str] = mapped_column(Text, Computed("lower(forename)", persisted=True))
    surname_key: Mapped[str] = mapped_column(Text, Computed("lower(surname)", persisted=True))
    forename_sound: Mapped[str] = mapped_column(Text, Computed("dmetaphone(forename)", persisted=True))
    surname_sound: Mapped[str] = mapped_column(Text, Computed("dmetaphone(surname)", persisted=True))


class PersonPhone(ForceOwned, Base):
    __tablename__ = "person_phone"
    # The control room looks a caller's number up on every call: the index alone answers who is linked to it
    # (with the force, for row-level security), without a visit to the table for each person.
    __table_args__ = (Index("ix_person_phone_number_e164", "number_e164",
                            postgresql_include=["person_id", "force_id"]),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    number_e164: Mapped[str] = mapped_column(String(20))


class PersonAddress(ForceOwned, Base):
    """Where a person lived, and when."""

    __tablename__ = "person_address"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("location.id"), index=True)
    from_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    to_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class Relationship(ForceOwned, Base):
    """Two people "personally connected" in the sense of the Domestic Abuse Act 2021 s2."""

    __tablename__ = "relationship"
    __table_args__ = (CheckConstraint(f"kind IN {RELATIONSHIP_KINDS!r}", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_a_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    person_b_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(40), nullable=True)
    since: Mapped[date | None] = mapped_column(Date, nullable=True)


class RestrictedAccess(ForceOwned, Base):
    """A grant to one member of staff to see one restricted person or address.

    Restricted records (refuge addresses, officers who are victims) are hidden by row-level security from
    everyone else, whatever their role.
    """

    __tablename__ = "restricted_access"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (location_id IS NULL)", name="one_subject"),
        Index("ix_restricted_access_user", "user_id", "person_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"), nullable=True)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True)
    granted_by: Mapped[str] = mapped_column(String(140))
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = utcnow_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


MARKER_SUBJECTS = ("person", "location", "phone")
DUPLICATE_STATUSES = ("pending", "confirmed", "rejected")


class Marker(ForceOwned, Base):
    """A warning marker on a person, an address or a phone number, with when it applies and who set it.

    The kinds a force uses are configurable (`force.settings["marker_kinds"]`); the defaults are in
    `safeguard.people.markers`.
    """

    __tablename__ = "marker"
    __table_args__ = (
        CheckConstraint("num_nonnulls(person_id, location_id, phone_e164) = 1", name="one_subject"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        Index("ix_marker_phone", "phone_e164"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"), nullable=True, index=True)
    location_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("location.id"), nullable=True,
                                                    index=True)
    phone_e164: Mapped[str | None] = mapped_column(String(20), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    set_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"), nullable=True)
    set_by: Mapped[str] = mapped_column(String(140))
    set_at: Mapped[datetime] = utcnow_column()
    ended_by: Mapped[str | None] = mapped_column(String(140), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class DuplicateCandidate(ForceOwned, Base):
    """Two person records that the linkage job thinks may be one person, waiting for an analyst."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        CheckConstraint("person_a_id < person_b_id", name="ordered_pair"),
        CheckConstraint(f"status IN {DUPLICATE_STATUSES!r}", name="status_known"),
        UniqueConstraint("person_a_id", "person_b_id", name="uq_duplicate_candidate_pair"),
        Index("ix_duplicate_candidate_queue", "status", "match_probability"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_a_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    person_b_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    match_probability: Mapped[float] = mapped_column(Float)
    # What agreed and what did not, field by field, as the linkage model saw it.
    evidence: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict, server_default="{}")
    found_by: Mapped[str] = mapped_column(String(140))
    found_at: Mapped[datetime] = utcnow_column()
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(140), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class PersonMerge(ForceOwned, Base):
    """One merge of a person record into another: who decided, when and why, and exactly what moved.

    `moved` lists, table by table, the ids of the rows that were repointed from the merged record to the
    surviving one, and `created` the rows the merge added; unmerging moves exactly those back and removes
    exactly those, so the earlier state is restored.
    """

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    merged_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("duplicate_candidate.id"),
                                                     nullable=True)
    moved: Mapped[dict[str, list[int]]] = mapped_column(JSONB)
    created: Mapped[dict[str, list[int]]] = mapped_column(JSONB)
    decided_by: Mapped[str] = mapped_column(String(140))
    decided_at: Mapped[datetime] = utcnow_column()
    reason: Mapped[str] = mapped_column(String(1000))
    unmerged_by: Mapped[str | None] = mapped_column(String(140), nullable=True)
    unmerged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unmerge_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
