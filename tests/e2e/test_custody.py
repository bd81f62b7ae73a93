"""An investigator works a suspect from wanted to charged in a real browser, with axe on each page: marks them
wanted, records the arrest, watches the custody clock, records a review, charges them and sees it on the crime;
an analyst reads the period's results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import ROLES
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes import service
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
    analyst: Staff
    crime_id: int
    reference: str


async def _scene(live_server: LiveServer) -> Scene:
    """A DA crime with Dean Holloway as its outstanding suspect, recorded three days ago and committed."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    when = datetime.now(UTC) - timedelta(days=3)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            investigator = await make_user(s, force, "ppu_investigator", username="ivy.investigator",
                                           team_kind="public_protection")
            analyst = await make_user(s, force, "analyst", username="ana.analyst")
            await set_force_context(s, force.id, investigator.user.id)
            victim = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987)
            suspect = Person(force_id=force.id, forename="Dean", surname="Holloway", dob_year=1984)
            incident = Incident(force_id=force.id, reference="INC-E2E-0001", da_related=True, occurred_at=when,
                                area_id=force.area.id)
            s.add_all([victim, suspect, incident])
            await s.flush()
            s.add_all([IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"),
                       IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id,
                                      role="suspect")])
            actor = Actor(kind="user", force_id=force.id, label=investigator.user.username,
                          permissions=ROLES["ppu_investigator"].permissions, user_id=investigator.user.id)
            crime = await service.record_crime(s, actor, service.NewCrime(
                incident_id=incident.id, offence_codes=["strangulation", "coercive-control"],
                victim_ids=[victim.id], suspect_ids=[suspect.id]), now=when + timedelta(hours=1))
    finally:
        await engine.dispose()
    return Scene(investigator, analyst, crime.id, crime.reference)


async def _fill_when(page: Page, prefix: str, at: datetime) -> None:
    local = service.uk_time(at)
    await page.locator(f"#{prefix}_day").fill(str(local.day))
    await page.locator(f"#{prefix}_month").fill(str(local.month))
    await page.locator(f"#{prefix}_year").fill(str(local.year))
    await page.locator(f"#{prefix}_time").fill(local.strftime("%H:%M"))


