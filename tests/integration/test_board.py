"""The live board: open contacts of the reader's force by grade with age and timers; and the NOTIFY → SSE path,
which delivers an event (the contact id alone) for the reader's force and nothing for another force's."""

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
from safeguard.contact import board
from safeguard.contact.models import Contact
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import sessionmaker_for, set_force_context
from tests.conftest import DatabaseUnderTest, ForceData, Staff, make_force, make_settings, make_user, sign_in


async def _contact(db: AsyncSession, force: ForceData, minutes_ago: float, **values: object) -> Contact:
    await set_force_context(db, force.id)
    contact = Contact(force_id=force.id, channel=values.pop("channel", "999"),
                      received_at=datetime.now(UTC) - timedelta(minutes=minutes_ago), **values)
    db.add(contact)
    await db.flush()
    return contact


def _row(html: str, contact_id: int) -> str:
    start = html.index(f'data-testid="board-row-{contact_id}"')
    return html[start:html.index("</tr>", start)]


async def test_the_board_shows_open_contacts_by_grade_with_age_and_timers(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    supervisor = await make_user(db, force_a, "control_room_supervisor")
    late = await _contact(db, force_a, 20, grade="emergency", channel="999-silent", pressed_55=True, da_flag=True)
    rural = await _contact(db, force_a, 2, grade="emergency", rural=True)
    priority = await _contact(db, force_a, 10, grade="priority", channel="101")
    new = await _contact(db, force_a, 1, channel="online")
    scheduled = await _contact(db, force_a, 60, grade="scheduled", channel="999-silent")
    closed = await _contact(db, force_a, 3, grade="emergency", status="closed")
    theirs = await _contact(db, force_b, 3, grade="emergency")
    await sign_in(client, supervisor)
    page = await client.get("/board")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="board-refresh"' in html and "/static/js/board.js" in html
    order = [int(n) for n in re.findall(r'data-testid="board-row-(\d+)"', html)]
    assert order == [new.id, late.id, rural.id, priority.id, scheduled.id]  # ungraded first, then grade, oldest
    assert closed.id not in order and theirs.id not in order
    assert html.index('data-testid="board-group-ungraded"') < html.index('data-testid="board-group-emergency"')
    assert "5 open contacts." in html
    overdue = _row(html, late.id)
    assert "Silent: 55 pressed" in overdue and ">DA<" in overdue
    assert re.search(r"<strong>Overdue by 5 min \d\d s</strong>", overdue)
    assert f'data-attend-by="{(late.received_at + timedelta(minutes=15)).isoformat()}"' in overdue
    assert re.search(r">1[78] min \d\d s left<", _row(html, rural.id))  # rural: 20 minutes
    assert re.search(r">(49|50) min \d\d s left<", _row(html, priority.id))
    assert "No timed attendance" in _row(html, scheduled.id) and ">Silent<" in _row(html, scheduled.id)
    assert "Not graded yet" in _row(html, new.id) and "data-attend-by" not in _row(html, new.id)
    assert re.search(r">(1 h 00 min|59 min \d\d s)<", _row(html, scheduled.id))  # age
    fragment = await client.get("/board/rows")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert [int(n) for n in re.findall(r'data-testid="board-row-(\d+)"', fragment.text)] == order
    # A request that does not ask for an event stream gets the retry line and ends at once.
    once = await client.get("/board/events")
    assert once.status_code == 200 and once.headers["content-type"].startswith("text/event-stream")
    assert once.text.startswith("retry: ")


def test_an_event_carries_only_the_contact_id_and_only_for_its_force() -> None:
    assert board.event_for('{"force_id": 3, "contact_id": 41}', 3) == "event: contact\ndata: 41\n\n"
    assert board.event_for('{"force_id": 4, "contact_id": 41}', 3) is None
    assert board.event_for("not json", 3) is None
    assert board.event_for('{"force_id": 3}', 3) is None


# -- the NOTIFY → SSE path, end to end through the route, on a database of its own (NOTIFY needs a commit) --

@dataclass
class Committed:
    db: DatabaseUnderTest
    force_a: ForceData
    force_b: ForceData
    supervisor: Staff


@pytest.fixture
async def committed(fresh_db: DatabaseUnderTest) -> Committed:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force_a = await make_force(s, "AAA")
            supervisor = await make_user(s, force_a, "control_room_supervisor")
            force_b = await make_force(s, "BBB")
    finally:
        await engine.dispose()
    return Committed(fresh_db, force_a, force_b, supervisor)


@pytest.fixture
async def live_app(committed: Committed) -> AsyncIterator[Any]:
    sessionmaker = sessionmaker_for(committed.db.app_url, pool_size=2, max_overflow=2)
    yield create_app(make_settings(), sessionmaker)
    await sessionmaker.kw["bind"].dispose()


async def _insert_contact(admin_url: str, force_id: int) -> int:
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(admin_url), autocommit=True) as conn:
        cursor = await conn.execute("INSERT INTO contact (force_id, channel, received_at) VALUES (%s, '999', now()) "
                                    "RETURNING id", (force_id,))
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _backends(admin_url: str, database: str) -> list[tuple[str, str]]:
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(admin_url), autocommit=True) as conn:
        cursor = await conn.execute("SELECT coalesce(state, ''), query FROM pg_stat_activity "
                                    "WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
        return [(str(state), str(query)) for state, query in await cursor.fetchall()]


async def _no_listener(committed: Committed) -> bool:
    """True once no backend of the database is LISTENing (a closed connection's backend exits shortly after)."""
    for _ in range(30):
        if not [q for _, q in await _backends(committed.db.admin_url, committed.db.name) if "LISTEN" in q]:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_change_reaches_the_readers_stream_and_another_forces_does_not(
        committed: Committed, live_app: Any) -> None:
    transport = httpx.ASGITransport(app=live_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await sign_in(client, committed.supervisor)).status_code == 303
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

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/board/events", "raw_path": b"/board/events",
             "query_string": b"", "root_path": "", "client": ("203.0.113.7", 50000), "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream"), (b"cookie", cookie.encode())]}
    stream = asyncio.create_task(live_app(scope, receive, send))
    body = ""

    async def read_until(text: str) -> None:
        nonlocal body
        while text not in body:
            message = await asyncio.wait_for(messages.get(), timeout=10)
            if message["type"] == "http.response.start":
                assert message["status"] == 200
                assert dict(message["headers"])[b"content-type"].startswith(b"text/event-stream")
            else:
                body += message.get("body", b"").decode()

    try:
        await read_until(": listening")
        # The request's own transaction has ended: nothing is left idle in a transaction while the stream runs.
        backends = await _backends(committed.db.admin_url, committed.db.name)
        assert not [q for state, q in backends if state.startswith("idle in transaction")]
        assert [q for _, q in backends if q == "LISTEN contact_board"]  # the stream's own connection
        theirs = await _insert_contact(committed.db.admin_url, committed.force_b.id)
        ours = await _insert_contact(committed.db.admin_url, committed.force_a.id)
        await read_until(f"data: {ours}\n\n")
        assert "event: contact\ndata: " in body
        assert f"data: {theirs}\n" not in body
        assert "force_id" not in body  # the id alone
    finally:
        gone.set()
        await asyncio.wait_for(stream, timeout=10)  # the client went away: the stream ends
    assert await _no_listener(committed)  # and its connection is closed


