"""The live board for control-room supervisors: the page, its rows as an HTML fragment, and the event stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import board
from safeguard.crimes.service import uk_time
from safeguard.db.engine import psycopg_dsn
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import render

router = APIRouter()

Reader = Annotated[Actor, Depends(Requires(P.CONTACT_READ))]
EVENT_STREAM = "text/event-stream"


def _context(rows: list[board.BoardRow]) -> dict[str, object]:
    now = board.now_utc()
    return {"groups": board.board_groups(rows), "now": now, "count": len(rows), "uk_time": uk_time,
            "duration": board.duration, "timer_text": board.timer_text}


@router.get("/board")
async def board_page(request: Request, db: DbSession, actor: Reader) -> Response:
    rows = await board.board_rows(db, actor)
    await audit.record(db, action="contact_board.viewed", actor=actor, object_type="contact_board",
                       details={"open": len(rows)})
    return render(request, "board/board.html", {"title": "Live board", **_context(rows)})


@router.get("/board/rows")
async def board_fragment(request: Request, db: DbSession, actor: Reader) -> Response:
    """The board's rows alone, for the page's script to swap in when the stream says something changed."""
    return render(request, "board/_rows.html", _context(await board.board_rows(db, actor)))


def _listen_dsn(request: Request) -> str:
    bind = request.app.state.sessionmaker.kw["bind"]
    engine = bind if isinstance(bind, AsyncEngine) else bind.engine
    return psycopg_dsn(engine.url.render_as_string(hide_password=False))


@router.get("/board/events")
async def board_events(request: Request, db: DbSession, actor: Reader) -> Response:
    """Server-sent events: `event: contact` with the contact id as data, for the reader's force only.

    Only a client that asks for `text/event-stream` (a browser's EventSource) gets the long-lived stream; any
    other request gets the `retry` line and ends at once, so a link followed by hand or a crawler holds nothing.
    """
    force_id = actor.force_id
    # End the request's transaction now: the stream must not hold a pooled connection while it runs.
    await db.commit()
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if EVENT_STREAM not in request.headers.get("accept", ""):
        return Response(f"retry: {board.RETRY_MS}\n: ask with Accept: text/event-stream\n\n",
                        media_type=EVENT_STREAM, headers=headers)
    return StreamingResponse(board.contact_events(_listen_dsn(request), force_id), media_type=EVENT_STREAM,
                             headers=headers)
