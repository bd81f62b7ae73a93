"""The audit trail is append-only for the application and hash-chained, so any later change shows.

Events are committed through the application's role (as the application writes them); tampering is done as
the owner, who is the only one able to; `verify_chain` and `safeguard audit verify` must then name the row.
There are several chains side by side (migration 0016): a transaction writes to the first one no other open
transaction holds, so one writer alone keeps to chain 1, and writers at once spread over chains.
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


def _positions(db: DatabaseUnderTest) -> list[tuple[int, int, int]]:
    """(id, chain, position) of every event, in id order."""
    with _admin(db) as conn:
        return conn.execute("SELECT id, chain, chain_seq FROM audit_event ORDER BY id"
                            ).fetchall()  # type: ignore[return-value]


def _id_at(db: DatabaseUnderTest, position: int, chain: int = 1) -> int:
    """The id of the event at a position in a chain. Ids come from a sequence the template's rolled-back test
    transactions have also drawn on, so a new database's first id is seldom 1."""
    with _admin(db) as conn:
        (event_id,) = conn.execute("SELECT id FROM audit_event WHERE chain = %s AND chain_seq = %s",
                                   (chain, position)).fetchone() or (0,)
    return int(event_id)  # type: ignore[call-overload]


def _heads(db: DatabaseUnderTest) -> dict[int, tuple[int, int, str]]:
    """Each chain's head that has moved: chain -> (last position, last id, last hash)."""
    with _admin(db) as conn:
        return {int(c): (int(s), int(i), str(h)) for c, s, i, h in  # type: ignore[call-overload]
                conn.execute("SELECT id, last_seq, last_id, last_hash FROM audit_chain_head WHERE last_seq > 0")}


def _cli(db: DatabaseUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=db.app_url, DATABASE_ADMIN_URL=db.admin_url, COLUMNS="200",
               NO_COLOR="1")
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=120)


# -- an intact chain --------------------------------------------------------------------------------------

def test_an_intact_chain_verifies(chain: Chain) -> None:
    result = verify_chain(chain.db.admin_url)
    assert result.ok and result.checked == chain.count and result.first_broken_id is None
    assert result.chains == 1  # one writer at a time keeps to the first chain
    events = _events(chain.db)
    ids = [event_id for event_id, _, _ in events]
    assert ids == sorted(set(ids)) and len(ids) == chain.count
    assert _positions(chain.db) == [(event_id, 1, n) for n, event_id in enumerate(ids, start=1)]
    assert events[0][1] == GENESIS
    for before, after in itertools.pairwise(events):
        assert after[1] == before[2], f"event {after[0]}'s prev_hash is not event {before[0]}'s hash"
    assert len({h for _, _, h in events}) == chain.count
    assert _heads(chain.db) == {1: (chain.count, ids[-1], events[-1][2])}


def test_each_hash_is_the_sha256_of_the_previous_hash_and_the_content(chain: Chain) -> None:
    """Recompute one hash outside the database, so the chain does not rest on the database's own function."""
    with _admin(chain.db) as conn:
        event_id, prev, stored, content = conn.execute(
            "SELECT e.id, e.prev_hash, e.hash, audit_event_content(e) FROM audit_event e "
            "WHERE chain = 1 AND chain_seq = 3").fetchone() or ()
    assert stored == hashlib.sha256((str(prev) + str(content)).encode()).hexdigest()
    parsed = json.loads(str(content))
    assert parsed[0] == event_id and parsed[5] == "test.event" and parsed[9] == "writer event 2"


