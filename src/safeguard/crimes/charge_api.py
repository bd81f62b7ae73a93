"""Charges and outcomes in the API, under the same rules as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import charges, service, suspects
from safeguard.crimes.api import crime_out
from safeguard.crimes.schemas import (
    ChargeIn,
    CrimeOut,
    CrimeRefusedOut,
    OutcomeIn,
    OutcomeTypeOut,
    OutcomeTypesOut,
    SuspectDetailOut,
)
from safeguard.crimes.suspect_api import suspect_out
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/crimes", tags=["charges"])

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.CRIME_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault is named"}}
CHARGE_FIELDS = {"suspect": "suspect_id", "offences": "offence_codes"}


@router.get("/outcome-types", response_model=OutcomeTypesOut)
async def outcome_types(db: DbSession, actor: Reader) -> OutcomeTypesOut:
    """The Home Office outcome types a crime's outcome is recorded with."""
    return OutcomeTypesOut(results=[OutcomeTypeOut(code=k.code, title=k.title, group=k.outcome_group, final=k.final,
                                                   confidence=k.confidence) for k in await charges.outcome_types(db)])


@router.post("/suspects/{suspect_id}/charges", response_model=SuspectDetailOut, status_code=201,
             responses=REFUSED)
async def charge(suspect_id: Id, body: ChargeIn, db: DbSession, actor: Writer) -> SuspectDetailOut | JSONResponse:
    """Charge a suspect (in custody after an arrest, or by summons or postal requisition). The custody clock stops,
    pre-charge bail ends, and the crime is marked charged."""
    new = charges.NewCharge(offence_codes=body.offence_codes, decided_by=body.decided_by, method=body.method,
                            code_test=body.code_test, charged_at=body.charged_at, remanded=body.remanded,
                            first_court_date=body.first_court_date, court=body.court,
                            bail_conditions=[c.model_dump() for c in body.bail_conditions])
    try:
        await charges.charge_suspect(db, actor, suspect_id, new, via="api")
    except suspects.SuspectNotFound:
        raise HTTPException(404, f"No suspect {suspect_id}.") from None
    except service.CrimeRefused as problem:
        return refused("The suspect was not charged.", problem.errors, CHARGE_FIELDS)
    return suspect_out(await suspects.read_suspect(db, actor, suspect_id, reason="charged through the API"))


@router.post("/{crime_id}/outcome", response_model=CrimeOut, responses=REFUSED)
async def outcome(crime_id: Id, body: OutcomeIn, db: DbSession, actor: Writer) -> CrimeOut | JSONResponse:
    """Give a crime its Home Office outcome; an unknown code is refused. A later outcome replaces an earlier one."""
    try:
        await charges.record_outcome(db, actor, crime_id, code=body.code, at=body.at, note=body.note, via="api")
    except service.CrimeNotFound:
        raise HTTPException(404, f"No crime {crime_id}.") from None
    except service.CrimeRefused as problem:
        return refused("The outcome was not recorded.", problem.errors)
    return crime_out(await service.read_crime(db, actor, crime_id, reason="outcome recorded through the API"))
