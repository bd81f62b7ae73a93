"""DA specialist review: every DA call in the queue at once, newest first; the safeguarding view shows the
victim, her safe contact first, risk history, children and the orders protecting her, and nothing police-only
about the suspect; advice is stored in order and shown to whoever works the call; other forces' calls are not
found, a restricted victim is withheld, and every read is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.contact import specialist
from safeguard.contact.models import Contact, SpecialistAdvice
from safeguard.contact.specialist_demo import seed_demo_specialist
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.people.service import restrict
from tests.conftest import DatabaseUnderTest, ForceData, Staff, csrf_from, make_force, make_user, sign_in
from tests.integration.crime_scene import actor_for
from tests.integration.specialist_scene import PLANTED, specialist_scene

NOW = datetime.now(UTC)


async def _specialist(client: httpx.AsyncClient, db: AsyncSession, force: ForceData,
                      role: str = "da_specialist") -> Staff:
    staff = await make_user(db, force, role)
    assert (await sign_in(client, staff)).status_code == 303
    return staff


def _contact(force: ForceData, minutes_ago: float, **values: object) -> Contact:
    fields: dict[str, object] = {"channel": "999", "received_at": NOW - timedelta(minutes=minutes_ago),
                                 "da_flag": True}
    fields.update(values)
    return Contact(force_id=force.id, **fields)


async def test_the_queue_lists_only_da_calls_newest_first_split_by_review(client: httpx.AsyncClient, db: AsyncSession,
                                                                         force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    older = _contact(force_a, 30, channel="101", grade="priority")
    newer = _contact(force_a, 2, channel="999-silent", pressed_55=True)
    not_da = _contact(force_a, 1, da_flag=False)
    stale = _contact(force_a, 60 * 30, status="closed")  # closed, and older than the review window
    still_open = _contact(force_a, 60 * 30)  # open: waits however old it is
    reviewed = _contact(force_a, 45, channel="online")
    db.add_all([older, newer, not_da, stale, still_open, reviewed])
    await db.flush()
    staff = await _specialist(client, db, force_a)
    await specialist.record_advice(db, actor_for(staff, force_a), reviewed.id, advice="Call on the safe number")

    page = await client.get("/specialist")
    assert page.status_code == 200
    body = page.text
    waiting = body[body.index('data-testid="waiting"'):body.index('id="reviewed-heading"')]
    done = body[body.index('id="reviewed-heading"'):]
    order = [int(part.split('"')[0]) for part in waiting.split('data-contact-id="')[1:]]
    assert order == [newer.id, older.id, still_open.id]
    assert f'data-contact-id="{reviewed.id}"' in done and f'data-contact-id="{reviewed.id}"' not in waiting
    assert f'data-contact-id="{not_da.id}"' not in body and f'data-contact-id="{stale.id}"' not in body
    assert "55 pressed" in waiting and "Priority" in waiting and "Silent 999" in waiting
    assert "1 piece, last" in done

    found = await specialist.queue(db, actor_for(staff, force_a))
    row = next(item for item in found.waiting if item.id == newer.id)
    assert (row.channel_label, row.pressed_55, row.silent, row.grade, row.victim_identified) == (
        "Silent 999", True, True, None, False)
    # NOW is fixed when the module is imported, so the contact is older by however long the suite has run.
    minutes = int((datetime.now(UTC) - row.received_at).total_seconds() // 60)
    assert row.age in (f"{minutes} min ago", f"{minutes + 1} min ago", f"{minutes - 1} min ago")


async def test_a_victim_identified_on_the_call_shows_in_the_queue(client: httpx.AsyncClient, db: AsyncSession,
                                                                  force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    staff = await make_user(db, force_a, "da_specialist")
    found = await specialist.queue(db, actor_for(staff, force_a))
    [row] = [item for item in found.waiting if item.id == scene.contact.id]
    assert row.victim_identified is True


async def test_the_safeguarding_view_shows_what_safeguarding_needs(client: httpx.AsyncClient, db: AsyncSession,
                                                                  force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    await _specialist(client, db, force_a)
    page = await client.get(f"/specialist/contacts/{scene.contact.id}")
    assert page.status_code == 200, page.text
    body = page.text
    # Safe contact first, before the call and the victims.
    assert body.index("Safe contact: Carla Benning") < body.index('id="call-heading"')
    assert "07700 900111" in body and "Do not leave voicemail" in body and "Weekdays 10:00 to 14:00" in body
    victims = body.split('data-testid="victim"')
    assert len(victims) == 2, "one victim card: the suspect and the stranger on the number are not shown"
    card = victims[1]
    assert "Carla Benning" in card and "A victim on this call" in card
    assert "DA high-risk victim" in card and "14 Orchard Close" in card
    assert f'href="/risk-assessments/{scene.assessment.id}"' in card
    assert ">15<" in card and ">High<" in card and "Visible high risk" in card
    assert "MR-2026-SPEC1" in card and "Submitted" in card
    assert "Northfield IDVA Service: Made" in card
    assert "PO-2026-SPEC1" in card and "binds Dean Holloway" in card
    assert "No contact with the people it protects" in card
    assert "Keep away from 14 Orchard Close, Northfield, ZZ1 4OC (within 100 m)" in card
    assert f'href="/people/{scene.victim.id}/support-referrals/new"' in card
    assert f'href="/marac/referrals/new?assessment={scene.assessment.id}"' in card
    children = body[body.index('data-testid="children"'):body.index('id="victims-heading"')]
    assert "The caller said children were present." in children
    assert "Children at the address: 14 Orchard Close, Northfield, ZZ1 4OC (Two under 5)." in children
    assert "55 pressed" in body and "someone is injured" in body and "Caller whispering" in body
    assert "2 other people are linked to this call but not shown here" in body


async def test_the_view_never_shows_police_only_data_about_the_suspect(client: httpx.AsyncClient, db: AsyncSession,
                                                                      force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    await _specialist(client, db, force_a)
    body = (await client.get(f"/specialist/contacts/{scene.contact.id}")).text
    for what, planted in PLANTED.items():
        assert planted not in body, f"the {what} leaked onto the specialist's page"
    for word in ("Wanted", "wanted", "Arrest", "arrest", "Custody", "custody", "Bail", "/crimes/", "INC-T-",
                 "Weapons", "DA perpetrator", f"/people/{scene.suspect.id}"):
        assert word not in body, f"{word!r} is on the specialist's page"
    # The same holds after advice is recorded, and on a refused form.
    refused = await client.post(f"/specialist/contacts/{scene.contact.id}/advice",
                                data={"advice": " ", "csrf_token": csrf_from(body)})
    assert refused.status_code == 400
    for planted in PLANTED.values():
        assert planted not in refused.text


async def test_advice_is_stored_in_order_and_listed(client: httpx.AsyncClient, db: AsyncSession,
                                                   force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    staff = await _specialist(client, db, force_a)
    url = f"/specialist/contacts/{scene.contact.id}"
    page = await client.get(url)
    first = await client.post(f"{url}/advice", data={
        "advice": "Call her on the safe number only, weekdays 10 to 2.\nNo voicemail.",
        "referral_note": "IDVA referral suggested", "csrf_token": csrf_from(page.text)})
    assert first.status_code == 303 and first.headers["location"] == f"{url}#advice-given"
    second = await client.post(f"{url}/advice", data={"advice": "Children: check with the school (Encompass).",
                                                      "csrf_token": csrf_from(page.text)})
    assert second.status_code == 303
    await set_force_context(db, force_a.id)
    rows = list(await db.scalars(select(SpecialistAdvice).where(SpecialistAdvice.contact_id == scene.contact.id)
                                 .order_by(SpecialistAdvice.id)))
    assert [(r.advice.splitlines()[0], r.referral_note, r.given_by) for r in rows] == [
        ("Call her on the safe number only, weekdays 10 to 2.", "IDVA referral suggested", staff.user.username),
        ("Children: check with the school (Encompass).", None, staff.user.username)]
    shown = (await client.get(url)).text
    advice = shown[shown.index('data-testid="specialist-advice"'):]
    assert advice.index("Call her on the safe number") < advice.index("Children: check with the school")
    assert "No voicemail." in advice and "IDVA referral suggested" in advice
    listed = await specialist.advice_for(db, scene.contact.id)
    assert [a.referral_note for a in listed] == ["IDVA referral suggested", None]
    # Now reviewed: out of "waiting", into "reviewed today".
    found = await specialist.queue(db, actor_for(staff, force_a))
    assert scene.contact.id not in [i.id for i in found.waiting]
    assert [i.advice_count for i in found.reviewed if i.id == scene.contact.id] == [2]
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "specialist_advice.create")))
    assert len(events) == 2 and all(e.object_id == str(scene.contact.id) for e in events)
    assert all("safe number" not in str(e.details) for e in events)  # never the words of the advice


async def test_advice_needs_words_and_keeps_what_was_typed(client: httpx.AsyncClient, db: AsyncSession,
                                                          force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    await _specialist(client, db, force_a)
    url = f"/specialist/contacts/{scene.contact.id}"
    page = await client.get(url)
    refused = await client.post(f"{url}/advice", data={"advice": "   ", "referral_note": "Refuge space found",
                                                       "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 400
    assert "There is a problem" in refused.text and 'href="#advice"' in refused.text
    assert "Enter your advice for the handler and the attending officers" in refused.text
    assert "Refuge space found</textarea>" in refused.text
    too_long = await client.post(f"{url}/advice", data={"advice": "x" * (specialist.ADVICE_MAX + 1),
                                                        "csrf_token": csrf_from(page.text)})
    assert too_long.status_code == 400 and "4000 characters or fewer" in too_long.text
    await set_force_context(db, force_a.id)
    assert list(await db.scalars(select(SpecialistAdvice))) == []


async def test_another_forces_call_and_a_non_da_call_are_not_found(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData, force_b: ForceData) -> None:
    scene = await specialist_scene(db, force_b)
    await set_force_context(db, force_a.id)
    not_da = _contact(force_a, 3, da_flag=False)
    db.add(not_da)
    await db.flush()
    await _specialist(client, db, force_a)
    page = await client.get("/specialist")
    assert f'data-contact-id="{scene.contact.id}"' not in page.text
    for contact_id in (scene.contact.id, not_da.id, 2**62):
        response = await client.get(f"/specialist/contacts/{contact_id}")
        assert response.status_code == 404
        assert "Carla" not in response.text
        posted = await client.post(f"/specialist/contacts/{contact_id}/advice",
                                   data={"advice": "x", "csrf_token": csrf_from(page.text)})
        assert posted.status_code == 404
    await set_force_context(db, force_b.id)
    assert list(await db.scalars(select(SpecialistAdvice))) == []


async def test_a_role_without_safeguarding_write_is_refused(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    await _specialist(client, db, force_a, role="call_handler")
    assert (await client.get("/specialist")).status_code == 403
    assert (await client.get(f"/specialist/contacts/{scene.contact.id}")).status_code == 403


async def test_a_restricted_victim_is_withheld(client: httpx.AsyncClient, db: AsyncSession,
                                               force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    keeper = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label="keeper", reason="Refuge",
                   person_id=scene.victim.id)
    await _specialist(client, db, force_a)
    page = await client.get(f"/specialist/contacts/{scene.contact.id}")
    assert page.status_code == 200
    body = page.text
    assert "Restricted person" in body and "public protection unit" in body
    for hidden in ("Carla", "Benning", "07700 900111", "Weekdays 10:00", "MR-2026-SPEC1", "PO-2026-SPEC1",
                   "Orchard Close", f"/people/{scene.victim.id}"):
        assert hidden not in body, hidden
    assert body.index("Restricted person") < body.index('id="advice-given"')


async def test_each_read_is_audited(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    staff = await _specialist(client, db, force_a)
    assert (await client.get(f"/specialist/contacts/{scene.contact.id}")).status_code == 200
    await set_force_context(db, force_a.id)
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.actor_label == staff.user.username,
                                                            AuditEvent.reason == specialist.REASON)))
    read = {(e.object_type, e.object_id) for e in events}
    assert read == {("contact", str(scene.contact.id)), ("person", str(scene.victim.id)),
                    ("safe_contact", str(scene.victim.id)), ("risk_assessment", str(scene.assessment.id)),
                    ("marac_referral", str(scene.referral.id)), ("protective_order", str(scene.order.id)),
                    ("support_referral", next(e.object_id for e in events if e.object_type == "support_referral"))}
    assert ("person", str(scene.suspect.id)) not in read and ("person", str(scene.stranger.id)) not in read


@given(st.integers(min_value=-10_000, max_value=10**8))
def test_age_is_always_readable(seconds: int) -> None:
    text = specialist.age_text(timedelta(seconds=seconds))
    if seconds < 60:
        assert text == "just now"
    elif seconds < 3600:
        assert text == f"{seconds // 60} min ago"
    elif seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        assert text == f"{hours} h {minutes:02d} min ago"
    else:
        assert text.split()[0] == str(seconds // 86400) and text.endswith(" h ago")


@pytest.mark.parametrize(("settings", "hours", "kinds"), [
    (None, 24, specialist.DEFAULT_MARKER_KINDS),
    ({"da_specialist": {"review_window_hours": 8, "marker_kinds": ["stalking"]}}, 8, ("stalking",)),
    ({"da_specialist": {"review_window_hours": "soon", "marker_kinds": "all"}}, 24, specialist.DEFAULT_MARKER_KINDS),
])
def test_the_force_chooses_the_review_window_and_the_markers(settings: dict[str, object] | None, hours: int,
                                                            kinds: tuple[str, ...]) -> None:
    rules = specialist.SpecialistRules.from_settings(settings)
    assert rules.review_window == timedelta(hours=hours) and rules.marker_kinds == kinds


async def test_the_demo_advice_is_seeded_once_on_the_latest_da_call(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
            other = await make_force(s, "OTHER", "Other Police")
            await set_force_context(s, force.id)
            closed_newer = _contact(force, 1, status="closed")
            open_older = _contact(force, 20)
            not_da = _contact(force, 0.5, da_flag=False)
            s.add_all([closed_newer, open_older, not_da])
            await s.flush()
            chosen = open_older.id
            await set_force_context(s, other.id)
            s.add(_contact(other, 0.1))
    finally:
        await engine.dispose()
    seed_demo_specialist(fresh_db.admin_url)
    seed_demo_specialist(fresh_db.admin_url)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        rows = conn.execute("SELECT contact_id, given_by, given_at <= now(), referral_note IS NOT NULL "
                            "FROM specialist_advice").fetchall()
    assert rows == [(chosen, "specialist", True, True)]


# -- the API -----------------------------------------------------------------------------------------------

def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_api_gives_the_queue_and_records_and_lists_advice(client: httpx.AsyncClient, db: AsyncSession,
                                                                    force_a: ForceData, force_b: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    other = await specialist_scene(db, force_b)
    writer = await create_token(db, force_id=force_a.id, name="charity app", scopes=["safeguarding:write"])
    reader = await create_token(db, force_id=force_a.id, name="officer devices", scopes=["contacts:read"])
    queue = await client.get("/api/v1/specialist/queue", headers=_bearer(writer))
    assert queue.status_code == 200, queue.text
    [item] = queue.json()["waiting"]
    assert item["id"] == scene.contact.id and item["url"] == f"/specialist/contacts/{scene.contact.id}"
    assert (item["channel"], item["pressed_55"], item["victim_identified"], item["grade"]) == (
        "999-silent", True, True, None)
    assert queue.json()["reviewed_today"] == []

    url = f"/api/v1/specialist/contacts/{scene.contact.id}/advice"
    refused = await client.post(url, json={"advice": "  "}, headers=_bearer(writer))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "advice", "message":
                                         "Enter your advice for the handler and the attending officers"}]
    made = await client.post(url, json={"advice": "Safe number only", "referral_note": "IDVA"},
                             headers=_bearer(writer))
    assert made.status_code == 201, made.text
    assert made.json()["advice"] == "Safe number only" and made.json()["given_by"].startswith("token:")
    await client.post(url, json={"advice": "Second thoughts"}, headers=_bearer(writer))
    listed = await client.get(url, headers=_bearer(reader))
    assert listed.status_code == 200
    assert [a["advice"] for a in listed.json()["advice"]] == ["Safe number only", "Second thoughts"]
    # Scopes hold, and another force's call is not found.
    assert (await client.post(url, json={"advice": "x"}, headers=_bearer(reader))).status_code == 403
    assert (await client.get("/api/v1/specialist/queue", headers=_bearer(reader))).status_code == 403
    elsewhere = f"/api/v1/specialist/contacts/{other.contact.id}/advice"
    assert (await client.get(elsewhere, headers=_bearer(reader))).status_code == 404
    assert (await client.post(elsewhere, json={"advice": "x"}, headers=_bearer(writer))).status_code == 404
    unknown = await client.post(url, json={"advice": "x", "by": "someone"}, headers=_bearer(writer))
    assert unknown.status_code == 422


async def test_the_handler_sees_the_advice_on_the_call(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData) -> None:
    scene = await specialist_scene(db, force_a)
    staff = await make_user(db, force_a, "da_specialist")
    await specialist.record_advice(db, actor_for(staff, force_a), scene.contact.id,
                                   advice="Ring the safe number only; no voicemail", referral_note="IDVA suggested")
    handler = await make_user(db, force_a, "call_handler")
    assert (await sign_in(client, handler)).status_code == 303
    page = await client.get(f"/contacts/{scene.contact.id}")
    assert page.status_code == 200
    advice = page.text[page.text.index('data-testid="specialist-advice"'):]
    assert "Ring the safe number only; no voicemail" in advice and "IDVA suggested" in advice
    assert staff.user.username in advice
