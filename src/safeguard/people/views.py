"""The person page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from safeguard.audit import service as audit
from safeguard.audit.service import who_viewed
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import history, service
from safeguard.people.models import Person
from safeguard.people.search import search_people
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import render

router = APIRouter()


@router.get("/people")
async def search_page(request: Request, db: DbSession, actor: Annotated[Actor, Depends(Requires(P.PERSON_READ))],
                      q: Annotated[str, Query(max_length=200)] = "") -> Response:
    results = await search_people(db, q) if q.strip() else []
    if q.strip():
        await audit.record(db, action="person.search", actor=actor, details={"query": q, "results": len(results)})
    return render(request, "people/search.html", {"q": q, "results": results})


@router.get("/people/{person_id}")
async def person_page(request: Request, person_id: Annotated[int, Path(ge=1, le=2**62)], db: DbSession,
                      actor: Annotated[Actor, Depends(Requires(P.PERSON_READ))]) -> Response:
    try:
        person = await service.read_person(db, actor, person_id)
    except service.PersonNotFound:
        raise HTTPException(404, "There is no person with that number in your force.") from None
    record = await db.get(Person, person_id)
    assert record is not None
    entries = await history.timeline(db, person_id)
    person_flags = await history.flags(db, record, await history.rules_for(db, actor.force_id))
    viewings = await who_viewed(db, "person", person_id) if actor.can(P.AUDIT_READ) else None
    return render(request, "people/person.html", {"person": person, "title": person.display_name,
                                                  "timeline": entries, "flags": person_flags,
                                                  "viewings": viewings})
