"""The audit trail is append-only for the application and hash-chained, so any later change shows.

Events are committed through the application's role (as the application writes them); tampering is done as
the owner, who is the only one able to; `verify_chain` and `safeguard audit verify` must then name the row.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import errors
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from safeguard.app import create_app
from safeguard.audit.service import record
from safeguard.audit.verify import GENESIS, verify_chain
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import sessionmaker_for, set_force_context
from tests.conftest import DatabaseUnderTest, csrf_from, make_force, make_settings, make_user, sign_in

EVENTS = 8
CLI = Path(sys.executable).parent / "safeguard"  # the console script `uv run safeguard` runs


@dataclass
class Chain:
    db: DatabaseUnderTest
    force_id: int
    count: int


def _admin(db: DatabaseUnderTest) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(psycopg_dsn(db.admin_url), autocommit=True)


def _app_conn(db: DatabaseUnderTest) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(psycopg_dsn(db.app_url), autocommit=True)


def _add_force(db: DatabaseUnderTest, code: str = "AUD") -> int:
    with _admin(db) as conn:
        row = conn.execute("INSERT INTO force (code, name) VALUES (%s, %s) RETURNING id", (code, f"{code} Police"))
        (force_id,) = row.fetchone() or (0,)
    return int(force_id)  # type: ignore[call-overload]


async def _commit_events(engine: AsyncEngine, force_id: int, count: int, label: str = "writer") -> None:
    """Each event in a transaction of its own, through the application's role."""
    for n in range(count):
        async with AsyncSession(engine) as db, db.begin():
            await set_force_context(db, force_id)
            await record(db, action="test.event", actor_label=label, force_id=force_id, object_type="person",
                         object_id=n, reason=f"{label} event {n}", details={"writer": label, "n": n})


@pytest.fixture
async def chain(fresh_db: DatabaseUnderTest) -> AsyncIterator[Chain]:
    force_id = _add_force(fresh_db)
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        await _commit_events(engine, force_id, EVENTS)
    finally:
        await engine.dispose()
    yield Chain(fresh_db, force_id, EVENTS)


def _events(db: DatabaseUnderTest) -> list[tuple[int, str, str]]:
    with _admin(db) as conn:
        return [(int(i), str(p), str(h)) for i, p, h in  # type: ignore[call-overload]
                conn.execute("SELECT id, prev_hash, hash FROM audit_event ORDER BY id")]


def _cli(db: DatabaseUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=db.app_url, DATABASE_ADMIN_URL=db.admin_url, COLUMNS="200",
               NO_COLOR="1")
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=120)


# -- an intact chain --------------------------------------------------------------------------------------

def test_an_intact_chain_verifies(chain: Chain) -> None:
    result = verify_chain(chain.db.admin_url)
    assert result.ok and result.checked == chain.count and result.first_broken_id is None
    events = _events(chain.db)
    assert [event_id for event_id, _, _ in events] == list(range(1, chain.count + 1))
    assert events[0][1] == GENESIS
    for before, after in itertools.pairwise(events):
        assert after[1] == before[2], f"event {after[0]}'s prev_hash is not event {before[0]}'s hash"
    assert len({h for _, _, h in events}) == chain.count
    with _admin(chain.db) as conn:
        assert conn.execute("SELECT last_id, last_hash FROM audit_chain_head").fetchone() == (chain.count,
                                                                                          events[-1][2])


def test_each_hash_is_the_sha256_of_the_previous_hash_and_the_content(chain: Chain) -> None:
    """Recompute one hash outside the database, so the chain does not rest on the database's own function."""
    with _admin(chain.db) as conn:
        prev, stored, content = conn.execute(
            "SELECT e.prev_hash, e.hash, audit_event_content(e) FROM audit_event e WHERE id = 3").fetchone() or ()
    assert stored == hashlib.sha256((str(prev) + str(content)).encode()).hexdigest()
    parsed = json.loads(str(content))
    assert parsed[0] == 3 and parsed[5] == "test.event" and parsed[9] == "writer event 2"


