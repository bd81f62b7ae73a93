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


# -- arrests and custody ---------------------------------------------------------------------------------

class ArrestIn(BaseModel):
    suspect_id: int = Field(ge=1, le=2**62)
    arrested_at: datetime = Field(description="With a time zone; not in the future, not before the crime")
    place: str = Field(max_length=500, description="Where the arrest was made")
    offence_codes: list[str] = Field(max_length=20, description="What the suspect was arrested for (catalogue codes)")
    team_id: int = Field(ge=1, le=2**62, description="The team that made the arrest")
    arresting_officer: str | None = Field(default=None, max_length=140,
                                          description="Default: whoever the token or user is")
    operation_id: int | None = Field(default=None, ge=1, le=2**62,
                                     description="The targeted operation; null for regular response")
    da_related: bool | None = Field(default=None, description="Default: the crime's DA flag")
    for_bail_breach: bool = Field(default=False, description="Arrested for breaching pre-charge bail (+3 hours)")
    custody_station: str | None = Field(default=None, max_length=120)
    arrived_at_station: datetime | None = None
    detention_authorised_at: datetime | None = None


class WarningOut(BaseModel):
    level: str = Field(description="info, soon or overdue")
    about: str = Field(description="arrival, review or limit")
    message: str


class ClockOut(BaseModel):
    running: bool
    relevant_time: datetime
    relevant_time_estimated: bool = Field(description="True until the arrival at the station is recorded")
    reviews_from: datetime
    next_review_due: datetime | None
    reviews_done: int
    limit: datetime = Field(description="The detention limit now in force")
    limit_kind: str = Field(description="basic, superintendent or warrant")
    basic_limit: datetime
    extended_limit: datetime
    maximum: datetime
    stopped_at: datetime | None
    stopped_by: str | None = Field(description="released or charged")
    warnings: list[WarningOut]


class ReviewOut(BaseModel):
    id: int
    reviewed_at: datetime
    by: str
    rank: str | None
    detention_continued: bool
    note: str | None


class ArrestOut(BaseModel):
    id: int
    suspect_id: int | None
    suspect_status: str | None
    crime_id: int | None
    crime_reference: str | None
    person: PersonRef
    arrested_at: datetime
    place: str | None
    arrested_by: str
    team_id: int | None
    team: str | None
    operation_id: int | None = Field(description="null: regular response")
    da_related: bool
    for_bail_breach: bool
    offence_codes: list[str]
    custody_station: str | None
    arrived_at_station: datetime | None
    detention_authorised_at: datetime | None
    released_at: datetime | None
    release_reason: str | None
    superintendent_extension_at: datetime | None
    superintendent_extension_by: str | None
    warrant_until: datetime | None
    reviews: list[ReviewOut]
    clock: ClockOut


class ArrivalIn(BaseModel):
    arrived_at: datetime
    authorised_at: datetime | None = Field(default=None, description="When detention was first authorised")
    custody_station: str | None = Field(default=None, max_length=120)


class ReviewIn(BaseModel):
    reviewed_at: datetime
    by: str = Field(max_length=140, description="The reviewing officer's name")
    rank: str = Field(max_length=40, description="inspector, chief-inspector, superintendent or "
                                                 "chief-superintendent (the force may set others)")
    detention_continued: bool = True
    note: str | None = Field(default=None, max_length=2000, description="Needed when detention is not continued")


class ExtensionIn(BaseModel):
    at: datetime
    by: str = Field(max_length=100)
    rank: str = Field(max_length=40, description="superintendent or chief-superintendent")


class WarrantIn(BaseModel):
    issued_at: datetime
    until: datetime
    court: str | None = Field(default=None, max_length=200)


class ReleaseIn(BaseModel):
    released_at: datetime
    reason: str = Field(max_length=500)


# -- charges and outcomes --------------------------------------------------------------------------------

class ChargeIn(BaseModel):
    offence_codes: list[str] = Field(max_length=20, description="The offences charged (catalogue codes)")
    decided_by: str = Field(max_length=10, description="cps or police (DA cases go to the CPS under DG6 unless "
                                                       "the force allows police charging)")
    method: str = Field(default="charge", max_length=20,
                        description="charge (in custody; needs an arrest), summons or postal-requisition")
    code_test: str | None = Field(default=None, max_length=10, description="full-code or threshold")
    charged_at: datetime | None = Field(default=None, description="With a time zone; default now")
    remanded: bool = Field(default=False, description="Remanded in custody; otherwise bailed to court")
    first_court_date: date | None = None
    court: str | None = Field(default=None, max_length=200)
    bail_conditions: list[BailConditionIn] = Field(default_factory=list, max_length=20,
                                                   description="Conditions of bail to court")


class OutcomeIn(BaseModel):
    code: str = Field(max_length=4, description="A Home Office outcome type: 1, 1A, 2 ... 22")
    at: datetime | None = Field(default=None, description="With a time zone; default now")
    note: str | None = Field(default=None, max_length=2000, description="The rationale; needed for outcome 21")


class OutcomeTypeOut(BaseModel):
    code: str
    title: str
    group: str
    final: bool = Field(description="False for outcomes that file the crime pending new evidence")
    confidence: str = Field(description="VERIFIED, PARTIAL or UNVERIFIED (how sure the wording is)")


class OutcomeTypesOut(BaseModel):
    results: list[OutcomeTypeOut]


# -- results ---------------------------------------------------------------------------------------------

class CategoryCountOut(BaseModel):
    category: str
    label: str
    count: int


class OutcomeCountOut(BaseModel):
    code: str
    title: str
    group: str
    count: int


class GroupCountOut(BaseModel):
    group: str
    count: int


class ResultsOut(BaseModel):
    start: date = Field(serialization_alias="from", description="The first day (UK)")
    end: date = Field(serialization_alias="to", description="The day after the period (not included)")
    da_only: bool
    people_arrested: int = Field(description="Distinct people arrested in the period")
    people_arrested_da: int = Field(description="Distinct people arrested at least once for DA")
    arrests: int
    arrests_da: int
    arrests_in_operations: int = Field(description="The rest were regular response")
    charge_decisions: int
    people_charged: int
    charges: int = Field(description="Offences charged: each offence on a charge counts once")
    charges_by_category: list[CategoryCountOut] = Field(description="All ten report categories, zeros included")
    outcomes: int
    outcomes_by_code: list[OutcomeCountOut] = Field(description="Every Home Office outcome type, zeros included")
    outcomes_by_group: list[GroupCountOut]
