"""The home page for each role, and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select, text

from safeguard.auth.actor import Actor
from safeguard.auth.models import Team
from safeguard.auth.permissions import ROLES, P
from safeguard.web.deps import DbSession, Public, Requires
from safeguard.web.templating import navigation_for, render

router = APIRouter()

# What each role comes to Safeguard for, in the force's words. Grows with each capability.
CAPABILITIES: dict[P, str] = {
    P.CONTACT_WRITE: "Take calls and reports on every channel, and grade them",
    P.CONTACT_READ: "See who and what is known at a caller's number and address",
    P.PERSON_READ: "Look up people and their history",
    P.PERSON_WRITE: "Link and correct person records",
    P.INCIDENT_WRITE: "Record incidents",
    P.RISK_WRITE: "Complete DASH risk assessments",
    P.RISK_REVIEW: "Review DASH risk assessments as a supervisor",
    P.MARAC_WRITE: "Refer victims to MARAC, run meetings and track their actions",
    P.SAFEGUARDING_WRITE: "Refer victims to support, record safe contact and Victims' Code contact",
    P.ORDER_WRITE: "Record protection notices and orders, and their breaches",
    P.DISCLOSURE_WRITE: "Handle Clare's Law requests: checks, decision and disclosure",
    P.VICTIMS_SUPERVISE: "See overdue Victims' Code contact across the force",
    P.SERVICES_ADMIN: "Keep the support-services directory",
    P.CRIME_WRITE: "Record crimes, suspects, arrests, charges and outcomes",
    P.TARGETS_READ: "See perpetrators ranked by harm",
    P.TARGETS_WRITE: "Rank perpetrators by harm and keep the force's ranking weights",
    P.OPERATION_WRITE: "Plan and run targeted operations",
    P.ATTEMPT_WRITE: "Record arrest attempts on an operation, from a phone",
    P.REPORT_READ: "Read reports and results",
    P.AUDIT_READ: "Review who looked at what",
    P.USER_ADMIN: "Manage staff accounts",
}


@router.get("/")
async def home(request: Request, db: DbSession, actor: Annotated[Actor, Depends(Requires(P.HOME_VIEW))]) -> Response:
    role = ROLES[actor.role] if actor.role in ROLES else None
    team_name = await db.scalar(select(Team.name).where(Team.id == actor.team_id)) if actor.team_id else None
    capabilities = [line for permission, line in CAPABILITIES.items() if actor.can(permission)]
    links = [item for item in navigation_for(actor) if item.href != "/"]
    return render(request, "home.html", {
        "home_title": role.home_title if role else "Home", "team_name": team_name,
        "capabilities": capabilities, "links": links,
    })


@router.get("/healthz", dependencies=[Depends(Public())])
async def healthz(request: Request) -> Response:
    """Is the service up and can it reach its database?"""
    try:
        async with request.app.state.sessionmaker() as db:
            await db.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
