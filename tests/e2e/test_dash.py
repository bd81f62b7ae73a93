"""At a phone's size: an officer finds the incident, fills the DASH with the score updating live, saves it and
sees the result; a sergeant reviews it from the queue. axe on every page of the journey."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from safeguard.safeguarding.models import SafeContact
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, _context, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e

REFERENCE = "INC-20261125-0107"
PHONE = {"width": 390, "height": 844}


@dataclass
class Scene:
    officer: Staff
    sergeant: Staff


async def _scene(live_server: LiveServer) -> Scene:
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            officer = await make_user(s, force, "response_officer", username="ola.officer",
                                      team_kind="local_policing")
            sergeant = await make_user(s, force, "sergeant", username="sam.sergeant", team_kind="local_policing")
            victim = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987, gender="female")
            suspect = Person(force_id=force.id, forename="Dean", surname="Holloway", dob_year=1984, gender="male")
            incident = Incident(force_id=force.id, reference=REFERENCE, da_related=True, area_id=force.area.id,
                                occurred_at=datetime.now(UTC) - timedelta(hours=1),
                                summary="Neighbour reports shouting and a woman screaming")
            s.add_all([victim, suspect, incident])
            await s.flush()
            s.add_all([IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"),
                       IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id,
                                      role="suspect"),
                       SafeContact(force_id=force.id, person_id=victim.id, safe_number="+447700900321",
                                   safe_times="Mornings only", no_voicemail=True, updated_at=datetime.now(UTC),
                                   updated_by="pc.earlier")])
    finally:
        await engine.dispose()
    return Scene(officer, sergeant)


@pytest.fixture
async def phone(browser: Browser, live_server: LiveServer) -> Page:
    context = await _context(browser, live_server, bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    yield page  # type: ignore[misc]
    await context.close()


async def test_an_officer_fills_a_dash_on_a_phone_and_a_sergeant_reviews_it(
        phone: Page, live_server: LiveServer, axe_source: str) -> None:
    page = phone
    scene = await _scene(live_server)
    await sign_in(page, scene.officer)

    await page.goto("/risk-assessments/new")
    await expect(page.get_by_role("heading", level=1)).to_have_text("DASH risk assessment")
    await _axe(page, axe_source, "the DASH incident finder")
    await page.get_by_label("Incident reference").fill(REFERENCE)
    await page.get_by_role("button", name="Continue").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Who is the assessment for?")
    await expect(page.get_by_text("Dean Holloway")).to_have_count(0)  # suspects are not offered
    await _axe(page, axe_source, "the DASH victim choice")
    await page.get_by_label(re.compile("Carla Benning")).check()
    await page.get_by_role("button", name="Continue").click()

    # The form: safe contact first, every question Not asked, the S-DASH hidden until question 8 is yes.
    await expect(page.get_by_role("heading", level=1)).to_have_text("DASH risk assessment")
    await expect(page.get_by_text("Do not leave voicemail")).to_be_visible()
    await expect(page.locator('input[value="not-asked"]:checked')).to_have_count(27 + 11)
    supplement = page.locator("[data-sdash]")
    await expect(supplement).to_be_hidden()
    await expect(page.get_by_role("button", name="Check the score")).to_be_hidden()
    panel = page.get_by_test_id("score-panel")
    await expect(panel.locator("[data-not-asked]")).to_have_text("27")

    await page.locator("#q1").check()
    await expect(panel.locator("[data-score]")).to_have_text("1")
    await expect(panel.locator("[data-not-asked]")).to_have_text("26")
    await page.locator("#q8").check()
    await expect(supplement).to_be_visible()
    await page.locator("#sdash_q1").check()
    for n in [2, 3, 4, 5, 6, 7, 13, 14, 15, 16, 17, 18]:
        await page.locator(f"#q{n}").check()
    await page.locator("#q9-no").check()
    await expect(panel.locator("[data-score]")).to_have_text("14")
    await expect(panel.locator("[data-suggested]")).to_have_text("High")
    await expect(panel.locator("[data-routes]")).to_contain_text("Visible high risk")
    await expect(panel.locator("[data-not-asked]")).to_have_text("12")
    # Judgement may not lower: the panel says so at once.
    await page.get_by_label("Standard", exact=True).check()
    await expect(panel.locator("[data-problem]")).to_contain_text("only raise")
    await page.get_by_label("No change: use the suggested level").check()
    await expect(panel.locator("[data-problem]")).to_have_text("")
    await page.get_by_label("The victim's own view of the risk").fill("She thinks he will kill her if she leaves")
    await expect(panel).to_be_in_viewport()  # the panel stays in view at the foot of the screen
    await _axe(page, axe_source, "the DASH form")
    await page.get_by_role("button", name="Save the assessment").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Risk assessment RA-\d{4}-\d{6}"))
    await expect(page.get_by_text(re.compile("saved: high risk"))).to_be_visible()
    await expect(page.get_by_test_id("score")).to_have_text("14 yes; 12 not asked")
    await expect(page.get_by_test_id("routes")).to_contain_text("Visible high risk")
    await expect(page.get_by_test_id("answer-q10")).to_contain_text("Not asked")
    await expect(page.get_by_test_id("review")).to_have_text("Awaiting review")
    await expect(page.get_by_text("Do not leave voicemail")).to_be_visible()
    await _axe(page, axe_source, "a saved DASH assessment")
    reference = (await page.get_by_role("heading", level=1).text_content() or "").split()[-1]

    await page.get_by_test_id("sign-out").click()
    await sign_in(page, scene.sergeant)
    await page.goto("/risk-assessments/reviews")
    await expect(page.get_by_role("heading", level=1)).to_have_text("DASH assessments awaiting review")
    await _axe(page, axe_source, "the DASH review queue")
    await page.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", name="Supervisor review")).to_be_visible()
    await _axe(page, axe_source, "a DASH assessment with the review form")
    await page.get_by_label("Confirm high").check()
    await page.get_by_role("button", name="Save the review").click()
    await expect(page.get_by_text(f"Risk assessment {reference} reviewed: confirmed as high risk.")).to_be_visible()
    await expect(page.get_by_test_id("queue-empty")).to_be_visible()
