"""A call handler takes a silent 999 call in Chromium: telephony opens the new-contact page prefilled (55
detected), the handler completes it and sees the history at a glance with the caller's markers and a breach
alert. Every new page is checked with axe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Marker
from safeguard.safeguarding import orders
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.order_scene import dapn, order_scene


async def _scene(live_server: LiveServer) -> str:
    """Dean Carver, under a DAPN protecting Alice Marsh, shares her landline; he carries a DA marker."""
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            scene = await order_scene(s, data.force)
            order = await orders.record_order(s, scene.actor, dapn(scene))
            await set_force_context(s, data.force.id)
            s.add(Marker(force_id=data.force.id, person_id=scene.subject.id, kind="da-perpetrator",
                         starts_on=date(2026, 1, 5), set_by="pc.example", note="Threatened to kill"))
            return order.reference
    finally:
        await engine.dispose()


async def test_a_handler_completes_a_prefilled_silent_call_and_sees_the_history(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    reference = await _scene(live_server)
    await sign_in(page, live_server.data.handler)
    received = (datetime.now(UTC) - timedelta(seconds=20)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    await page.goto(f"/contacts/new?channel=999-silent&number=01632%20960555&pressed_55=1&received_at={received}")
    await expect(page.get_by_role("heading", name="New contact")).to_be_visible()
    await expect(page.get_by_role("radio", name="Silent 999")).to_be_checked()
    await expect(page.get_by_label("The caller pressed 55 (silent 999 only)")).to_be_checked()
    await expect(page.get_by_label("Caller's number")).to_have_value("01632 960555")
    await expect(page.get_by_test_id("silent-55")).to_contain_text("55 was detected")
    await _axe(page, axe_source, "the new contact page")

    await page.get_by_label("Caller's number").fill("0163")
    await page.get_by_role("button", name="Save and show history").click()
    await expect(page.get_by_role("alert")).to_contain_text("not a valid UK or international phone number")
    await _axe(page, axe_source, "the new contact page with an error")

    await page.get_by_label("Caller's number").fill("01632 960555")
    await page.get_by_label("What the caller says is happening").fill("Taps twice for yes: he is in the house")
    await page.get_by_label("Location, as the caller gives it").fill("8 Tanner Street")
    await page.get_by_label("Children are present").check()
    await page.get_by_role("button", name="Save and show history").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("Contact")
    alerts = page.get_by_test_id("contact-alerts")
    await expect(alerts).to_contain_text("the caller pressed 55")
    await expect(alerts).to_contain_text("Dean Carver, linked to this number: DA perpetrator")
    await expect(alerts).to_contain_text(f"Dean Carver is barred from contacting Alice Marsh by DAPN {reference}")
    await expect(page.get_by_test_id("da-flag")).to_be_visible()
    await expect(page.get_by_test_id("contact-summary")).to_contain_text("Children present")
    await expect(page.get_by_test_id("breach-alert").first).to_contain_text("Possible breach")
    person = page.get_by_test_id("glance-person").filter(has_text="Dean Carver")
    await expect(person).to_contain_text("Threatened to kill")
    await _axe(page, axe_source, "the contact page")

    await page.goto("/contacts")
    await expect(page.get_by_test_id("open-contact")).to_have_count(1)
    await expect(page.get_by_test_id("open-contact")).to_contain_text("Silent 999")
    await _axe(page, axe_source, "the open contacts")