async def test_an_investigator_takes_a_suspect_from_wanted_to_charged(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    scene = await _scene(live_server)
    now = datetime.now(UTC)
    await sign_in(page, scene.investigator)
    await page.goto(f"/crimes/{scene.crime_id}")
    await page.get_by_role("link", name="Suspect record for Dean Holloway").click()
    await expect(page.get_by_test_id("suspect-status")).to_have_text("Outstanding")
    await _axe(page, axe_source, "the suspect page")

    # Wanted: refused without a reason, then marked with one, back-dated to when the search began.
    await page.get_by_role("button", name="Mark as wanted").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mark as wanted")
    await _axe(page, axe_source, "the status form")
    await page.get_by_role("button", name="Mark as wanted").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Say why the suspect is wanted")
    await _axe(page, axe_source, "the status form with an error")
    await _fill_when(page, "at", now - timedelta(hours=7))
    await page.get_by_label("Why").fill("Left the address before officers arrived")
    await page.get_by_role("button", name="Mark as wanted").click()
    await expect(page.get_by_text("Suspect marked wanted.")).to_be_visible()
    await expect(page.get_by_test_id("suspect-status")).to_have_text("Wanted")
    await expect(page.get_by_test_id("suspect-history")).to_contain_text("Left the address before officers arrived")

    # The wanted list: the investigator's working list.
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Wanted").click()
    wanted = page.get_by_test_id("wanted-list")
    await expect(wanted).to_contain_text("Dean Holloway")
    await expect(wanted).to_contain_text("Non-fatal strangulation")
    await _axe(page, axe_source, "the wanted list")
    await page.get_by_label("Domestic abuse only").check()
    await page.get_by_role("button", name="Apply filters").click()
    await expect(wanted).to_contain_text("1 wanted suspect")
    await wanted.get_by_role("link", name="Dean Holloway").click()

    # The arrest, 5 hours 25 minutes ago; detention authorised on arrival.
    await page.get_by_role("button", name="Record the arrest").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Record the arrest")
    await expect(page.get_by_label("Non-fatal strangulation")).to_be_checked()
    await _axe(page, axe_source, "the arrest form")
    arrested = now - timedelta(hours=5, minutes=25)
    await _fill_when(page, "arrested_at", arrested)
    await page.get_by_label("Where the arrest was made").fill("Car park, Elm Road, Northfield")
    await page.get_by_label("Custody station").fill("Northfield custody suite")
    await _fill_when(page, "arrived_at", arrested)
    await _fill_when(page, "authorised_at", arrested)
    await page.get_by_role("button", name="Record the arrest").click()
    await expect(page.get_by_text("Arrest recorded. The custody clock is running.")).to_be_visible()
    warnings = page.get_by_test_id("custody-warnings")
    await expect(warnings).to_contain_text(re.compile(r"Review due in 3\d minutes"))
    await expect(page.get_by_test_id("detention-limit")).to_contain_text("Basic limit (24 hours)")
    await _axe(page, axe_source, "the custody page")

    # The custody list shows the detained suspect with the same warning.
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Custody").click()
    await expect(page.get_by_test_id("custody-list")).to_contain_text(re.compile(r"Review due in 3\d minutes"))
    await _axe(page, axe_source, "the custody list")
    await page.get_by_test_id("custody-list").get_by_role("link", name="Dean Holloway").click()

    # A review by an inspector: the warning goes, the next review is 9 hours on.
    await page.get_by_text("Record a review").click()
    await page.get_by_label("Reviewing officer").fill("Insp Priya Shah")
    await page.get_by_role("group", name="Rank").get_by_label("Inspector", exact=True).check()
    await page.get_by_role("button", name="Record the review").click()
    await expect(page.get_by_text("Review recorded.")).to_be_visible()
    await expect(page.get_by_test_id("custody-reviews")).to_contain_text("Insp Priya Shah")
    await expect(page.get_by_test_id("next-review")).to_contain_text(re.compile(r"in [89] hours"))
    await expect(page.get_by_test_id("custody-warnings")).to_have_count(0)
    await _axe(page, axe_source, "the custody page after a review")

    # Charge: a DA case, so the CPS decides; bailed to court tomorrow.
    await page.get_by_role("link", name="Suspect record").click()
    await page.get_by_role("button", name="Charge", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Charge the suspect")
    await _axe(page, axe_source, "the charge form")
    await page.get_by_label("The police").check()
    tomorrow = service.uk_time(now).date() + timedelta(days=1)
    await page.locator("#first_court_date_day").fill(str(tomorrow.day))
    await page.locator("#first_court_date_month").fill(str(tomorrow.month))
    await page.locator("#first_court_date_year").fill(str(tomorrow.year))
    await page.get_by_label("Court (optional)").fill("Birmingham Magistrates' Court")
    await page.get_by_label("No contact, direct or indirect, with").fill("Carla Benning")
    await page.get_by_role("button", name="Charge the suspect").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Domestic abuse cases go to the CPS for a charging decision")
    await _axe(page, axe_source, "the charge form with an error")
    await expect(page.get_by_label("No contact, direct or indirect, with")).to_have_value("Carla Benning")
    await page.get_by_label("The Crown Prosecution Service").check()
    await page.get_by_role("button", name="Charge the suspect").click()
    await expect(page.get_by_text("Suspect charged: charged in custody.")).to_be_visible()
    await expect(page.get_by_test_id("suspect-status")).to_have_text("Charged")
    await expect(page.get_by_test_id("suspect-charges")).to_contain_text("Birmingham Magistrates' Court")

    # The crime shows the charge; its outcome is recorded from the Home Office types.
    await page.get_by_test_id("suspect-summary").get_by_role("link", name=scene.reference).click()
    await expect(page.get_by_test_id("crime-summary")).to_contain_text("Charged")
    await expect(page.get_by_test_id("crime-suspects")).to_contain_text("Charged")
    await expect(page.get_by_test_id("crime-charges")).to_contain_text("Non-fatal strangulation")
    await expect(page.get_by_test_id("crime-charges")).to_contain_text("CPS")
    await _axe(page, axe_source, "the crime page after the charge")
    await page.get_by_role("button", name="Record the outcome").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Record the outcome")
    await _axe(page, axe_source, "the outcome form")
    await page.get_by_label("1: Charge or summons", exact=True).check()
    await page.get_by_role("button", name="Record the outcome").click()
    await expect(page.get_by_test_id("outcome")).to_contain_text("Outcome 1: Charge or summons")


async def test_an_analyst_reads_the_results_of_a_period(axe_page: Page, live_server: LiveServer,
                                                        axe_source: str) -> None:
    page = axe_page
    scene = await _scene(live_server)
    await sign_in(page, scene.analyst)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Crime results").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Crime results")
    await expect(page.get_by_test_id("results-charges")).to_contain_text("Coercive control and stalking")
    await _axe(page, axe_source, "the results page")
    await page.locator("#from_day").fill("31")
    await page.locator("#from_month").fill("2")
    await page.get_by_role("button", name="Show the results").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("must be a real date")
    await _axe(page, axe_source, "the results page with an error")
    async with page.expect_download() as download:
        await page.goto("/crimes/results")
        await page.get_by_role("link", name="Download these results (CSV)").click()
    assert (await download.value).suggested_filename.startswith("crime-results-")
