"""Two browsers: a control-room supervisor watches the live board while a call handler re-grades a contact on
the grading page; the new grade shows on the supervisor's board within two seconds. Both pages pass axe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Contact
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, _context, sign_in
from tests.e2e.test_pages import _axe

THRIVE = {"Threat": "Ex-partner outside, threatening to break in", "Harm": "Caller pushed earlier; no injury seen",
          "Risk": "Likely to escalate before officers arrive", "Investigation": "Breach of a DAPN; arrest on arrival",
          "Vulnerability": "Caller is pregnant", "Engagement": "Caller can answer yes/no"}


async def _scene(live_server: LiveServer) -> tuple[Staff, int, int]:
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            supervisor = await make_user(s, data.force, "control_room_supervisor", username="sam.supervisor",
                                         team_kind="control_room")
            await set_force_context(s, data.force.id)
            now = datetime.now(UTC)
            graded = Contact(force_id=data.force.id, channel="999", caller_number="+447700900456",
                             received_at=now - timedelta(minutes=4), da_flag=True, grade="priority",
                             graded_at=now - timedelta(minutes=3))
            silent = Contact(force_id=data.force.id, channel="999-silent", pressed_55=True,
                             caller_number="+447700900457", received_at=now - timedelta(minutes=1))
            s.add_all([graded, silent])
            await s.flush()
            return supervisor, graded.id, silent.id
    finally:
        await engine.dispose()


async def test_a_re_grade_shows_on_the_supervisors_board_within_two_seconds(
        browser: Browser, live_server: LiveServer, axe_source: str) -> None:
    supervisor, contact_id, silent_id = await _scene(live_server)
    watching = await _context(browser, live_server, bypass_csp=False)
    working = await _context(browser, live_server, bypass_csp=True)
    try:
        board = await watching.new_page()
        await sign_in(board, supervisor)
        await board.goto("/board")
        await expect(board.get_by_role("heading", name="Live board")).to_be_visible()
        await expect(board.get_by_test_id(f"board-grade-{contact_id}")).to_have_text("Priority")
        row = board.get_by_test_id(f"board-row-{silent_id}")
        await expect(row).to_contain_text("Silent: 55 pressed")
        await expect(row).to_contain_text("Not graded yet")
        await expect(board.locator("[data-board][data-live='true']")).to_have_count(1)  # the stream is open
        # The timers tick in the browser.
        age = board.get_by_test_id(f"board-row-{contact_id}").locator("[data-age]")
        first = await age.text_content()
        await expect(age).not_to_have_text(first or "", timeout=2500)

        handler = await working.new_page()
        await sign_in(handler, live_server.data.handler)
        await handler.goto(f"/contacts/{contact_id}/grade")
        await expect(handler.get_by_role("heading", name="Grade the contact (THRIVE)")).to_be_visible()
        await expect(handler.get_by_test_id("grade-suggestion")).to_contain_text(
            "Domestic abuse flagged on the contact")
        await _axe(handler, axe_source, "the grading page")
        for label, text in THRIVE.items():
            await handler.get_by_label(label, exact=True).fill(text)
        await handler.get_by_label("Emergency").check()
        await handler.get_by_role("button", name="Save the grade").click()
        # The supervisor's board, in another browser, shows the new grade within two seconds of the click.
        await expect(board.get_by_test_id(f"board-grade-{contact_id}")).to_have_text("Emergency", timeout=2000)
        await expect(board.get_by_test_id(f"board-timer-{contact_id}")).to_contain_text("left")
        await expect(board.get_by_test_id("board-group-emergency")).to_contain_text(f"Contact {contact_id}")
        # The handler lands back on the contact, which shows the new grade.
        await expect(handler).to_have_url(f"{live_server.url}/contacts/{contact_id}")
        await expect(handler.get_by_text("Contact graded: emergency.")).to_be_visible()
        await expect(handler.get_by_test_id("grade")).to_have_text("Emergency")

        # Grading below the suggestion without a reason is refused on the page.
        await handler.goto(f"/contacts/{contact_id}/grade")
        await handler.get_by_label("Scheduled").check()
        await handler.get_by_role("button", name="Save the grade").click()
        await expect(handler.locator(".govuk-error-summary")).to_contain_text(
            "You chose scheduled, below the suggested priority: give the reason for grading lower")
        await expect(handler.get_by_label("Threat", exact=True)).to_have_value(THRIVE["Threat"])

        # Closing a contact takes it off the board, live.
        await handler.get_by_label("Why is the contact being closed?").fill("Officers attended; caller safe")
        await handler.get_by_role("button", name="Close the contact").click()
        await expect(board.get_by_test_id(f"board-row-{contact_id}")).to_have_count(0, timeout=2000)

        checker = await working.new_page()
        await checker.goto("/board")
        await expect(checker.get_by_test_id(f"board-row-{silent_id}")).to_be_visible()
        await _axe(checker, axe_source, "the live board")
    finally:
        await watching.close()
        await working.close()
