"""People in the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import history, markers, relationships, service
from safeguard.people.schemas import (
    AddressOut,
    MarkerOut,
    PersonNotFoundOut,
    PersonOut,
    RelationshipOut,
    SearchHit,
    SearchOut,
)
from safeguard.people.search import search_people
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/people", tags=["people"])


@router.get("/search", response_model=SearchOut)
async def search(db: DbSession, actor: Annotated[Actor, Depends(Requires(P.PERSON_READ))],
                 q: Annotated[str, Query(min_length=1, max_length=200, description="Names, date of birth, phone or "
                                         "postcode, as typed")]) -> SearchOut:
    """People in your force matching the query, ranked, each saying why it matched. Audited."""
    results = await search_people(db, q)
    await audit.record(db, action="person.search", actor=actor, details={"query": q, "results": len(results)})
    return SearchOut(results=[SearchHit(id=r.id, display_name=r.display_name, date_of_birth=r.date_of_birth,
                                        score=r.score, why=r.why) for r in results])


@router.get("/{person_id}", response_model=PersonOut,
            responses={404: {"model": PersonNotFoundOut,
                             "description": "No such person in your force; when the record was merged into "
                                            "another, the surviving record's id is in `merged_into`"}})
async def get_person(person_id: Annotated[int, Path(ge=1, le=2**62)], db: DbSession,
                     actor: Annotated[Actor, Depends(Requires(P.PERSON_READ))]) -> PersonOut | JSONResponse:
    """One person record, with the markers active today and the people personally connected. Audited."""
    record = await history.visible_person(db, actor, person_id)
    if record is not None and record.merged_into_id is not None:
        survivor = await history.surviving_record(db, actor, person_id)
        if survivor is None:
            raise HTTPException(404, f"No person {person_id}.")
        return JSONResponse({"detail": f"Person {person_id} was merged into person {survivor}.",
                             "merged_into": survivor}, status_code=404)
    try:
        person = await service.read_person(db, actor, person_id)
    except service.PersonNotFound:
        raise HTTPException(404, f"No person {person_id}.") from None
    active = (await markers.markers_for(db, person_id=person_id)).active
    connected = await relationships.relationships_for(db, person_id, actor=actor)
    return PersonOut(id=person.id, display_name=person.display_name, date_of_birth=person.date_of_birth,
                     gender=person.gender, restricted=person.restricted, aliases=person.aliases,
                     phones=person.phones,
                     addresses=[AddressOut(address=a.text, from_date=a.from_date, to_date=a.to_date)
                                for a in person.addresses],
                     markers=[MarkerOut(id=m.id, kind=m.kind, label=m.label, note=m.note, starts_on=m.starts_on,
                                        ends_on=m.ends_on, set_by=m.set_by) for m in active],
                     relationships=[RelationshipOut(person_id=c.person_id, display_name=c.display_name,
                                                    date_of_birth=c.date_of_birth, kind=c.kind,
                                                    kind_label=c.kind_label, detail=c.detail, since=c.since,
                                                    withheld=c.withheld) for c in connected])
