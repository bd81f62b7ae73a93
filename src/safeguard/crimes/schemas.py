"""Crimes as the API takes and returns them."""

from __future__ import annotations

from datetime import date, datetime
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


# -- suspects --------------------------------------------------------------------------------------------

class EventOut(BaseModel):
    at: datetime
    from_status: str | None = Field(description="None for the step that added the suspect")
    to_status: str
    by: str
    reason: str | None
    details: str = Field(description="What the step recorded, in words")


class BailConditionIn(BaseModel):
    kind: str = Field(max_length=40, description="no-contact, exclusion, residence, curfew, no-social-media, "
                                                 "other (or the force's own kinds)")
    detail: str = Field(max_length=500)


class BailConditionOut(BaseModel):
    kind: str
    detail: str


class BailIn(BaseModel):
    return_on: date | None = Field(default=None, description="The date the suspect must answer bail")
    authority: str = Field(max_length=20, description="custody-officer, inspector, superintendent or court")
    conditions: list[BailConditionIn] = Field(default_factory=list, max_length=20)
    starts_on: date | None = Field(default=None, description="Default: the day of the step. An extension keeps "
                                                               "the first start date")
    victim_views: str | None = Field(default=None, max_length=2000)


class BailOut(BaseModel):
    id: int
    kind: str
    starts_on: date
    return_on: date | None
    authority: str
    conditions: list[BailConditionOut]
    victim_views: str | None
    set_by: str
    set_at: datetime
    ended_at: datetime | None
    end_reason: str | None


class ArrestSummaryOut(BaseModel):
    id: int
    arrested_at: datetime
    place: str | None
    custody_station: str | None
    released_at: datetime | None
    release_reason: str | None


class ChargeOut(BaseModel):
    id: int
    charged_at: datetime
    method: str
    decided_by: str
    code_test: str | None
    charged_by: str
    offence_codes: list[str]
    remanded: bool
    first_court_date: date | None
    court: str | None


class NextStepOut(BaseModel):
    to: str
    how: str = Field(description="step (POST .../transitions), arrest (POST /api/v1/crimes/arrests), charge or "
                                 "summons (POST .../charges; summons: by summons or postal requisition only)")


class SuspectDetailOut(BaseModel):
    id: int
    crime_id: int
    crime_reference: str
    person: PersonRef
    status: str
    status_since: datetime
    wanted_since: datetime | None
    circulated: bool
    circulation_note: str | None
    history: list[EventOut]
    bail: list[BailOut]
    arrests: list[ArrestSummaryOut]
    charges: list[ChargeOut]
    next_steps: list[NextStepOut]


class TransitionIn(BaseModel):
    to: str = Field(max_length=40, description="wanted, outstanding, interviewed, bailed, "
                                               "released-under-investigation or no-further-action")
    at: datetime | None = Field(default=None, description="With a time zone; default now")
    reason: str | None = Field(default=None, max_length=1000)
    circulated: bool = Field(default=False, description="For wanted: circulated on the PNC or locally")
    circulation_note: str | None = Field(default=None, max_length=1000)
    bail: BailIn | None = Field(default=None, description="For bailed")


class WantedOut(BaseModel):
    suspect_id: int
    person: PersonRef
    crime_id: int
    crime_reference: str
    da_related: bool
    area: str | None
    offences: list[str]
    principal_category: str | None
    harm_weight: Decimal | None
    wanted_since: datetime
    circulated: bool


class WantedListOut(BaseModel):
    results: list[WantedOut]
