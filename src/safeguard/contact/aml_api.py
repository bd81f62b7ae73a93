"""AML in the control room: the receiving endpoint for SMS gateways and handsets, and the quarantine page.

POST /api/v1/aml (token scope aml:write) takes either the SMS body as text/plain, with the sender's number as
the gateway saw it in ?msisdn=, or the HTTPS variant as application/x-www-form-urlencoded. The response names
what happened: stored and attached to a contact, held, a duplicate, or quarantined with the reason. A message
that cannot be used is always kept in the quarantine. The SMS form gets a 4xx for it; the HTTPS form gets a
2xx, because its specification requires the endpoint to answer 2xx even when it discards a message.

GET /aml/quarantine (contacts:read) lists recent quarantined messages for a control-room supervisor.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import aml_service as service
from safeguard.crimes.service import uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import render

router = APIRouter(tags=["aml"])

Sender = Annotated[Actor, Depends(Requires(P.AML_WRITE))]
Reader = Annotated[Actor, Depends(Requires(P.CONTACT_READ))]
FORM = "application/x-www-form-urlencoded"


@router.post("/api/v1/aml", status_code=201, responses={
    200: {"description": "A duplicate (not stored twice), or an HTTPS message quarantined (the HTTPS form is "
                         "always answered 2xx)"},
    201: {"description": "Stored: attached to a contact, or held until the call arrives"},
    413: {"description": "SMS form: the message was too large; its start is kept in the quarantine"},
    422: {"description": "SMS form: the message could not be used; it is kept in the quarantine with the reason"},
})
async def receive_aml(request: Request, db: DbSession, actor: Sender,
                      msisdn: Annotated[str | None, Query(description="SMS form: the sender's number as the "
                                                                      "gateway saw it, e.g. +447700900123")] = None
                      ) -> JSONResponse:
    """Receive one AML message (SMS text body, or the HTTPS form). See docs/aml.md."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == FORM:
        fields: dict[str, str] = {}
        for key, value in parse_qsl(body.decode("utf-8", errors="replace")[:service.MAX_MESSAGE_BYTES],
                                    keep_blank_values=True, max_num_fields=200, errors="replace"):
            fields.setdefault(key, value)  # the first value of a repeated field
        outcome = await service.receive_https(db, actor, body=body, fields=fields)
        status = 201 if outcome.status in ("attached", "held") else 200
        payload = service.outcome_json(outcome)
        if outcome.status == "quarantined":
            payload["note"] = ("Answered 2xx because the HTTPS AML specification requires it even when a "
                               "message is discarded; the message is kept in the quarantine.")
        return JSONResponse(payload, status_code=status)
    outcome = await service.receive_sms(db, actor, body=body, msisdn=msisdn)
    payload = service.outcome_json(outcome)
    if outcome.status == "quarantined":
        too_large = len(body) > service.MAX_MESSAGE_BYTES
        payload["errors"] = [{"field": outcome.field or "body", "message": outcome.reason}]
        return JSONResponse(payload, status_code=413 if too_large else 422)
    return JSONResponse(payload, status_code=201 if outcome.status in ("attached", "held") else 200)


@router.get("/aml/quarantine", response_class=HTMLResponse)
async def quarantine_page(request: Request, db: DbSession, actor: Reader) -> HTMLResponse:
    """Recent AML messages that could not be used, with the reason. Audited."""
    rows = await service.recent_quarantine(db, actor)
    return render(request, "aml/quarantine.html", {"rows": rows, "uk_time": uk_time,
                                                   "limit": service.QUARANTINE_PAGE_SIZE})
