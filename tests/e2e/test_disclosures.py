"""A PPU investigator takes a Clare's Law right-to-ask request from receipt to disclosure, in a real browser,
with axe on each page."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e


@dataclass
class Scene:
    investigator: Staff
    at_risk: Person
    partner: Person


async def _scene(live_server: LiveServer) -> Scene:
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            investigator = await make_user(s, force, "ppu_investigator", username="ivy.investigator",
                                           team_kind="public_protection")
            at_risk = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987, gender="female")
            partner = Person(force_id=force.id, forename="Dean", surname="Holloway", dob_year=1984, gender="male")
            s.add_all([at_risk, partner])
    finally:
        await engine.dispose()
    return Scene(investigator, at_risk, partner)


async def test_an_investigator_records_a_right_to_ask_request_decides_and_records_the_disclosure(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    scene = await _scene(live_server)
    await sign_in(page, scene.investigator)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Clare's Law").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Clare's Law requests")
    await expect(page.get_by_text("There are no open Clare's Law requests.")).to_be_visible()
    await _axe(page, axe_source, "the Clare's Law requests page")

    await page.get_by_role("button", name="Record a request").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Record a Clare's Law request")
    await _axe(page, axe_source, "the new request form")
    await page.get_by_label("Right to ask").check()
    await page.get_by_label("Person number of the person at risk").fill(str(scene.at_risk.id))
    await page.get_by_label("Person number of the partner or ex-partner asked about").fill(str(scene.at_risk.id))
    await page.get_by_label("Applicant's name").fill("Carla Benning")
    await page.get_by_label("Relationship to the person at risk").fill("self")
    await page.get_by_role("button", name="Record the request").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("must be a different person from the person at risk")
    await _axe(page, axe_source, "the new request form with an error")
    await page.get_by_label("Person number of the partner or ex-partner asked about").fill(str(scene.partner.id))
    await page.get_by_role("button", name="Record the request").click()

    await expect(page.get_by_text(re.compile(r"Clare's Law request DVDS-\d{4}-\d{6} recorded\."))).to_be_visible()
    await expect(page.get_by_test_id("clock")).to_contain_text("28 days left")
    await expect(page.locator("[data-safe-contact]")).to_contain_text("No safe-contact preferences are recorded")
    await _axe(page, axe_source, "a request")

    await page.get_by_label("Note (optional)").fill("PNC, PND and local checks requested")
    await page.get_by_role("button", name="Start the checks").click()
    await expect(page.get_by_test_id("status")).to_have_text("Checks under way")
    await page.get_by_role("button", name="Move to panel").click()
    await expect(page.get_by_test_id("status")).to_have_text("At panel")

    await page.get_by_label("Disclose", exact=True).check()
    await page.get_by_role("button", name="Record the decision").click()
    await expect(summary).to_contain_text("Explain why the decision is lawful, necessary and proportionate")
    await _axe(page, axe_source, "the decision form with an error")
    await page.get_by_label("Rationale").fill("Previous convictions for violence against two former partners; "
                                              "disclosure is lawful, necessary and proportionate to protect her.")
    await page.get_by_role("button", name="Record the decision").click()
    await expect(page.get_by_text("Decision recorded: disclose.")).to_be_visible()
    await expect(page.get_by_test_id("decision")).to_contain_text("Disclose")

    await page.get_by_label("Disclosed to").fill("Carla Benning, with her IDVA present")
    await page.get_by_label("What was disclosed").fill("Dean Holloway has convictions for assaulting former partners.")
    await page.get_by_role("button", name="Record the disclosure").click()
    await expect(page.get_by_text("Disclosure recorded.")).to_be_visible()
    await expect(page.get_by_test_id("disclosed")).to_contain_text("Carla Benning, with her IDVA present")
    await expect(page.get_by_test_id("clock")).to_contain_text("Completed within the target")
    await expect(page.get_by_test_id("history")).to_contain_text("PNC, PND and local checks requested")
    await _axe(page, axe_source, "a request after the disclosure")
    await page.get_by_role("button", name="Close the request").click()
    await expect(page.get_by_test_id("status")).to_have_text("Closed")
