"""Clare's Law (DVDS) requests in the API: record one, read one (audited), record its decision and disclosure.

Refusals are 422 with `{"detail", "errors": [{"field", "message"}]}`; nothing is saved. Another force's request,
or one about a person restricted from the caller, is 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import CrimeRefusedOut
from safeguard.safeguarding import disclosure as service
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/disclosures", tags=["disclosures"])

DisclosureId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.DISCLOSURE_READ))]
Writer = Annotated[Actor, Depends(Requires(P.DISCLOSURE_WRITE))]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault is named"}}


class DisclosureRequestIn(BaseModel):
    route: Literal["right-to-ask", "right-to-know"]
    person_at_risk_id: int = Field(ge=1, le=2**62)
    subject_id: int = Field(ge=1, le=2**62)
    applicant_name: str = Field(max_length=200)
    applicant_relationship: str = Field(max_length=100, description="'self' when the person at risk asked")
    received_at: datetime


class DecisionIn(BaseModel):
    decision: Literal["disclose", "no-disclosure"]
    rationale: str = Field(max_length=10_000, description="Why it is lawful, necessary and proportionate")
    decided_at: datetime | None = Field(default=None, description="Default: now")


class DisclosureIn(BaseModel):
    disclosed_to: str = Field(max_length=200)
    disclosed_at: datetime
    disclosure_text: str = Field(max_length=10_000)


class StepOut(BaseModel):
    at: str | None
    by: str | None
    from_status: str | None = Field(alias="from")
    to: str | None
    note: str | None

    model_config = {"populate_by_name": True}


class DisclosureRequestOut(BaseModel):
    id: int
    reference: str
    route: str
    person_at_risk_id: int
    person_at_risk_name: str
    subject_id: int
    subject_name: str
    applicant_name: str
    applicant_relationship: str
    received_at: datetime
    due_by: datetime
    days_left: int
    overdue: bool
    completed_at: datetime | None
    status: str
    decision: str | None
    decided_at: datetime | None
    decided_by: str | None
    rationale: str | None
    disclosed_to: str | None
    disclosed_at: datetime | None
    disclosure_text: str | None
    history: list[StepOut]


def request_out(v: service.RequestView) -> DisclosureRequestOut:
    return DisclosureRequestOut(
        id=v.id, reference=v.reference, route=v.route, person_at_risk_id=v.person_at_risk_id,
        person_at_risk_name=v.person_at_risk_name, subject_id=v.subject_id, subject_name=v.subject_name,
        applicant_name=v.applicant_name, applicant_relationship=v.applicant_relationship, received_at=v.received_at,
        due_by=v.due_by, days_left=v.days_left, overdue=v.overdue, completed_at=v.completed_at, status=v.status,
        decision=v.decision, decided_at=v.decided_at, decided_by=v.decided_by, rationale=v.rationale,
        disclosed_to=v.disclosed_to, disclosed_at=v.disclosed_at, disclosure_text=v.disclosure_text,
        history=[StepOut.model_validate(h) for h in v.history])


NAMES = {"person_at_risk": "person_at_risk_id", "subject": "subject_id"}


@router.post("", response_model=DisclosureRequestOut, status_code=201, responses=REFUSED)
async def create_request(body: DisclosureRequestIn, db: DbSession, actor: Writer
                         ) -> DisclosureRequestOut | JSONResponse:
    """Record a right-to-ask or right-to-know request; `due_by` is the receipt plus the force's target days."""
    new = service.NewRequest(route=body.route, person_at_risk_id=body.person_at_risk_id, subject_id=body.subject_id,
                             applicant_name=body.applicant_name, applicant_relationship=body.applicant_relationship,
                             received_at=body.received_at)
    try:
        created = await service.record_request(db, actor, new, via="api")
    except service.DisclosureRefused as error:
        return refused("The request was not recorded.", {NAMES.get(k, k): m for k, m in error.errors.items()})
    return request_out(await service.read_request(db, actor, created.id, reason="recorded through the API"))


@router.get("/{disclosure_id}", response_model=DisclosureRequestOut)
async def get_request(disclosure_id: DisclosureId, db: DbSession, actor: Reader) -> DisclosureRequestOut:
    """One request with its clock, decision, disclosure and history. Audited."""
    try:
        return request_out(await service.read_request(db, actor, disclosure_id))
    except service.DisclosureNotFound:
        raise HTTPException(404, f"No Clare's Law request {disclosure_id}.") from None


@router.post("/{disclosure_id}/decision", response_model=DisclosureRequestOut, responses=REFUSED)
async def decide(disclosure_id: DisclosureId, body: DecisionIn, db: DbSession, actor: Writer
                 ) -> DisclosureRequestOut | JSONResponse:
    """Decide a request in checks or at panel: disclose or no-disclosure, with a rationale."""
    try:
        await service.decide(db, actor, disclosure_id, decision=body.decision, rationale=body.rationale,
                             decided_at=body.decided_at)
    except service.DisclosureNotFound:
        raise HTTPException(404, f"No Clare's Law request {disclosure_id}.") from None
    except service.DisclosureRefused as error:
        return refused("The decision was not recorded.", error.errors)
    return request_out(await service.read_request(db, actor, disclosure_id, reason="decided through the API"))


@router.post("/{disclosure_id}/disclosure", response_model=DisclosureRequestOut, responses=REFUSED)
async def disclose(disclosure_id: DisclosureId, body: DisclosureIn, db: DbSession, actor: Writer
                   ) -> DisclosureRequestOut | JSONResponse:
    """What was disclosed, to whom and when: only after a decision to disclose."""
    try:
        await service.record_disclosure(db, actor, disclosure_id, disclosed_to=body.disclosed_to,
                                        disclosed_at=body.disclosed_at, disclosure_text=body.disclosure_text)
    except service.DisclosureNotFound:
        raise HTTPException(404, f"No Clare's Law request {disclosure_id}.") from None
    except service.DisclosureRefused as error:
        return refused("The disclosure was not recorded.", error.errors)
    return request_out(await service.read_request(db, actor, disclosure_id, reason="disclosure through the API"))
