"""Suspects in the API: read one with its history (audited), move it on a step, and the wanted list."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import suspects
from safeguard.crimes.api import _person
from safeguard.crimes.schemas import (
    ArrestSummaryOut,
    BailConditionOut,
    BailOut,
    ChargeOut,
    CrimeRefusedOut,
    EventOut,
    NextStepOut,
    SuspectDetailOut,
    TransitionIn,
    WantedListOut,
    WantedOut,
)
from safeguard.crimes.service import CrimeRefused
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/crimes", tags=["suspects"])

SuspectId = Annotated[int, Path(ge=1, le=2**62)]
NOT_FOUND = "No suspect {0}."
FIELDS = {"bail_starts_on": "bail.starts_on", "bail_return_on": "bail.return_on", "bail_authority": "bail.authority",
          "bail_conditions": "bail.conditions", "bail_victim_views": "bail.victim_views"}


def suspect_out(s: suspects.SuspectDetail) -> SuspectDetailOut:
    return SuspectDetailOut(
        id=s.id, crime_id=s.crime_id, crime_reference=s.crime_reference, person=_person(s.person), status=s.status,
        status_since=s.status_since, wanted_since=s.wanted_since, circulated=s.circulated,
        circulation_note=s.circulation_note,
        history=[EventOut(at=e.at, from_status=e.from_status, to_status=e.to_status, by=e.by, reason=e.reason,
                          details=e.details) for e in s.history],
        bail=[BailOut(id=b.id, kind=b.kind, starts_on=b.starts_on, return_on=b.return_on, authority=b.authority,
                      conditions=[BailConditionOut(kind=kind, detail=detail) for kind, _, detail in b.conditions],
                      victim_views=b.victim_views, set_by=b.set_by, set_at=b.set_at, ended_at=b.ended_at,
                      end_reason=b.end_reason) for b in s.bails],
        arrests=[ArrestSummaryOut(id=a.id, arrested_at=a.arrested_at, place=a.place, custody_station=a.custody_station,
                                  released_at=a.released_at, release_reason=a.release_reason) for a in s.arrests],
        charges=[ChargeOut(id=c.id, charged_at=c.charged_at, method=c.method, decided_by=c.decided_by,
                           code_test=c.code_test, charged_by=c.charged_by,
                           offence_codes=[code for code, _ in c.offences],
                           remanded=c.remanded, first_court_date=c.first_court_date, court=c.court)
                 for c in s.charges],
        next_steps=[NextStepOut(to=to, how=how) for to, how in s.next_steps])


@router.get("/wanted", response_model=WantedListOut)
async def wanted(db: DbSession, actor: Annotated[Actor, Depends(Requires(P.CRIME_READ))],
                 area_id: Annotated[int | None, Query(ge=1, le=2**62)] = None, da_only: bool = False,
                 category: Annotated[str | None, Query(max_length=40)] = None,
                 min_harm: Annotated[Decimal | None, Query(ge=0, le=10**9)] = None) -> WantedListOut | JSONResponse:
    """Suspects wanted now, greatest harm (principal offence's weight) first, then longest wanted. Audited."""
    chosen = suspects.WantedFilter(area_id=area_id, da_only=da_only, category=category, min_harm=min_harm)
    problems = suspects.wanted_filter_problems([a for a, _ in await suspects.areas(db)], chosen)
    if problems:
        return refused("The wanted list was not read.", problems, {"area": "area_id"})
    items = await suspects.wanted_list(db, actor, chosen)
    return WantedListOut(results=[WantedOut(
        suspect_id=w.suspect_id, person=_person(w.person), crime_id=w.crime_id, crime_reference=w.crime_reference,
        da_related=w.da_related, area=w.area, offences=w.offences, principal_category=w.principal_category,
        harm_weight=w.harm_weight, wanted_since=w.wanted_since, circulated=w.circulated) for w in items])


@router.get("/suspects/{suspect_id}", response_model=SuspectDetailOut)
async def get_suspect(suspect_id: SuspectId, db: DbSession,
                      actor: Annotated[Actor, Depends(Requires(P.CRIME_READ))]) -> SuspectDetailOut:
    """A suspect with their history, bail, arrests, charges and the steps allowed next. Audited."""
    try:
        return suspect_out(await suspects.read_suspect(db, actor, suspect_id))
    except suspects.SuspectNotFound:
        raise HTTPException(404, NOT_FOUND.format(suspect_id)) from None


@router.post("/suspects/{suspect_id}/transitions", response_model=SuspectDetailOut, status_code=201,
             responses={422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault "
                                                                       "is named with the reason"}})
async def transition(suspect_id: SuspectId, body: TransitionIn, db: DbSession,
                     actor: Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]) -> SuspectDetailOut | JSONResponse:
    """Move a suspect on one step (wanted, outstanding, interviewed, bailed, released under investigation, no
    further action). Arrests and charges have their own calls."""
    bail = None
    if body.bail is not None:
        bail = suspects.BailTerms(return_on=body.bail.return_on, authority=body.bail.authority,
                                  conditions=[c.model_dump() for c in body.bail.conditions],
                                  starts_on=body.bail.starts_on, victim_views=body.bail.victim_views)
    step = suspects.Step(to=body.to, at=body.at, reason=body.reason, circulated=body.circulated,
                         circulation_note=body.circulation_note, bail=bail)
    try:
        await suspects.change_status(db, actor, suspect_id, step, via="api")
    except suspects.SuspectNotFound:
        raise HTTPException(404, NOT_FOUND.format(suspect_id)) from None
    except CrimeRefused as problem:
        return refused("The suspect's status was not changed.", problem.errors, FIELDS)
    return suspect_out(await suspects.read_suspect(db, actor, suspect_id, reason="changed through the API"))
