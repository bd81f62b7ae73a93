"""The web shell around every page: headers, errors, limits, health, branding, flash messages and sessions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguard.app import STATIC, create_app
from safeguard.auth import totp
from safeguard.auth.models import UserSession
from safeguard.config import Settings
from safeguard.db.session import sessionmaker_for
from safeguard.web.deps import Public, get_db
from tests.conftest import PROJECT, ForceData, csrf_from, make_settings, make_user, sign_in

SESSION = "sg_session"
TEMPLATES = sorted((PROJECT / "src" / "safeguard").glob("**/templates/**/*.html"))


def _app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> FastAPI:
    """A fresh app on the test's transaction, with the same request isolation as the `app` fixture."""
    application = create_app(settings, sessionmaker)

    async def get_db_isolated(request: Request) -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as session, session.begin():
            await session.execute(text("SELECT set_config('app.force_id', '', true), "
                                       "set_config('app.user_id', '', true)"))
            request.state.db = session
            yield session

    application.dependency_overrides[get_db] = get_db_isolated
    return application


def _client(app: FastAPI, *, https: bool = False, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000), raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="https://testserver" if https else "http://testserver")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _use_session(client: httpx.AsyncClient, token: str) -> None:
    """Present exactly this session token (as a copied or replayed cookie would be)."""
    for cookie in [c for c in client.cookies.jar if c.name == SESSION]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    client.cookies.set(SESSION, token)


def _set_cookie(response: httpx.Response, name: str) -> str:
    matches = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(matches) == 1, response.headers.get_list("set-cookie")
    return matches[0]


def assert_security_headers(response: httpx.Response, *, https: bool = False) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "no-referrer"
    assert headers.get("x-content-type-options") == "nosniff"
    if https:
        hsts = headers.get("strict-transport-security", "")
        max_age = re.search(r"max-age=(\d+)", hsts)
        assert max_age and int(max_age.group(1)) >= 31_536_000, hsts
    else:
        assert "strict-transport-security" not in headers


# -- security headers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_security_headers_on_pages_and_api(app: FastAPI, https: bool) -> None:
    async with _client(app, https=https) as client:
        page = await client.get("/login")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert_security_headers(page, https=https)
        assert page.headers.get("cache-control") == "no-store"
        api = await client.get("/api/v1/whoami")
        assert api.status_code == 401 and api.headers["content-type"].startswith("application/json")
        assert_security_headers(api, https=https)
        missing = await client.get("/no-such-page")
        assert missing.status_code == 404
        assert_security_headers(missing, https=https)


def test_templates_need_no_inline_script_or_style() -> None:
    """The CSP has no 'unsafe-inline', so no template may rely on inline script, style or handlers. The one
    exception is the public pages' early quick exit, allowed by its hash (web/exit_early.py)."""
    assert TEMPLATES
    early_exit = "<script>{{ exit_early_script }}</script>"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    offenders = [(path.name, match.group(0)) for path in TEMPLATES
                 for match in inline.finditer(path.read_text().replace(early_exit, ""))]
    assert offenders == []
    assert [path.name for path in TEMPLATES if early_exit in path.read_text()] == ["base_public.html"]


# -- error pages ------------------------------------------------------------------------------------------

async def test_an_unknown_page_is_a_helpful_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "There is no page at this address." in response.text
    assert "check it is correct" in response.text
    assert "Traceback" not in response.text


async def test_an_unknown_api_address_is_a_json_404(client: httpx.AsyncClient) -> None:
    """No route matches, so there is nothing to sign in to: a plain 404 in JSON, not a page and not a 401."""
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


async def test_a_method_that_is_not_allowed_is_a_page_not_a_crash(client: httpx.AsyncClient) -> None:
    response = await client.get("/logout")
    assert response.status_code == 405
    assert "That action is not allowed here" in response.text
    assert "Traceback" not in response.text


def _crashing_app(sessionmaker: async_sessionmaker[AsyncSession]) -> FastAPI:
    app = _app(make_settings(), sessionmaker)

    async def boom() -> None:
        raise RuntimeError("secret-detail: Jane Doe, 1 Hidden Lane")

    # Registered before the first request, declared public like any route must be.
    app.add_api_route("/boom", boom, methods=["GET"], dependencies=[Depends(Public())])
    app.add_api_route("/api/v1/boom", boom, methods=["GET"], dependencies=[Depends(Public())])
    return app


