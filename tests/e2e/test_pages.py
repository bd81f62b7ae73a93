"""What each page shows, and how: navigation by role, accessibility, the CSP, the force's own look."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from safeguard.auth import totp
from tests.e2e.conftest import LiveServer, enter_password, sign_in

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}


async def test_navigation_shows_only_what_the_role_may_use(page: Page, live_server: LiveServer) -> None:
    await sign_in(page, live_server.data.admin)
    nav = page.get_by_role("navigation", name="Menu")
    await expect(nav.get_by_role("link", name="Users")).to_be_visible()
    await expect(nav.get_by_role("link", name="Audit")).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Administration")

    await page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You have signed out")).to_be_visible()

    await sign_in(page, live_server.data.handler)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Control room")
    nav = page.get_by_role("navigation", name="Menu")
    await expect(nav.get_by_role("link", name="Home")).to_be_visible()
    await expect(nav.get_by_role("link", name="Account")).to_be_visible()
    await expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    await expect(nav.get_by_role("link", name="Audit")).to_have_count(0)
    await expect(page.locator("a[href='/admin/users'], a[href='/audit']")).to_have_count(0)

    # Hiding the link is not the control; the page itself is refused.
    response = await page.goto("/admin/users")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
    return "\n".join(lines)


async def _axe(page: Page, axe_source: str, what: str) -> None:
    await page.add_script_tag(content=axe_source)
    results = await page.evaluate("""async () => {
        const results = await axe.run(document);
        return {
            passed: results.passes.length,
            violations: results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html})),
            })),
        };
    }""")
    assert results["passed"] > 10, f"axe checked almost nothing on {what}: {results}"
    violations = results["violations"]
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"axe found serious accessibility problems on {what}:\n{_describe(serious)}"


async def test_pages_have_no_serious_accessibility_problems(axe_page: Page, live_server: LiveServer,
                                                            axe_source: str) -> None:
    page = axe_page
    await page.goto("/login")
    await expect(page.get_by_role("heading", name="Sign in to Safeguard")).to_be_visible()
    await _axe(page, axe_source, "the sign-in page")

    await enter_password(page, live_server.data.handler)
    await expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    await _axe(page, axe_source, "the code page")
    await page.get_by_role("button", name="Sign in").click()  # no code: the page shows its error state
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await _axe(page, axe_source, "the code page with an error")

    await page.get_by_label("6-digit code").fill(totp.current_code(live_server.data.handler.totp_secret))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Control room")
    await _axe(page, axe_source, "the home page")

    await page.context.clear_cookies()
    await enter_password(page, live_server.data.newcomer)
    await expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    await _axe(page, axe_source, "the enrolment page")


async def test_content_security_policy_applies_without_breaking_the_pages(page: Page,
                                                                          live_server: LiveServer) -> None:
    console_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(f"page error: {error}"))

    response = await page.goto("/login")
    assert response is not None
    csp = await response.header_value("content-security-policy")
    assert csp, "no content-security-policy header on /login"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    # Our own scripts, and one inline script known by its hash (the public pages' early quick exit).
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/]{43}=';", csp), csp
    # The page's own script ran under the policy (it marks the body for GOV.UK Frontend).
    await expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))

    await sign_in(page, live_server.data.handler)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Control room")
    await expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    home = await page.reload()
    assert home is not None and "unsafe-inline" not in (await home.header_value("content-security-policy") or "")
    await expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))

    csp_errors = [text for text in console_errors if "Content Security Policy" in text or "Refused to" in text]
    assert not csp_errors, csp_errors
    assert not console_errors, console_errors


# Every element that shows text of its own, with the font it is drawn in (code is monospace by design).
TEXT_FONTS = """() => [...document.querySelectorAll('body *')]
    .filter(el => !['SCRIPT', 'STYLE', 'CODE', 'PRE'].includes(el.tagName))
    .filter(el => [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
    .filter(el => el.getClientRects().length > 0)
    .map(el => ({tag: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''),
                 text: el.textContent.trim().slice(0, 40), font: getComputedStyle(el).fontFamily}))"""


async def test_force_branding_uses_arial_and_no_crown(page: Page, live_server: LiveServer) -> None:
    for signed_in in (False, True):
        if signed_in:
            await sign_in(page, live_server.data.handler)
        else:
            await page.goto("/login")
        # Signing in ends on a redirect followed by a click: measure fonts once the stylesheet has loaded.
        await page.wait_for_load_state("load")
        where = page.url
        banner = page.get_by_role("banner")
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("Safeguard")
        await expect(page.locator(".govuk-header__logotype")).to_have_count(0)
        await expect(page.locator(".govuk-header")).to_have_count(0)
        await expect(banner.locator("svg")).to_have_count(0)
        texts = await page.evaluate(TEXT_FONTS)
        assert any(item["tag"].startswith("h1") for item in texts), texts  # the probe does see the page's text
        not_arial = [item for item in texts
                     if "arial" not in item["font"].lower() or "gds transport" in item["font"].lower()]
        assert not not_arial, f"text not drawn in Arial on {where}: {not_arial}"
        stylesheet = await page.evaluate("""() => [...document.styleSheets]
            .flatMap(sheet => [...sheet.cssRules]).map(rule => rule.cssText).join('\\n')""")
        assert "arial" in stylesheet.lower(), f"the stylesheet did not load on {where}"
        assert "GDS Transport" not in stylesheet, f"the stylesheet on {where} still names GDS Transport"


async def test_body_font_is_arial(page: Page, live_server: LiveServer) -> None:
    await page.goto("/login")
    await expect(page.get_by_role("heading", name="Sign in to Safeguard")).to_be_visible()
    font = await page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "arial" in font.lower(), f"body font-family is {font}"
    assert "gds transport" not in font.lower(), f"body font-family is {font}"
