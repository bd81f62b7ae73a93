"""The public pages (no sign-in): report domestic abuse online, and find help.

GET /report asks first whether anyone is in danger now; GET /report?danger=yes shows how to call 999 (and
silent 999 with 55) before anything else, then the report form; POST /report stores the report and sends the
browser to /report/sent, which says what happens next and repeats nothing of the report. GET /help lists 999,
silent 999 and 55, 101, the online report and the support-services directory.

Every page uses `public/base_public.html`: no staff navigation, "Exit this page" (GOV.UK Frontend, changed by
`static/js/quick-exit.js` to replace the page in the browser's history), and `Cache-Control: no-store` (set by
the SecurityHeaders middleware). The app-wide `csrf_protect` dependency covers POST /report: the form carries the
token, bound to the anonymous cookie that `render` sets.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.force.models import Force
from safeguard.public import service
from safeguard.public.ratelimit import limiter_for
from safeguard.web.deps import DbSession, Public, client_addr, settings_of
from safeguard.web.templating import render

router = APIRouter(dependencies=[Depends(Public())])

FORM_FIELDS = service.QUESTIONS
Answer = Annotated[str | None, Query()]  # any value: an unknown one gets the question again, with its error


def _page(request: Request, template: str, force: Force | None, context: dict[str, Any] | None = None,
          *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    settings = settings_of(request)
    page: dict[str, Any] = {
        "public_force": force,
        "public_force_name": force.name if force is not None else settings.safeguard_force_name,
        "exit_url": settings.safeguard_public_exit_url,
    }
    page.update(context or {})
    response = render(request, template, page, status_code=status_code, actor=None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _new_form_id() -> str:
    return secrets.token_urlsafe(18)


@router.get("/report")
async def report_page(request: Request, db: DbSession, danger: Answer = None, asked: Answer = None) -> Response:
    """The danger question first (no query); then, once answered, the report form."""
    force = await service.public_force(db, settings_of(request))
    if force is None:
        return _page(request, "public/unavailable.html", None)
    if danger is None and asked is None:
        return _page(request, "public/report_start.html", force, {"errors": {}, "values": {}})
    if danger not in service.ANSWERS:
        errors = {"danger_now": "Select yes if anyone is in danger now"}
        return _page(request, "public/report_start.html", force, {"errors": errors, "values": {}}, status_code=400)
    values = {"danger_now": danger, "form_id": _new_form_id()}
    return _page(request, "public/report.html", force, {"errors": {}, "values": values})


@router.post("/report")
async def submit_report(request: Request, db: DbSession) -> Response:
    limiter = limiter_for(request.app)
    client = client_addr(request) or "unknown"
    force = await service.public_force(db, settings_of(request))
    if not limiter.attempt(client) or not limiter.may_report(client):
        wait = limiter.retry_after(client)
        return _page(request, "public/too_many.html", force, {"minutes": max(1, -(-wait // 60))},
                     status_code=429, headers={"Retry-After": str(wait)})
    if force is None:
        return _page(request, "public/unavailable.html", None, status_code=503)
    form = await request.form()
    values = {name: str(form.get(name, "")) if isinstance(form.get(name, ""), str) else "" for name in FORM_FIELDS}
    form_id = form.get("form_id")
    values["form_id"] = form_id if isinstance(form_id, str) and service.FORM_ID.fullmatch(form_id) else _new_form_id()
    data = service.ReportInput(**{name: values[name] for name in FORM_FIELDS})
    try:
        await service.submit_report(db, force=force, data=data, form_id=values["form_id"])
    except service.ReportRefused as refused:
        return _page(request, "public/report.html", force, {"errors": refused.errors, "values": values},
                     status_code=400)
    limiter.reported(client)
    return RedirectResponse("/report/sent", status_code=303)


@router.get("/report/sent")
async def report_sent(request: Request, db: DbSession) -> Response:
    force = await service.public_force(db, settings_of(request))
    return _page(request, "public/sent.html", force)


@router.get("/help")
async def help_page(request: Request, db: DbSession) -> Response:
    force = await service.public_force(db, settings_of(request))
    groups = await service.help_directory(db, force)
    return _page(request, "public/help.html", force, {"groups": groups})
