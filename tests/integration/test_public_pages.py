"""The public pages, with no sign-in: the online report becomes an open online contact in the configured force's
queue; a refused report stores nothing; danger now shows the 999 and silent-999 guidance first; the form is rate
limited and CSRF-protected; every page has quick exit and is never cached; /help lists national and local
services by who they serve."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.config import Settings
from safeguard.contact.models import Contact
from safeguard.db.engine import psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.public.demo import seed_demo_public
from safeguard.public.ratelimit import PublicLimiter
from safeguard.safeguarding.models import SupportService
from tests.conftest import PROJECT, DatabaseUnderTest, ForceData, csrf_from, make_settings, make_user, sign_in

EXIT_URL = "https://www.bbc.co.uk/weather"
EARLY_EXIT = (PROJECT / "src" / "safeguard" / "web" / "exit_early.js").read_text(encoding="utf-8")
EARLY_EXIT_HASH = base64.b64encode(hashlib.sha256(EARLY_EXIT.encode()).digest()).decode()
PUBLIC_PAGES = ("/report", "/report?danger=yes", "/report?danger=no", "/report/sent", "/help")


@pytest.fixture
def settings() -> Settings:
    return make_settings(safeguard_public_force="AAA")


def answers(**changes: str) -> dict[str, str]:
    values = {
        "danger_now": "no",
        "what_happened": "My partner took my phone and pushed me against the door last night.",
        "where": "Northfield, B31",
        "name": "Sam",
        "phone": "07700 900123",
        "voicemail_safe": "no",
        "text_safe": "yes",
        "email": "",
        "safe_times": "Weekdays 10am to 2pm",
    }
    values.update(changes)
    return values


async def _form(client: httpx.AsyncClient, danger: str = "no") -> tuple[str, str]:
    page = await client.get(f"/report?danger={danger}")
    assert page.status_code == 200, page.text
    form_id = re.search(r'name="form_id" value="([^"]+)"', page.text)
    assert form_id
    return csrf_from(page.text), form_id.group(1)


async def send(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    token, form_id = await _form(client, changes.get("danger_now", "no"))
    return await client.post("/report", data={**answers(**changes), "csrf_token": token, "form_id": form_id})


async def contacts(db: AsyncSession, force: ForceData) -> list[Contact]:
    await set_force_context(db, force.id)
    return list(await db.scalars(select(Contact).where(Contact.channel == "online").order_by(Contact.id)))


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_a_report_creates_one_open_online_contact_with_the_answers(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    response = await send(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/report/sent"

    [contact] = await contacts(db, force_a)
    assert (contact.channel, contact.status, contact.taken_by, contact.da_flag) == ("online", "open", "public", True)
    assert contact.grade is None and contact.pressed_55 is False
    assert contact.caller_number == "+447700900123"
    assert contact.location_text == "Northfield, B31"
    report = contact.report
    assert report is not None
    assert report["what_happened"] == answers()["what_happened"]
    assert (report["danger_now"], report["voicemail_safe"], report["text_safe"]) == (False, False, True)
    assert (report["phone"], report["email"], report["name"]) == ("+447700900123", None, "Sam")
    assert report["safe_times"] == "Weekdays 10am to 2pm"
    assert report["where"] == "Northfield, B31" and report["version"] == 1
    assert report["submitted_at"].endswith("Z")
    assert contact.note is not None
    assert contact.note.startswith("Online report. Safe contact: no voicemail.")
    assert "pushed me against the door" in contact.note
    assert await contacts(db, force_b) == [], "only the configured force receives it"

    await set_force_context(db, force_a.id)
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.create",
                                                       AuditEvent.object_id == str(contact.id)))).one()
    assert event.actor_label == "public (online report)" and event.client_addr is None
    assert event.details == {"channel": "online"}, "the audit trail holds none of the answers"

    sent = await client.get("/report/sent")
    assert sent.status_code == 200
    assert "Your report has been sent" in sent.text and "What happens next" in sent.text
    for said in ("pushed me against the door", "07700", "Northfield", "Sam", "Weekdays"):
        assert said not in sent.text, f"the sent page repeats {said!r}"


async def test_danger_now_and_an_email_only_report_are_kept_as_such(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    response = await send(client, danger_now="yes", phone="", voicemail_safe="", text_safe="",
                          email="sam@example.org", what_happened="He is outside now.\nShouting.")
    assert response.status_code == 303, response.text
    [contact] = await contacts(db, force_a)
    assert contact.caller_number is None
    assert contact.report is not None
    assert contact.report["danger_now"] is True and contact.report["email"] == "sam@example.org"
    assert contact.report["voicemail_safe"] is None and contact.report["text_safe"] is None
    assert contact.note == "Online report: someone is in danger now. He is outside now. Shouting."


async def test_a_refused_report_stores_nothing_and_says_what_to_fix(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    response = await send(client, what_happened="  ", phone="12", voicemail_safe="", email="not-an-email",
                          name="x" * 201)
    assert response.status_code == 400
    assert await contacts(db, force_a) == []
    html = response.text
    assert "govuk-error-summary" in html and "<title>Error: Report domestic abuse" in html
    summary = html[html.index("govuk-error-summary"):html.index("</ul>", html.index("govuk-error-summary"))]
    links = re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary)
    assert links == [
        ("what_happened", "Tell us what happened"),
        ("name", "Keep your name to 200 characters or fewer"),
        ("phone", "Enter a phone number we can call, like 07700 900123"),
        ("voicemail_safe", "Select yes if it is safe for us to leave a voicemail on this number"),
        ("email", "Enter an email address in the correct format, like name@example.com"),
    ]
    for field, _ in links:
        assert f'id="{field}"' in html, f"the summary links to #{field}, which must exist"
    assert 'value="12"' in html and 'value="not-an-email"' in html, "what was typed is kept"
    assert 'id="text_safe" name="text_safe" type="radio" value="yes" checked' in html

    nothing = await send(client, phone="", email="", voicemail_safe="", text_safe="")
    assert nothing.status_code == 400
    assert "Enter a phone number or an email address that is safe for us to use" in nothing.text
    assert await contacts(db, force_a) == []


async def test_the_danger_question_comes_first_and_must_be_answered(
        client: httpx.AsyncClient, force_a: ForceData) -> None:
    start = await client.get("/report")
    assert start.status_code == 200
    assert "Is anyone in danger right now?" in start.text
    assert 'name="what_happened"' not in start.text, "the first page asks only about danger now"
    assert "call 999" in start.text
    unanswered = await client.get("/report?asked=danger")
    assert unanswered.status_code == 400
    assert 'href="#danger_now">Select yes if anyone is in danger now' in unanswered.text
    assert (await client.get("/report?danger=maybe")).status_code == 400


async def test_danger_now_shows_the_999_and_silent_999_guidance_before_anything_else(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    page = await client.get("/report?danger=yes")
    assert page.status_code == 200
    main = page.text[page.text.index('<main'):]
    text = _text(main)
    assert text.startswith("If anyone is in danger now, call 999"), text[:200]
    guidance = text.index("Press 55.")
    assert guidance < text.index("If you cannot call, tell us here") < text.index("What happened?")
    for fact in ("Call 999 anyway", "Make Yourself Heard", "cough, tap the phone", "automated message",
                 "If you do not press 55 and the operator hears nothing, the call will end",
                 "press a key once for no and twice for yes",
                 "Pressing 55 does not tell the police where you are", "From a landline",
                 "Pressing 55 is not needed"):
        assert fact in text, fact
    assert 'id="danger_now" name="danger_now" type="radio" value="yes" checked' in page.text

    calm = _text((await client.get("/report?danger=no")).text)
    assert "Press 55." not in calm and "Report domestic abuse" in calm

    refused = await send(client, danger_now="yes", what_happened="")
    assert refused.status_code == 400
    text = _text(refused.text[refused.text.index("<main"):])
    assert text.startswith("If anyone is in danger now, call 999")
    assert text.index("Press 55.") < text.index("There is a problem")
    assert await contacts(db, force_a) == []


async def test_the_same_form_sent_twice_is_one_report_but_a_changed_report_is_another(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    token, form_id = await _form(client)
    body = {**answers(), "csrf_token": token, "form_id": form_id}
    assert (await client.post("/report", data=body)).status_code == 303
    assert (await client.post("/report", data=body)).status_code == 303
    assert len(await contacts(db, force_a)) == 1, "a double click or a retried request is not a second report"
    changed = {**body, "what_happened": body["what_happened"] + " He has done it before."}
    assert (await client.post("/report", data=changed)).status_code == 303
    assert len(await contacts(db, force_a)) == 2


async def test_reports_are_rate_limited_per_address_with_999_and_101_on_the_refusal(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    for n in range(5):
        assert (await send(client, what_happened=f"Report number {n}")).status_code == 303
    refused = await send(client, what_happened="One too many")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    text = _text(refused.text)
    assert "Your report has not been sent" in text
    assert "call 999" in text and "calling 101" in text and "Press 55." in text
    assert refused.headers["cache-control"] == "no-store"
    assert len(await contacts(db, force_a)) == 5, "nothing is stored over the limit"

    other = httpx.ASGITransport(app=client._transport.app, client=("198.51.100.9", 50000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as elsewhere:
        assert (await send(elsewhere, what_happened="From another address")).status_code == 303


async def test_failed_submissions_are_limited_too(app, client: httpx.AsyncClient,  # type: ignore[no-untyped-def]
                                                  db: AsyncSession, force_a: ForceData) -> None:
    app.state.public_limiter = PublicLimiter.from_settings(
        make_settings(safeguard_public_attempt_limit="3/10 minutes"))
    for _ in range(3):
        assert (await send(client, what_happened="")).status_code == 400
    assert (await send(client)).status_code == 429
    assert await contacts(db, force_a) == []


async def test_the_form_needs_its_csrf_token(client: httpx.AsyncClient, db: AsyncSession,
                                             force_a: ForceData) -> None:
    token, form_id = await _form(client)
    missing = await client.post("/report", data={**answers(), "form_id": form_id})
    assert missing.status_code == 403
    # The refusal is a public page: quick exit and 999 first, no way into the staff sign-in.
    assert "This form has expired" in missing.text and "Exit this page" in missing.text
    assert "999" in missing.text and 'href="/login"' not in missing.text and 'href="/"' not in missing.text
    lost = await client.get("/report/nowhere")
    assert lost.status_code == 404 and "Exit this page" in lost.text
    forged = await client.post("/report", data={**answers(), "form_id": form_id, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    transport = httpx.ASGITransport(app=client._transport.app, client=("203.0.113.7", 50000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as stranger:
        # Another browser (no cookie of this one) cannot use this browser's token.
        other = await stranger.post("/report", data={**answers(), "form_id": form_id, "csrf_token": token})
        assert other.status_code == 403
    assert await contacts(db, force_a) == []
    assert (await client.post("/report", data={**answers(), "form_id": form_id, "csrf_token": token})
            ).status_code == 303


async def test_every_public_page_has_quick_exit_no_staff_navigation_and_is_never_cached(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "call_handler")
    for signed_in in (False, True):
        if signed_in:
            assert (await sign_in(client, staff)).status_code == 303
        for path in PUBLIC_PAGES:
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            assert response.headers["cache-control"] == "no-store", path
            html = response.text
            assert 'data-module="govuk-exit-this-page"' in html, path
            assert f'href="{EXIT_URL}" role="button"' in html, path
            assert "govuk-js-exit-this-page-skiplink" in html, path
            assert '<script type="module" src="/static/js/quick-exit.js"></script>' in html, path
            assert "/static/js/app.js" not in html, "GOV.UK's own start-up would add a second exit button"
            assert "govuk-service-navigation" not in html and "Sign out" not in html, path
            assert "Force A Constabulary" in html, path
            # One inline script, the early quick exit, and the CSP allows it by its own hash and nothing else inline.
            inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
            assert inline == [EARLY_EXIT], path
            csp = response.headers["content-security-policy"]
            assert f"script-src 'self' 'sha256-{EARLY_EXIT_HASH}';" in csp and "unsafe-inline" not in csp, csp


async def test_help_lists_999_55_101_the_online_report_and_services_by_who_they_serve(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    common = {"scope": "local", "eligibility": "Men in the area", "referral_route": "Police referral form",
              "description": "Local support"}
    await set_force_context(db, force_a.id)
    db.add_all([
        SupportService(force_id=force_a.id, code="northfield-men", name="Northfield Men's Project", groups=["men"],
                       phone="01632 960001", area="Northfield", **common),
        SupportService(force_id=force_a.id, code="closed-service", name="Closed Down Service", groups=["men"],
                       active=False, **common),
    ])
    await db.flush()
    await set_force_context(db, force_b.id)
    db.add(SupportService(force_id=force_b.id, code="b-men", name="Force B Men's Service", groups=["men"], **common))
    await db.flush()

    page = await client.get("/help")
    assert page.status_code == 200
    text = _text(page.text)
    for said in ("call 999", "Press 55.", "call 101", "report domestic abuse online", "Cover your tracks online"):
        assert said in text, said
    assert 'href="/report"' in page.text
    html = page.text
    start = html.index('data-testid="help-group-men"')
    men = html[start:html.index("</section>", start)]
    assert "Men&#39;s Advice Line" in men and "0808 8010 327" in men and "ManKind Initiative" in men
    assert men.index("Northfield Men&#39;s Project") < men.index("Men&#39;s Advice Line"), "local services first"
    assert "Local" in men and 'href="tel:01632960001"' in men
    assert "Closed Down Service" not in html, "inactive services are not listed"
    assert "Force B Men" not in html, "another force's local services are not listed"
    assert "Police referral form" not in html, "how staff refer is not for the public page"
    headings = re.findall(r'<h3 class="govuk-heading-m" id="([a-z-]+)">', html)
    assert headings[:7] == ["men", "women", "lgbt", "older-people", "children", "stalking", "honour-based-abuse"]
    for name in ("Galop National LGBT+ Domestic Abuse Helpline", "Hourglass", "Childline",
                 "National Stalking Helpline", "Karma Nirvana", "National Domestic Abuse Helpline"):
        assert name in text, name


async def test_without_a_public_force_the_report_is_unavailable_but_help_still_works(
        app, client: httpx.AsyncClient, db: AsyncSession,  # type: ignore[no-untyped-def]
        force_a: ForceData, force_b: ForceData) -> None:
    app.state.settings = make_settings()  # no SAFEGUARD_PUBLIC_FORCE, and two forces: nothing to choose
    page = await client.get("/report")
    assert page.status_code == 200 and "Online reporting is not available" in page.text
    assert "call 101" in _text(page.text)
    token = csrf_from(page.text) if 'name="csrf_token"' in page.text else None
    assert token is None, "no form is offered"
    help_page = await client.get("/help")
    assert help_page.status_code == 200 and "Men&#39;s Advice Line" in help_page.text
    await set_force_context(db, force_a.id)
    assert await db.scalar(select(func.count()).select_from(Contact)) == 0


async def test_with_one_force_and_no_setting_that_force_receives_reports(
        app, client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = make_settings()
    assert (await send(client)).status_code == 303
    assert len(await contacts(db, force_a)) == 1


def test_the_demo_seed_puts_three_online_reports_in_the_demo_queue_once(fresh_db: DatabaseUnderTest) -> None:
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        conn.execute("INSERT INTO force (code, name) VALUES (%s, 'Demo Constabulary')", (DEMO_FORCE_CODE,))
    seed_demo_public(fresh_db.admin_url)
    seed_demo_public(fresh_db.admin_url)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        rows = conn.execute("SELECT channel, status, taken_by, da_flag, caller_number, note, report FROM contact "
                            "ORDER BY received_at DESC").fetchall()
    assert len(rows) == 3, "a second run adds nothing"
    assert {(r[0], r[1], r[2], r[3]) for r in rows} == {("online", "open", "public", True)}
    newest = rows[0]
    assert newest[6]["danger_now"] is True and newest[4] is None and newest[6]["email"].endswith(".example")
    assert newest[5].startswith("Online report: someone is in danger now.")
    assert {r[4] for r in rows[1:]} == {"+447700900781", "+441632960555"}, "Ofcom drama-range numbers only"
