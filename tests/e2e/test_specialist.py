"""A DA specialist in Chromium: sees a new DA call in the queue, opens it, reads the victim's safe contact
first, records advice for the officers, and finds the call under "Reviewed today"; with axe on each page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Contact
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.specialist_scene import PLANTED, specialist_scene

pytestmark = pytest.mark.e2e


async def _scene(live_server: LiveServer) -> tuple[Staff, int]:
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, data.force.id)
            staff = await make_user(s, data.force, "da_specialist", username="jo.specialist", team_kind="control_room")
            scene = await specialist_scene(s, data.force)
            return staff, scene.contact.id
    finally:
        await engine.dispose()


async def _new_call(live_server: LiveServer) -> int:
    """A DA call flagged while the specialist is looking at the queue."""
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, data.force.id)
            contact = Contact(force_id=data.force.id, channel="101", caller_number="+447700900654",
                              received_at=datetime.now(UTC) - timedelta(seconds=30), da_flag=True, grade="priority")
            s.add(contact)
            await s.flush()
            return contact.id
    finally:
        await engine.dispose()


async def test_a_da_specialist_reviews_a_call_and_advises_the_officers(axe_page: Page, live_server: LiveServer,
                                                                       axe_source: str) -> None:
    page = axe_page
    staff, contact_id = await _scene(live_server)
    await sign_in(page, staff)
    await page.goto("/specialist")
    await expect(page.get_by_role("heading", name="DA calls for review")).to_be_visible()
    waiting = page.get_by_test_id("waiting")
    await expect(waiting.locator(f'[data-contact-id="{contact_id}"]')).to_contain_text("55 pressed")
    await expect(waiting.locator(f'[data-contact-id="{contact_id}"]')).to_contain_text("Yes")
    await _axe(page, axe_source, "the DA specialist's queue")

    # A new DA call is flagged: it is in the queue at once, at the top.
    new_id = await _new_call(live_server)
    await page.get_by_test_id("refresh").click()
    rows = page.get_by_test_id("waiting").get_by_test_id("queue-row")
    await expect(rows.first).to_have_attribute("data-contact-id", str(new_id))
    await expect(rows.first).to_contain_text("Priority")
    await expect(rows.first).to_contain_text("Not yet")

    await page.get_by_role("link", name=f"Call {contact_id}", exact=True).click()
    await expect(page.get_by_role("heading", name=f"DA call {contact_id}")).to_be_visible()
    # Safe contact first: it comes before everything else about the call.
    first = page.locator("main [data-safe-contact]").first
    await expect(first).to_contain_text("Safe contact: Carla Benning")
    await expect(first).to_contain_text("Do not leave voicemail")
    await expect(first).to_contain_text("07700 900111")
    assert await page.evaluate("""() => {
        const safe = document.querySelector('main [data-safe-contact]');
        const call = document.getElementById('call-heading');
        return Boolean(safe.compareDocumentPosition(call) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    await expect(page.get_by_test_id("children")).to_contain_text("The caller said children were present.")
    victim = page.get_by_test_id("victim")
    await expect(victim).to_have_count(1)
    await expect(victim).to_contain_text("MR-2026-SPEC1")
    await expect(victim).to_contain_text("PO-2026-SPEC1")
    for planted in PLANTED.values():
        await expect(page.locator("body")).not_to_contain_text(planted)
    await _axe(page, axe_source, "the safeguarding view of a DA call")

    await page.get_by_role("button", name="Record advice").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(page.get_by_role("link", name="Enter your advice for the handler and the attending officers")
                 ).to_be_visible()
    await _axe(page, axe_source, "the safeguarding view with an error")

    await page.get_by_label("Advice for the handler and the attending officers").fill(
        "Call her only on the safe number, weekdays 10:00 to 14:00. Never leave voicemail.")
    await page.get_by_label("Referrals made or suggested (optional)").fill("IDVA referral suggested")
    await page.get_by_role("button", name="Record advice").click()
    await expect(page.get_by_text("Advice recorded.")).to_be_visible()
    advice = page.get_by_test_id("advice-item")
    await expect(advice).to_have_count(1)
    await expect(advice).to_contain_text("Call her only on the safe number")
    await expect(advice).to_contain_text("IDVA referral suggested")
    await expect(advice).to_contain_text("Given by jo.specialist")
    await _axe(page, axe_source, "the safeguarding view with advice")

    await page.get_by_role("link", name="DA calls for review").first.click()
    await expect(page.get_by_test_id("reviewed").locator(f'[data-contact-id="{contact_id}"]')).to_contain_text(
        "1 piece")
    await expect(page.get_by_test_id("waiting").locator(f'[data-contact-id="{contact_id}"]')).to_have_count(0)
