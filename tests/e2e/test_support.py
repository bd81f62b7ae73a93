"""A DA specialist finds a service for a male victim, records his safe contact, refers him with consent and marks
the referral accepted; an administrator adds a local service. Axe checks each new page."""

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
from safeguard.safeguarding.models import SupportService
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e

LOCAL = "Northgate Men's Domestic Abuse Project"


@dataclass
class Scene:
    specialist: Staff
    victim: Person


async def _scene(live_server: LiveServer) -> Scene:
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            specialist = await make_user(s, force, "da_specialist", username="dana.specialist",
                                         team_kind="public_protection")
            victim = Person(force_id=force.id, forename="Marcus", surname="Oyelaran", dob_year=1979, gender="male")
            s.add_all([victim, SupportService(
                force_id=force.id, code="northgate-men", name=LOCAL, scope="local",
                description="Casework and a weekly group for men experiencing abuse",
                eligibility="Men aged 18 and over",
                groups=["men"], phone="01632 960200", referral_route="Police or self-referral by phone",
                accepts_police_referrals=True)])
            incident = Incident(force_id=force.id, reference="INC-E2E-SUPPORT", da_related=True,
                                occurred_at=datetime(2026, 11, 20, 21, 30, tzinfo=UTC))
            s.add(incident)
            await s.flush()
            s.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"))
    finally:
        await engine.dispose()
    return Scene(specialist, victim)


async def test_a_da_specialist_finds_a_service_records_safe_contact_and_refers_with_consent(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    scene = await _scene(live_server)
    await sign_in(page, scene.specialist)

    # The directory, filtered for male victims.
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Support services").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Support services")
    await page.get_by_label("Who the service is for").select_option("men")
    await page.get_by_role("button", name="Show services").click()
    await expect(page.get_by_role("heading", name=re.compile("Services for men"))).to_be_visible()
    await expect(page.get_by_test_id("service-mens-advice-line")).to_be_visible()
    await expect(page.get_by_test_id("service-northgate-men")).to_contain_text("01632 960200")
    await expect(page.get_by_test_id("service-galop-lgbt-da")).to_have_count(0)
    await _axe(page, axe_source, "the support-services directory")
    await page.get_by_role("link", name=LOCAL).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(LOCAL)
    await _axe(page, axe_source, "a support service")

    # Safe contact for the victim: the specialist reaches the form from the safeguarding view of a DA call, never
    # the police's person record (which the role cannot open).
    assert (await page.goto(f"/people/{scene.victim.id}")).status == 403
    await page.goto(f"/people/{scene.victim.id}/safe-contact")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Safe contact: Marcus Oyelaran")
    await _axe(page, axe_source, "the safe-contact form")
    await page.get_by_label("Safe phone number").fill("12")
    await page.get_by_role("button", name="Save safe contact").click()
    await expect(page.get_by_role("link", name="Enter a real phone number for the safe number, like 07700 900123")
                 ).to_be_visible()
    await _axe(page, axe_source, "the safe-contact form with an error")
    await page.get_by_label("Safe phone number").fill("07700 900123")
    await page.get_by_label("Safe times to contact").fill("Weekdays 10am to 2pm")
    await page.get_by_label("Do not leave voicemail").check()
    await page.get_by_label("Do not send letters to the home address").check()
    await page.get_by_role("button", name="Save safe contact").click()
    await expect(page.get_by_text("Safe-contact preferences saved.")).to_be_visible()

    # A referral with consent, then the service accepts it; the form shows safe contact first.
    await page.goto(f"/people/{scene.victim.id}/support-referrals/new")
    panel = page.locator("[data-safe-contact]")
    await expect(panel).to_contain_text("07700 900123")
    await expect(panel).to_contain_text("Do not leave voicemail")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Refer Marcus Oyelaran to a support service")
    await expect(page.locator("[data-safe-contact]")).to_contain_text("Weekdays 10am to 2pm")
    await _axe(page, axe_source, "the new support referral form")
    await page.get_by_label(re.compile(re.escape(LOCAL))).check()
    await page.get_by_label("Why the victim is being referred").fill("Wants casework and the weekly group")
    await page.get_by_role("group", name="Has the victim consented to this referral?").get_by_label("No, or not asked"
                                                                                                    ).check()
    await page.get_by_role("button", name="Make referral").click()
    await expect(page.get_by_role("link", name=re.compile("The victim has not consented"))).to_be_visible()
    await _axe(page, axe_source, "the new support referral form refused for want of consent")
    await page.get_by_role("group", name="Has the victim consented to this referral?").get_by_label("Yes").check()
    await page.get_by_role("group", name="How did they give consent?").get_by_label("Verbal").check()
    await page.get_by_role("button", name="Make referral").click()
    await expect(page.get_by_text("Referral made with the victim's consent.")).to_be_visible()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Made, awaiting the service")
    await expect(page.locator("[data-safe-contact]")).to_contain_text("07700 900123")
    await _axe(page, axe_source, "a support referral")
    await page.get_by_label("The service accepted the referral").check()
    await page.get_by_label("Note").fill("Caseworker assigned")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Accepted")
    await expect(page.get_by_test_id("referral-history")).to_contain_text("Caseworker assigned")

    await page.goto("/support-referrals?status=accepted")
    await expect(page.get_by_test_id("support-referrals")).to_contain_text(LOCAL)
    await _axe(page, axe_source, "the support referrals list")


async def test_an_administrator_adds_a_local_service(axe_page: Page, live_server: LiveServer,
                                                     axe_source: str) -> None:
    page = axe_page
    await sign_in(page, live_server.data.admin)
    await page.goto("/support-services/manage")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Manage local support services")
    await _axe(page, axe_source, "the local services list")
    await page.get_by_role("link", name="Add a local service").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Add a local support service")
    await _axe(page, axe_source, "the new local service form")
    await page.get_by_label("Name").fill("Rainbow Safe LGBT+ Advocacy")
    await page.get_by_label("What the service offers").fill("Advocacy for LGBT+ victims")
    await page.get_by_label("Who the service is for (eligibility)").fill("LGBT+ people in the force area")
    await page.get_by_label("LGBT+ people").check()
    await page.get_by_label("Phone (optional)").fill("not a phone")
    await page.get_by_role("button", name="Save service").click()
    await expect(page.get_by_role("link", name="Enter a real phone number, like 0121 496 0000 or 0808 808 0000")
                 ).to_be_visible()
    await _axe(page, axe_source, "the new local service form with errors")
    await page.get_by_label("Phone (optional)").fill("01632 960300")
    await page.get_by_label("How a referral reaches the service").fill("Police referral by phone")
    await page.get_by_role("group", name="Does the service take referrals from the police?").get_by_label("Yes").check()
    await page.get_by_role("button", name="Save service").click()
    await expect(page.get_by_text("Local service added: Rainbow Safe LGBT+ Advocacy.")).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Edit Rainbow Safe LGBT+ Advocacy")
    await _axe(page, axe_source, "the edit local service form")
