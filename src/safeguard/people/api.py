"""People in the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import service
from safeguard.people.schemas import AddressOut, PersonOut
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/people", tags=["people"])


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
