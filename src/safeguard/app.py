"""The web application: pages under /, JSON under /api/v1, one transaction per request."""

from __future__ import annotations

import copy
import gc
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard import __version__
from safeguard.config import Settings, get_settings
from safeguard.web.deps import CsrfFailed, Forbidden, LoginRequired, Public, Requires, csrf_protect
from safeguard.web.middleware import BodyLimit, SecurityHeaders
from safeguard.web.templating import LinkRule, render

_log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "web" / "static"

# Served by the framework itself rather than by a route we declare; open to anyone.
FRAMEWORK_PUBLIC_PATHS = {"/api/openapi.json"}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


PUBLIC_PAGES = ("/report", "/help")


def _error(request: Request, status_code: int, heading: str, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    path = request.url.path
    if any(path == page or path.startswith(page + "/") for page in PUBLIC_PAGES):
        # A member of the public keeps quick exit and the 999 guidance, and is never sent to the staff sign-in.
        settings = request.app.state.settings
        return render(request, "public/error.html", {
            "heading": heading, "message": message, "public_force_name": settings.safeguard_force_name,
            "exit_url": settings.safeguard_public_exit_url}, status_code=status_code, actor=None)
    return render(request, "error.html", {"heading": heading, "message": message, "status_code": status_code},
                  status_code=status_code)


def declared_access(route: APIRoute) -> list[object]:
    """The Requires/Public declarations anywhere in a route's dependency tree, or on its include."""
    found: list[object] = [dep.dependency for dep in getattr(route, "included_dependencies", ())
                           if isinstance(dep.dependency, Requires | Public)]
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Requires | Public):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def api_routes(routes: Iterable[BaseRoute], prefix: str = "", dependencies: tuple[Any, ...] = ()) -> Iterator[APIRoute]:
    """Every APIRoute at the path it is served on, including those inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            if prefix or dependencies:
                route = copy.copy(route)
                route.path = prefix + route.path
                route.included_dependencies = dependencies  # type: ignore[attr-defined]
            yield route
        included = getattr(route, "original_router", None)  # FastAPI's wrapper for an included router
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from api_routes(included.routes, prefix + (getattr(context, "prefix", "") or ""),
                                  dependencies + tuple(getattr(context, "dependencies", None) or ()))


def link_rules(app: FastAPI) -> list[LinkRule]:
    """For each page, in the order the app routes them, the permissions a GET needs: what `may_follow` checks
    before a template shows a link, so that nobody is offered a link that would refuse them."""
    rules = []
    for route in api_routes(app.routes):
        if "GET" not in (route.methods or set()):
            continue
        access = declared_access(route)
        needed = frozenset(d.permission for d in access if isinstance(d, Requires) and d.permission is not None)
        rules.append(LinkRule(compile_path(route.path)[0], needed, any(isinstance(d, Public) for d in access)))
    return rules


def check_routes_declare_access(app: FastAPI) -> None:
    missing = [f"{sorted(route.methods or [])} {route.path}" for route in api_routes(app.routes)
               if route.path not in FRAMEWORK_PUBLIC_PATHS and not declared_access(route)]
    if missing:
        raise RuntimeError("These routes declare no permission (use Requires(...) or Public()): " + ", ".join(missing))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Sign in, or send a valid API token as 'Authorization: Bearer ...'."},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, "You do not have access to this page", exc.message)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return _error(request, 403, "This form has expired",
                      "The form was missing its security token or it had expired, so nothing was saved. "
                      "Go back, reload the page and try again.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headings = {404: "Page not found", 405: "That action is not allowed here", 413: "Request too large"}
        if exc.status_code == 404:
            message = "There is no page at this address." if not _is_api(request) else "Not found."
            if isinstance(exc.detail, str) and exc.detail != "Not Found":
                message = exc.detail
        else:
            message = str(exc.detail)
        return _error(request, exc.status_code, headings.get(exc.status_code, "There is a problem"), message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"field": ".".join(str(part) for part in error["loc"] if part not in ("body", "query", "path")),
             "message": error["msg"]}
            for error in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": "The request is not valid.", "errors": problems}, status_code=422)
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return _error(request, 400, "There is a problem with what was sent", text)



class CatchAll:
    """Turn an unhandled error into the friendly 500 page, inside the security-headers middleware.

    Only the error's type is logged: its message could hold personal details. Nothing the request did is
    kept, because its transaction has already rolled back.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the last line of defence
            _log.error("unhandled error on %s %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__)
            if started:
                return
            response = _error(Request(scope), 500, "Sorry, there is a problem with Safeguard",
                              "Something went wrong on our side.")
            await response(scope, receive, send)


def _tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector's pauses out of the requests' tail.

    What start-up made (modules, the app and its routes, the pool) lives as long as the process: frozen, the
    collector stops walking it on every full collection. A request makes thousands of short-lived objects, so
    the youngest generation is collected every 20,000 allocations rather than every 700. Measured with
    `bench/intake_bench.py` (32 clients, 2 workers): /healthz p99 from about 220 ms to about 55 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def create_app(settings: Settings | None = None,
               sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = None
        if getattr(app.state, "sessionmaker", None) is None:
            from safeguard.db.engine import resolve_urls
            from safeguard.db.session import web_sessionmaker

            owned = web_sessionmaker(resolve_urls(settings).app, settings.safeguard_db_pool_size)
            app.state.sessionmaker = owned
            # A process that serves Safeguard (not a test run that hands the app its own connections).
            _tune_garbage_collector()
        yield
        if owned is not None:
            await owned.kw["bind"].dispose()

    app = FastAPI(
        title="Safeguard",
        version=__version__,
        description="A police force's domestic abuse response. Every route needs a signed-in user or a "
                    "scoped API token (Authorization: Bearer ...).",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.sessionmaker = sessionmaker

    from safeguard.audit.views import router as audit_views
    from safeguard.auth.api import router as auth_api
    from safeguard.auth.views import router as auth_views
    from safeguard.contact.aml_api import router as aml_api
    from safeguard.contact.api import router as contacts_api
    from safeguard.contact.board_views import router as board_views
    from safeguard.contact.grading_views import router as grading_views
    from safeguard.contact.incident_views import router as incident_views
    from safeguard.contact.specialist_views import router as specialist_views
    from safeguard.contact.views import router as contact_views
    from safeguard.crimes.api import router as crimes_api
    from safeguard.crimes.charge_api import router as charge_api
    from safeguard.crimes.charge_views import router as charge_views
    from safeguard.crimes.custody_api import router as custody_api
    from safeguard.crimes.custody_views import router as custody_views
    from safeguard.crimes.result_api import router as result_api
    from safeguard.crimes.result_views import router as result_views
    from safeguard.crimes.suspect_api import router as suspect_api
    from safeguard.crimes.suspect_views import router as suspect_views
    from safeguard.crimes.views import router as crimes_views
    from safeguard.operations.api import router as operations_api
    from safeguard.operations.board_views import router as operation_board_views
    from safeguard.operations.result_api import router as operation_result_api
    from safeguard.operations.result_views import router as operation_result_views
    from safeguard.operations.views import router as operation_views
    from safeguard.people.api import router as people_api
    from safeguard.people.duplicate_views import router as duplicate_views
    from safeguard.people.lookup_views import router as lookup_views
    from safeguard.people.views import router as people_views
    from safeguard.public.views import router as public_views
    from safeguard.risk.api import router as risk_api
    from safeguard.risk.marac_api import router as marac_api
    from safeguard.risk.marac_views import router as marac_views
    from safeguard.risk.views import router as risk_views
    from safeguard.safeguarding.disclosure_api import router as disclosure_api
    from safeguard.safeguarding.disclosure_views import router as disclosure_views
    from safeguard.safeguarding.order_api import router as order_api
    from safeguard.safeguarding.order_views import router as order_views
    from safeguard.safeguarding.support_api import router as support_api
    from safeguard.safeguarding.support_views import router as support_views
    from safeguard.safeguarding.victims_api import router as victims_api
    from safeguard.safeguarding.victims_views import router as victims_views
    from safeguard.targeting.api import router as targeting_api
    from safeguard.targeting.views import router as targeting_views
    from safeguard.web.views import router as web_views

    # These come before /people/{person_id} and /crimes/{crime_id}, which would otherwise claim
    # /people/duplicates, /crimes/wanted and the like.
    # The telephony and AML intake routes come first: routing walks the list in order, and they are the hot path.
    for router in (contacts_api, aml_api, web_views, auth_views, auth_api, audit_views, duplicate_views, lookup_views,
                   people_views, people_api, suspect_views, custody_views, charge_views, result_views, crimes_views,
                   suspect_api, custody_api, charge_api, result_api, crimes_api, risk_api, risk_views, marac_views,
                   marac_api, support_views, support_api, order_views, order_api, disclosure_views, disclosure_api,
                   victims_views, victims_api, public_views, board_views, specialist_views, grading_views,
                   contact_views, incident_views, targeting_views, targeting_api, operation_board_views,
                   operation_result_views, operation_result_api, operation_views, operations_api):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    _install_error_handlers(app)
    check_routes_declare_access(app)
    app.state.link_rules = link_rules(app)
    app.add_middleware(CatchAll)
    app.add_middleware(BodyLimit, max_bytes=settings.safeguard_max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app
