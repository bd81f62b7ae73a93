"""Operations in the API: read them (audited), plan arrest attempts and record their outcomes.

Creating an operation and choosing its targets need `operations:write`, which is for signed-in staff only
(it is not a token scope), so they are done on the pages; an integration reads operations and records
attempts with the `operations:read` and `operations:attempts` scopes (and `arrests:write` to record an arrest).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import CrimeRefusedOut
from safeguard.operations import attempts, service
from safeguard.operations.schemas import (
    AttemptIn,
    AttemptOut,
    OperationListOut,
    OperationOut,
    OperationSummaryOut,
    OutcomeIn,
    TargetOut,
)
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/operations", tags=["operations"])

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.OPERATION_READ))]
Recorder = Annotated[Actor, Depends(Requires(P.ATTEMPT_WRITE))]
FIELDS = {"team": "team_id"}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such operation in your force, or no such attempt in the operation"},
    409: {"description": "The operation is not active, or the attempt was already recorded"},
    422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault is named with the reason"},
}


def attempt_out(a: service.AttemptView) -> AttemptOut:
    return AttemptOut(id=a.id, target_id=a.target_id, person_id=a.person_id, display_name=a.display_name,
                      planned_at=a.planned_at, address=a.address, team_id=a.team_id, planned_by=a.planned_by,
                      outcome=a.outcome, attempted_at=a.attempted_at, notes=a.notes, recorded_by=a.recorded_by,
                      arrest_id=a.arrest_id)


def operation_out(o: service.OperationDetail) -> OperationOut:
    return OperationOut(
        id=o.id, name=o.name, objective=o.objective, starts_on=o.starts_on, ends_on=o.ends_on, status=o.status,
        lead_name=o.lead_name,
        targets=[TargetOut(id=t.id, person_id=t.person_id, display_name=t.display_name, source=t.source, rank=t.rank,
                           score=t.score, flags=t.flags, suspect_id=t.suspect_id, crime_reference=t.crime_reference,
                           team_kind=t.team_kind, team_id=t.team_id, status=t.status, overlaps=t.overlaps,
                           overlap_with=t.overlap_with, note=t.note) for t in o.targets],
        attempts=[attempt_out(a) for a in o.attempts])


@router.get("", response_model=OperationListOut)
async def list_operations(db: DbSession, actor: Reader) -> OperationListOut:
    """The force's operations, newest first, with their targets arrested and in all."""
    return OperationListOut(results=[OperationSummaryOut(
        id=o.id, name=o.name, starts_on=o.starts_on, ends_on=o.ends_on, status=o.status, lead_name=o.lead_name,
        targets=o.targets, targets_arrested=o.arrested) for o in await service.list_operations(db, actor)])


@router.get("/{operation_id}", response_model=OperationOut, responses={404: ERRORS[404]})
async def get_operation(operation_id: Id, db: DbSession, actor: Reader) -> OperationOut:
    """An operation with its targets (status, team, flags) and its attempts. Audited, naming the people shown."""
    try:
        return operation_out(await service.read_operation(db, actor, operation_id, page="api"))
    except service.OperationNotFound:
        raise HTTPException(404, f"No operation {operation_id}.") from None


async def _attempt(db: DbSession, actor: Actor, operation_id: int, attempt_id: int, reason: str) -> AttemptOut:
    operation = await service.load_operation(db, operation_id)
    found = await service.attempt_views(db, operation, attempt_id=attempt_id)
    await service.audit_people(db, actor, operation, [a.person_id for a in found], page="api", reason=reason)
    return attempt_out(found[0])


@router.post("/{operation_id}/attempts", response_model=AttemptOut, status_code=201, responses=ERRORS)
async def plan_attempt(operation_id: Id, body: AttemptIn, db: DbSession, actor: Recorder
                       ) -> AttemptOut | JSONResponse:
    """Plan an arrest attempt on one of the operation's targets: the address, the time and the team."""
    try:
        attempt = await attempts.plan_attempt(db, actor, operation_id, attempts.NewAttempt(
            target_id=body.target_id, planned_at=body.planned_at, address=body.address, team_id=body.team_id),
            via="api")
    except service.OperationNotFound:
        raise HTTPException(404, f"No operation {operation_id}.") from None
    except service.OperationConflict as conflict:
        raise HTTPException(409, conflict.message) from None
    except service.OperationRefused as problem:
        return refused("The attempt was not planned.", problem.errors, FIELDS)
    return await _attempt(db, actor, operation_id, attempt.id, "planned through the API")


@router.post("/{operation_id}/attempts/{attempt_id}/outcome", response_model=AttemptOut, status_code=201,
             responses=ERRORS)
async def record_outcome(operation_id: Id, attempt_id: Id, body: OutcomeIn, db: DbSession, actor: Recorder
                         ) -> AttemptOut | JSONResponse:
    """Record what happened at an attempt. "arrested" records the arrest (needs `arrests:write`), links it to
    the target's suspect record and the operation, and returns its id as `arrest_id`."""
    try:
        await attempts.record_outcome(db, actor, operation_id, attempt_id, attempts.Outcome(
            outcome=body.outcome, attempted_at=body.attempted_at, notes=body.notes,
            offence_codes=body.offence_codes, place=body.place), via="api")
    except service.OperationNotFound:
        raise HTTPException(404, f"No attempt {attempt_id} in operation {operation_id}.") from None
    except service.OperationConflict as conflict:
        raise HTTPException(409, conflict.message) from None
    except service.OperationRefused as problem:
        return refused("The outcome was not recorded.", problem.errors, FIELDS)
    return await _attempt(db, actor, operation_id, attempt_id, "recorded through the API")