async def test_a_crash_shows_the_friendly_page_and_nothing_of_the_error(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = _crashing_app(sessionmaker)
    async with _client(app, raise_app_exceptions=False) as client:
        page = await client.get("/boom")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "Sorry, there is a problem with Safeguard" in page.text
        assert "Nothing you entered has been saved" in page.text
        for leak in ("Traceback", "RuntimeError", "secret-detail", "Jane Doe", "Hidden Lane"):
            assert leak not in page.text
        api = await client.get("/api/v1/boom")
        assert api.status_code == 500
        assert api.json() == {"detail": "Something went wrong on our side."}


async def test_a_crash_page_still_carries_the_security_headers(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = _crashing_app(sessionmaker)
    async with _client(app, https=True, raise_app_exceptions=False) as client:
        for path in ("/boom", "/api/v1/boom"):
            response = await client.get(path)
            assert response.status_code == 500
            assert_security_headers(response, https=True)
            assert response.headers.get("cache-control") == "no-store"


# -- request size -----------------------------------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def _chunks(total: int, size: int = 256) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b"x" * min(size, total - sent)
        sent += len(chunk)
        yield chunk


async def test_an_oversized_body_is_refused_with_413(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = _app(make_settings(safeguard_max_body_bytes=1000), sessionmaker)
    async with _client(app) as client:
        declared = await client.post("/login", content=b"x" * 1001, headers=FORM)
        assert declared.status_code == 413
        assert "The request is too large. The most Safeguard accepts is 1 kB." in declared.text
        assert_security_headers(declared)

        chunked = await client.post("/login", content=_chunks(5000), headers=FORM)
        assert chunked.status_code == 413
        assert "The request is too large" in chunked.text

        api = await client.post("/api/v1/whoami", content=b"{}" + b" " * 2000,
                                headers={"content-type": "application/json"})
        assert api.status_code == 413
        assert api.json() == {"detail": "The request is too large. The most Safeguard accepts is 1 kB."}

        api_chunked = await client.post("/api/v1/whoami", content=_chunks(3000),
                                        headers={"content-type": "application/json"})
        assert api_chunked.status_code == 413 and "too large" in api_chunked.json()["detail"]


async def test_a_body_within_the_limit_is_passed_on_whole(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The limit must not eat the body: a small chunked form still reaches the sign-in form handler."""
    app = _app(make_settings(safeguard_max_body_bytes=1000), sessionmaker)
    async with _client(app) as client:
        page = await client.get("/login")
        form = f"csrf_token={csrf_from(page.text)}&username=&password=".encode()

        async def small() -> AsyncIterator[bytes]:
            for i in range(0, len(form), 10):
                yield form[i:i + 10]

        response = await client.post("/login", content=small(), headers=FORM)
        assert response.status_code == 400, response.text
        assert "Enter your username" in response.text
        at_limit = await client.post("/login", content=form + b"&next=/" + b"a" * (1000 - len(form) - 7),
                                     headers=FORM)
        assert at_limit.status_code == 400 and "Enter your username" in at_limit.text


# -- malformed input --------------------------------------------------------------------------------------

async def test_a_sign_in_form_with_missing_fields_says_what_is_missing(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    response = await client.post("/login", data={"csrf_token": csrf_from(page.text), "password": "x" * 20})
    assert response.status_code == 400
    assert "Enter your username" in response.text
    assert "Enter your password" not in response.text


@pytest.mark.parametrize("field", ["username", "password"])
async def test_an_overlong_field_is_a_clear_400(client: httpx.AsyncClient, field: str) -> None:
    page = await client.get("/login")
    data = {"csrf_token": csrf_from(page.text), "username": "someone", "password": "something-long-enough"}
    data[field] = "a" * 5000
    response = await client.post("/login", data=data)
    assert response.status_code == 400
    assert "There is a problem with what was sent" in response.text
    assert field in response.text and "at most" in response.text
    assert "Traceback" not in response.text


async def test_a_form_without_its_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"username": "someone", "password": "x" * 20})
    assert response.status_code == 403
    assert "This form has expired" in response.text


# -- health -----------------------------------------------------------------------------------------------

async def test_health_check_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_health_check_reports_an_unreachable_database() -> None:
    sessionmaker = sessionmaker_for("postgresql+psycopg://nobody@/safeguard?host=/nonexistent/socket/dir",
                                    pool_size=1, max_overflow=0)
    try:
        app = create_app(make_settings(), sessionmaker)
        async with _client(app) as client:
            response = await client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] != "ok"
    finally:
        await sessionmaker.kw["bind"].dispose()


async def test_the_api_description_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert "/api/v1/whoami" in spec["paths"]
    assert spec["info"]["title"] == "Safeguard"


# -- branding ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("env", "shown"), [("demo", True), ("test", False), ("development", False),
                                            ("production", False)])
async def test_the_demo_banner_shows_only_in_demo(sessionmaker: async_sessionmaker[AsyncSession], env: str,
                                                  shown: bool) -> None:
    app = _app(make_settings(safeguard_env=env), sessionmaker)
    async with _client(app) as client:
        page = await client.get("/login")
    assert page.status_code == 200
    assert ("DEMO: this is a demonstration system" in page.text) is shown
    assert ("sg-demo-banner" in page.text) is shown


def test_the_stylesheet_uses_arial_not_gds_transport() -> None:
    css = (STATIC / "app.css").read_text()
    assert len(css) > 10_000, "the compiled stylesheet is missing or empty"
    assert "GDS Transport" not in css
    assert "arial" in css


def test_no_template_uses_the_govuk_logotype_or_crown() -> None:
    assert any(path.name == "base.html" for path in TEMPLATES)
    for path in TEMPLATES:
        html = path.read_text()
        for mark in ("govuk-header__logotype", "govuk-logo", "govuk-footer__crown", "govuk-footer__copyright-logo",
                     "govuk-crest"):
            assert mark not in html, (path.name, mark)
        # No crown anywhere in markup (a class, an id, an image, "Crown copyright"); the Crown Prosecution
        # Service is named in words and is no mark.
        assert not re.search(r'(class|id|href|src|alt)="[^"]*crown', html, re.IGNORECASE), path.name
        assert "crown copyright" not in html.lower(), path.name


# -- flash messages ---------------------------------------------------------------------------------------

async def test_the_signed_out_message_appears_once(client: httpx.AsyncClient, db: AsyncSession,
                                                   force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    await sign_in(client, staff)
    home = await client.get("/")
    assert home.status_code == 200
    assert "You have signed out." not in home.text
    response = await client.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    first = await client.get("/login")
    assert first.text.count("You have signed out.") == 1
    second = await client.get("/login")
    assert "You have signed out." not in second.text


async def test_a_forged_flash_cookie_is_ignored(client: httpx.AsyncClient) -> None:
    import base64
    import json

    payload = base64.urlsafe_b64encode(json.dumps(["success", "Forged message"]).encode()).decode()
    client.cookies.set("sg_flash", f"{payload}.{'0' * 32}")
    assert "Forged message" not in (await client.get("/login")).text


# -- sessions ---------------------------------------------------------------------------------------------

async def _age_session(db: AsyncSession, token: str, **ages: timedelta) -> None:
    now = datetime.now(UTC)
    values = {column: now - age for column, age in ages.items()}
    result = await db.execute(update(UserSession).where(UserSession.token_hash == _token_hash(token)).values(**values))
    assert result.rowcount == 1  # type: ignore[attr-defined]


async def _ended(db: AsyncSession, token: str) -> bool:
    ended = await db.scalar(select(UserSession.ended_at).where(UserSession.token_hash == _token_hash(token))
                            .execution_options(populate_existing=True))
    return ended is not None


async def test_an_idle_session_ends(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData,
                                    settings: Settings) -> None:
    idle = timedelta(minutes=settings.safeguard_session_idle_minutes)
    staff = await make_user(db, force_a, "analyst")
    await sign_in(client, staff)
    token = client.cookies[SESSION]
    await _age_session(db, token, last_seen_at=idle - timedelta(minutes=1))
    assert (await client.get("/")).status_code == 200  # just inside the limit, and that counts as activity
    await _age_session(db, token, last_seen_at=idle + timedelta(minutes=1))
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"
    assert (await client.get("/api/v1/whoami")).status_code == 401


async def test_a_session_ends_after_its_absolute_limit(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData, settings: Settings) -> None:
    absolute = timedelta(hours=settings.safeguard_session_absolute_hours)
    staff = await make_user(db, force_a, "analyst")
    await sign_in(client, staff)
    token = client.cookies[SESSION]
    await _age_session(db, token, created_at=absolute - timedelta(minutes=5))
    assert (await client.get("/")).status_code == 200
    await _age_session(db, token, created_at=absolute + timedelta(minutes=1))
    response = await client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/"
    assert (await client.get("/api/v1/whoami")).status_code == 401


@pytest.mark.parametrize("path", ["/", "/api/v1/whoami", "/login"])
async def test_an_expired_session_is_recorded_as_ended(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData, settings: Settings, path: str) -> None:
    """`find_session` ends a session past its limit; that must stick whichever address noticed it."""
    staff = await make_user(db, force_a, "analyst")
    await sign_in(client, staff)
    token = client.cookies[SESSION]
    await _age_session(db, token, last_seen_at=timedelta(minutes=settings.safeguard_session_idle_minutes + 1))
    response = await client.get(path)
    assert response.status_code in (200, 303, 401)
    assert await _ended(db, token), f"the session noticed as expired at {path} is still open in the database"


async def test_logout_ends_the_session_so_the_old_cookie_is_refused(client: httpx.AsyncClient, db: AsyncSession,
                                                                    force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    await sign_in(client, staff)
    token = client.cookies[SESSION]
    home = await client.get("/")
    assert home.status_code == 200
    response = await client.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert response.status_code == 303
    assert SESSION not in client.cookies  # the browser is told to forget it ...
    assert await _ended(db, token)  # ... and the server forgets it too
    _use_session(client, token)  # a copy kept by someone else
    replay = await client.get("/")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")
    assert (await client.get("/api/v1/whoami")).status_code == 401


async def test_the_session_cookie_is_httponly_and_samesite_lax(client: httpx.AsyncClient, db: AsyncSession,
                                                               force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    page = await client.get("/login")
    after_password = await client.post("/login", data={"username": staff.user.username, "password": staff.password,
                                                       "csrf_token": csrf_from(page.text)})
    page = await client.get("/login/code")
    after_code = await client.post("/login/code", data={"code": totp.current_code(staff.totp_secret),
                                                        "csrf_token": csrf_from(page.text)})
    for response in (after_password, after_code):
        cookie = _set_cookie(response, SESSION).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # switched off for plain-HTTP tests


async def test_the_session_cookie_is_secure_when_configured(sessionmaker: async_sessionmaker[AsyncSession],
                                                            db: AsyncSession, force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    app = _app(make_settings(safeguard_secure_cookies=True), sessionmaker)
    async with _client(app, https=True) as client:
        page = await client.get("/login")
        response = await client.post("/login", data={"username": staff.user.username, "password": staff.password,
                                                     "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    cookie = _set_cookie(response, SESSION).lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_the_code_step_issues_a_new_session_token(client: httpx.AsyncClient, db: AsyncSession,
                                                        force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    client.cookies.set(SESSION, "attacker-chosen-value")  # a token planted before sign-in is not adopted
    page = await client.get("/login")
    after_password = await client.post("/login", data={"username": staff.user.username, "password": staff.password,
                                                       "csrf_token": csrf_from(page.text)})
    assert after_password.status_code == 303
    first = after_password.cookies[SESSION]
    assert first != "attacker-chosen-value"
    _use_session(client, first)
    assert (await client.get("/")).status_code == 303  # half signed in is not signed in
    page = await client.get("/login/code")
    after_code = await client.post("/login/code", data={"code": totp.current_code(staff.totp_secret),
                                                        "csrf_token": csrf_from(page.text)})
    assert after_code.status_code == 303
    second = after_code.cookies[SESSION]
    assert second != first
    assert await _ended(db, first)
    _use_session(client, first)  # the token seen before the second factor is worth nothing now
    assert (await client.get("/")).status_code == 303
    assert (await client.get("/login/code")).headers["location"] == "/login"
    _use_session(client, second)
    assert (await client.get("/")).status_code == 200
