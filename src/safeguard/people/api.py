"""People in the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import service
from safeguard.people.schemas import AddressOut, PersonOut, SearchHit, SearchOut
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


@router.get("/{person_id}", response_model=PersonOut)
async def get_person(person_id: Annotated[int, Path(ge=1, le=2**62)], db: DbSession,
                     actor: Annotated[Actor, Depends(Requires(P.PERSON_READ))]) -> PersonOut:
    """One person record. The read is audited."""
    try:
        person = await service.read_person(db, actor, person_id)
    except service.PersonNotFound:
        raise HTTPException(404, f"No person {person_id}.") from None
    return PersonOut(id=person.id, display_name=person.display_name, date_of_birth=person.date_of_birth,
                     gender=person.gender, restricted=person.restricted, aliases=person.aliases,
                     phones=person.phones,
                     addresses=[AddressOut(address=a.text, from_date=a.from_date, to_date=a.to_date)
                                for a in person.addresses])
