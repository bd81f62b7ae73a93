"""Browser tests: a real Chromium against the app served by uvicorn on a database of its own.

Each test gets a fresh database (copied from the migrated template) holding one force and a few staff,
a live server on a free port of 127.0.0.1, and a new browser context. One Chromium serves the session.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import psycopg
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.app import create_app
from safeguard.auth import totp
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import sessionmaker_for
from tests.conftest import PROJECT, DatabaseUnderTest, ForceData, Staff, make_force, make_settings, make_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
FORCE_NAME = "Demo Constabulary"
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@dataclass
class DemoForce:
    """What the e2e database holds: one force and its staff (committed, so the live server sees them)."""

    db: DatabaseUnderTest
    force: ForceData
    handler: Staff  # call handler, TOTP enrolled
    admin: Staff  # administrator, TOTP enrolled
    newcomer: Staff  # call handler who has not set up TOTP yet


@pytest.fixture
async def demo_force(fresh_db: DatabaseUnderTest) -> DemoForce:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, "E2E", FORCE_NAME)
            handler = await make_user(s, force, "call_handler", username="hana.handler", team_kind="control_room")
            admin = await make_user(s, force, "administrator", username="adam.admin")
            newcomer = await make_user(s, force, "call_handler", username="nia.new", enrolled=False,
                                       team_kind="control_room")
    finally:
        await engine.dispose()
    return DemoForce(fresh_db, force, handler, admin, newcomer)


@dataclass
class LiveServer:
    url: str
    data: DemoForce


@pytest.fixture
def live_server(demo_force: DemoForce) -> Iterator[LiveServer]:
    sessionmaker = sessionmaker_for(demo_force.db.app_url, pool_size=5, max_overflow=5)
    engine = sessionmaker.kw["bind"]
    app = create_app(make_settings(safeguard_env="demo"), sessionmaker)
    # Bind the socket here and hand it to uvicorn, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))

    def run() -> None:
        async def serve() -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                await engine.dispose()  # in the loop that opened the connections

        asyncio.run(serve())

    thread = threading.Thread(target=run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://{host}:{port}", demo_force)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        assert not thread.is_alive(), "the live server did not stop"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _context(browser: Browser, live_server: LiveServer, **options: object) -> BrowserContext:
    context = await browser.new_context(base_url=live_server.url, locale="en-GB", **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
async def page(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    """A page in a fresh context (no cookies), with the app's CSP enforced."""
    context = await _context(browser, live_server)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def axe_page(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    """A page whose context bypasses the CSP, so axe-core can be injected as an inline script."""
    context = await _context(browser, live_server, bypass_csp=True)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install`")
    return AXE.read_text(encoding="utf-8")


# -- helpers ---------------------------------------------------------------------------------------

async def enter_password(page: Page, staff: Staff, *, next_path: str | None = None) -> None:
    """The first step of sign-in: username and password, then Continue."""
    await page.goto("/login" if next_path is None else f"/login?next={next_path}")
    await page.get_by_label("Username").fill(staff.user.username)
    await page.get_by_label("Password").fill(staff.password)
    await page.get_by_role("button", name="Continue").click()


async def sign_in(page: Page, staff: Staff) -> None:
    """Sign in through the real forms; waits for the home page's sign-out button."""
    await enter_password(page, staff)
    await expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    await page.get_by_label("6-digit code").fill(totp.current_code(staff.totp_secret))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("sign-out")).to_be_visible()


def wrong_code(secret: str) -> str:
    """A well-formed code that the server will not accept (it allows one step either side)."""
    now = time.time()
    valid = {totp.current_code(secret, now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "123456", "999999", "424242") if code not in valid)


async def count_sessions(db: DatabaseUnderTest) -> int:
    """Sessions in the database, counted as the superuser (which row-level security does not confine)."""
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(db.admin_url)) as conn:
        cursor = await conn.execute("SELECT count(*) FROM user_session")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])

