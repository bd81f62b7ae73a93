"""An operation's results in the API (operations:read): the summary whose keys integrations rely on.

The top-level keys are exactly those of the contract in docs/operation-results.md; anything more sits inside
`comparison`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.operations import results
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/operations", tags=["operations"])

OperationId = Annotated[int, Path(ge=1, le=2**62)]
NOT_FOUND = "There is no operation with that number in your force."


class PeriodOut(BaseModel):
    start: date = Field(description="The first day, UK time")
    end: date = Field(description="The last day, included")


class PreviousOperationOut(BaseModel):
    operation_id: int
    name: str
    period: PeriodOut
    arrests_total: int
    arrests_da: int
    arrests_targeted: int
    charges_by_category: dict[str, int]
    targets_total: int
    targets_arrested: int
    targets_outstanding: int


class OrdinaryPeriodOut(BaseModel):
    period: PeriodOut
    arrests_total: int
    arrests_da: int
    charges_by_category: dict[str, int]


class ComparisonOut(BaseModel):
    state: str = Field(description="not-started, running (figures so far) or finished")
    counted: PeriodOut | None = Field(description="The days the figures count: all, so far, or none yet")
    targets_withdrawn: int
    previous_operation: PreviousOperationOut | None = Field(
        description="The force's operation that ended most recently before this one started")
    ordinary_period: OrdinaryPeriodOut = Field(
        description="As many days as this operation has counted, ending the day before it started")


class SummaryOut(BaseModel):
    period: PeriodOut
    arrests_total: int
    arrests_da: int
    arrests_targeted: int
    charges_by_category: dict[str, int]
    targets_total: int
    targets_arrested: int
    targets_outstanding: int
    comparison: ComparisonOut


class NotFoundOut(BaseModel):
    detail: str


def _period(period: results.Period) -> PeriodOut:
    return PeriodOut(start=period.start, end=period.end)


def summary_out(found: results.OperationSummary) -> SummaryOut:
    previous = None
    if found.previous is not None:
        p = found.previous
        previous = PreviousOperationOut(
            operation_id=p.operation_id, name=p.name, period=_period(p.period), arrests_total=p.arrests_total,
            arrests_da=p.arrests_da, arrests_targeted=p.arrests_targeted, charges_by_category=p.charges_by_category,
            targets_total=p.targets_total, targets_arrested=p.targets_arrested,
            targets_outstanding=p.targets_outstanding)
    assert found.ordinary is not None
    o = found.ordinary
    return SummaryOut(
        period=_period(found.period), arrests_total=found.arrests_total, arrests_da=found.arrests_da,
        arrests_targeted=found.arrests_targeted, charges_by_category=found.charges_by_category,
        targets_total=found.targets_total, targets_arrested=found.targets_arrested,
        targets_outstanding=found.targets_outstanding,
        comparison=ComparisonOut(
            state=found.state, counted=_period(found.counted) if found.counted else None,
            targets_withdrawn=found.targets_withdrawn, previous_operation=previous,
            ordinary_period=OrdinaryPeriodOut(period=_period(o.period), arrests_total=o.arrests_total,
                                              arrests_da=o.arrests_da, charges_by_category=o.charges_by_category)))


@router.get("/{operation_id}/summary", response_model=SummaryOut,
            responses={404: {"model": NotFoundOut, "description": "No such operation in the caller's force"}})
async def get_summary(operation_id: OperationId, db: DbSession,
                      actor: Annotated[Actor, Depends(Requires(P.OPERATION_READ))]) -> SummaryOut | JSONResponse:
    """The operation's results for its period (UK days, both ends included): arrests force-wide, for DA and of
    its targets; offences charged by category (every category present); its targets arrested and outstanding;
    with the previous operation and an ordinary period beside it in `comparison`. Counts only. Audited."""
    try:
        found = await results.summary(db, actor, operation_id, via="api")
    except results.OperationNotFound:
        return JSONResponse({"detail": NOT_FOUND}, status_code=404)
    return summary_out(found)
