"""Signing in, out, and setting up the second factor, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from safeguard.auth import totp
from tests.e2e.conftest import FORCE_NAME, LiveServer, count_sessions, enter_password, sign_in, wrong_code

pytestmark = pytest.mark.e2e

SIGN_IN_URL = re.compile(r"/login(\?.*)?$")


async def test_sign_in_with_password_and_code_shows_role_home(page: Page, live_server: LiveServer) -> None:
    handler = live_server.data.handler
    await enter_password(page, handler)
    await expect(page).to_have_url(re.compile(r"/login/code"))
    await page.get_by_label("6-digit code").fill(totp.current_code(handler.totp_secret))
    await page.get_by_role("button", name="Sign in").click()

    await expect(page).to_have_url(live_server.url + "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Control room")
    header = page.get_by_role("banner")
    await expect(header).to_contain_text(handler.user.display_name)
    await expect(header).to_contain_text("Call handler")
    await expect(header).to_contain_text(FORCE_NAME)
    banner = page.get_by_role("region", name="Demo warning")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("DEMO")
    await expect(page).to_have_title("Control room - Safeguard")


async def test_sign_out_ends_the_session(page: Page, live_server: LiveServer) -> None:
    await sign_in(page, live_server.data.handler)
    await page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    await expect(page).to_have_url(SIGN_IN_URL)
    await expect(page.get_by_role("heading", name="Sign in to Safeguard")).to_be_visible()
    await expect(page.get_by_text("You have signed out")).to_be_visible()
    await expect(page.get_by_test_id("sign-out")).to_have_count(0)

    await page.goto("/")
    await expect(page).to_have_url(live_server.url + "/login?next=/")
    await expect(page.get_by_role("heading", name="Sign in to Safeguard")).to_be_visible()
    # The flash message is shown once only.
    await expect(page.get_by_text("You have signed out")).to_have_count(0)


async def test_wrong_code_is_refused(page: Page, live_server: LiveServer) -> None:
    handler = live_server.data.handler
    await enter_password(page, handler)
    await page.get_by_label("6-digit code").fill(wrong_code(handler.totp_secret))
    await page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(summary).to_contain_text("That code is not right")
    await expect(page.locator("#code-error")).to_contain_text("That code is not right")
    await expect(page).to_have_title(re.compile(r"^Error: "))
    await expect(page.get_by_test_id("sign-out")).to_have_count(0)

    await page.goto("/")
    await expect(page).to_have_url(live_server.url + "/login?next=/")
    await expect(page.get_by_role("heading", name="Sign in to Safeguard")).to_be_visible()


async def test_first_sign_in_sets_up_the_authenticator(page: Page, live_server: LiveServer) -> None:
    newcomer = live_server.data.newcomer
    await enter_password(page, newcomer)

    await expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    await expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    await page.get_by_text("I cannot scan the code").click()
    secret_element = page.get_by_test_id("totp-secret")
    await expect(secret_element).to_be_visible()
    secret = (await secret_element.inner_text()).strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret

    await page.get_by_label("6-digit code from the app").fill(totp.current_code(secret))
    await page.get_by_role("button", name="Confirm and sign in").click()
    await expect(page).to_have_url(live_server.url + "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Control room")
    await expect(page.get_by_role("banner")).to_contain_text(newcomer.user.display_name)


async def test_form_without_csrf_token_is_refused(page: Page, live_server: LiveServer) -> None:
    handler = live_server.data.handler
    await page.goto("/login")
    removed = await page.evaluate("""() => {
        const input = document.querySelector('form[action="/login"] input[name="csrf_token"]');
        if (!input) return false;
        input.remove();
        return true;
    }""")
    assert removed, "the sign-in form has no csrf_token input"
    await page.get_by_label("Username").fill(handler.user.username)
    await page.get_by_label("Password").fill(handler.password)
    async with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as info:
        await page.get_by_role("button", name="Continue").click()
    response = await info.value

    assert response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("This form has expired")
    cookies = {cookie["name"] for cookie in await page.context.cookies()}
    assert "sg_session" not in cookies, cookies
    assert await count_sessions(live_server.data.db) == 0
