"""A PPU investigator takes a victim from a saved DASH assessment through MARAC in a real browser: referral,
meeting, the pack, the actions, closing; with axe on each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from playwright.async_api import Page, expect
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from safeguard.risk import marac
from safeguard.risk.models import RiskAssessment
from safeguard.safeguarding.models import SafeContact
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e


async def _scene(live_server: LiveServer) -> tuple[Staff, int]:
    """An investigator and a victim with a high-risk DASH assessment and safe-contact preferences."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            investigator = await make_user(s, force, "ppu_investigator", username="ivy.investigator",
                                           team_kind="public_protection")
            victim = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987, gender="female")
            incident = Incident(force_id=force.id, reference="INC-20261101-0007", da_related=True,
                                area_id=force.area.id, occurred_at=datetime.now(UTC) - timedelta(days=3))
            s.add_all([victim, incident])
            await s.flush()
            s.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"))
            assessment = RiskAssessment(
                force_id=force.id, reference="RA-2026-000031", victim_id=victim.id, incident_id=incident.id,
                form="DASH-27", answers={f"q{n}": "yes" if n <= 17 else "no" for n in range(1, 28)}, score=17,
                suggested_level="high", final_level="high", marac_routes=["visible-high-risk"],
                assessed_at=datetime.now(UTC) - timedelta(days=2), assessed_by="pc.rowe")
            s.add_all([assessment, SafeContact(force_id=force.id, person_id=victim.id, safe_number="+447700900461",
                                               safe_times="Weekdays after 10:00", no_voicemail=True,
                                               updated_at=datetime.now(UTC), updated_by="pc.rowe")])
            await s.flush()
            assessment_id = assessment.id
    finally:
        await engine.dispose()
    return investigator, assessment_id


async def test_an_investigator_takes_a_referral_through_marac(axe_page: Page, live_server: LiveServer,
                                                              axe_source: str) -> None:
    page = axe_page
    investigator, assessment_id = await _scene(live_server)
    await sign_in(page, investigator)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="MARAC").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("MARAC referrals")
    await expect(page.get_by_test_id("no-referrals")).to_be_visible()
    await expect(page.get_by_role("button", name="New referral")).to_be_visible()
    await _axe(page, axe_source, "the MARAC referrals page")

    # From the saved assessment: its victim and its routes; consent must be answered.
    await page.goto(f"/marac/referrals/new?assessment={assessment_id}")
    await expect(page.get_by_test_id("from-assessment")).to_contain_text("Carla Benning")
    await expect(page.get_by_test_id("from-assessment")).to_contain_text("17 ticks on DASH-27")
    await expect(page.get_by_label("Visible high risk (14 or more ticks on DASH)")).to_be_checked()
    await _axe(page, axe_source, "the new referral form")
    await page.get_by_role("button", name="Save draft referral").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Say whether the victim gave consent, refused it, or was not asked")
    await _axe(page, axe_source, "the new referral form with an error")
    await page.get_by_label("Given").check()
    await page.get_by_role("button", name="Save draft referral").click()

    await expect(page.get_by_text(re.compile(r"Referral MR-\d{4}-\d{6} drafted\."))).to_be_visible()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Draft")
    safe = page.locator("[data-safe-contact]")
    await expect(safe).to_contain_text("07700 900461")
    await expect(safe).to_contain_text("Do not leave voicemail")
    await _axe(page, axe_source, "the referral page")
    await page.get_by_test_id("step-submitted").get_by_role("button", name="Submit the referral").click()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Submitted")
    await page.get_by_test_id("step-accepted").get_by_role("button", name="Accept for MARAC").click()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Accepted")
    referral_url = page.url

    # A meeting today.
    await page.goto("/marac/meetings")
    await expect(page.get_by_role("heading", level=1)).to_have_text("MARAC meetings")
    await _axe(page, axe_source, "the meetings page")
    await page.get_by_role("button", name="Plan a meeting").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Plan a MARAC meeting")
    await _axe(page, axe_source, "the new meeting form")
    today = marac.uk_today()
    await page.get_by_label("Day").fill(str(today.day))
    await page.get_by_label("Month").fill(str(today.month))
    await page.get_by_label("Year").fill(str(today.year))
    await page.get_by_label("Venue").fill("Northfield police station, room 2")
    await page.get_by_label("Chair").fill("DI Rhodes")
    await page.get_by_role("button", name="Plan the meeting").click()
    await expect(page.get_by_text(re.compile(r"Meeting on .* planned\."))).to_be_visible()
    meeting_url = page.url

    await page.goto(referral_url)
    listing = page.get_by_test_id("step-listed")
    await expect(listing.get_by_label("Meeting")).to_contain_text("Northfield police station, room 2")
    await listing.get_by_role("button", name="List for a meeting").click()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Listed for a meeting")

    await page.goto(meeting_url)
    await expect(page.get_by_test_id("meeting-cases")).to_contain_text("Carla Benning")
    await _axe(page, axe_source, "the meeting page")
    async with page.expect_download() as downloading:
        await page.get_by_test_id("pack-link").click()
    download = await downloading.value
    path = await download.path()
    body = path.read_bytes()
    assert body.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(body)).pages)
    assert "Carla Benning" in text and "OFFICIAL-SENSITIVE" in text and "07700 900461" in text

    # Heard, with an action, which is done; then closed.
    await page.goto(referral_url)
    heard = page.get_by_test_id("step-heard")
    await heard.get_by_label("What the meeting decided").fill("Target hardening; IDVA to see her this week")
    await heard.get_by_role("button", name="Record it heard").click()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Heard")
    adding = page.get_by_test_id("add-action")
    due = today + timedelta(days=5)
    await adding.get_by_label("Agency").fill("Police")
    await adding.get_by_label("Action", exact=True).fill("Fit a panic alarm at her address")
    await adding.get_by_label("Owner (optional)").fill("PC Shah")
    await adding.get_by_label("Day").fill(str(due.day))
    await adding.get_by_label("Month").fill(str(due.month))
    await adding.get_by_label("Year").fill(str(due.year))
    await adding.get_by_role("button", name="Record the action").click()
    await expect(page.get_by_test_id("referral-actions")).to_contain_text("Fit a panic alarm at her address")
    await _axe(page, axe_source, "the referral page with an action")

    await page.goto("/marac/actions")
    await expect(page.get_by_test_id("open-actions")).to_contain_text("Fit a panic alarm at her address")
    await _axe(page, axe_source, "the open actions page")
    await page.get_by_test_id("open-actions").get_by_role("link").first.click()
    finishing = page.locator("[data-testid^='complete-']")
    await finishing.get_by_label("Done").check()
    await finishing.get_by_label("Note").fill("Alarm fitted")
    await finishing.get_by_role("button", name="Save the outcome").click()
    await expect(page.get_by_text("Action marked done.")).to_be_visible()
    await page.get_by_test_id("step-closed").get_by_role("button", name="Close").click()
    await expect(page.get_by_test_id("referral-status")).to_have_text("Closed")
    await expect(page.get_by_test_id("referral-history")).to_contain_text("Heard to Closed")
