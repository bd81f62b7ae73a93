"""Support services in the API: the directory, referrals with consent and their decisions, and safe contact."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import CrimeRefusedOut
from safeguard.safeguarding import services
from safeguard.safeguarding import support_referrals as referrals
from safeguard.safeguarding.safe_contact import (
    PersonNotVisible,
    SafeContactInput,
    SafeContactRefused,
    SafeContactView,
    read_safe_contact,
    save_safe_contact,
)
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1", tags=["support services"])

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]
Writer = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_WRITE))]
# Safe contact is safeguarding data: the DA specialist reads it, without reading the police's person records.
SafeguardingReader = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault is named"}}


# -- the directory ----------------------------------------------------------------------------------------

class ServiceOut(BaseModel):
    id: int
    code: str
    name: str
    scope: str
    description: str
    eligibility: str
    groups: list[str]
    phone: str | None
    text_number: str | None
    email: str | None
    website: str | None
    hours: str | None
    referral_route: str
    accepts_police_referrals: bool
    area: str | None
    checked_on: date | None = Field(description="When the contact details were last checked; null: never checked")
    active: bool


class ServiceListOut(BaseModel):
    results: list[ServiceOut]


def service_out(s: services.ServiceView) -> ServiceOut:
    return ServiceOut(id=s.id, code=s.code, name=s.name, scope=s.scope, description=s.description,
                      eligibility=s.eligibility, groups=s.groups, phone=s.phone, text_number=s.text_number,
                      email=s.email, website=s.website, hours=s.hours, referral_route=s.referral_route,
                      accepts_police_referrals=s.accepts_police_referrals, area=s.area, checked_on=s.checked_on,
                      active=s.active)


@router.get("/support-services", response_model=ServiceListOut, responses=REFUSED)
async def list_services(db: DbSession, actor: Reader,
                        group: Annotated[str | None, Query(max_length=40)] = None,
                        scope: Annotated[str | None, Query(max_length=20)] = None,
                        police_referrals: bool = False, include_inactive: bool = False
                        ) -> ServiceListOut | JSONResponse:
    """National and the force's local services. `group` also returns services open to anyone, listed after."""
    chosen = services.DirectoryFilter(group=group or None, scope=scope or None,
                                      police_referrals_only=police_referrals, include_inactive=include_inactive)
    problems = services.filter_problems(chosen)
    if problems:
        return refused("The directory was not read.", problems)
    return ServiceListOut(results=[service_out(s) for s in await services.directory(db, chosen)])


# -- referrals --------------------------------------------------------------------------------------------

class ReferralIn(BaseModel):
    person_id: int = Field(ge=1, le=2**62)
    service_id: int = Field(ge=1, le=2**62)
    reason: str = Field(max_length=5000)
    consent_given: bool
    consent_method: str | None = Field(default=None, max_length=20)
    consent_at: datetime | None = None
    consent_recorded_by: str | None = Field(default=None, max_length=200)
    incident_id: int | None = Field(default=None, ge=1, le=2**62)


class StepOut(BaseModel):
    at: datetime
    by: str | None
    from_status: str | None
    to_status: str | None
    note: str | None


class ReferralOut(BaseModel):
    id: int
    person_id: int
    service_id: int
    service_name: str
    incident_id: int | None
    status: str
    reason: str
    consent_given: bool
    consent_method: str
    consent_at: datetime
    consent_recorded_by: str
    made_at: datetime
    made_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    next_steps: list[str]
    history: list[StepOut]


class DecisionIn(BaseModel):
    to: str = Field(max_length=20, description="accepted, rejected or withdrawn")
    note: str = Field(default="", max_length=5000)


def referral_out(r: referrals.ReferralView) -> ReferralOut:
    return ReferralOut(
        id=r.id, person_id=r.person_id, service_id=r.service_id, service_name=r.service_name,
        incident_id=r.incident_id, status=r.status, reason=r.reason, consent_given=r.consent_given,
        consent_method=r.consent_method, consent_at=r.consent_at, consent_recorded_by=r.consent_recorded_by,
        made_at=r.made_at, made_by=r.made_by, decided_at=r.decided_at, decided_by=r.decided_by,
        decision_note=r.decision_note, next_steps=[to for to, _ in r.next_steps],
        history=[StepOut(at=s.at, by=s.by, from_status=s.from_status, to_status=s.to_status, note=s.note)
                 for s in r.history])


FIELDS = {"service": "service_id", "person": "person_id"}


@router.post("/support-referrals", response_model=ReferralOut, status_code=201, responses=REFUSED)
async def create_referral(body: ReferralIn, db: DbSession, actor: Writer) -> ReferralOut | JSONResponse:
    """Refer a victim to a support service, with their consent (without it the referral is refused)."""
    new = referrals.NewReferral(
        person_id=body.person_id, service_id=body.service_id, reason=body.reason, consent_given=body.consent_given,
        consent_method=body.consent_method or "", consent_at=body.consent_at,
        consent_recorded_by=body.consent_recorded_by or "", incident_id=body.incident_id)
    try:
        referral = await referrals.make_referral(db, actor, new, via="api")
    except referrals.ReferralRefused as problem:
        return refused("The referral was not made.", {FIELDS.get(k, k): v for k, v in problem.errors.items()})
    return referral_out(await referrals.read_referral(db, actor, referral.id, reason="made through the API"))


