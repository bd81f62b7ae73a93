"""Two browsers watch an operation's live board: an arrest attempt and an arrest recorded elsewhere (committed to
the database, as an officer's phone would) show on both boards within a few seconds. The board passes axe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.crimes.service import uk_time
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.operations.models import Operation, OperationTarget
from safeguard.people.models import Person
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, _context, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.test_operation_results import arrest, attempt, operation, person, target

pytestmark = pytest.mark.e2e


@dataclass
class Scene:
    lead: Staff
    officer: Staff
    operation_id: int
    target_id: int
    person_id: int


async def _scene(live_server: LiveServer) -> Scene:
    data = live_server.data
    today = uk_time(datetime.now(UTC)).date()
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            lead = await make_user(s, data.force, "operation_lead", username="olive.lead")
            officer = await make_user(s, data.force, "response_officer", username="rory.response",
                                      team_kind="local_policing")
            await set_force_context(s, data.force.id)
            op = await operation(s, data.force, "Operation Daybreak", today - timedelta(days=1),
                                 today + timedelta(days=5))
            someone = await person(s, data.force, "Dean", "Holloway")
            chosen = await target(s, data.force, op, someone, "outstanding", "local_policing")
            other = await person(s, data.force, "Mark", "Otley")
            await target(s, data.force, op, other, "outstanding", "public_protection")
            return Scene(lead, officer, op.id, chosen.id, someone.id)
    finally:
        await engine.dispose()


async def _record_arrest_elsewhere(live_server: LiveServer, scene: Scene) -> None:
    """What recording an arrest on the attempt page does, committed in a session of its own: the arrest, the
    attempt's outcome that points at it, and the target marked arrested."""
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, data.force.id)
            now = datetime.now(UTC)
            op = await s.get(Operation, scene.operation_id)
            chosen = await s.get(OperationTarget, scene.target_id)
            who = await s.get(Person, scene.person_id)
            assert op is not None and chosen is not None and who is not None
            made = await arrest(s, data.force, who, now, da=True, op=op)
            done = await attempt(s, data.force, op, chosen, now - timedelta(minutes=5), "arrested", now)
            done.arrest_id = made.id
            chosen.status = "arrested"
    finally:
        await engine.dispose()


async def test_an_arrest_recorded_elsewhere_shows_on_both_boards(browser: Browser, live_server: LiveServer,
                                                                 axe_source: str) -> None:
    scene = await _scene(live_server)
    first = await _context(browser, live_server)
    second = await _context(browser, live_server, bypass_csp=True)
    try:
        boards = []
        for context, staff in ((first, scene.lead), (second, scene.officer)):
            page = await context.new_page()
            await sign_in(page, staff)
            await page.goto(f"/operations/{scene.operation_id}/board")
            await expect(page.get_by_role("heading", name="Live board")).to_be_visible()
            await expect(page.get_by_test_id("operation-board-targets-outstanding")).to_have_text("2")
            await expect(page.get_by_test_id("operation-board-arrests-targeted-today")).to_have_text("0")
            await expect(page.locator("[data-operation-board][data-live='true']")).to_have_count(1)
            boards.append(page)
        await _axe(boards[1], axe_source, "the operation board")

        await _record_arrest_elsewhere(live_server, scene)
        for page in boards:
            await expect(page.get_by_test_id("operation-board-targets-outstanding")).to_have_text("1", timeout=5000)
            await expect(page.get_by_test_id("operation-board-targets-arrested")).to_have_text("1")
            await expect(page.get_by_test_id("operation-board-attempts-arrested")).to_have_text("1")
            await expect(page.get_by_test_id("operation-board-arrests-targeted-today")).to_have_text("1")
            await expect(page.get_by_test_id("operation-board-arrests-da-today")).to_have_text("1")
            await expect(page.get_by_test_id("operation-board-state")).to_contain_text("Still running")
    finally:
        await first.close()
        await second.close()
