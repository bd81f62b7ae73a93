"""Crimes in the API: read one (audited) and record one from an incident, under the same rules as the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import service
from safeguard.crimes.schemas import (
    CrimeIn,
    CrimeOut,
    CrimeRefusedOut,
    OffenceOut,
    OutcomeOut,
    PersonRef,
    SuspectOut,
)
from safeguard.web.api_errors import refusal
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/crimes", tags=["crimes"])


def _person(p: service.PersonInCrime) -> PersonRef:
    return PersonRef(person_id=p.person_id, display_name=p.display_name, date_of_birth=p.date_of_birth,
                     withheld=p.withheld)


def crime_out(crime: service.CrimeView) -> CrimeOut:
    outcome = crime.outcome
    return CrimeOut(
        id=crime.id, reference=crime.reference, incident_id=crime.incident_id,
        incident_reference=crime.incident_reference, occurred_at=crime.occurred_at, recorded_at=crime.recorded_at,
        recorded_by=crime.recorded_by, da_related=crime.da_related, status=crime.status, area=crime.area,
        offences=[OffenceOut(code=o.code, title=o.title, legislation=o.legislation, ho_class=o.ho_class,
                             category=o.category, harm_weight=o.harm_weight, harm_source=o.harm_source,
                             principal=o.principal) for o in crime.offences],
        victims=[_person(p) for p in crime.victims], witnesses=[_person(p) for p in crime.witnesses],
        suspects=[SuspectOut(id=s.id, person=_person(s.person), status=s.status, status_since=s.status_since,
                             wanted_since=s.wanted_since, circulated=s.circulated) for s in crime.suspects],
        outcome=None if outcome is None else OutcomeOut(code=outcome.code, title=outcome.title, group=outcome.group,
                                                        confidence=outcome.confidence, at=outcome.at,
                                                        by=outcome.by, note=outcome.note))


@router.get("/{crime_id}", response_model=CrimeOut)
async def get_crime(crime_id: Annotated[int, Path(ge=1, le=2**62)], db: DbSession,
                    actor: Annotated[Actor, Depends(Requires(P.CRIME_READ))]) -> CrimeOut:
    """One crime: offences with their harm weights, victims, witnesses, suspects with their status, outcome.
    Restricted people are withheld. Audited."""
    try:
        crime = await service.read_crime(db, actor, crime_id)
    except service.CrimeNotFound:
        raise HTTPException(404, f"No crime {crime_id}.") from None
    return crime_out(crime)


@router.post("", response_model=CrimeOut, status_code=201,
             responses={422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault "
                                                                       "is named with the reason"}})
async def create_crime(body: CrimeIn, db: DbSession,
                       actor: Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]) -> CrimeOut | JSONResponse:
    """Record a crime from an incident (by id or reference). Suspects start as outstanding."""
    incident_id = body.incident_id
    if incident_id is None and body.incident_reference:
        found = await service.incidents_by_reference(db, body.incident_reference)
        if len(found) > 1:
            return _refused({"incident_reference": f"{len(found)} incidents have the reference "
                                                   f"{body.incident_reference}; give incident_id"})
        if not found:
            return _refused({"incident_reference": f"There is no incident {body.incident_reference} in your force"})
        incident_id = found[0].id
    new = service.NewCrime(incident_id=incident_id, offence_codes=body.offence_codes, victim_ids=body.victim_ids,
                           suspect_ids=body.suspect_ids, witness_ids=body.witness_ids,
                           occurred_at=body.occurred_at, da_related=body.da_related, status=body.status)
    try:
        crime = await service.record_crime(db, actor, new, via="api")
    except service.CrimeRefused as refused:
        names = {"incident": "incident_id", "offences": "offence_codes", "victims": "victim_ids",
                 "suspects": "suspect_ids", "witnesses": "witness_ids"}
        return _refused({names.get(name, name): message for name, message in refused.errors.items()})
    return crime_out(await service.read_crime(db, actor, crime.id, reason="recorded through the API"))


def _refused(errors: dict[str, str]) -> JSONResponse:
    return refusal("The crime was not recorded.", errors)
