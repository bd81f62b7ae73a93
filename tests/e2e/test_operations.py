"""An operation lead creates an operation, chooses its targets and plans an attempt; a response officer records the
arrest on a phone-sized page. In a real browser, with axe on every operation page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.crimes import suspects
from safeguard.crimes.service import uk_time
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, PersonAddress
from safeguard.targeting.models import HarmRanking, HarmRankingEntry, HarmWeightSet
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, _context, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.crime_scene import WHEN, crime_scene

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@dataclass
class Scene:
    lead: Staff
    officer: Staff
    wanted_crime: str


async def _scene(live_server: LiveServer) -> Scene:
    """Dean (top of the harm ranking, an outstanding DA suspect) and Gary (wanted for a DA crime, living at a
    known address), an operation lead and a response officer: committed for the live server."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            dean = await crime_scene(s, force, forename="Dean")
            gary = await crime_scene(s, force, forename="Gary", staff=dean.staff)
            await suspects.change_status(s, gary.actor, gary.suspect.id, suspects.Step(
                to="wanted", at=WHEN + timedelta(hours=3), reason="Not at his address"), now=WHEN + timedelta(hours=4))
            home = Location(force_id=force.id, line1="4 Quarry Lane", town="Northfield", postcode="NF2 9QL")
            s.add(home)
            await s.flush()
            s.add(PersonAddress(force_id=force.id, person_id=gary.person.id, location_id=home.id,
                                from_date=date(2021, 5, 1)))
            weights = HarmWeightSet(force_id=force.id, version=1, weights={}, created_by="test")
            s.add(weights)
            await s.flush()
            ranking = HarmRanking(force_id=force.id, weight_set_id=weights.id, weight_version=1,
                                  as_of=datetime.now(UTC).date(), window_days=1095, engine="duckdb", perpetrators=1,
                                  computed_by="test")
            s.add(ranking)
            await s.flush()
            s.add(HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=1, person_id=dean.person.id,
                                   score=Decimal("87.5"), recency=1, frequency=1, gravity=1, victims=1, total_harm=10,
                                   incidents=3, victim_count=2, last_incident_on=WHEN.date(), flags=["serial"]))
            await set_force_context(s, force.id)
            lead = await make_user(s, force, "operation_lead", username="olu.lead", team_kind="operational_support")
            officer = await make_user(s, force, "response_officer", username="pat.officer",
                                      team_kind="local_policing")
            return Scene(lead, officer, gary.crime.reference)
    finally:
        await engine.dispose()


async def _fill_day(page: Page, group: str, on: date) -> None:
    fields = page.get_by_role("group", name=group)
    await fields.get_by_label("Day").fill(str(on.day))
    await fields.get_by_label("Month").fill(str(on.month))
    await fields.get_by_label("Year").fill(str(on.year))


