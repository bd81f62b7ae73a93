"""The live operation board: targets by status and team, today's attempts by outcome, arrests today and in the
last seven days (force-wide, DA, of the targets), charges so far; and the NOTIFY → SSE path, which delivers an
event for this operation (or for none) of the reader's force and nothing for another operation or force."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.app import create_app
from safeguard.crimes.service import uk_time
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import sessionmaker_for, set_force_context
from safeguard.operations import board
from tests.conftest import DatabaseUnderTest, ForceData, Staff, make_force, make_settings, make_user, sign_in
from tests.integration.test_operation_results import arrest, at, attempt, charge, operation, person, target

NOW = datetime.now(UTC)
TODAY = uk_time(NOW).date()


def _cell(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert match, f"no {testid} on the board"
    return match.group(1)


async def test_the_board_counts_targets_attempts_arrests_and_charges(
        app: Any, client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    await set_force_context(db, force_a.id)
    op = await operation(db, force_a, "Operation Live", TODAY - timedelta(days=3), TODAY + timedelta(days=3))
    people = [await person(db, force_a, f"Target{n}", f"Person{n}") for n in range(6)]
    bystander = await person(db, force_a, "Not", "Targeted")
    t = [await target(db, force_a, op, people[0], "arrested", "public_protection"),
         await target(db, force_a, op, people[1], "outstanding", "public_protection"),
         await target(db, force_a, op, people[2], "outstanding", "local_policing"),
         await target(db, force_a, op, people[3], "withdrawn", "operational_support"),
         await target(db, force_a, op, people[4], "outstanding")]
    # Today: one arrested, two not present, one address no longer valid; one still planned; yesterday's does not count.
    earlier_today = max(at(TODAY, 0, 1), NOW - timedelta(hours=1))
    await attempt(db, force_a, op, t[0], earlier_today, "arrested")
    await attempt(db, force_a, op, t[1], earlier_today, "not-present")
    await attempt(db, force_a, op, t[2], earlier_today, "not-present")
    await attempt(db, force_a, op, t[4], earlier_today, "address-invalid")
    await attempt(db, force_a, op, t[1], at(TODAY, 23, 59))
    await attempt(db, force_a, op, t[2], at(TODAY - timedelta(days=1)), "wanted-elsewhere")
    # Arrests today: the target in the operation (DA), a bystander (DA) and a regular one; earlier this week two.
    await arrest(db, force_a, people[0], earlier_today, da=True, op=op)
    await arrest(db, force_a, bystander, earlier_today, da=True, op=op)
    await arrest(db, force_a, people[5], earlier_today)
    await arrest(db, force_a, people[2], at(TODAY - timedelta(days=2)), da=True, op=op)
    await arrest(db, force_a, people[5], at(TODAY - timedelta(days=6), 0, 0))
    await arrest(db, force_a, people[5], at(TODAY - timedelta(days=7), 23, 59))  # before the seven days
    # Charges in the operation's days so far, and one before it started.
    await charge(db, force_a, people[0], earlier_today, ["abh", "threats-to-kill"])
    await charge(db, force_a, people[2], at(TODAY - timedelta(days=3), 0, 0), ["stalking"])
    await charge(db, force_a, people[5], at(TODAY - timedelta(days=4), 23, 59), ["abh"])
    await set_force_context(db, force_b.id)
    theirs = await person(db, force_b, "Their", "Person")
    await arrest(db, force_b, theirs, earlier_today, da=True)
    their_op = await operation(db, force_b, "Operation Theirs", TODAY, TODAY)

    lead = await make_user(db, force_a, "response_officer")
    await sign_in(client, lead)
    page = await client.get(f"/operations/{op.id}/board")
    assert page.status_code == 200, page.text
    html = page.text
    assert "/static/js/operation-board.js" in html and f'data-events-url="/operations/{op.id}/board/events"' in html
    assert (_cell(html, "operation-board-targets-outstanding"), _cell(html, "operation-board-targets-arrested"),
            _cell(html, "operation-board-targets-withdrawn")) == ("3", "1", "1")
    teams = {kind: re.findall(r'numeric">(\d+)<', html[html.index(f'operation-board-team-{kind}"'):].split(
        "</tr>")[0]) for kind in ("public_protection", "operational_support", "local_policing", "unassigned")}
    assert teams == {"public_protection": ["1", "1", "0", "2"], "operational_support": ["0", "0", "1", "1"],
                     "local_policing": ["1", "0", "0", "1"], "unassigned": ["1", "0", "0", "1"]}
    assert {o: _cell(html, f"operation-board-attempts-{o}") for o in (
        "arrested", "not-present", "address-invalid", "wanted-elsewhere", "other")} == {
        "arrested": "1", "not-present": "2", "address-invalid": "1", "wanted-elsewhere": "0", "other": "0"}
    assert "Arrest attempts today (4)" in html
    assert _cell(html, "operation-board-planned").startswith("1 more planned for today")
    assert (_cell(html, "operation-board-arrests-today"), _cell(html, "operation-board-arrests-da-today"),
            _cell(html, "operation-board-arrests-targeted-today")) == ("3", "2", "1")
    assert (_cell(html, "operation-board-arrests-week"), _cell(html, "operation-board-arrests-da-week"),
            _cell(html, "operation-board-arrests-targeted-week")) == ("5", "3", "2")
    assert (_cell(html, "operation-board-charges-assault-wounding"),
            _cell(html, "operation-board-charges-threats-to-kill"),
            _cell(html, "operation-board-charges-coercive-control-stalking")) == ("1", "1", "1")
    assert "Charges in the operation so far (3)" in html
    assert "Target0" not in html  # counts only

    fragment = await client.get(f"/operations/{op.id}/board/rows")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert _cell(fragment.text, "operation-board-arrests-today") == "3"
    once = await client.get(f"/operations/{op.id}/board/events")
    assert once.status_code == 200 and once.headers["content-type"].startswith("text/event-stream")
    assert once.text.startswith("retry: ")
    # Another force's operation is not found, on every part of the board.
    for path in ("board", "board/rows", "board/events"):
        assert (await client.get(f"/operations/{their_op.id}/{path}")).status_code == 404
    # A call handler has no operations.
    handler = await make_user(db, force_a, "call_handler")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await sign_in(other, handler)
        assert (await other.get(f"/operations/{op.id}/board")).status_code == 403
        assert (await other.get(f"/operations/{op.id}/board/rows")).status_code == 403


def test_an_event_is_for_this_operation_or_none_and_only_for_its_force() -> None:
    assert board.event_for('{"force_id": 3, "operation_id": 8}', 3, 8) == "event: board\ndata: 8\n\n"
    assert board.event_for('{"force_id": 3, "operation_id": null}', 3, 8) == "event: board\ndata: none\n\n"
    assert board.event_for('{"force_id": 3, "operation_id": 9}', 3, 8) is None
    assert board.event_for('{"force_id": 4, "operation_id": 8}', 3, 8) is None
    assert board.event_for('{"force_id": 4, "operation_id": null}', 3, 8) is None
    assert board.event_for("not json", 3, 8) is None
    assert board.event_for('{"force_id": 3}', 3, 8) is None


# -- the NOTIFY → SSE path through the route, on a database of its own (NOTIFY needs a commit) --------------

@dataclass
class Committed:
    db: DatabaseUnderTest
    force_a: ForceData
    force_b: ForceData
    reader: Staff
    operation_id: int
    other_operation_id: int
    target_person_id: int


@pytest.fixture
async def committed(fresh_db: DatabaseUnderTest) -> Committed:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force_a = await make_force(s, "AAA")
            reader = await make_user(s, force_a, "operation_lead")
            op = await operation(s, force_a, "Operation Stream", TODAY, TODAY + timedelta(days=6))
            other = await operation(s, force_a, "Operation Other", TODAY, TODAY + timedelta(days=6))
            someone = await person(s, force_a, "Sean", "Stream")
            force_b = await make_force(s, "BBB")
    finally:
        await engine.dispose()
    return Committed(fresh_db, force_a, force_b, reader, op.id, other.id, someone.id)


@pytest.fixture
async def live_app(committed: Committed) -> AsyncIterator[Any]:
    sessionmaker = sessionmaker_for(committed.db.app_url, pool_size=2, max_overflow=2)
    yield create_app(make_settings(), sessionmaker)
    await sessionmaker.kw["bind"].dispose()


async def _execute(admin_url: str, statement: str, values: tuple[object, ...]) -> None:
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(admin_url), autocommit=True) as conn:
        await conn.execute(statement, values)


async def test_a_change_reaches_the_operations_stream_and_nothing_else_does(committed: Committed,
                                                                           live_app: Any) -> None:
    transport = httpx.ASGITransport(app=live_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await sign_in(client, committed.reader)).status_code == 303
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        await messages.put(message)

    path = f"/operations/{committed.operation_id}/board/events"
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "client": ("203.0.113.7", 50000), "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream"), (b"cookie", cookie.encode())]}
    stream = asyncio.create_task(live_app(scope, receive, send))
    body = ""

    async def read_until(text: str) -> None:
        nonlocal body
        while text not in body:
            message = await asyncio.wait_for(messages.get(), timeout=10)
            if message["type"] == "http.response.start":
                assert message["status"] == 200
            else:
                body += message.get("body", b"").decode()

    insert_target = ("INSERT INTO operation_target (force_id, operation_id, person_id, source, added_by) "
                     "VALUES (%s, %s, %s, 'manual', 'test')")
    insert_arrest = ("INSERT INTO arrest (force_id, person_id, arrested_at, arrested_by, operation_id) "
                     "VALUES (%s, %s, now(), 'test', %s)")
    admin = committed.db.admin_url
    try:
        await read_until(": listening")
        # Another operation's change, and another force's, send nothing; this operation's target does.
        await _execute(admin, insert_target, (committed.force_a.id, committed.other_operation_id,
                                              committed.target_person_id))
        await _execute(admin, "SELECT pg_notify('operation_board', %s)",
                       (f'{{"force_id": {committed.force_b.id}, "operation_id": null}}',))
        await _execute(admin, insert_target, (committed.force_a.id, committed.operation_id,
                                              committed.target_person_id))
        await read_until(f"event: board\ndata: {committed.operation_id}\n\n")
        assert "data: none" not in body and f"data: {committed.other_operation_id}" not in body
        # A force-wide arrest (no operation) moves every board of the force.
        await _execute(admin, insert_arrest, (committed.force_a.id, committed.target_person_id, None))
        await read_until("event: board\ndata: none\n\n")
        assert "Sean" not in body and "force_id" not in body
    finally:
        gone.set()
        await asyncio.wait_for(stream, timeout=10)


async def test_the_stream_sends_heartbeats_and_ends_after_its_lifetime(committed: Committed) -> None:
    dsn = psycopg_dsn(committed.db.app_url)
    chunks = [chunk async for chunk in board.board_events(dsn, committed.force_a.id, committed.operation_id,
                                                          heartbeat=0.2, lifetime=0.7)]
    assert chunks[0].startswith("retry: 2000\n")
    assert chunks.count(": heartbeat\n\n") >= 3
