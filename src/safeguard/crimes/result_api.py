"""Results for any period in the API: counts only, for reports and operations summaries (reports:read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import results
from safeguard.crimes.schemas import (
    CategoryCountOut,
    CrimeRefusedOut,
    GroupCountOut,
    OutcomeCountOut,
    ResultsOut,
)
from safeguard.crimes.service import CrimeRefused
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/crimes", tags=["results"])


@router.get("/results", response_model=ResultsOut,
            responses={422: {"model": CrimeRefusedOut, "description": "A bad period, naming from or to"}})
async def get_results(db: DbSession, actor: Annotated[Actor, Depends(Requires(P.REPORT_READ))],
                      start: Annotated[date, Query(alias="from", description="The first day, YYYY-MM-DD (UK)")],
                      end: Annotated[date, Query(alias="to", description="The day after the period, YYYY-MM-DD")],
                      da_only: bool = False) -> ResultsOut | JSONResponse:
    """People arrested (and for DA), arrests, charges by report category, outcomes by code and group, for the
    period [from, to). Audited."""
    try:
        found = await results.results(db, actor, start, end, da_only=da_only, via="api")
    except CrimeRefused as problem:
        return refused("The results were not computed.", problem.errors)
    return ResultsOut(
        start=found.start, end=found.end, da_only=found.da_only, people_arrested=found.people_arrested,
        people_arrested_da=found.people_arrested_da, arrests=found.arrests, arrests_da=found.arrests_da,
        arrests_in_operations=found.arrests_in_operations, charge_decisions=found.charge_decisions,
        people_charged=found.people_charged, charges=found.charges,
        charges_by_category=[CategoryCountOut(category=c.category, label=c.label, count=c.count)
                             for c in found.charges_by_category],
        outcomes=found.outcomes,
        outcomes_by_code=[OutcomeCountOut(code=o.code, title=o.title, group=o.group, count=o.count)
                          for o in found.outcomes_by_code],
        outcomes_by_group=[GroupCountOut(group=g, count=n) for g, n in found.outcomes_by_group])
