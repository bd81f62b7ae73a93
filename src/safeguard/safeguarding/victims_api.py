"""The Victims' Code in the API: a victim's entitlements and contact log (audited), logging a contact, and the
force's overdue entitlements for supervisors.

Refusals are 422 with `{"detail", "errors": [{"field", "message"}]}`; nothing is saved. A person of another force,
or one restricted from the caller, is 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import CrimeRefusedOut
from safeguard.safeguarding import victims_code as service
from safeguard.web.api_errors import refusal
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/victims-code", tags=["victims-code"])

Reader = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]
Writer = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_WRITE))]
Supervisor = Annotated[Actor, Depends(Requires(P.VICTIMS_SUPERVISE))]


class EntitlementOut(BaseModel):
    id: int
    person_id: int
    crime_id: int | None
    crime_reference: str | None
    right_number: int
    right_title: str
    what: str
    enhanced: bool
    due_at: datetime
    officer: str | None
    met_at: datetime | None
    met_by: str | None
    overdue: bool


class ContactOut(BaseModel):
    id: int
    crime_reference: str | None
    entitlement_id: int | None
    contacted_at: datetime
    method: str
    by: str
    summary: str


class VictimOut(BaseModel):
    person_id: int
    name: str
    entitlements: list[EntitlementOut]
    contacts: list[ContactOut]


class ContactIn(BaseModel):
    person_id: int = Field(ge=1, le=2**62)
    contacted_at: datetime
    method: Literal["phone", "in-person", "letter", "email", "text", "via-third-party"]
    summary: str = Field(max_length=10_000)
    entitlement_id: int | None = Field(default=None, ge=1, le=2**62, description="The entitlement it meets")
    crime_id: int | None = Field(default=None, ge=1, le=2**62)


class ContactCreatedOut(BaseModel):
    contact_id: int
    entitlement_met: EntitlementOut | None


class OverdueOut(BaseModel):
    overdue: list[EntitlementOut]
    by_officer: dict[str, int]


def entitlement_out(e: service.EntitlementView) -> EntitlementOut:
    return EntitlementOut(id=e.id, person_id=e.person_id, crime_id=e.crime_id, crime_reference=e.crime_reference,
                          right_number=e.right_number, right_title=e.right_title, what=e.what, enhanced=e.enhanced,
                          due_at=e.due_at, officer=e.officer, met_at=e.met_at, met_by=e.met_by, overdue=e.overdue)


@router.get("/people/{person_id}", response_model=VictimOut)
async def get_victim(person_id: Annotated[int, Path(ge=1, le=2**62)], db: DbSession, actor: Reader) -> VictimOut:
    """A victim's entitlements (open first, soonest due) and contact log (newest first). Audited."""
    try:
        record = await service.victim_record(db, actor, person_id)
    except service.VictimsCodeNotFound:
        raise HTTPException(404, f"No person {person_id}.") from None
    return VictimOut(person_id=record.person_id, name=record.name,
                     entitlements=[entitlement_out(e) for e in record.entitlements],
                     contacts=[ContactOut(id=c.id, crime_reference=c.crime_reference, entitlement_id=c.entitlement_id,
                                          contacted_at=c.contacted_at, method=c.method, by=c.by, summary=c.summary)
                               for c in record.contacts])


@router.post("/contacts", response_model=ContactCreatedOut, status_code=201,
             responses={422: {"model": CrimeRefusedOut, "description": "Nothing was saved"}})
async def create_contact(body: ContactIn, db: DbSession, actor: Writer) -> ContactCreatedOut | JSONResponse:
    """Log a contact with a victim; naming an entitlement meets it (who and when are recorded)."""
    new = service.NewContact(person_id=body.person_id, contacted_at=body.contacted_at, method=body.method,
                             summary=body.summary, entitlement_id=body.entitlement_id, crime_id=body.crime_id)
    try:
        contact = await service.log_contact(db, actor, new, via="api")
    except service.VictimsCodeNotFound:
        raise HTTPException(404, f"No person {body.person_id}.") from None
    except service.VictimsCodeRefused as refused:
        names = {"entitlement": "entitlement_id", "crime": "crime_id"}
        return refusal("The contact was not recorded.", refused.errors, names)
    met = None
    if contact.entitlement_id is not None:
        view, _ = await service.read_entitlement(db, actor, contact.entitlement_id)
        met = entitlement_out(view)
    return ContactCreatedOut(contact_id=contact.id, entitlement_met=met)


@router.get("/overdue", response_model=OverdueOut)
async def get_overdue(db: DbSession, actor: Supervisor) -> OverdueOut:
    """Entitlements past due and not met, across the force, oldest first; and how many each officer owes."""
    rows, by_officer = await service.overdue(db, actor)
    return OverdueOut(overdue=[entitlement_out(e) for e in rows], by_officer={o.officer: o.count for o in by_officer})