def test_the_application_cannot_choose_an_events_id_or_hash(chain: Chain) -> None:
    with _app_conn(chain.db) as conn:
        conn.execute("SELECT set_config('app.force_id', %s, false)", (str(chain.force_id),))
        conn.execute("INSERT INTO audit_event (id, chain, chain_seq, force_id, actor_label, action, prev_hash, hash) "
                     "VALUES (999, 7, 1, %s, 'forger', 'forged', %s, %s)", (chain.force_id, "a" * 64, "b" * 64))
    events = _events(chain.db)
    assert events[-1][0] > events[-2][0] and events[-1][0] != 999
    assert _positions(chain.db)[-1] == (events[-1][0], 1, chain.count + 1)
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
    "INSERT INTO audit_chain_head VALUES (40, 0, repeat('0', 64), 0)",
    "DELETE FROM audit_chain_head",
    "SELECT nextval('audit_event_id_seq')",
    "SELECT setval('audit_event_id_seq', 1)",
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
        conn.execute("UPDATE audit_event SET reason = 'nothing to see here' WHERE chain_seq = %s", (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == _id_at(chain.db, k)
    assert result.checked == k - 1


def test_a_changed_hash_is_detected(chain: Chain) -> None:
    """Rewriting a row and its own hash still breaks the link to the next row."""
    k = 3
    with _admin(chain.db) as conn:
        conn.execute("UPDATE audit_event SET reason = 'rewritten' WHERE chain_seq = %s", (k,))
        conn.execute("UPDATE audit_event e SET hash = audit_event_digest(e.prev_hash, e) WHERE chain_seq = %s",
                     (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == _id_at(chain.db, k + 1)


def test_a_deleted_middle_row_is_detected_at_the_next_event_of_its_chain(chain: Chain) -> None:
    """Ids have gaps (a rolled-back event's id is not reused), so the gap shows in the chain's positions."""
    k = 5
    with _admin(chain.db) as conn:
        conn.execute("DELETE FROM audit_event WHERE chain_seq = %s", (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == _id_at(chain.db, k + 1)
    assert result.reason == f"the event before it in chain 1 (position {k}) is missing"


def test_a_deleted_middle_row_with_its_successor_renumbered_is_still_detected(chain: Chain) -> None:
    """Closing the gap in the positions leaves the hash link broken."""
    k = 5
    successor = _id_at(chain.db, k + 1)
    with _admin(chain.db) as conn:
        conn.execute("DELETE FROM audit_event WHERE chain_seq = %s", (k,))
        # From the first event on, so the unique (chain, position) index never sees two at one position.
        conn.execute("UPDATE audit_event SET chain_seq = -chain_seq WHERE chain_seq > %s", (k,))
        conn.execute("UPDATE audit_event SET chain_seq = -chain_seq - 1 WHERE chain_seq < 0")
        conn.execute("UPDATE audit_chain_head SET last_seq = last_seq - 1 WHERE id = 1")
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == successor
    assert result.reason == "its previous-hash does not match the event before it"


def test_an_event_moved_to_another_chain_is_detected(chain: Chain) -> None:
    k = 4
    with _admin(chain.db) as conn:
        conn.execute("UPDATE audit_event SET chain = 2 WHERE chain_seq = %s", (k,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == _id_at(chain.db, k, chain=2)


def test_a_removed_chain_head_is_detected(chain: Chain) -> None:
    with _admin(chain.db) as conn:
        conn.execute("DELETE FROM audit_chain_head WHERE id = 1")
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.reason == "chain 1 has no head"


def test_a_deleted_last_row_is_detected(chain: Chain) -> None:
    last = _id_at(chain.db, chain.count)
    with _admin(chain.db) as conn:
        conn.execute("DELETE FROM audit_event WHERE chain_seq = %s", (chain.count,))
    result = verify_chain(chain.db.admin_url)
    assert not result.ok and result.first_broken_id == last  # the head still names it
    assert "removed" in (result.reason or "")


def test_the_cli_exits_1_and_names_the_broken_row(chain: Chain) -> None:
    intact = _cli(chain.db, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert f"intact: {chain.count} events checked" in intact.stdout
    k = 6
    with _admin(chain.db) as conn:
        conn.execute("UPDATE audit_event SET details = '{\"writer\": \"someone else\"}' WHERE chain_seq = %s",
                     (k,))
    broken = _cli(chain.db, "audit", "verify")
    assert broken.returncode == 1, (broken.stdout, broken.stderr)
    assert f"broken at event {_id_at(chain.db, k)}" in broken.stderr
    assert "Traceback" not in broken.stderr


# -- concurrent writers -----------------------------------------------------------------------------------

async def test_concurrent_writers_keep_every_chain_unbroken(fresh_db: DatabaseUnderTest) -> None:
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
    # Nothing rolled back: no gaps in the ids.
    assert [row[0] for row in rows] == list(range(rows[0][0], rows[0][0] + writers * each))
    heads = _heads(fresh_db)
    assert sum(last_seq for last_seq, _, _ in heads.values()) == writers * each
    assert max(last_id for _, last_id, _ in heads.values()) == rows[-1][0]
    for i in range(writers):
        mine = [n for _, label, n in rows if label == f"w{i}"]
        assert mine == list(range(each)), f"writer w{i}'s events are missing or out of order"


def _insert_event(conn: psycopg.Connection[tuple[object, ...]], label: str) -> None:
    conn.execute("INSERT INTO audit_event (actor_label, action) VALUES (%s, 'test.held')", (label,))


def test_an_open_audited_transaction_does_not_hold_up_another(fresh_db: DatabaseUnderTest) -> None:
    """The reason for several chains: a second writer commits while the first still has its chain."""
    first = psycopg.connect(psycopg_dsn(fresh_db.app_url))
    try:
        _insert_event(first, "first")
        with _app_conn(fresh_db) as second:
            second.execute("SET lock_timeout = '5s'")  # were it to wait for `first`, this fails the test
            _insert_event(second, "second")  # autocommit: committed here
        _insert_event(first, "first again")
        first.commit()
    finally:
        first.close()
    assert [(chain, position) for _, chain, position in _positions(fresh_db)] == [(1, 1), (2, 1), (1, 2)]
    result = verify_chain(fresh_db.admin_url)
    assert result.ok and result.checked == 3 and result.chains == 2


def test_a_rolled_back_event_leaves_a_gap_in_the_ids_but_not_in_its_chain(fresh_db: DatabaseUnderTest) -> None:
    with psycopg.connect(psycopg_dsn(fresh_db.app_url)) as conn:
        _insert_event(conn, "kept")
        conn.commit()
        _insert_event(conn, "rolled back")
        conn.rollback()
        conn.execute("SAVEPOINT undo")
        _insert_event(conn, "rolled back to a savepoint")
        conn.execute("ROLLBACK TO SAVEPOINT undo")
        _insert_event(conn, "kept too")
        conn.commit()
    (first, *_), (second, *_) = positions = _positions(fresh_db)
    assert [(chain, position) for _, chain, position in positions] == [(1, 1), (1, 2)]
    assert second == first + 3  # the two rolled-back events drew the ids between
    assert verify_chain(fresh_db.admin_url).ok


def test_when_every_chain_is_held_a_writer_waits_for_one(fresh_db: DatabaseUnderTest) -> None:
    with _admin(fresh_db) as conn:
        (chains,) = conn.execute("SELECT count(*) FROM audit_chain_head").fetchone() or (0,)
    holders = [psycopg.connect(psycopg_dsn(fresh_db.app_url)) for _ in range(int(chains))]  # type: ignore[call-overload]
    try:
        for n, holder in enumerate(holders):
            _insert_event(holder, f"holder {n}")
        with _app_conn(fresh_db) as waiter:
            waiter.execute("SET lock_timeout = '300ms'")
            with pytest.raises(errors.LockNotAvailable):
                _insert_event(waiter, "waiter")
            for holder in holders:
                holder.commit()
            _insert_event(waiter, "waiter")
    finally:
        for holder in holders:
            holder.close()
    assert sorted(_heads(fresh_db)) == list(range(1, int(chains) + 1))  # type: ignore[call-overload]
    result = verify_chain(fresh_db.admin_url)
    assert result.ok and result.checked == int(chains) + 1  # type: ignore[call-overload]


@pytest.mark.parametrize("setting", ["99", "-1", "not a number", "3"])
def test_a_chain_named_by_the_session_cannot_break_the_trail(fresh_db: DatabaseUnderTest, setting: str) -> None:
    """The trigger remembers its transaction's chain in a setting any session could set: a wrong value only
    changes which chain is used."""
    with _app_conn(fresh_db) as conn:
        conn.execute("SELECT set_config('safeguard.audit_chain', %s, false)", (setting,))
        _insert_event(conn, "one")
        _insert_event(conn, "two")
    positions = _positions(fresh_db)
    assert len(positions) == 2 and all(chain in (1, 3) for _, chain, _ in positions)
    assert verify_chain(fresh_db.admin_url).ok


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
