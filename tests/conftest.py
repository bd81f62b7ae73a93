"""Shared fixtures: a real PostgreSQL (embedded, or DATABASE_URL), migrated once; each test in a transaction
that is rolled back, so tests never see each other's data and the suite stays fast.

Set DATABASE_URL and DATABASE_ADMIN_URL to run the whole suite against another server: the admin URL must
be a superuser (it creates the test databases and roles), the app URL's role is created if missing.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import Request
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from safeguard.auth import passwords, totp
from safeguard.auth.models import Team, User
from safeguard.config import Settings
from safeguard.db import migrate
from safeguard.db.embedded import EmbeddedPostgres
from safeguard.db.engine import bootstrap_database, make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.force.models import Area, Force

APP_ROLE = "safeguard_test_app"
TEMPLATE_DB = "safeguard_template"
TEST_PASSWORD = "correct-horse-battery-staple-42"
# Test speed only: this throwaway server holds nothing worth keeping.
TEST_SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                        "max_connections": "100"}


@dataclass(frozen=True)
class DatabaseUnderTest:
    name: str
    app_url: str  # the application's role
    admin_url: str  # a superuser / owner

    @property
    def app_role(self) -> str:
        return make_url(self.app_url).username or APP_ROLE


class Server:
    """The PostgreSQL server the suite runs on, and how to reach a database on it as each role."""

    def __init__(self, admin_server_url: str, app_server_url: str | None) -> None:
        self.admin_server_url = admin_server_url
        self.app_server_url = app_server_url

    def url(self, database: str, *, admin: bool) -> str:
        base = make_url(self.admin_server_url if admin or not self.app_server_url else self.app_server_url)
        if not admin:
            base = base.set(username=APP_ROLE) if not self.app_server_url else base
        return base.set(database=database).render_as_string(hide_password=False)

    def database(self, name: str) -> DatabaseUnderTest:
        return DatabaseUnderTest(name, self.url(name, admin=False), self.url(name, admin=True))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    external_app = os.environ.get("DATABASE_URL")
    external_admin = os.environ.get("DATABASE_ADMIN_URL")
    if external_app:
        if not external_admin:
            raise pytest.UsageError("Set DATABASE_ADMIN_URL (a superuser) as well as DATABASE_URL.")
        global APP_ROLE
        APP_ROLE = make_url(external_app).username or APP_ROLE
        yield Server(external_admin, external_app)
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", settings=TEST_SERVER_SETTINGS)
    server.acquire()
    try:
        yield Server(server.url(), None)
    finally:
        server.release()


def _create_database(server: Server, name: str, template: str | None = None) -> DatabaseUnderTest:
    with psycopg.connect(psycopg_dsn(server.admin_server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                          sql.Identifier(template)))
    return server.database(name)


@pytest.fixture(scope="session")
def template_db(pg_server: Server) -> DatabaseUnderTest:
    """A migrated database that tests use directly (with rollback) or copy (when they must commit)."""
    _create_database(pg_server, TEMPLATE_DB)
    bootstrap_database(pg_server.admin_server_url, TEMPLATE_DB, APP_ROLE)
    db = pg_server.database(TEMPLATE_DB)
    migrate.upgrade(db.admin_url, app_role=APP_ROLE)
    return db


@pytest.fixture
def fresh_db(pg_server: Server, template_db: DatabaseUnderTest) -> Iterator[DatabaseUnderTest]:
    """A database of its own, copied from the migrated template, for tests that must commit."""
    name = f"sg_{secrets.token_hex(4)}"
    with psycopg.connect(psycopg_dsn(pg_server.admin_server_url), autocommit=True) as conn:
        # A template cannot be copied while anyone is connected to it.
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (TEMPLATE_DB,))
    db = _create_database(pg_server, name, template=TEMPLATE_DB)
    yield db
    with psycopg.connect(psycopg_dsn(pg_server.admin_server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
async def app_engine(template_db: DatabaseUnderTest) -> AsyncIterator[AsyncEngine]:
    # `fresh_db` ends every connection to the template before copying it, however recently used, so this pool
    # checks each connection it hands out (the application's checks only those idle for a few seconds).
    engine = make_engine(template_db.app_url, pool_size=2, max_overflow=2, ping_after_idle=0)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(app_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """The test's connection, as the application's role, inside a transaction that is always rolled back."""
    async with app_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions that join the test's transaction; each `begin()` becomes a savepoint."""
    return async_sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
