"""The incident page: the record every incident listed elsewhere (history at a glance, the contact page, a
person's timeline) links to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import incidents, intake
from safeguard.contact.rules import GRADE_LABELS
from safeguard.crimes.service import uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import render

router = APIRouter()

IncidentId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.INCIDENT_READ))]

NOT_FOUND = "There is no incident with that number in your force."


@router.get("/incidents/{incident_id}")
async def incident_page(request: Request, incident_id: IncidentId, db: DbSession, actor: Reader) -> Response:
    try:
        record = await incidents.read_incident(db, actor, incident_id)
    except incidents.IncidentNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    return render(request, "incidents/incident.html", {
        "i": record, "title": f"Incident {record.reference}", "uk_time": uk_time,
        "role_labels": incidents.ROLE_LABELS, "channel_labels": intake.CHANNEL_LABELS, "grade_labels": GRADE_LABELS,
        "can_record_crime": actor.can(P.CRIME_WRITE)})
