"""A member of the public, with no account: says someone is in danger and sees how to call 999 (and silent 999
with 55) before anything else, then reports; leaves with quick exit (the button, and Shift three times) and Back
does not return to the report. Axe checks each public page. The neutral exit site and the "previous site" are
answered by Playwright, so no network is needed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

import psycopg
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route, expect

from safeguard.db.engine import psycopg_dsn
from tests.e2e.conftest import LiveServer
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e

EXIT_URL = "https://www.bbc.co.uk/weather"
BEFORE_URL = "https://example.org/news"


async def _fake_sites(page: Page) -> None:
    async def weather(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html",
                            body="<!DOCTYPE html><html lang=en><title>Weather</title><h1>Weather</h1></html>")

    async def before(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html",
                            body="<!DOCTYPE html><html lang=en><title>News</title><h1>News</h1></html>")

    await page.route(re.compile(r"^https://www\.bbc\.co\.uk/weather.*"), weather)
    await page.route(re.compile(r"^https://example\.org/.*"), before)


async def _arrive_from_another_site(page: Page, path: str) -> None:
    await _fake_sites(page)
    await page.goto(BEFORE_URL)
    await expect(page.get_by_role("heading", name="News")).to_be_visible()
    await page.goto(path)
    await _ready(page)


async def _ready(page: Page) -> None:
    """Wait until quick-exit.js has started the exit button (a module script runs after the page shows)."""
    await expect(page.locator("[data-govuk-exit-this-page-init]")).to_have_count(1)


async def _back_is_not_the_report(page: Page) -> None:
    """Back from the neutral site goes to the site before ours, not to any of our pages."""
    await page.go_back()
    await expect(page.get_by_role("heading", name="News")).to_be_visible()
    assert page.url == BEFORE_URL, page.url


async def _online_contacts(live_server: LiveServer) -> list[tuple[str, str, str, bool, dict[str, object]]]:
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(live_server.data.db.admin_url)) as conn:
        cursor = await conn.execute("SELECT channel, status, taken_by, da_flag, report FROM contact "
                                    "WHERE channel = 'online' ORDER BY id")
        rows = await cursor.fetchall()
    return [(r[0], r[1], r[2], r[3], r[4] if isinstance(r[4], dict) else json.loads(r[4])) for r in rows]


async def test_someone_in_danger_sees_999_and_55_first_then_reports_and_leaves_without_a_way_back(
        page: Page, live_server: LiveServer) -> None:
    await _arrive_from_another_site(page, "/report")
    await expect(page.get_by_role("heading", name="Report domestic abuse", exact=True)).to_be_visible()
    entries = await page.evaluate("history.length")

    await page.get_by_label("Yes, someone is in danger now").check()
    await page.get_by_role("button", name="Continue").click()
    await expect(page).to_have_url(re.compile(r"/report\?.*danger=yes"))
    assert await page.evaluate("history.length") == entries, "moving on replaced the page in the history"

    # The guidance comes first: it is the first heading of the page, and above every question.
    first_heading = page.locator("main h1, main h2").first
    await expect(first_heading).to_have_text("If anyone is in danger now, call 999")
    guidance = page.get_by_test_id("danger-guidance")
    await expect(guidance).to_be_visible()
    await expect(guidance.get_by_text("Press 55.", exact=True)).to_be_visible()
    await expect(guidance.get_by_text("Pressing 55 does not tell the police where you are")).to_be_visible()
    await expect(guidance.get_by_role("heading", name="If you cannot speak on a 999 call")).to_be_visible()
    guidance_box = await guidance.bounding_box()
    question_box = await page.get_by_label("What happened?").bounding_box()
    assert guidance_box and question_box and guidance_box["y"] + guidance_box["height"] <= question_box["y"]
    await expect(page.get_by_label("Yes, someone is in danger now")).to_be_checked()

    await page.get_by_label("What happened?").fill("He is shouting outside the flat and says he will break in.")
    await page.get_by_label("A phone number that is safe for us to call").fill("07700 900456")
    await page.locator("#voicemail_safe-no").check()
    await page.locator("#text_safe").check()
    await page.get_by_label("When is it safe to contact you? (optional)").fill("Any time today")
    await page.get_by_role("button", name="Send report").click()
    await expect(page.get_by_role("heading", name="Your report has been sent")).to_be_visible()
    await expect(page.locator("main .govuk-warning-text")).to_contain_text("call 999")
    await expect(page.get_by_text("shouting outside")).to_have_count(0)
    assert await page.evaluate("history.length") == entries, "the sent page replaced the form in the history"

    [(channel, status, taken_by, da_flag, report)] = await _online_contacts(live_server)
    assert (channel, status, taken_by, da_flag) == ("online", "open", "public", True)
    assert report["danger_now"] is True and report["phone"] == "+447700900456"
    assert report["voicemail_safe"] is False and report["text_safe"] is True

    await _ready(page)  # the sent page's exit button, as on every other page before it is pressed
    await page.get_by_role("button", name="Exit this page").click()
    await expect(page).to_have_url(EXIT_URL)
    await _back_is_not_the_report(page)


async def test_a_mistake_is_shown_in_place_and_nothing_is_stored_until_it_is_put_right(
        page: Page, live_server: LiveServer) -> None:
    await _arrive_from_another_site(page, "/report?danger=no")
    entries = await page.evaluate("history.length")
    await page.get_by_label("A phone number that is safe for us to call").fill("12")
    await page.get_by_role("button", name="Send report").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()
    await expect(summary.get_by_role("link", name="Tell us what happened")).to_be_visible()
    phone_error = "Enter a phone number we can call, like 07700 900123"
    await expect(summary.get_by_role("link", name=phone_error)).to_be_visible()
    assert (await page.title()).startswith("Error: ")
    assert await _online_contacts(live_server) == []

    await summary.get_by_role("link", name="Tell us what happened").click()
    await expect(page.get_by_label("What happened?")).to_be_focused()
    await page.get_by_label("What happened?").fill("My ex keeps turning up at my work.")
    await page.get_by_label("A phone number that is safe for us to call").fill("")
    await page.get_by_label("An email address that is safe for us to use (optional)").fill("safe@example.org")
    await page.get_by_role("button", name="Send report").click()
    await expect(page.get_by_role("heading", name="Your report has been sent")).to_be_visible()
    assert await page.evaluate("history.length") == entries
    [(_, _, _, _, report)] = await _online_contacts(live_server)
    assert report["email"] == "safe@example.org" and report["danger_now"] is False


async def test_quick_exit_with_the_button_replaces_the_report_in_the_history(
        page: Page, live_server: LiveServer) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    await _arrive_from_another_site(page, "/report?danger=no")
    assert console == [], "the components start without complaint (one exit button, started once)"
    await page.get_by_label("What happened?").fill("Something I do not want anyone to see")
    await page.get_by_role("button", name="Exit this page").click()
    await expect(page).to_have_url(EXIT_URL)
    await expect(page.get_by_role("heading", name="Weather")).to_be_visible()
    await _back_is_not_the_report(page)


async def test_quick_exit_with_shift_three_times_from_any_public_page(page: Page, live_server: LiveServer) -> None:
    await _arrive_from_another_site(page, "/help")
    await expect(page.get_by_role("heading", name="Get help with domestic abuse", level=1)).to_be_visible()
    # Moving from the help page to the report keeps one entry for the whole site.
    await page.get_by_role("link", name="report domestic abuse online", exact=True).click()
    await expect(page.get_by_role("heading", name="Report domestic abuse", exact=True)).to_be_visible()
    await _ready(page)
    for _ in range(3):
        await page.keyboard.press("Shift")
    await expect(page).to_have_url(EXIT_URL)
    await _back_is_not_the_report(page)


async def _before_the_page_script_starts(page: Page, path: str) -> asyncio.Event:
    """Open `path` from another site as a slow phone would show it: the page is there, but quick-exit.js has not
    arrived (it is held until the returned event is set)."""
    release = asyncio.Event()

    async def held(route: Route) -> None:
        await release.wait()
        with contextlib.suppress(PlaywrightError):  # the page may have gone by then
            await route.continue_()

    await page.route(re.compile(r".*/static/js/quick-exit\.js$"), held)
    await _fake_sites(page)
    await page.goto(BEFORE_URL)
    await expect(page.get_by_role("heading", name="News")).to_be_visible()
    await page.goto(path, wait_until="commit")
    await expect(page.get_by_role("button", name="Exit this page")).to_be_visible()
    assert await page.locator("[data-govuk-exit-this-page-init]").count() == 0, "the page script has not started"
    return release


async def test_quick_exit_pressed_before_the_page_script_starts_still_leaves_no_way_back(
        page: Page, live_server: LiveServer) -> None:
    release = await _before_the_page_script_starts(page, "/report")
    try:
        await page.get_by_role("button", name="Exit this page").click()
        await expect(page).to_have_url(EXIT_URL)
        await _back_is_not_the_report(page)
    finally:
        release.set()


async def test_shift_three_times_before_the_page_script_starts_still_leaves_no_way_back(
        page: Page, live_server: LiveServer) -> None:
    release = await _before_the_page_script_starts(page, "/help")
    try:
        for _ in range(3):
            await page.keyboard.press("Shift")
        await expect(page).to_have_url(EXIT_URL)
        await _back_is_not_the_report(page)
    finally:
        release.set()


async def test_shift_pressed_twice_does_not_leave(page: Page, live_server: LiveServer) -> None:
    await _arrive_from_another_site(page, "/report")
    await expect(page.get_by_role("heading", name="Report domestic abuse", exact=True)).to_be_visible()
    await page.keyboard.press("Shift")
    await page.keyboard.press("Shift")
    await page.keyboard.press("a")  # another key in between starts the count again
    await page.keyboard.press("Shift")
    await expect(page.get_by_role("heading", name="Report domestic abuse", exact=True)).to_be_visible()
    assert page.url.startswith(live_server.url)


async def test_public_pages_have_no_serious_accessibility_problems(axe_page: Page, live_server: LiveServer,
                                                                   axe_source: str) -> None:
    page = axe_page
    await page.goto("/report")
    await expect(page.get_by_role("heading", name="Report domestic abuse", exact=True)).to_be_visible()
    await _axe(page, axe_source, "the report's first question")
    await page.get_by_role("button", name="Continue").click()  # no answer: the question's error state
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await _axe(page, axe_source, "the report's first question with an error")

    await page.goto("/report?danger=yes")
    await expect(page.get_by_test_id("danger-guidance")).to_be_visible()
    await _axe(page, axe_source, "the report with the 999 guidance")
    await page.get_by_role("button", name="Send report").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await _axe(page, axe_source, "the report with errors")

    await page.goto("/report/sent")
    await expect(page.get_by_role("heading", name="Your report has been sent")).to_be_visible()
    await _axe(page, axe_source, "the report sent page")

    await page.goto("/help")
    await expect(page.get_by_role("heading", name="For men")).to_be_visible()
    await _axe(page, axe_source, "the help page")
