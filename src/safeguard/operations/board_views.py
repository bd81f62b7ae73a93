"""The live operation board: the page, its figures as an HTML fragment, and the event stream (operations:read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact.board_views import _listen_dsn
from safeguard.operations import board, results
from safeguard.operations.models import Operation
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import render

router = APIRouter()

OperationId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.OPERATION_READ))]
EVENT_STREAM = "text/event-stream"
NOT_FOUND = "There is no operation with that number in your force."


async def _operation(db: AsyncSession, operation_id: int) -> Operation:
    try:
        return await results.load_operation(db, operation_id)
    except results.OperationNotFound:
        raise HTTPException(404, NOT_FOUND) from None


def _context(found: board.Board) -> dict[str, object]:
    return {"b": found, "span_text": results.span_text, "long_date": results.long_date,
            "status_labels": board.STATUS_LABELS}


@router.get("/operations/{operation_id}/board")
async def board_page(request: Request, operation_id: OperationId, db: DbSession, actor: Reader) -> Response:
    operation = await _operation(db, operation_id)
    found = await board.board(db, actor, operation)
    await audit.record(db, action="operation_board.viewed", actor=actor, object_type="operation",
                       object_id=operation.id)
    return render(request, "operations/board.html", {"title": f"{operation.name}: live board", **_context(found)})


@router.get("/operations/{operation_id}/board/rows")
async def board_fragment(request: Request, operation_id: OperationId, db: DbSession, actor: Reader) -> Response:
    """The board's figures alone, for the page's script to swap in when the stream says something changed."""
    operation = await _operation(db, operation_id)
    return render(request, "operations/board_rows.html", _context(await board.board(db, actor, operation)))


@router.get("/operations/{operation_id}/board/events")
async def board_events(request: Request, operation_id: OperationId, db: DbSession, actor: Reader) -> Response:
    """Server-sent events: `event: board` whenever a change may move this operation's board. The data is the
    operation id, or `none` for a force-wide arrest or charge: never personal data.

    Only a client that asks for `text/event-stream` gets the long-lived stream; any other request gets the
    `retry` line and ends at once."""
    operation = await _operation(db, operation_id)
    force_id = actor.force_id
    # End the request's transaction now: the stream must not hold a pooled connection while it runs.
    await db.commit()
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if EVENT_STREAM not in request.headers.get("accept", ""):
        return Response(f"retry: {board.RETRY_MS}\n: ask with Accept: text/event-stream\n\n",
                        media_type=EVENT_STREAM, headers=headers)
    return StreamingResponse(board.board_events(_listen_dsn(request), force_id, operation.id),
                             media_type=EVENT_STREAM, headers=headers)