async def test_a_lead_plans_an_operation_and_an_officer_records_an_arrest_on_a_phone(
        axe_page: Page, browser: Browser, live_server: LiveServer, axe_source: str) -> None:
    scene = await _scene(live_server)
    page = axe_page
    today = uk_time(datetime.now(UTC)).date()

    await sign_in(page, scene.lead)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Operations").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Operations")
    await expect(page.get_by_text("No operations yet.")).to_be_visible()
    await _axe(page, axe_source, "the operations page")
    await page.get_by_role("button", name="New operation").click()
    await page.get_by_role("button", name="Create the operation").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the operation's name")
    await _axe(page, axe_source, "the new operation form with errors")
    await page.get_by_label("Name", exact=True).fill("Operation Harbour")
    await page.get_by_label("Objective").fill("Arrest the highest-harm DA perpetrators")
    await _fill_day(page, "Start date", today)
    await _fill_day(page, "End date", date.fromordinal(today.toordinal() + 6))
    await expect(page.get_by_label("Lead", exact=True)).to_have_value(str(scene.lead.user.id))
    await page.get_by_role("button", name="Create the operation").click()
    await expect(page.get_by_text("Operation Harbour created. Choose its targets next.")).to_be_visible()
    await _axe(page, axe_source, "an operation's page")
    await page.get_by_role("button", name="Start the operation").click()
    await expect(page.get_by_text("started: officers can now record attempts")).to_be_visible()

    await page.get_by_role("link", name="Choose targets").first.click()
    await expect(page.get_by_test_id("ranked")).to_contain_text("Serial perpetrator")
    await expect(page.get_by_test_id("wanted")).to_contain_text(scene.wanted_crime)
    await _axe(page, axe_source, "the choose-targets page")
    await page.get_by_label("Choose Dean Holloway").check()
    await page.get_by_label(re.compile("Choose Gary Holloway")).check()
    await page.get_by_label("Local policing").check()
    await page.get_by_role("button", name="Add the chosen targets").click()
    await expect(page.get_by_text("2 targets added.")).to_be_visible()
    await expect(page.get_by_test_id("targets-1")).to_contain_text("Local policing: 2 targets, 0 arrested")

    await page.get_by_role("link", name="Gary Holloway").click()
    await expect(page.get_by_test_id("target-summary")).to_contain_text(scene.wanted_crime)
    await _axe(page, axe_source, "a target's page")
    await page.get_by_role("button", name="Plan an arrest attempt").click()
    await expect(page.get_by_label("Address to attend")).to_have_value("4 Quarry Lane, Northfield, NF2 9QL")
    await _axe(page, axe_source, "the plan-an-attempt form")
    await page.get_by_label("Time (24-hour clock, UK time)").fill(uk_time(datetime.now(UTC)).strftime("%H:%M"))
    await page.get_by_label("Team").select_option(label="Northfield local policing")
    await page.get_by_role("button", name="Plan the attempt").click()
    await expect(page.get_by_text(re.compile("Attempt planned for"))).to_be_visible()

    # The response officer, on a phone.
    context = await _context(browser, live_server, bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone = await context.new_page()
        await sign_in(phone, scene.officer)
        await phone.goto("/operations")
        await phone.get_by_role("link", name="Operation Harbour").click()
        await phone.get_by_role("link", name="Today's arrest attempts").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Today's arrest attempts")
        attempts = phone.get_by_test_id("todays-attempts")
        await expect(attempts).to_contain_text("Gary Holloway")
        await expect(attempts).to_contain_text("Your team")
        await _fits(phone, "today's attempts")
        await _axe(phone, axe_source, "today's attempts on a phone")
        await phone.get_by_role("button", name="Open the attempt on Gary Holloway").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Gary Holloway")
        await _axe(phone, axe_source, "the attempt page on a phone")

        await phone.get_by_label("Other", exact=True).check()
        await phone.get_by_role("button", name="Record the outcome").click()
        await expect(phone.locator(".govuk-error-summary")).to_contain_text("Say what happened")
        await _axe(phone, axe_source, "the attempt page with an error on a phone")

        await phone.get_by_label("Arrested", exact=True).check()
        offence = phone.get_by_label("Controlling or coercive behaviour in an intimate or family relationship")
        await expect(offence).to_be_visible()
        await expect(offence).to_be_checked()
        await _axe(phone, axe_source, "the arrest details on a phone")
        record = phone.get_by_role("button", name="Record the outcome")
        box = await record.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] >= 44, box  # a full-width button, easy to tap
        await _fits(phone, "the attempt page")
        await record.click()
        await expect(phone.get_by_text(re.compile(r"Arrest recorded \(arrest \d+\)"))).to_be_visible()
        await expect(attempts).to_contain_text("Arrested")
    finally:
        await context.close()

    # The lead sees it on the operation's page.
    await page.goto("/operations")
    await page.get_by_role("link", name="Operation Harbour").click()
    await expect(page.get_by_test_id("targets-1")).to_contain_text("1 arrested")
    await expect(page.get_by_test_id("recorded-attempts")).to_contain_text("pat.officer")


async def _fits(page: Page, what: str) -> None:
    """Nothing runs off the side of the phone's screen."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px screen"
