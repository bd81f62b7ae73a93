"""An operation's results page, and its downloads: the figures as CSV and the one-page press summary (PDF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.service import uk_time
from safeguard.operations import press, results
from safeguard.web.deps import DbSession, Requires
from safeguard.web.downloads import csv_attachment
from safeguard.web.templating import render

router = APIRouter()

OperationId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.OPERATION_READ))]
NOT_FOUND = "There is no operation with that number in your force."


async def _summary(db: AsyncSession, actor: Actor, operation_id: int, via: str) -> results.OperationSummary:
    try:
        return await results.summary(db, actor, operation_id, via=via)
    except results.OperationNotFound:
        raise HTTPException(404, NOT_FOUND) from None


@router.get("/operations/{operation_id}/results")
async def results_page(request: Request, operation_id: OperationId, db: DbSession, actor: Reader) -> Response:
    found = await _summary(db, actor, operation_id, "web")
    return render(request, "operations/results.html", {
        "s": found, "headline": results.headline(found), "span_text": results.span_text,
        "long_date": results.long_date, "ordinary_label": results.ordinary_label,
        "categories": results.category_rows, "uk_time": uk_time, "title": f"{found.name}: results"})


@router.get("/operations/{operation_id}/results.csv")
async def results_csv(operation_id: OperationId, db: DbSession, actor: Reader) -> Response:
    """The figures and the outstanding targets (by name) as CSV. Audited as an export."""
    found = await _summary(db, actor, operation_id, "csv")
    await audit.record(db, action="operation.results_export", actor=actor, object_type="operation",
                       object_id=operation_id, details={"format": "csv", "outstanding": len(found.outstanding)})
    return csv_attachment(results.to_csv(found), f"operation-{operation_id}-results-{found.period.start}.csv")


@router.get("/operations/{operation_id}/press.pdf")
async def press_pdf(operation_id: OperationId, db: DbSession, actor: Reader) -> Response:
    """The one-page press summary, OFFICIAL, with no personal data. Audited as an export."""
    found = await _summary(db, actor, operation_id, "press")
    await audit.record(db, action="operation.results_export", actor=actor, object_type="operation",
                       object_id=operation_id, details={"format": "press-pdf"})
    name = f"operation-{operation_id}-press-summary-{found.period.start}.pdf"
    return Response(press.render(found), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
