"""An officer logs a Victims' Code contact that meets an entitlement, and a sergeant sees an overdue entitlement in
the overdue list, in a real browser, with axe on each page."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.safeguarding import victims_code
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.crime_scene import crime_scene

pytestmark = pytest.mark.e2e


@dataclass
class Scene:
    officer: Staff
    sergeant: Staff
    victim_id: int
    crime_reference: str


async def _scene(live_server: LiveServer) -> Scene:
    """A DA crime recorded 20 days ago, its victim's entitlements owed by a response officer (all overdue)."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            officer = await make_user(s, force, "response_officer", username="rob.response",
                                      team_kind="local_policing")
            sergeant = await make_user(s, force, "sergeant", username="sam.sergeant", team_kind="local_policing")
            scene = await crime_scene(s, force)
            await victims_code.open_for_crime(s, scene.actor, crime_id=scene.crime.id, person_id=scene.victim.id,
                                              officer="rob.response")
    finally:
        await engine.dispose()
    return Scene(officer, sergeant, scene.victim.id, scene.crime.reference)


async def test_an_officer_logs_a_contact_and_a_sergeant_sees_what_is_overdue(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    scene = await _scene(live_server)
    await sign_in(page, scene.officer)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Victims' Code").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Victims' Code")
    mine = page.get_by_test_id("mine-table")
    await expect(mine).to_contain_text("Needs assessment at first contact")
    await expect(mine).to_contain_text("Overdue")
    await _axe(page, axe_source, "the Victims' Code page")

    await page.get_by_label("Crime reference").fill(scene.crime_reference)
    await page.get_by_role("button", name="Find the victims").click()
    await page.get_by_test_id("crime-victims").get_by_role("link", name="Carla Benning").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Carla Benning")
    await expect(page.locator("[data-safe-contact]")).to_contain_text("No safe-contact preferences are recorded")
    await _axe(page, axe_source, "a victim's Victims' Code record")

    await page.get_by_label("Phone").check()
    await page.get_by_role("button", name="Log the contact").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what was said or done in the contact")
    await _axe(page, axe_source, "the contact form with an error")
    await page.get_by_label("What was said or done").fill("Needs assessment on the phone; wants an IDVA referral")
    await page.get_by_label(re.compile("Needs assessment at first contact")).check()
    await page.get_by_role("button", name="Log the contact").click()
    await expect(page.get_by_text("Contact recorded. The entitlement is met.")).to_be_visible()
    await expect(page.get_by_test_id("contact-log")).to_contain_text("wants an IDVA referral")
    entitlements = page.get_by_test_id("entitlements-table")
    await expect(entitlements.get_by_role("row", name=re.compile("Needs assessment"))).to_contain_text("Met late")
    await entitlements.get_by_role("link", name="Needs assessment at first contact").click()
    await expect(page.get_by_test_id("state")).to_contain_text("Met late")
    await _axe(page, axe_source, "an entitlement")

    await page.context.clear_cookies()
    await sign_in(page, scene.sergeant)
    await page.goto("/victims-code")
    await page.get_by_role("link", name="Overdue entitlements across the force").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Overdue Victims' Code entitlements")
    overdue = page.get_by_test_id("overdue-table")
    await expect(overdue).to_contain_text("Written confirmation of the crime")
    await expect(overdue).to_contain_text("Referral to support services")
    await expect(overdue).not_to_contain_text("Needs assessment")
    await expect(page.get_by_test_id("by-officer")).to_contain_text("rob.response")
    await _axe(page, axe_source, "the overdue list")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download as CSV").click()
    path = await (await download.value).path()
    assert "Written confirmation of the crime" in path.read_text(encoding="utf-8")
