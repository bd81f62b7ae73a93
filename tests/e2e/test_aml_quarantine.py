"""A control-room supervisor reads the AML quarantine in a real browser, with axe on the page."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import AmlQuarantine
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e

HOSTILE = '<img src=x onerror=alert(1)>;A"ML=1;lt=+52.48621'


async def test_a_supervisor_sees_quarantined_messages_escaped_with_their_reasons(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            supervisor = await make_user(s, force, "control_room_supervisor", username="sam.supervisor",
                                         team_kind="control_room")
    finally:
        await engine.dispose()
    await sign_in(page, supervisor)
    await page.goto("/aml/quarantine")
    await expect(page.get_by_role("heading", level=1)).to_have_text("AML messages that could not be used")
    await expect(page.get_by_test_id("aml-quarantine-empty")).to_be_visible()
    await _axe(page, axe_source, "the empty AML quarantine")

    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            s.add_all([
                AmlQuarantine(force_id=force.id, transport="sms", msisdn="+447700900123", raw=HOSTILE,
                              reason="Part 1 ('<img src=x onerror=alert(1)>') has no '='"),
                AmlQuarantine(force_id=force.id, transport="https", msisdn=None,
                              raw="time=1438101600&device_imei=353472104343540",
                              reason="time=1438101600 is not a time in milliseconds since 1970 within the years "
                                     "2000-2099 (it looks like seconds)"),
            ])
    finally:
        await engine.dispose()
    await page.reload()
    table = page.get_by_test_id("aml-quarantine")
    await expect(table.get_by_role("row")).to_have_count(3)
    await expect(table).to_contain_text(HOSTILE)  # shown as text, never as markup
    await expect(table.locator("img")).to_have_count(0)
    await expect(table).to_contain_text("(it looks like seconds)")
    await expect(table).to_contain_text("Not given")
    await _axe(page, axe_source, "the AML quarantine with messages")