async def db(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"safeguard_env": "test", "safeguard_secret_key": "test-secret-" + "x" * 20}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Staff:
    user: User
    password: str
    totp_secret: str


@dataclass
class ForceData:
    force: Force
    area: Area
    teams: dict[str, Team]

    @property
    def id(self) -> int:
        return self.force.id


async def make_force(db: AsyncSession, code: str, name: str | None = None) -> ForceData:
    force = Force(code=code, name=name or f"{code} Police")
    db.add(force)
    await db.flush()
    await set_force_context(db, force.id)
    area = Area(force_id=force.id, code=f"{code}-N", name="Northfield")
    db.add(area)
    await db.flush()
    teams = {}
    for kind, label in [("public_protection", "Public protection"), ("operational_support", "Operational support"),
                        ("local_policing", "Northfield local policing"), ("control_room", "Control room")]:
        team = Team(force_id=force.id, name=label, kind=kind, area_id=area.id if kind == "local_policing" else None)
        db.add(team)
        teams[kind] = team
    await db.flush()
    return ForceData(force, area, teams)


_HASH_CACHE: dict[str, str] = {}


async def make_user(db: AsyncSession, force: ForceData, role: str, *, username: str | None = None,
                    enrolled: bool = True, team_kind: str | None = None) -> Staff:
    username = username or f"{role}-{secrets.token_hex(3)}"
    if TEST_PASSWORD not in _HASH_CACHE:  # argon2 is slow on purpose; hash the shared password once
        _HASH_CACHE[TEST_PASSWORD] = passwords.hash_password(TEST_PASSWORD)
    secret = totp.new_secret()
    team = force.teams.get(team_kind) if team_kind else None
    user = User(force_id=force.id, username=username, display_name=username.title(), role=role,
                team_id=team.id if team else None, password_hash=_HASH_CACHE[TEST_PASSWORD],
                totp_secret=secret if enrolled else None, totp_enrolled=enrolled)
    db.add(user)
    await db.flush()
    return Staff(user, TEST_PASSWORD, secret)


@pytest.fixture
async def force_a(db: AsyncSession) -> ForceData:
    return await make_force(db, "AAA", "Force A Constabulary")


@pytest.fixture
async def force_b(db: AsyncSession) -> ForceData:
    return await make_force(db, "BBB", "Force B Police")


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]):  # type: ignore[no-untyped-def]
    from safeguard.app import create_app
    from safeguard.web.deps import get_db, request_transaction

    application = create_app(settings, sessionmaker)

    async def get_db_isolated(request: Request) -> AsyncIterator[AsyncSession]:
        # Requests share the test's transaction, each as a savepoint, through the production code path.
        async with request_transaction(request, sessionmaker) as session:
            yield session

    application.dependency_overrides[get_db] = get_db_isolated
    return application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, staff: Staff, *, code: str | None = None) -> httpx.Response:
    """Sign in through the real forms: password, then the TOTP code. Returns the final response."""
    page = await client.get("/login")
    response = await client.post("/login", data={"username": staff.user.username, "password": staff.password,
                                                 "csrf_token": csrf_from(page.text), "next": "/"})
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    return await client.post("/login/code", data={
        "code": code or totp.current_code(staff.totp_secret), "csrf_token": csrf_from(page.text), "next": "/"})


PROJECT = Path(__file__).resolve().parents[1]
