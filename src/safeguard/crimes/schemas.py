"""Crimes as the API takes and returns them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class CrimeIn(BaseModel):
    incident_id: int | None = Field(default=None, ge=1, le=2**62,
                                    description="The incident the crime was recorded from (or incident_reference)")
    incident_reference: str | None = Field(default=None, max_length=40)
    offence_codes: list[str] = Field(max_length=20, description="Codes from the offence catalogue, e.g. 'abh'")
    victim_ids: list[int] = Field(max_length=50, description="Person ids; at least one")
    suspect_ids: list[int] = Field(default_factory=list, max_length=50)
    witness_ids: list[int] = Field(default_factory=list, max_length=50)
    occurred_at: datetime | None = Field(default=None, description="With a time zone; default: the incident's time")
    da_related: bool | None = Field(default=None, description="Default: the incident's DA flag")
    status: str = Field(default="under-investigation",
                        description="under-investigation or awaiting-charging-decision")


class PersonRef(BaseModel):
    person_id: int | None = Field(description="None when the person is restricted and withheld from you")
    display_name: str = Field(description='"Restricted person" when withheld')
    date_of_birth: str | None
    withheld: bool


class SuspectOut(BaseModel):
    id: int
    person: PersonRef
    status: str
    status_since: datetime
    wanted_since: datetime | None
    circulated: bool


class OffenceOut(BaseModel):
    code: str
    title: str
    legislation: str
    ho_class: str | None
    category: str
    harm_weight: Decimal
    harm_source: str = Field(description="chi, css, or estimate (pending the official table)")
    principal: bool


class OutcomeOut(BaseModel):
    code: str
    title: str
    group: str
    confidence: str
    at: datetime
    by: str | None
    note: str | None


class CrimeOut(BaseModel):
    id: int
    reference: str
    incident_id: int | None
    incident_reference: str | None
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    da_related: bool
    status: str
    area: str | None
    offences: list[OffenceOut]
    victims: list[PersonRef]
    witnesses: list[PersonRef]
    suspects: list[SuspectOut]
    outcome: OutcomeOut | None


class ProblemOut(BaseModel):
    field: str
    message: str


class CrimeRefusedOut(BaseModel):
    detail: str
    errors: list[ProblemOut]
