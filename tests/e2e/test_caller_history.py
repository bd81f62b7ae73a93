"""A call handler looks up a caller's number in Chromium and sees the history at a glance, with a
restricted person withheld; an investigator downloads a person's record for a meeting."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Marker, Person, PersonAddress, PersonPhone
from safeguard.people.service import restrict
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe


async def _history(live_server: LiveServer) -> tuple[Staff, int]:
    """A number shared by a known DA suspect and by a woman in a refuge (restricted); an investigator."""
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            investigator = await make_user(s, data.force, "ppu_investigator", username="ivy.investigator")
            await set_force_context(s, data.force.id)
            suspect = Person(force_id=data.force.id, forename="Dean", surname="Carver", dob_year=1984,
                             gender="male")
            hidden = Person(force_id=data.force.id, forename="Rosalind", surname="Quennell", dob_year=1993,
                            gender="female")
            home = Location(force_id=data.force.id, line1="8 Tanner Street", town="Northfield", postcode="ZZ3 8TS")
            s.add_all([suspect, hidden, home])
            await s.flush()
            incident = Incident(force_id=data.force.id, reference="INC-2026-0042", da_related=True,
                                occurred_at=datetime.now(UTC), location_id=home.id)
            s.add(incident)
            await s.flush()
            s.add_all([
                PersonPhone(force_id=data.force.id, person_id=suspect.id, number_e164="+447700900321"),
                PersonPhone(force_id=data.force.id, person_id=hidden.id, number_e164="+447700900321"),
                PersonAddress(force_id=data.force.id, person_id=suspect.id, location_id=home.id),
                IncidentPerson(force_id=data.force.id, incident_id=incident.id, person_id=suspect.id,
                               role="suspect"),
                Marker(force_id=data.force.id, person_id=suspect.id, kind="weapons", starts_on=date(2026, 2, 1),
                       set_by="pc.example", note="Keeps a knife in the car"),
                Marker(force_id=data.force.id, phone_e164="+447700900321", kind="da-perpetrator",
                       starts_on=date(2026, 2, 1), set_by="pc.example"),
            ])
            await restrict(s, force_id=data.force.id, by_user_id=investigator.user.id, by_label="officer",
                           reason="Lives in a refuge", person_id=hidden.id)
            return investigator, suspect.id
    finally:
        await engine.dispose()


async def test_a_call_handler_sees_the_callers_history_at_a_glance(axe_page: Page, live_server: LiveServer,
                                                                   axe_source: str) -> None:
    page = axe_page
    await _history(live_server)
    await sign_in(page, live_server.data.handler)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Caller history").click()
    await page.get_by_label("Caller's phone number").fill("07700 900 321")
    await page.get_by_role("button", name="Show history").click()
    await expect(page.get_by_role("heading", name="+447700900321")).to_be_visible()
    await expect(page.get_by_test_id("number-markers")).to_contain_text("DA perpetrator")
    cards = page.get_by_test_id("glance-person")
    await expect(cards).to_have_count(2)
    await expect(cards.first).to_contain_text("Restricted person")  # first: it may be a victim in a refuge
    await expect(cards.nth(1)).to_contain_text("Dean Carver")
    await expect(cards.nth(1)).to_contain_text("Weapons")
    await expect(cards.nth(1)).to_contain_text("INC-2026-0042")
    await expect(cards.nth(1)).to_contain_text("8 Tanner Street")
    await expect(page.locator("body")).not_to_contain_text("Quennell")
    await _axe(page, axe_source, "caller history")

    # Each incident listed leads to its record.
    await cards.nth(1).get_by_role("link", name="INC-2026-0042").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("INC-2026-0042")
    await expect(page.get_by_test_id("incident-address")).to_have_text("8 Tanner Street, Northfield, ZZ3 8TS")
    await expect(page.get_by_test_id("incident-people")).to_contain_text("Dean Carver")
    await expect(page.get_by_test_id("incident-people")).to_contain_text("Suspect")
    await _axe(page, axe_source, "the incident page")
    await page.go_back()
    await expect(page.get_by_role("heading", name="+447700900321")).to_be_visible()

    await page.get_by_label("Caller's phone number").fill("not a number")
    await page.get_by_role("button", name="Show history").click()
    await expect(page.get_by_role("alert")).to_contain_text("is not a phone number")
    await _axe(page, axe_source, "caller history with an error")


async def test_an_investigator_downloads_a_record_for_a_meeting(page: Page, live_server: LiveServer) -> None:
    investigator, suspect = await _history(live_server)
    await sign_in(page, investigator)
    await page.goto(f"/people/{suspect}")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Download this record (CSV)").click()
    download = await waiting.value
    assert download.suggested_filename == f"person-{suspect}.csv"
    path = await download.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert {"section": "person", "item": "Name", "detail": "Dean Carver", "from": "", "to": "",
            "recorded_by": ""} in rows
    assert any(r["section"] == "marker (active)" and r["item"] == "Weapons" for r in rows)
    assert any(r["section"] == "timeline" and "INC-2026-0042" in r["item"] for r in rows)
