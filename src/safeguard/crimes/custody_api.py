"""Arrests and custody records in the API, under the same rules as the pages. Every read is audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import custody, suspects
from safeguard.crimes.api import _person
from safeguard.crimes.schemas import (
    ArrestIn,
    ArrestOut,
    ArrivalIn,
    ClockOut,
    CrimeRefusedOut,
    ExtensionIn,
    ReleaseIn,
    ReviewIn,
    ReviewOut,
    WarningOut,
    WarrantIn,
)
from safeguard.crimes.service import CrimeRefused
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/crimes/arrests", tags=["arrests"])

ArrestId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.CRIME_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]
Arrester = Annotated[Actor, Depends(Requires(P.ARREST_WRITE))]  # response officers record their arrests
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault is named with the reason"}}
ARREST_FIELDS = {"suspect": "suspect_id", "offences": "offence_codes", "team": "team_id",
                 "operation": "operation_id", "arrived_at": "arrived_at_station",
                 "authorised_at": "detention_authorised_at"}


def arrest_out(a: custody.ArrestView) -> ArrestOut:
    c = a.clock
    return ArrestOut(
        id=a.id, suspect_id=a.suspect_id, suspect_status=a.suspect_status, crime_id=a.crime_id,
        crime_reference=a.crime_reference, person=_person(a.person), arrested_at=a.arrested_at, place=a.place,
        arrested_by=a.arrested_by, team_id=a.team_id, team=a.team, operation_id=a.operation_id,
        da_related=a.da_related, for_bail_breach=a.for_bail_breach, offence_codes=[code for code, _ in a.offences],
        custody_station=a.custody_station, arrived_at_station=a.arrived_at_station,
        detention_authorised_at=a.detention_authorised_at, released_at=a.released_at,
        release_reason=a.release_reason, superintendent_extension_at=a.superintendent_extension_at,
        superintendent_extension_by=a.superintendent_extension_by, warrant_until=a.warrant_until,
        reviews=[ReviewOut(id=r.id, reviewed_at=r.reviewed_at, by=r.by, rank=r.rank,
                           detention_continued=r.detention_continued, note=r.note) for r in a.reviews],
        clock=ClockOut(running=c.running, relevant_time=c.relevant_time,
                       relevant_time_estimated=c.relevant_time_estimated, reviews_from=c.reviews_from,
                       next_review_due=c.next_review_due, reviews_done=c.reviews_done, limit=c.limit,
                       limit_kind=c.limit_kind, basic_limit=c.basic_limit, extended_limit=c.extended_limit,
                       maximum=c.maximum, stopped_at=c.stopped_at, stopped_by=c.stopped_by,
                       warnings=[WarningOut(level=w.level, about=w.about, message=w.message) for w in c.warnings]))


@router.post("", response_model=ArrestOut, status_code=201, responses=REFUSED)
async def create_arrest(body: ArrestIn, db: DbSession, actor: Arrester) -> ArrestOut | JSONResponse:
    """Record an arrest of a suspect: it moves them to arrested and starts the custody clock."""
    new = custody.NewArrest(
        suspect_id=body.suspect_id, arrested_at=body.arrested_at, place=body.place, offence_codes=body.offence_codes,
        team_id=body.team_id, arresting_officer=body.arresting_officer, operation_id=body.operation_id,
        da_related=body.da_related, for_bail_breach=body.for_bail_breach, custody_station=body.custody_station,
        arrived_at_station=body.arrived_at_station, detention_authorised_at=body.detention_authorised_at)
    try:
        arrest = await custody.record_arrest(db, actor, new, via="api")
    except suspects.SuspectNotFound:
        return refused("The arrest was not recorded.", {"suspect_id": f"There is no suspect {body.suspect_id} in "
                                                                      "your force"})
    except CrimeRefused as problem:
        return refused("The arrest was not recorded.", problem.errors, ARREST_FIELDS)
    assert arrest is not None
    return arrest_out(await custody.read_arrest(db, actor, arrest.id, reason="recorded through the API"))


@router.get("/{arrest_id}", response_model=ArrestOut)
async def get_arrest(arrest_id: ArrestId, db: DbSession, actor: Reader) -> ArrestOut:
    """An arrest with its custody record, and the clock now: deadlines and warnings. Audited."""
    try:
        return arrest_out(await custody.read_arrest(db, actor, arrest_id))
    except custody.ArrestNotFound:
        raise HTTPException(404, f"No arrest {arrest_id}.") from None


async def _act(db: DbSession, actor: Actor, arrest_id: int, what: str,
               action: Callable[[], Awaitable[object]]) -> ArrestOut | JSONResponse:
    try:
        await action()
    except custody.ArrestNotFound:
        raise HTTPException(404, f"No arrest {arrest_id}.") from None
    except CrimeRefused as problem:
        return refused(f"The {what} was not recorded.", problem.errors)
    return arrest_out(await custody.read_arrest(db, actor, arrest_id, reason=f"{what} recorded through the API"))


@router.post("/{arrest_id}/arrival", response_model=ArrestOut, responses=REFUSED)
async def arrival(arrest_id: ArrestId, body: ArrivalIn, db: DbSession, actor: Writer) -> ArrestOut | JSONResponse:
    """The arrival at the custody station (the relevant time) and when detention was authorised."""
    return await _act(db, actor, arrest_id, "arrival", lambda: custody.record_arrival(
        db, actor, arrest_id, arrived_at=body.arrived_at, authorised_at=body.authorised_at,
        station=body.custody_station, via="api"))


@router.post("/{arrest_id}/reviews", response_model=ArrestOut, status_code=201, responses=REFUSED)
async def review(arrest_id: ArrestId, body: ReviewIn, db: DbSession, actor: Writer) -> ArrestOut | JSONResponse:
    """A review of continued detention (PACE s40)."""
    return await _act(db, actor, arrest_id, "review", lambda: custody.record_review(
        db, actor, arrest_id, custody.NewReview(reviewed_at=body.reviewed_at, by=body.by, rank=body.rank,
                                                detention_continued=body.detention_continued, note=body.note),
        via="api"))


@router.post("/{arrest_id}/extension", response_model=ArrestOut, responses=REFUSED)
async def extension(arrest_id: ArrestId, body: ExtensionIn, db: DbSession, actor: Writer
                    ) -> ArrestOut | JSONResponse:
    """A superintendent's extension to 36 hours (PACE s42): indictable offences, after review 2, within 24 hours."""
    return await _act(db, actor, arrest_id, "extension", lambda: custody.record_extension(
        db, actor, arrest_id, at=body.at, by=body.by, rank=body.rank, via="api"))


@router.post("/{arrest_id}/warrant", response_model=ArrestOut, responses=REFUSED)
async def warrant(arrest_id: ArrestId, body: WarrantIn, db: DbSession, actor: Writer) -> ArrestOut | JSONResponse:
    """A warrant of further detention or its extension (PACE s43, s44): 36 hours a time, 96 in all."""
    return await _act(db, actor, arrest_id, "warrant", lambda: custody.record_warrant(
        db, actor, arrest_id, issued_at=body.issued_at, until=body.until, court=body.court, via="api"))


@router.post("/{arrest_id}/release", response_model=ArrestOut, responses=REFUSED)
async def release(arrest_id: ArrestId, body: ReleaseIn, db: DbSession, actor: Writer) -> ArrestOut | JSONResponse:
    """Release from custody: the clock stops. Bail, RUI and NFA are suspect transitions (which release too)."""
    return await _act(db, actor, arrest_id, "release", lambda: custody.record_release(
        db, actor, arrest_id, released_at=body.released_at, reason=body.reason, via="api"))
