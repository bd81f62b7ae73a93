"""Arrests and custody records: recording an arrest moves the suspect on; the custody page shows the clock and
warns as each deadline nears; every custody entry keeps the PACE rules, and a refusal saves nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes import custody, suspects
from safeguard.crimes.models import Arrest, ArrestOffence, CustodyReview, Suspect, SuspectEvent
from safeguard.crimes.rules import add_months
from safeguard.crimes.service import CrimeRefused, uk_time
from safeguard.db.session import set_force_context
from safeguard.operations.models import Operation
from safeguard.people.service import restrict
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.crime_scene import CrimeScene, count, crime_scene

H = timedelta(hours=1)
M = timedelta(minutes=1)


def _when(prefix: str, at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


async def _arrest(db: AsyncSession, scene: CrimeScene, at: datetime, *, offences: tuple[str, ...] = ("abh",),
                  arrived: datetime | None = None, authorised: datetime | None = None,
                  bail_breach: bool = False) -> Arrest:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    arrest = await custody.record_arrest(db, scene.actor, custody.NewArrest(
        suspect_id=scene.suspect.id, arrested_at=at, place="Elm Road", offence_codes=list(offences),
        team_id=scene.force.teams["public_protection"].id, arrived_at_station=arrived,
        detention_authorised_at=authorised, custody_station="Northfield custody", for_bail_breach=bail_breach))
    assert arrest is not None
    return arrest


async def _counts(db: AsyncSession, force: ForceData) -> tuple[int, int, int, int]:
    return (await count(db, Arrest, force), await count(db, ArrestOffence, force),
            await count(db, SuspectEvent, force), await count(db, CustodyReview, force))


# -- recording an arrest --------------------------------------------------------------------------------------

async def test_an_investigator_records_an_arrest_and_sees_the_custody_clock(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    await sign_in(client, scene.staff)
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/arrest")
    assert form.status_code == 200
    # The crime's offences are ticked; the DA flag comes from the crime; the form starts at now.
    assert 'name="offence" type="checkbox" value="coercive-control" checked' in form.text
    assert 'name="offence" type="checkbox" value="abh" checked' in form.text
    assert 'name="da_related" type="radio" value="yes" checked' in form.text
    at = datetime.now(UTC) - 2 * H
    response = await client.post(f"/crimes/suspects/{scene.suspect.id}/arrest", data={
        "csrf_token": csrf_from(form.text), **_when("arrested_at", at), "place": "Elm Road, Northfield",
        "offence": ["coercive-control", "abh"], "team": str(force_a.teams["public_protection"].id),
        "operation": "", "da_related": "yes", "custody_station": "Northfield custody",
        **_when("arrived_at", at + 20 * M), **_when("authorised_at", at + 30 * M)})
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    for expected in ("Arrest recorded. The custody clock is running.", "In custody", "Regular response",
                     "Controlling or coercive behaviour", "Northfield custody", "Public protection",
                     "Next review due", "Basic limit (24 hours)", "No review yet.", "Record a review"):
        assert expected in page.text, expected
    await set_force_context(db, force_a.id)
    arrest = await db.scalar(select(Arrest))
    assert arrest is not None and arrest.operation_id is None and arrest.da_related
    assert arrest.arrested_by == scene.staff.user.username and arrest.arrested_by_id == scene.staff.user.id
    assert arrest.detention_authorised_at == (at + 30 * M).replace(second=0, microsecond=0)
    suspect = await db.scalar(select(Suspect).execution_options(populate_existing=True))
    assert suspect is not None and suspect.status == "arrested"
    event = await db.scalar(select(SuspectEvent).order_by(SuspectEvent.id.desc()).limit(1))
    assert event is not None and event.to_status == "arrested" and event.details == {"arrest_id": arrest.id}
    actions = (await db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "arrest")
                              .order_by(AuditEvent.id))).all()
    assert actions == ["arrest.create", "arrest.read"]
    # The suspect page links to the custody record, and the custody list shows the detained person.
    suspect_page = await client.get(f"/crimes/suspects/{scene.suspect.id}")
    assert f'href="/crimes/custody/{arrest.id}"' in suspect_page.text and "Arrested" in suspect_page.text
    listing = await client.get("/crimes/custody")
    assert listing.status_code == 200 and "Dean Holloway" in listing.text and "1 detained" in listing.text


async def test_a_response_officer_records_the_arrest_but_does_not_charge(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    officer = await make_user(db, force_a, "response_officer", username="pc.response")
    await sign_in(client, officer)
    page = await client.get(f"/crimes/suspects/{scene.suspect.id}")
    assert page.status_code == 200 and "Record the arrest" in page.text and "Charge" not in page.text
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/arrest")
    assert form.status_code == 200
    at = datetime.now(UTC) - 2 * H
    response = await client.post(f"/crimes/suspects/{scene.suspect.id}/arrest", data={
        **_when("arrested_at", at), "place": "Elm Road", "offence": "abh", "operation": "", "da_related": "yes",
        "team": str(force_a.teams["local_policing"].id), "csrf_token": csrf_from(form.text)})
    assert response.status_code == 303, re.findall(r'govuk-error-message">(.*?)</p>', response.text, re.S)
    await set_force_context(db, force_a.id)
    arrest = (await db.scalars(select(Arrest))).one()
    assert arrest.arrested_by == "pc.response"
    assert (await client.get(f"/crimes/suspects/{scene.suspect.id}/charge")).status_code == 403


async def test_a_refused_arrest_names_each_field_and_saves_nothing(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    await sign_in(client, scene.staff)
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/arrest")
    before = await _counts(db, force_a)
    base = {"csrf_token": csrf_from(form.text), "place": "Elm Road", "offence": ["abh"], "da_related": "yes",
            "team": str(force_a.teams["public_protection"].id)}
    path = f"/crimes/suspects/{scene.suspect.id}/arrest"
    future = await client.post(path, data={**base, **_when("arrested_at", datetime.now(UTC) + 3 * H)})
    assert future.status_code == 400 and "The time of the arrest must not be in the future" in future.text
    early = await client.post(path, data={**base, **_when("arrested_at", scene.crime.occurred_at - 2 * H)})
    assert "The arrest must be after the crime happened" in early.text
    at = datetime.now(UTC) - 3 * H
    arrival = await client.post(path, data={**base, **_when("arrested_at", at), **_when("arrived_at", at - H)})
    assert 'href="#arrived_at_day">The arrival at the station must be after the arrest' in arrival.text
    other_team = await client.post(path, data={**base, **_when("arrested_at", at),
                                               "team": str(force_b.teams["public_protection"].id)})
    assert 'href="#team">Choose a team of your force' in other_team.text
    empty = await client.post(path, data={"csrf_token": base["csrf_token"], **_when("arrested_at", at),
                                          "operation": "op12", "da_related": ""})
    for message in ('href="#offences">Choose at least one offence', 'href="#place">Enter where the arrest was made',
                    'href="#team">Choose the team', 'href="#operation">Choose the operation from the list',
                    'href="#da_related">Choose whether the arrest is for domestic abuse'):
        assert message in empty.text, message
    breach = await client.post(path, data={**base, **_when("arrested_at", at), "for_bail_breach": "yes"})
    assert "Only a suspect on pre-charge bail can be arrested for breaching it" in breach.text
    assert await _counts(db, force_a) == before
    # A suspect charged already cannot be arrested again for this crime.
    await set_force_context(db, force_a.id)
    suspect = await db.scalar(select(Suspect))
    assert suspect is not None
    suspect.status = "charged"
    await db.flush()
    refused = await client.get(path)
    assert refused.status_code == 400 and "A suspect who has been charged cannot be arrested" in refused.text


async def test_an_arrest_for_breaching_bail_ends_the_bail_and_adds_three_hours(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    first = await _arrest(db, scene, now - 48 * H, arrived=now - 47 * H)
    await suspects.change_status(db, scene.actor, scene.suspect.id, suspects.Step(
        to="bailed", at=now - 40 * H, bail=suspects.BailTerms(
            return_on=add_months(uk_time(now).date(), 1), authority="custody-officer",
            conditions=[{"kind": "no-contact", "detail": "Carla Benning"}])))
    second = await _arrest(db, scene, now - 2 * H, arrived=now - 2 * H, bail_breach=True)
    view = await custody.read_arrest(db, scene.actor, second.id, now=now)
    assert view.clock.limit == now - 2 * H + 27 * H and view.for_bail_breach
    detail = await suspects.read_suspect(db, scene.actor, scene.suspect.id)
    assert detail.status == "arrested" and detail.current_bail is None
    assert detail.bails[0].end_reason == "Arrested" and detail.history[-1].reason is None
    first_view = await custody.read_arrest(db, scene.actor, first.id, now=now)
    assert first_view.clock.stopped_by == "released" and first_view.release_reason == "Released: bailed"


# -- the custody record ---------------------------------------------------------------------------------------

async def test_the_custody_page_warns_as_each_deadline_nears(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    # Detention authorised 5 hours 20 minutes ago (and half a minute, so the page says 40 minutes however fast
    # the test runs): the first review is due in 40 minutes.
    authorised = now - 5 * H - 20 * M + timedelta(seconds=30)
    arrest = await _arrest(db, scene, authorised - 30 * M, arrived=authorised - 10 * M, authorised=authorised)
    await sign_in(client, scene.staff)
    page = await client.get(f"/crimes/custody/{arrest.id}")
    assert "Review due in 40 minutes" in page.text
    # Another suspect's arrival 24 hours 12 minutes ago, reviewed on time: the limit has passed.
    late_scene = await crime_scene(db, force_a, staff=scene.staff, forename="Lenny")
    arrived = now - 24 * H - 12 * M - timedelta(seconds=30)
    late = await _arrest(db, late_scene, arrived - 15 * M, arrived=arrived, authorised=arrived)
    for hours in (5, 14, 23):
        await custody.record_review(db, scene.actor, late.id, custody.NewReview(
            reviewed_at=arrived + hours * H, by="Insp Shah", rank="inspector"))
    page = await client.get(f"/crimes/custody/{late.id}")
    assert "Detention limit passed 12 minutes ago — release or extend" in page.text
    listing = await client.get("/crimes/custody")
    assert listing.text.index("Lenny") < listing.text.index("Dean")  # the most urgent first


async def test_reviews_extension_warrant_and_release_keep_the_rules(client: httpx.AsyncClient, db: AsyncSession,
                                                                    force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    arrested = now - 20 * H
    arrest = await _arrest(db, scene, arrested)
    await sign_in(client, scene.staff)
    page = await client.get(f"/crimes/custody/{arrest.id}")
    assert "Arrival at the station is not recorded" in page.text
    token = csrf_from(page.text)
    path = f"/crimes/custody/{arrest.id}"
    before = await _counts(db, force_a)

    async def post(action: str, **data: str) -> httpx.Response:
        return await client.post(f"{path}/{action}", data={"csrf_token": token, **data})

    early = await post("arrival", **_when("arrived_at", arrested - H), custody_station="Northfield")
    assert early.status_code == 400 and "The arrival at the station must be after the arrest" in early.text
    assert 'data-testid="arrival-form" open' in early.text
    assert (await post("arrival", **_when("arrived_at", arrested + 30 * M), **_when("authorised_at", arrested + 40 * M),
                       custody_station="Northfield")).status_code == 303
    again = await post("arrival", **_when("arrived_at", arrested + 35 * M))
    assert "The arrival at the station was recorded already" in again.text

    sergeant = await post("review", **_when("reviewed_at", arrested + 6 * H), review_by="Sgt Lee",
                          review_rank="sergeant", continued="yes")
    assert ('href="#review_rank">Detention before charge is reviewed by an officer of one of these ranks'
            in sergeant.text)
    future = await post("review", **_when("reviewed_at", now + 2 * H), review_by="Insp Shah",
                        review_rank="inspector", continued="yes")
    assert 'href="#reviewed_at_day">The time of the review must not be in the future' in future.text
    not_continued = await post("review", **_when("reviewed_at", arrested + 6 * H), review_by="Insp Shah",
                               review_rank="inspector", continued="no")
    assert "Say why detention was not continued" in not_continued.text
    assert (await post("review", **_when("reviewed_at", arrested + 6 * H), review_by="Insp Shah",
                       review_rank="inspector", continued="yes", review_note="Awaiting interview")).status_code == 303
    premature = await post("extension", **_when("extension_at", arrested + 10 * H), extension_by="Supt Ray",
                           extension_rank="superintendent")
    assert "A superintendent&#39;s extension is given only after review 2: 1 review recorded so far" in premature.text
    assert (await post("review", **_when("reviewed_at", arrested + 15 * H), review_by="Insp Shah",
                       review_rank="inspector", continued="yes")).status_code == 303
    wrong_rank = await post("extension", **_when("extension_at", arrested + 16 * H), extension_by="Insp Shah",
                            extension_rank="inspector")
    assert "Only a superintendent or chief superintendent may extend detention" in wrong_rank.text
    after_reviews = await _counts(db, force_a)
    assert after_reviews[3] == before[3] + 2
    extended = await post("extension", **_when("extension_at", arrested + 16 * H), extension_by="Supt Ray",
                          extension_rank="superintendent")
    assert extended.status_code == 303
    page = await client.get(path)
    assert "Extended by a superintendent (36 hours)" in page.text and "Supt Ray (superintendent)" in page.text

    too_long = await post("warrant", **_when("issued_at", arrested + 19 * H), **_when("until", arrested + 60 * H))
    assert "A warrant of further detention runs at most 36 hours from its issue" in too_long.text
    assert (await post("warrant", **_when("issued_at", arrested + 19 * H),
                       **_when("until", arrested + 19 * H + 36 * H), court="Birmingham Magistrates")).status_code == 303

    before_arrest = await post("release", **_when("released_at", arrested - 2 * H), release_reason="x")
    assert 'href="#released_at_day">The release must be after the arrest' in before_arrest.text
    in_future = await post("release", **_when("released_at", now + H), release_reason="x")
    assert "The release must not be in the future" in in_future.text
    no_reason = await post("release", **_when("released_at", now - M), release_reason="")
    assert 'href="#release_reason">Enter the reason for the release' in no_reason.text
    assert (await post("release", **_when("released_at", now - M), release_reason="Released to attend court"
                       )).status_code == 303
    page = await client.get(path)
    assert "Released at" in page.text and "Released to attend court" in page.text
    assert "Record a review" not in page.text
    with pytest.raises(CrimeRefused) as refused:
        await custody.record_review(db, scene.actor, arrest.id, custody.NewReview(
            reviewed_at=now, by="Insp Shah", rank="inspector"))
    assert "no longer detained" in refused.value.errors["reviewed_at"]
    await set_force_context(db, force_a.id)
    warrant = await db.scalar(select(AuditEvent.details).where(AuditEvent.action == "arrest.warrant"))
    assert warrant is not None and warrant["court"] == "Birmingham Magistrates"


async def test_no_extension_or_warrant_for_a_summary_only_arrest(db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a, offences=("common-assault", "harassment"))
    now = datetime.now(UTC)
    arrest = await _arrest(db, scene, now - 20 * H, offences=("common-assault", "harassment"), arrived=now - 20 * H)
    for hours in (5, 14):
        await custody.record_review(db, scene.actor, arrest.id, custody.NewReview(
            reviewed_at=now - 20 * H + hours * H, by="Insp Shah", rank="inspector"))
    with pytest.raises(CrimeRefused) as refused:
        await custody.record_extension(db, scene.actor, arrest.id, at=now - H, by="Supt Ray", rank="superintendent")
    assert "only for an indictable or either-way offence" in refused.value.errors["at"]
    with pytest.raises(CrimeRefused) as refused:
        await custody.record_warrant(db, scene.actor, arrest.id, issued_at=now - H, until=now + 20 * H)
    assert "summary only" in refused.value.errors["issued_at"]


async def _operation(db: AsyncSession, force: ForceData) -> Operation:
    await set_force_context(db, force.id)
    operation = Operation(force_id=force.id, name=f"Operation {force.id}", objective="Arrest wanted DA suspects",
                          starts_on=date.today(), ends_on=date.today() + timedelta(days=6), lead_name="Lead",
                          created_by="test")
    db.add(operation)
    await db.flush()
    return operation


# -- the API and other forces ---------------------------------------------------------------------------------

async def test_the_api_records_an_arrest_and_the_custody_entries_under_the_same_rules(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    elsewhere = await crime_scene(db, force_b)
    other_arrest = await _arrest(db, elsewhere, datetime.now(UTC) - H)
    writer = await create_token(db, force_id=force_a.id, name="custody",
                                scopes=["crimes:write", "arrests:write", "crimes:read"])
    reader = await create_token(db, force_id=force_a.id, name="dash", scopes=["crimes:read"])
    auth = {"Authorization": f"Bearer {writer}"}
    now = datetime.now(UTC)
    theirs = await _operation(db, force_b)
    operation = await _operation(db, force_a)
    body = {"suspect_id": scene.suspect.id, "arrested_at": (now - 3 * H).isoformat(), "place": "Elm Road",
            "offence_codes": ["abh"], "team_id": force_a.teams["operational_support"].id,
            "operation_id": operation.id}
    assert (await client.post("/api/v1/crimes/arrests", json=body,
                              headers={"Authorization": f"Bearer {reader}"})).status_code == 403
    bad = await client.post("/api/v1/crimes/arrests", headers=auth, json={
        **body, "arrested_at": (now + H).isoformat(), "offence_codes": ["treason"],
        "team_id": force_b.teams["operational_support"].id})
    assert bad.status_code == 422
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "arrested_at": "The time of the arrest must not be in the future",
        "offence_codes": "'treason' is not an offence in the catalogue", "team_id": "Choose a team of your force"}
    not_ours = await client.post("/api/v1/crimes/arrests", headers=auth, json={**body, "operation_id": theirs.id})
    assert not_ours.status_code == 422
    assert not_ours.json()["errors"] == [{"field": "operation_id", "message": (
        f"There is no operation {theirs.id} in your force: give the number on the operation's page, or choose "
        "regular response")}]
    missing = await client.post("/api/v1/crimes/arrests", headers=auth,
                                json={**body, "suspect_id": elsewhere.suspect.id})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "suspect_id"
    assert await count(db, Arrest, force_a) == 0
    created = await client.post("/api/v1/crimes/arrests", headers=auth, json=body)
    assert created.status_code == 201, created.text
    arrest = created.json()
    assert arrest["operation_id"] == operation.id and arrest["suspect_status"] == "arrested" and arrest["da_related"]
    assert arrest["clock"]["relevant_time_estimated"] is True and arrest["clock"]["limit_kind"] == "basic"
    assert arrest["clock"]["warnings"][0]["about"] == "arrival"
    path = f"/api/v1/crimes/arrests/{arrest['id']}"
    arrived = await client.post(f"{path}/arrival", headers=auth, json={
        "arrived_at": (now - 2 * H).isoformat(), "authorised_at": (now - 2 * H + 10 * M).isoformat()})
    assert arrived.status_code == 200 and arrived.json()["clock"]["relevant_time_estimated"] is False
    reviewed = await client.post(f"{path}/reviews", headers=auth, json={
        "reviewed_at": (now - H).isoformat(), "by": "Insp Shah", "rank": "inspector"})
    assert reviewed.status_code == 201 and reviewed.json()["clock"]["reviews_done"] == 1
    refused = await client.post(f"{path}/extension", headers=auth, json={
        "at": now.isoformat(), "by": "Supt Ray", "rank": "superintendent"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "at"
    released = await client.post(f"{path}/release", headers=auth, json={
        "released_at": (now - 4 * H).isoformat(), "reason": "x"})
    assert released.status_code == 422
    assert released.json()["errors"][0]["message"].startswith("The release must be after the arrest")
    read = await client.get(path, headers={"Authorization": f"Bearer {reader}"})
    assert read.status_code == 200 and read.json()["clock"]["running"] is True
    assert read.json()["reviews"][0]["by"] == "Insp Shah"
    # Another force's arrest is not found, to read or to act on, on the API or the pages.
    assert (await client.get(f"/api/v1/crimes/arrests/{other_arrest.id}", headers=auth)).status_code == 404
    assert (await client.post(f"/api/v1/crimes/arrests/{other_arrest.id}/release", headers=auth, json={
        "released_at": now.isoformat(), "reason": "x"})).status_code == 404
    await sign_in(client, await make_user(db, force_a, "response_officer"))
    assert (await client.get(f"/crimes/custody/{other_arrest.id}")).status_code == 404
    assert (await client.get(f"/crimes/custody/{arrest['id']}")).status_code == 200  # officers read custody
    await set_force_context(db, force_a.id)
    reads = (await db.scalars(select(AuditEvent.reason).where(AuditEvent.action == "arrest.read"))).all()
    assert len(reads) >= 5 and "recorded through the API" in reads


async def test_a_restricted_detainee_is_listed_without_a_name_and_their_record_is_not_found(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    arrest = await _arrest(db, scene, datetime.now(UTC) - 2 * H, arrived=datetime.now(UTC) - 2 * H)
    keeper = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label="ppu", reason="Officer",
                   person_id=scene.person.id)
    await sign_in(client, scene.staff)
    listing = await client.get("/crimes/custody")
    assert "Restricted person" in listing.text and "Dean" not in listing.text
    assert f"/crimes/custody/{arrest.id}" not in listing.text
    assert (await client.get(f"/crimes/custody/{arrest.id}")).status_code == 404
