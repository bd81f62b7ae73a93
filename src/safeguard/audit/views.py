"""The audit trail page for information managers and auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from safeguard.audit import service
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import render

router = APIRouter()


@router.get("/audit")
async def audit_events(request: Request, db: DbSession, actor: Annotated[Actor, Depends(Requires(P.AUDIT_READ))]
                       ) -> Response:
    events = await service.recent_events(db, limit=200)
    await service.record(db, action="audit.viewed", actor=actor)
    return render(request, "audit/events.html", {"events": events})