def test_the_application_cannot_choose_an_events_id_or_hash(chain: Chain) -> None:
    with _app_conn(chain.db) as conn:
        conn.execute("SELECT set_config('app.force_id', %s, false)", (str(chain.force_id),))
        conn.execute("INSERT INTO audit_event (id, force_id, actor_label, action, prev_hash, hash) "
                     "VALUES (999, %s, 'forger', 'forged', %s, %s)", (chain.force_id, "a" * 64, "b" * 64))
    events = _events(chain.db)
    assert events[-1][0] == chain.count + 1
    assert events[-1][1] == events[-2][2] and events[-1][2] != "b" * 64
    assert verify_chain(chain.db.admin_url).ok


# -- the application may only append ----------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET reason = 'changed'",
    "UPDATE audit_event SET reason = 'changed' WHERE id = 1",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE id = 1",
    "TRUNCATE audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_chain",
    "DROP TRIGGER audit_event_chain ON audit_event",
    "SELECT * FROM audit_chain_head",
    "UPDATE audit_chain_head SET last_id = 0",
    "INSERT INTO audit_chain_head VALUES (2, 0, repeat('0', 64))",
    "DELETE FROM audit_chain_head",
])
def test_the_app_role_cannot_rewrite_the_trail(chain: Chain, statement: str) -> None:
    with _app_conn(chain.db) as conn:
        conn.execute("SELECT set_config('app.force_id', %s, false)", (str(chain.force_id),))
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    assert verify_chain(chain.db.admin_url).ok
    with _admin(chain.db) as conn:
        assert conn.execute("SELECT count(*) FROM audit_event WHERE reason = 'changed'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone() == (chain.count,)


# -- tampering by the owner is detected -------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 4, EVENTS])
def test_a_changed_reason_is_detected_at_that_row(chain: Chain, k: int) -> None:
    with _admin(chain.db) as conn:
        conn.execute("UPDATE audit_event SET reason = 'nothing to see here' WHERE id = %s", (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == k
    assert result.checked == k - 1


def test_a_changed_hash_is_detected(chain: Chain) -> None:
    """Rewriting a row and its own hash still breaks the link to the next row."""
    k = 3
    with _admin(chain.db) as conn:
        conn.execute("UPDATE audit_event SET reason = 'rewritten' WHERE id = %s", (k,))
        conn.execute("UPDATE audit_event e SET hash = audit_event_digest(e.prev_hash, e) WHERE id = %s", (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == k + 1


def test_a_deleted_middle_row_is_detected_at_that_id(chain: Chain) -> None:
    k = 5
    with _admin(chain.db) as conn:
        conn.execute("DELETE FROM audit_event WHERE id = %s", (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == k
    assert "missing" in (result.reason or "")


def test_a_deleted_last_row_is_detected(chain: Chain) -> None:
    with _admin(chain.db) as conn:
        conn.execute("DELETE FROM audit_event WHERE id = %s", (chain.count,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == chain.count
    assert "removed" in (result.reason or "")


def test_the_cli_exits_1_and_names_the_broken_row(chain: Chain) -> None:
    intact = _cli(chain.db, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert f"intact: {chain.count} events checked" in intact.stdout
    k = 6
    with _admin(chain.db) as conn:
        conn.execute("UPDATE audit_event SET details = '{\"writer\": \"someone else\"}' WHERE id = %s", (k,))
    broken = _cli(chain.db, "audit", "verify")
    assert broken.returncode == 1, (broken.stdout, broken.stderr)
    assert f"broken at event {k}" in broken.stderr
    assert "Traceback" not in broken.stderr


# -- concurrent writers -----------------------------------------------------------------------------------

async def test_concurrent_writers_keep_one_unbroken_chain(fresh_db: DatabaseUnderTest) -> None:
    force_id = _add_force(fresh_db)
    writers, each = 4, 25
    engine = make_engine(fresh_db.app_url, pool_size=writers, max_overflow=0)

    async def writer(label: str) -> None:
        async with engine.connect() as conn:  # a connection of its own for the whole run
            for n in range(each):
                async with AsyncSession(bind=conn) as db, db.begin():
                    await set_force_context(db, force_id)
                    await record(db, action="test.concurrent", actor_label=label, force_id=force_id,
                                 details={"writer": label, "n": n})
                    await asyncio.sleep(0)  # let another writer in while this transaction is open

    try:
        await asyncio.gather(*(writer(f"w{i}") for i in range(writers)))
    finally:
        await engine.dispose()
    result = verify_chain(fresh_db.admin_url)
    assert result.ok, result
    assert result.checked == writers * each
    with _admin(fresh_db) as conn:
        rows = conn.execute("SELECT id, details->>'writer', (details->>'n')::int FROM audit_event "
                            "ORDER BY id").fetchall()
        assert conn.execute("SELECT last_id FROM audit_chain_head").fetchone() == (writers * each,)
    assert [row[0] for row in rows] == list(range(1, writers * each + 1))
    for i in range(writers):
        mine = [n for _, label, n in rows if label == f"w{i}"]
        assert mine == list(range(each)), f"writer w{i}'s events are missing or out of order"


# -- the sign-in events the issue asks for ----------------------------------------------------------------

async def test_sign_in_outcomes_are_audited_and_committed(fresh_db: DatabaseUnderTest) -> None:
    """Through the real app and its real per-request transactions, on a database of its own."""
    engine = make_engine(fresh_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, "SGN", "Sign-in Police")
            good = await make_user(s, force, "analyst", username="good.user")
            locky = await make_user(s, force, "analyst", username="locky")
    finally:
        await engine.dispose()

    sessionmaker = sessionmaker_for(fresh_db.app_url, pool_size=2, max_overflow=0)
    app = create_app(make_settings(), sessionmaker)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))

    async def post_login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
        page = await client.get("/login")
        return await client.post("/login", data={"username": username, "password": password,
                                                 "csrf_token": csrf_from(page.text)})

    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await sign_in(client, good)).status_code == 303
            assert (await client.get("/")).status_code == 200
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await post_login(client, "good.user", "not-the-password")).status_code == 401
            assert (await post_login(client, "nobody.at.all", "not-the-password")).status_code == 401
            for n in range(5):
                response = await post_login(client, "locky", f"wrong-{n}")
                assert response.status_code == 401
            assert "locked" in response.text
            refused = await post_login(client, "locky", locky.password)
            assert refused.status_code == 401 and "locked" in refused.text
    finally:
        await sessionmaker.kw["bind"].dispose()

    with _admin(fresh_db) as conn:
        rows = conn.execute("SELECT action, actor_label, force_id, client_addr FROM audit_event "
                            "WHERE action LIKE 'login.%%' OR action LIKE 'account.%%' ORDER BY id").fetchall()
    by_actor: dict[str, list[str]] = {}
    for action, label, _, _ in rows:
        by_actor.setdefault(str(label), []).append(str(action))
    assert by_actor["good.user"] == ["login.password_accepted", "login.succeeded", "login.failed"]
    assert by_actor["locky"] == ["login.failed"] * 5 + ["account.locked", "login.refused_locked"]
    assert by_actor["nobody.at.all"] == ["login.failed"]
    forces = {str(label): force_id for _, label, force_id, _ in rows}
    assert forces["good.user"] == force.id and forces["locky"] == force.id
    assert forces["nobody.at.all"] is None  # belongs to no force: only the owner sees it
    assert {addr for *_, addr in rows} == {"198.51.100.9"}
    assert verify_chain(fresh_db.admin_url).ok
