"""A response officer records a DAPN with an exclusion zone in Chromium, sees the 48-hour hearing clock and
records a breach; a call handler then looks up the subject's home landline in the caller history and sees the
active order and the breach alert. Every new page is checked with axe-core."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress, PersonPhone
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe


async def _people(live_server: LiveServer) -> tuple[Staff, int, int]:
    """A DA suspect and his ex-partner, who share a landline at her address; a response officer."""
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            officer = await make_user(s, data.force, "response_officer", username="rory.response")
            await set_force_context(s, data.force.id)
            subject = Person(force_id=data.force.id, forename="Dean", surname="Carver", dob_year=1984)
            victim = Person(force_id=data.force.id, forename="Alice", surname="Marsh", dob_year=1990)
            home = Location(force_id=data.force.id, line1="8 Tanner Street", town="Northfield", postcode="ZZ3 8TS")
            s.add_all([subject, victim, home])
            await s.flush()
            s.add_all([PersonAddress(force_id=data.force.id, person_id=victim.id, location_id=home.id),
                       PersonPhone(force_id=data.force.id, person_id=subject.id, number_e164="+441632960555"),
                       PersonPhone(force_id=data.force.id, person_id=victim.id, number_e164="+441632960555")])
            return officer, subject.id, victim.id
    finally:
        await engine.dispose()


async def test_an_officer_records_a_dapn_and_the_control_room_sees_the_breach_alert(
        axe_page: Page, browser: Browser, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    officer, subject_id, victim_id = await _people(live_server)
    await sign_in(page, officer)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Orders").click()
    await expect(page.get_by_role("heading", name="Protective orders")).to_be_visible()
    await _axe(page, axe_source, "the list of orders")
    await page.get_by_role("button", name="Record an order").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Record a protective order")
    await _axe(page, axe_source, "finding the subject of an order")
    await page.get_by_label("Person number of the person the order binds").fill(str(subject_id))
    await page.get_by_label("Person numbers of the people it protects").fill(str(victim_id))
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Record an order against Dean Carver")).to_be_visible()
    await _axe(page, axe_source, "the new order form")

    await page.get_by_label("Domestic abuse protection notice (DAPN)").check()
    await expect(page.get_by_label("No contact, direct or indirect, with the people it protects")).to_be_checked()
    await page.get_by_label("8 Tanner Street, Northfield, ZZ3 8TS (Alice Marsh's address)").check()
    await page.get_by_label("Distance from 8 Tanner Street, Northfield, ZZ3 8TS, in metres (optional)").fill("100")
    await page.get_by_label("Authorised by").fill("Insp 4411 Priya Shah")
    await page.get_by_label("Rank of the authorising officer").select_option("sergeant")
    await page.get_by_role("button", name="Record the order").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "A DAPN must be authorised by an officer of the rank of inspector or above")
    await _axe(page, axe_source, "the new order form with an error")
    await page.get_by_label("Rank of the authorising officer").select_option("inspector")
    await page.get_by_role("button", name="Record the order").click()

    await expect(page.get_by_test_id("order-status")).to_have_text("Active")
    await expect(page.get_by_test_id("clock-hearing")).to_contain_text(
        "DAPO application heard within 48 hours of service")
    await expect(page.get_by_test_id("order-zones")).to_contain_text(
        "8 Tanner Street, Northfield, ZZ3 8TS (within 100 m)")
    await expect(page.locator("[data-safe-contact]")).to_contain_text("No safe-contact preferences are recorded for "
                                                                      "Alice Marsh")
    await _axe(page, axe_source, "an order")

    # The breach: the time the order was recorded (the form's own minute), and an arrest at the same time.
    starts = page.get_by_test_id("order-summary")
    await expect(starts).to_contain_text("Starts")
    start_text = await page.locator("dt:text-is('Starts') + dd").inner_text()
    day, month_name, year, _, clock = start_text.split()
    month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"].index(month_name) + 1
    breach = page.get_by_test_id("breach-form")
    await breach.get_by_label("Day").first.fill(day)
    await breach.get_by_label("Month").first.fill(str(month))
    await breach.get_by_label("Year").first.fill(year)
    await breach.get_by_label("Time of the breach (24-hour clock, UK time)").fill(clock)
    await breach.get_by_label("What happened").fill("Came to the front door of 8 Tanner Street and shouted")
    await breach.get_by_label("Day").nth(1).fill(day)
    await breach.get_by_label("Month").nth(1).fill(str(month))
    await breach.get_by_label("Year").nth(1).fill(year)
    await breach.get_by_label("Time of the arrest (24-hour clock, UK time)").fill(clock)
    await page.get_by_role("button", name="Record the breach").click()
    await expect(page.get_by_test_id("order-breaches")).to_contain_text("Came to the front door")
    await expect(page.get_by_test_id("order-breaches")).to_contain_text("Before the court by")
    await _axe(page, axe_source, "an order with a breach")

    # The control room: the home landline links the subject and the woman he must not contact.
    context = await browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    try:
        handler_page = await context.new_page()
        await sign_in(handler_page, live_server.data.handler)
        await handler_page.get_by_role("navigation", name="Menu").get_by_role("link", name="Caller history").click()
        await handler_page.get_by_label("Caller's phone number").fill("01632 960555")
        await handler_page.get_by_role("button", name="Show history").click()
        alerts = handler_page.get_by_test_id("breach-alerts")
        await expect(alerts).to_contain_text("Dean Carver is barred from contacting Alice Marsh by DAPN")
        await expect(alerts).to_contain_text("Dean Carver is barred from 8 Tanner Street, Northfield, ZZ3 8TS "
                                             "(within 100 m)")
        order = handler_page.get_by_test_id("glance-order")
        await expect(order).to_contain_text("DAPN")
        await expect(order).to_contain_text("1 breach")
        await expect(order).to_contain_text("Keep away from 8 Tanner Street")
        await _axe(handler_page, axe_source, "the caller history with an order and alerts")
    finally:
        await context.close()
