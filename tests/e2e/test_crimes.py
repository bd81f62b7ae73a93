"""An investigator records a crime from an incident and sees it, in a real browser, with axe on each page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e

REFERENCE = "INC-20260314-0042"


@dataclass
class Scene:
    investigator: Staff
    victim: Person
    suspect: Person


async def _scene(live_server: LiveServer) -> Scene:
    """An investigator and a DA incident with a victim and a suspect, committed for the live server."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            investigator = await make_user(s, force, "ppu_investigator", username="ivy.investigator",
                                           team_kind="public_protection")
            victim = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987, gender="female")
            suspect = Person(force_id=force.id, forename="Dean", surname="Holloway", dob_year=1984, gender="male")
            incident = Incident(force_id=force.id, reference=REFERENCE, da_related=True, area_id=force.area.id,
                                occurred_at=datetime(2026, 3, 14, 21, 30, tzinfo=UTC),
                                summary="Caller reports her ex-partner grabbed her by the throat")
            s.add_all([victim, suspect, incident])
            await s.flush()
            s.add_all([IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"),
                       IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id,
                                      role="suspect")])
    finally:
        await engine.dispose()
    return Scene(investigator, victim, suspect)


async def test_an_investigator_records_a_crime_from_an_incident_and_sees_it(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    scene = await _scene(live_server)
    await sign_in(page, scene.investigator)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Crimes").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Crimes")
    await expect(page.get_by_text("No crimes have been recorded yet.")).to_be_visible()
    await _axe(page, axe_source, "the crimes page")

    await page.get_by_role("button", name="Record a crime from an incident").click()
    await page.get_by_label("Incident reference").fill("INC-NOPE")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("link", name="There is no incident INC-NOPE in your force")).to_be_visible()
    await _axe(page, axe_source, "the incident finder with an error")
    await page.get_by_label("Incident reference").fill(REFERENCE)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Record a crime")
    await expect(page.get_by_test_id("incident-summary")).to_contain_text("grabbed her by the throat")
    # The incident's people are ticked in their roles; the time and DA flag come from the incident.
    await expect(page.get_by_role("group", name="Victims").get_by_label(re.compile("Carla Benning"))).to_be_checked()
    await expect(page.get_by_role("group", name="Suspects").get_by_label(re.compile("Dean Holloway"))).to_be_checked()
    await expect(page.get_by_label("Time it happened (24-hour clock, UK time)")).to_have_value("21:30")
    await _axe(page, axe_source, "the record-a-crime form")

    # Submitting without an offence is refused, naming the field, and keeps what was chosen.
    await page.get_by_role("button", name="Record the crime").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Choose at least one offence")
    await expect(page.get_by_role("group", name="Suspects").get_by_label(re.compile("Dean Holloway"))).to_be_checked()
    await _axe(page, axe_source, "the record-a-crime form with an error")
    await summary.get_by_role("link", name="Choose at least one offence").click()
    await expect(page.get_by_label("Non-fatal strangulation")).to_be_visible()

    await page.get_by_label("Non-fatal strangulation").check()
    await page.get_by_label("Controlling or coercive behaviour in an intimate or family relationship").check()
    await page.get_by_role("button", name="Record the crime").click()

    await expect(page.get_by_text(re.compile(r"Crime CR-\d{4}-\d{6} recorded\."))).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("CR-")
    offences = page.get_by_test_id("crime-offences")
    await expect(offences).to_contain_text("Non-fatal strangulation")
    await expect(offences).to_contain_text("Strangulation and suffocation")
    await expect(offences).to_contain_text("Coercive control and stalking")
    await expect(offences).to_contain_text("Principal")
    await expect(page.get_by_test_id("crime-victims")).to_contain_text("Carla Benning")
    suspects = page.get_by_test_id("crime-suspects")
    await expect(suspects).to_contain_text("Dean Holloway")
    await expect(suspects).to_contain_text("Outstanding")
    await expect(page.get_by_test_id("outcome")).to_contain_text("Not yet assigned")
    await _axe(page, axe_source, "the crime page")

    # It is listed on the crimes page, and its victim's page is one click away.
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Crimes").click()
    await expect(page.get_by_test_id("recent-crimes")).to_contain_text("Non-fatal strangulation")
    await page.get_by_test_id("recent-crimes").get_by_role("link").first.click()
    await page.get_by_test_id("crime-victims").get_by_role("link", name="Carla Benning", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Carla Benning")