async def test_the_stream_sends_heartbeats_and_ends_after_its_lifetime(committed: Committed) -> None:
    dsn = psycopg_dsn(committed.db.app_url)
    chunks = [chunk async for chunk in board.contact_events(dsn, committed.force_a.id, heartbeat=0.2, lifetime=0.7)]
    assert chunks[0].startswith("retry: 2000\n")
    assert chunks.count(": heartbeat\n\n") >= 3


async def test_an_open_stream_does_not_block_the_servers_shutdown(committed: Committed) -> None:
    """As the e2e live server runs it (uvicorn, a short graceful timeout): a browser still listening does not
    keep the server from stopping."""
    import socket
    import threading
    import time

    import uvicorn

    sessionmaker = sessionmaker_for(committed.db.app_url, pool_size=2, max_overflow=2)
    app = create_app(make_settings(), sessionmaker)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))

    async def serve() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            await sessionmaker.kw["bind"].dispose()  # in the loop that opened the connections

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:  # noqa: ASYNC110 (uvicorn sets a plain flag)
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            assert (await sign_in(http, committed.supervisor)).status_code == 303
            async with http.stream("GET", "/board/events", headers={"Accept": "text/event-stream"}) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_text():
                    if ": listening" in chunk:
                        break
                started = time.monotonic()
                server.should_exit = True
                await asyncio.get_running_loop().run_in_executor(None, thread.join, 30)
                assert not thread.is_alive(), "the server did not stop"
                # Well before the stream's own 60-second lifetime (2 s of grace, then cancelled; slack for load).
                assert time.monotonic() - started < 20
        assert await _no_listener(committed)  # the cancelled stream closed its connection
    finally:
        server.should_exit = True
        sock.close()


async def test_the_demo_board_is_seeded_once(fresh_db: DatabaseUnderTest) -> None:
    from safeguard.contact.board_demo import seed_demo_board
    from safeguard.demo import DEMO_FORCE_CODE

    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
    finally:
        await engine.dispose()
    seed_demo_board(fresh_db.admin_url)
    seed_demo_board(fresh_db.admin_url)
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        cursor = await conn.execute("SELECT c.channel, c.grade, count(g.id), min(g.suggested_grade) FROM contact c "
                                    "LEFT JOIN contact_grade g ON g.contact_id = c.id GROUP BY c.id ORDER BY c.id")
        rows = await cursor.fetchall()
    assert rows == [("999-silent", "emergency", 1, "emergency"), ("999", "emergency", 1, "emergency"),
                    ("101", "priority", 1, "priority"), ("online", None, 0, None)]
