"""Operations as the API takes and returns them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class OperationSummaryOut(BaseModel):
    id: int
    name: str
    starts_on: date
    ends_on: date
    status: str = Field(description="planned, active or closed")
    lead_name: str
    targets: int = Field(description="Targets not withdrawn")
    targets_arrested: int


class OperationListOut(BaseModel):
    results: list[OperationSummaryOut]


class TargetOut(BaseModel):
    id: int
    person_id: int
    display_name: str
    source: str = Field(description="ranking, wanted or manual")
    rank: int | None = Field(description="The place in the ranked list it was chosen from")
    score: Decimal | None
    flags: list[str]
    suspect_id: int | None = Field(description="The open DA suspect record an arrest links to")
    crime_reference: str | None
    team_kind: str | None = Field(description="public_protection, operational_support or local_policing")
    team_id: int | None
    status: str = Field(description="outstanding, arrested or withdrawn")
    overlaps: bool = Field(description="Also a target of another operation whose dates overlap")
    overlap_with: list[str]
    note: str | None = Field(description="Why the target was withdrawn")


class AttemptOut(BaseModel):
    id: int
    target_id: int
    person_id: int
    display_name: str
    planned_at: datetime
    address: str
    team_id: int | None
    planned_by: str
    outcome: str | None = Field(description="arrested, not-present, address-invalid, wanted-elsewhere or other; "
                                            "null until recorded")
    attempted_at: datetime | None
    notes: str | None
    recorded_by: str | None
    arrest_id: int | None


class OperationOut(BaseModel):
    id: int
    name: str
    objective: str
    starts_on: date
    ends_on: date
    status: str
    lead_name: str
    targets: list[TargetOut]
    attempts: list[AttemptOut]


class AttemptIn(BaseModel):
    target_id: int = Field(ge=1, le=2**62, description="A target of this operation")
    planned_at: datetime = Field(description="With a time zone; within the operation's dates")
    address: str = Field(max_length=600)
    team_id: int = Field(ge=1, le=2**62)


class OutcomeIn(BaseModel):
    outcome: str = Field(max_length=30, description="arrested, not-present, address-invalid, wanted-elsewhere or "
                                                    "other")
    attempted_at: datetime | None = Field(default=None, description="With a time zone; default: now")
    notes: str | None = Field(default=None, max_length=2100, description="Required for 'other'")
    offence_codes: list[str] = Field(default_factory=list, max_length=20,
                                     description="When arrested: codes from the offence catalogue")
    place: str | None = Field(default=None, max_length=600,
                              description="When arrested: where; default: the attempt's address")