@router.get("/support-referrals/{support_referral_id}", response_model=ReferralOut)
async def get_referral(support_referral_id: Id, db: DbSession, actor: Reader) -> ReferralOut:
    """A referral with its history. Audited."""
    try:
        return referral_out(await referrals.read_referral(db, actor, support_referral_id))
    except referrals.ReferralNotFound:
        raise HTTPException(404, f"No support referral {support_referral_id}.") from None


@router.post("/support-referrals/{support_referral_id}/decision", response_model=ReferralOut, responses=REFUSED)
async def decide(support_referral_id: Id, body: DecisionIn, db: DbSession, actor: Writer
                 ) -> ReferralOut | JSONResponse:
    """Accept, reject or withdraw a referral; rejected and withdrawn need a note."""
    try:
        await referrals.decide(db, actor, support_referral_id, to=body.to, note=body.note, via="api")
    except referrals.ReferralNotFound:
        raise HTTPException(404, f"No support referral {support_referral_id}.") from None
    except referrals.ReferralRefused as problem:
        return refused("The referral was not changed.", problem.errors)
    return referral_out(await referrals.read_referral(db, actor, support_referral_id, reason="decided through the API"))


# -- safe contact -----------------------------------------------------------------------------------------

class SafeContactIn(BaseModel):
    safe_number: str | None = Field(default=None, max_length=40)
    safe_times: str | None = Field(default=None, max_length=500)
    no_voicemail: bool = False
    no_text_messages: bool = False
    no_letters_home: bool = False
    third_party_name: str | None = Field(default=None, max_length=200)
    third_party_number: str | None = Field(default=None, max_length=40)
    third_party_relationship: str | None = Field(default=None, max_length=100)
    only_through_third_party: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class SafeContactOut(BaseModel):
    person_id: int
    recorded: bool
    safe_number: str | None = Field(default=None, description="E.164")
    safe_times: str | None = None
    no_voicemail: bool = False
    no_text_messages: bool = False
    no_letters_home: bool = False
    third_party_name: str | None = None
    third_party_number: str | None = Field(default=None, description="E.164")
    third_party_relationship: str | None = None
    only_through_third_party: bool = False
    notes: str | None = None
    warnings: list[str] = []
    updated_at: datetime | None = None
    updated_by: str | None = None


def safe_contact_out(person_id: int, view: SafeContactView | None) -> SafeContactOut:
    if view is None:
        return SafeContactOut(person_id=person_id, recorded=False)
    return SafeContactOut(
        person_id=person_id, recorded=True, safe_number=view.safe_number_e164, safe_times=view.safe_times,
        no_voicemail=view.no_voicemail, no_text_messages=view.no_text_messages, no_letters_home=view.no_letters_home,
        third_party_name=view.third_party_name, third_party_number=view.third_party_number_e164,
        third_party_relationship=view.third_party_relationship, only_through_third_party=view.only_through_third_party,
        notes=view.notes, warnings=view.warnings, updated_at=view.updated_at, updated_by=view.updated_by)


@router.get("/people/{person_id}/safe-contact", response_model=SafeContactOut)
async def get_safe_contact(person_id: Id, db: DbSession, actor: SafeguardingReader) -> SafeContactOut:
    """The person's safe-contact preferences (`recorded: false` when none). Audited."""
    try:
        _, view = await read_safe_contact(db, actor, person_id)
    except PersonNotVisible:
        raise HTTPException(404, f"No person {person_id}.") from None
    return safe_contact_out(person_id, view)


@router.put("/people/{person_id}/safe-contact", response_model=SafeContactOut, responses=REFUSED)
async def put_safe_contact(person_id: Id, body: SafeContactIn, db: DbSession, actor: Writer
                           ) -> SafeContactOut | JSONResponse:
    """Record or replace the person's safe-contact preferences as a whole. Audited."""
    data = SafeContactInput(
        safe_number=body.safe_number or "", safe_times=body.safe_times or "", no_voicemail=body.no_voicemail,
        no_text_messages=body.no_text_messages, no_letters_home=body.no_letters_home,
        third_party_name=body.third_party_name or "", third_party_number=body.third_party_number or "",
        third_party_relationship=body.third_party_relationship or "",
        only_through_third_party=body.only_through_third_party, notes=body.notes or "")
    try:
        view = await save_safe_contact(db, actor, person_id, data, via="api")
    except PersonNotVisible:
        raise HTTPException(404, f"No person {person_id}.") from None
    except SafeContactRefused as problem:
        return refused("The safe-contact preferences were not saved.", problem.errors)
    return safe_contact_out(person_id, view)
