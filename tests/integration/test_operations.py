"""Operations on the pages: create one (every field checked), choose targets from the latest harm ranking and the
wanted DA suspects, give them to teams, plan arrest attempts, and record each outcome; an arrest links to the
crime and the suspect. Bad input is refused with a reason and saves nothing; another force's operation is not
found; roles without the permission are refused."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor
from safeguard.crimes import suspects
from safeguard.crimes.models import Arrest, ArrestOffence, Crime, CrimeOffence, Offence, Suspect, SuspectEvent
from safeguard.crimes.service import uk_time
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.operations import attempts, service, targets
from safeguard.operations.demo_seed import add_demo_operation
from safeguard.operations.models import ArrestAttempt, Operation, OperationTarget
from safeguard.people.models import Location, Marker, Person, PersonAddress
from safeguard.targeting.models import HarmRanking, HarmRankingEntry, HarmWeightSet
from tests.conftest import DatabaseUnderTest, ForceData, Staff, csrf_from, make_force, make_user, sign_in
from tests.integration.crime_scene import WHEN, CrimeScene, actor_for, crime_scene

H = timedelta(hours=1)
TODAY = service.uk_today()


@dataclass
class Scene:
    force: ForceData
    lead: Staff
    officer: Staff
    investigator: Staff
    ranked: list[CrimeScene]  # Dean (rank 1) and Evan (rank 2): outstanding DA suspects
    wanted: CrimeScene  # Gary: wanted for a DA crime, not ranked
    loner: Person  # Harry: ranked 3rd, with no crime on record
    entries: list[HarmRankingEntry]

    @property
    def lead_actor(self) -> Actor:
        return actor_for(self.lead, self.force)

    @property
    def officer_actor(self) -> Actor:
        return actor_for(self.officer, self.force)


async def operation_scene(db: AsyncSession, force: ForceData) -> Scene:
    investigator = await make_user(db, force, "ppu_investigator", team_kind="public_protection")
    ranked = [await crime_scene(db, force, forename=name, staff=investigator) for name in ("Dean", "Evan")]
    wanted = await crime_scene(db, force, forename="Gary", staff=investigator)
    await suspects.change_status(db, wanted.actor, wanted.suspect.id, suspects.Step(
        to="wanted", at=WHEN + 3 * H, reason="Not at his address"), now=WHEN + 4 * H)
    loner = Person(force_id=force.id, forename="Harry", surname="Nolan", dob_year=1979)
    home = Location(force_id=force.id, line1="12 Elm Road", town="Northfield", postcode="NF1 2AB")
    db.add_all([loner, home])
    await db.flush()
    db.add_all([PersonAddress(force_id=force.id, person_id=ranked[0].person.id, location_id=home.id,
                              from_date=date(2020, 1, 1)),
                Marker(force_id=force.id, person_id=ranked[0].person.id, kind="weapons", note="Keeps a knife",
                       starts_on=date(2024, 1, 1), set_by="test")])
    weights = HarmWeightSet(force_id=force.id, version=1, weights={}, created_by="test")
    db.add(weights)
    await db.flush()
    ranking = HarmRanking(force_id=force.id, weight_set_id=weights.id, weight_version=1, as_of=TODAY,
                          window_days=1095, engine="duckdb", perpetrators=3, computed_by="test")
    db.add(ranking)
    await db.flush()
    entries = []
    for rank, (person, flags) in enumerate([(ranked[0].person, ["serial", "victim-high-risk"]),
                                            (ranked[1].person, []), (loner, ["active-order"])], start=1):
        entry = HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=rank, person_id=person.id,
                                 score=Decimal(100 - rank * 10), recency=1, frequency=1, gravity=1, victims=1,
                                 total_harm=10, incidents=2, victim_count=1, last_incident_on=WHEN.date(),
                                 flags=flags)
        db.add(entry)
        entries.append(entry)
    await db.flush()
    lead = await make_user(db, force, "operation_lead", team_kind="operational_support")
    officer = await make_user(db, force, "response_officer", team_kind="local_policing")
    return Scene(force, lead, officer, investigator, ranked, wanted, loner, entries)


async def new_operation(db: AsyncSession, scene: Scene, name: str = "Operation Harbour", *,
                        starts: date = TODAY - timedelta(days=2), days: int = 7, status: str = "active") -> Operation:
    await set_force_context(db, scene.force.id, scene.lead.user.id)
    operation = await service.create_operation(db, scene.lead_actor, service.NewOperation(
        name=name, objective="Arrest the highest-harm DA perpetrators", starts_on=starts,
        ends_on=starts + timedelta(days=days - 1), lead_name="DI Lead"))
    if status == "active":
        await service.change_status(db, scene.lead_actor, operation.id, "active")
    elif status == "closed":
        await service.change_status(db, scene.lead_actor, operation.id, "closed")
    return operation


async def add(db: AsyncSession, scene: Scene, operation: Operation, *, entries: Sequence[int] = (),
              suspect_ids: Sequence[int] = (), kind: str = "local_policing") -> targets.Added:
    await set_force_context(db, scene.force.id, scene.lead.user.id)
    return await targets.add_targets(db, scene.lead_actor, operation.id, targets.NewTargets(
        entry_ids=entries, suspect_ids=suspect_ids, team_kind=kind, team_id=scene.force.teams[kind].id))


async def plan(db: AsyncSession, scene: Scene, operation: Operation, target: OperationTarget,
               at: datetime | None = None) -> ArrestAttempt:
    await set_force_context(db, scene.force.id, scene.lead.user.id)
    return await attempts.plan_attempt(db, scene.lead_actor, operation.id, attempts.NewAttempt(
        target_id=target.id, planned_at=at or datetime.now(UTC), address="12 Elm Road, Northfield",
        team_id=scene.force.teams["local_policing"].id))


def errors_in(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)]


def when(prefix: str, at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


def day(prefix: str, on: date) -> dict[str, str]:
    return {f"{prefix}_day": str(on.day), f"{prefix}_month": str(on.month), f"{prefix}_year": str(on.year)}


# -- creating an operation ---------------------------------------------------------------------------------

async def test_a_lead_creates_an_operation_and_each_bad_field_is_named(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    await new_operation(db, scene, "Operation Kestrel", starts=TODAY - timedelta(days=40), status="closed")
    await sign_in(client, scene.lead)
    form = await client.get("/operations/new")
    assert form.status_code == 200 and "New operation" in form.text
    csrf = csrf_from(form.text)
    before = await db.scalar(select(func.count()).select_from(Operation))

    empty = await client.post("/operations/new", data={"csrf_token": csrf, "lead": ""})
    assert empty.status_code == 400
    for message in ("Enter the operation&#39;s name", "Say what the operation sets out to do",
                    "Enter the date the operation starts", "Enter the date the operation ends",
                    "Choose the operation&#39;s lead, or enter their name"):
        assert message in empty.text, message
    backwards = await client.post("/operations/new", data={
        "csrf_token": csrf, "name": "Operation Harbour", "objective": "Arrests", **day("starts_on", TODAY),
        **day("ends_on", TODAY - timedelta(days=1)), "lead": str(scene.lead.user.id)})
    assert backwards.status_code == 400 and "The end date must be the same as or after the start date" in backwards.text
    assert 'href="#ends_on_day"' in backwards.text
    too_long = await client.post("/operations/new", data={
        "csrf_token": csrf, "name": "Operation Harbour", "objective": "Arrests", **day("starts_on", TODAY),
        **day("ends_on", TODAY + timedelta(days=31)), "lead": str(scene.lead.user.id)})
    assert too_long.status_code == 400 and "An operation runs for at most 31 days" in too_long.text
    taken = await client.post("/operations/new", data={
        "csrf_token": csrf, "name": "operation  kestrel", "objective": "Arrests", **day("starts_on", TODAY),
        **day("ends_on", TODAY + timedelta(days=6)), "lead": str(scene.lead.user.id)})
    assert taken.status_code == 400 and "already has an operation called operation kestrel" in taken.text
    not_a_lead = await client.post("/operations/new", data={
        "csrf_token": csrf, "name": "Operation Harbour", "objective": "Arrests", **day("starts_on", TODAY),
        **day("ends_on", TODAY + timedelta(days=6)), "lead": str(scene.officer.user.id)})
    assert not_a_lead.status_code == 400 and "Choose a lead from your force&#39;s operation leads" in not_a_lead.text
    assert await db.scalar(select(func.count()).select_from(Operation)) == before

    made = await client.post("/operations/new", data={
        "csrf_token": csrf, "name": " Operation   Harbour ", "objective": "Arrest the top of the list",
        **day("starts_on", TODAY), **day("ends_on", TODAY + timedelta(days=30)), "lead": str(scene.lead.user.id)})
    assert made.status_code == 303, errors_in(made.text)
    page = await client.get(made.headers["location"])
    assert page.status_code == 200
    for expected in ("Operation Harbour created. Choose its targets next.", "Arrest the top of the list",
                     scene.lead.user.display_name, "Start the operation", "Close the operation", "Choose targets",
                     "/board", "/results"):
        assert expected in page.text, expected
    listing = await client.get("/operations")
    assert listing.status_code == 200
    assert listing.text.index("Operation Harbour") < listing.text.index("Operation Kestrel")  # newest first
    operation = await db.scalar(select(Operation).where(Operation.name == "Operation Harbour"))
    assert operation is not None and operation.status == "planned" and operation.lead_user_id == scene.lead.user.id
    started = await client.post(f"/operations/{operation.id}/status", data={"csrf_token": csrf, "to": "active"})
    assert started.status_code == 303
    assert "started: officers can now record attempts" in (await client.get(started.headers["location"])).text


# -- targets -----------------------------------------------------------------------------------------------

async def test_targets_come_from_the_ranking_and_the_wanted_list_with_their_suspect_records(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    await sign_in(client, scene.lead)
    page = await client.get(f"/operations/{operation.id}/targets/add")
    assert page.status_code == 200
    for expected in ("Dean Holloway", "Evan Holloway", "Harry Nolan", "Serial perpetrator",
                     "Victim&#39;s latest DASH is high", "Active order", "Gary Holloway", scene.wanted.crime.reference):
        assert expected in page.text, expected
    # The ranked list comes first, in rank order, and only the wanted list holds Gary.
    assert page.text.index("Dean Holloway") < page.text.index("Evan Holloway") < page.text.index("Harry Nolan")
    read = (await db.scalars(select(AuditEvent.details).where(AuditEvent.action == "operation.read")
                             .order_by(AuditEvent.id.desc()))).first()
    assert read is not None and read["page"] == "add targets"
    assert set(read["person_ids"]) == {scene.ranked[0].person.id, scene.ranked[1].person.id, scene.loner.id,
                                       scene.wanted.person.id}

    csrf = csrf_from(page.text)
    nothing = await client.post(f"/operations/{operation.id}/targets/add", data={"csrf_token": csrf})
    assert nothing.status_code == 400
    assert "Choose at least one person from the ranked list or the wanted list" in nothing.text
    assert "Choose public protection, operational support or local policing" in nothing.text
    wrong_team = await client.post(f"/operations/{operation.id}/targets/add", data={
        "csrf_token": csrf, "entry": str(scene.entries[0].id), "team_kind": "public_protection",
        "team": str(force_a.teams["local_policing"].id)})
    assert wrong_team.status_code == 400 and "is not a public protection team" in wrong_team.text
    assert await db.scalar(select(func.count()).select_from(OperationTarget)) == 0

    added = await client.post(f"/operations/{operation.id}/targets/add", data={
        "csrf_token": csrf, "entry": [str(scene.entries[0].id), str(scene.entries[2].id)],
        "suspect": str(scene.wanted.suspect.id), "team_kind": "public_protection",
        "team": str(force_a.teams["public_protection"].id)})
    assert added.status_code == 303, errors_in(added.text)
    overview = await client.get(added.headers["location"])
    assert "3 targets added." in overview.text
    rows = {t.person_id: t for t in await db.scalars(select(OperationTarget))}
    dean, harry, gary = rows[scene.ranked[0].person.id], rows[scene.loner.id], rows[scene.wanted.person.id]
    assert (dean.source, dean.ranking_entry_id, dean.suspect_id) == ("ranking", scene.entries[0].id,
                                                                      scene.ranked[0].suspect.id)
    assert (harry.source, harry.suspect_id) == ("ranking", None)  # no crime on record: nothing to link
    assert (gary.source, gary.ranking_entry_id, gary.suspect_id) == ("wanted", None, scene.wanted.suspect.id)
    assert {t.team_kind for t in rows.values()} == {"public_protection"}
    assert all(t.status == "outstanding" and not t.overlaps for t in rows.values())
    for expected in ("Public protection: 3 targets, 0 arrested", "Dean Holloway", "Serial perpetrator",
                     "No open suspect record", scene.wanted.crime.reference):
        assert expected in overview.text, expected

    # Choosing the same people again skips them, with a message, and adds the one who is new.
    again = await client.post(f"/operations/{operation.id}/targets/add", data={
        "csrf_token": csrf, "entry": [str(scene.entries[0].id), str(scene.entries[1].id)],
        "team_kind": "local_policing"})
    assert again.status_code == 303
    shown = (await client.get(again.headers["location"])).text
    assert "1 target added." in shown and "Dean Holloway is already a target of this operation: skipped." in shown
    assert await db.scalar(select(func.count()).select_from(OperationTarget)) == 4
    form = await client.get(f"/operations/{operation.id}/targets/add")
    assert form.text.count("Already a target") == 4


async def test_a_person_in_two_overlapping_operations_is_allowed_and_flagged_on_both(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    first = await new_operation(db, scene, "Operation Harbour")
    later = await new_operation(db, scene, "Operation Later", starts=TODAY + timedelta(days=10), status="planned")
    await add(db, scene, first, entries=[scene.entries[0].id, scene.entries[1].id])
    await add(db, scene, later, entries=[scene.entries[1].id])  # dates apart: no flag
    overlapping = await new_operation(db, scene, "Operation Overlap", starts=TODAY, status="planned")
    result = await add(db, scene, overlapping, entries=[scene.entries[0].id], kind="operational_support")
    assert [t.person_id for t in result.added] == [scene.ranked[0].person.id]
    assert result.overlaps == [("Dean Holloway", ["Operation Harbour"])]
    assert any("Warning: Dean Holloway is also a target of Operation Harbour" in m for m in result.messages)
    flags = {(t.operation_id, t.person_id): t.overlaps for t in await db.scalars(
        select(OperationTarget).execution_options(populate_existing=True))}
    assert flags == {(first.id, scene.ranked[0].person.id): True, (first.id, scene.ranked[1].person.id): False,
                     (later.id, scene.ranked[1].person.id): False,
                     (overlapping.id, scene.ranked[0].person.id): True}
    await sign_in(client, scene.lead)
    for operation, other in ((first, "Operation Overlap"), (overlapping, "Operation Harbour")):
        page = await client.get(f"/operations/{operation.id}")
        assert f"Also a target of {other}, whose dates overlap" in page.text
    # The page says so when the lead adds them.
    third = await new_operation(db, scene, "Operation Third", starts=TODAY, status="planned")
    form = await client.get(f"/operations/{third.id}/targets/add")
    response = await client.post(f"/operations/{third.id}/targets/add", data={
        "csrf_token": csrf_from(form.text), "entry": str(scene.entries[0].id), "team_kind": "local_policing"})
    assert response.status_code == 303
    shown = (await client.get(response.headers["location"])).text
    assert "Warning: Dean Holloway is also a target of Operation Harbour, Operation Overlap" in shown


async def test_a_target_changes_team_and_is_withdrawn_with_a_reason(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    target = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    await sign_in(client, scene.lead)
    page = await client.get(f"/operations/{operation.id}/targets/{target.id}")
    assert page.status_code == 200 and "Local policing" in page.text and "Plan an arrest attempt" in page.text
    csrf = csrf_from(page.text)
    wrong = await client.post(f"/operations/{operation.id}/targets/{target.id}/team", data={
        "csrf_token": csrf, "team_kind": "operational_support", "team": str(force_a.teams["public_protection"].id)})
    assert wrong.status_code == 400 and "Public protection is not a operational support team" in wrong.text
    moved = await client.post(f"/operations/{operation.id}/targets/{target.id}/team", data={
        "csrf_token": csrf, "team_kind": "operational_support", "team": str(force_a.teams["operational_support"].id)})
    assert moved.status_code == 303
    assert "Team changed." in (await client.get(moved.headers["location"])).text
    no_reason = await client.post(f"/operations/{operation.id}/targets/{target.id}/withdraw",
                                  data={"csrf_token": csrf, "reason": "  "})
    assert no_reason.status_code == 400 and "Say why the target is withdrawn" in no_reason.text
    gone = await client.post(f"/operations/{operation.id}/targets/{target.id}/withdraw",
                             data={"csrf_token": csrf, "reason": "On remand for another matter"})
    assert gone.status_code == 303
    shown = (await client.get(gone.headers["location"])).text
    assert "Withdrawn" in shown and "On remand for another matter" in shown and "Plan an arrest attempt" not in shown
    row = await db.scalar(select(OperationTarget).execution_options(populate_existing=True))
    assert row is not None and (row.status, row.team_kind, row.team_id) == (
        "withdrawn", "operational_support", force_a.teams["operational_support"].id)
    # A withdrawn target gets no more attempts.
    with pytest.raises(service.OperationRefused, match="withdrawn from this operation"):
        await plan(db, scene, operation, row)


# -- attempts ----------------------------------------------------------------------------------------------

async def test_a_lead_plans_an_attempt_at_the_current_address(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    target = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    await sign_in(client, scene.lead)
    form = await client.get(f"/operations/{operation.id}/targets/{target.id}/attempts/new")
    assert form.status_code == 200
    assert 'value="12 Elm Road, Northfield, NF1 2AB"' in form.text  # prefilled from the current address
    csrf = csrf_from(form.text)
    outside = await client.post(f"/operations/{operation.id}/targets/{target.id}/attempts/new", data={
        "csrf_token": csrf, "address": "", **when("planned_at", datetime.now(UTC) + timedelta(days=30)), "team": ""})
    assert outside.status_code == 400
    for message in ("Plan the attempt within the operation", "Enter the address to attend",
                    "Choose the team that makes the attempt"):
        assert message in outside.text, message
    bad_time = await client.post(f"/operations/{operation.id}/targets/{target.id}/attempts/new", data={
        "csrf_token": csrf, "address": "", **day("planned_at", TODAY), "planned_at_time": "25:00", "team": ""})
    assert bad_time.status_code == 400 and "must be a 24-hour time" in bad_time.text
    assert "Enter the address to attend" in bad_time.text  # the other fields are checked too
    assert await db.scalar(select(func.count()).select_from(ArrestAttempt)) == 0
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    made = await client.post(f"/operations/{operation.id}/targets/{target.id}/attempts/new", data={
        "csrf_token": csrf, "address": "12 Elm Road, Northfield, NF1 2AB", **when("planned_at", at),
        "team": str(force_a.teams["local_policing"].id)})
    assert made.status_code == 303, errors_in(made.text)
    attempt = await db.scalar(select(ArrestAttempt))
    assert attempt is not None and attempt.planned_at == at and attempt.location_id is not None
    assert attempt.planned_by == scene.lead.user.username and attempt.outcome is None
    overview = await client.get(f"/operations/{operation.id}")
    assert "Planned: 1" in overview.text


@pytest.mark.parametrize("outcome", ["not-present", "address-invalid", "wanted-elsewhere", "other"])
async def test_an_officer_records_an_attempt_that_did_not_arrest(
        outcome: str, client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    target = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    attempt = await plan(db, scene, operation, target)
    await sign_in(client, scene.officer)
    today = await client.get(f"/operations/{operation.id}/attempts")
    assert today.status_code == 200 and "Dean Holloway" in today.text and "Your team" in today.text
    page = await client.get(f"/operations/{operation.id}/attempts/{attempt.id}")
    assert page.status_code == 200
    for expected in ("Weapons: Keeps a knife", "12 Elm Road", "Arrested", "Not present", "Address no longer valid",
                     "Wanted elsewhere", "Other", scene.ranked[0].crime.reference):
        assert expected in page.text, expected
    csrf = csrf_from(page.text)
    at = datetime.now(UTC) - H
    if outcome == "other":
        refused = await client.post(f"/operations/{operation.id}/attempts/{attempt.id}", data={
            "csrf_token": csrf, "outcome": "other", **when("attempted_at", at)})
        assert refused.status_code == 400 and "Say what happened" in refused.text
    response = await client.post(f"/operations/{operation.id}/attempts/{attempt.id}", data={
        "csrf_token": csrf, "outcome": outcome, "notes": "Neighbour says he left in March", **when("attempted_at", at)})
    assert response.status_code == 303, errors_in(response.text)
    row = await db.scalar(select(ArrestAttempt).execution_options(populate_existing=True))
    assert row is not None and row.outcome == outcome and row.arrest_id is None
    assert row.attempted_at == at.replace(second=0, microsecond=0) and row.recorded_by == scene.officer.user.username
    assert row.notes == "Neighbour says he left in March"
    assert (await db.scalar(select(OperationTarget.status))) == "outstanding"
    assert await db.scalar(select(func.count()).select_from(Arrest)) == 0


async def test_an_arrest_at_an_attempt_links_the_crime_the_suspect_and_the_operation(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    target = (await add(db, scene, operation, suspect_ids=[scene.wanted.suspect.id])).added[0]
    attempt = await plan(db, scene, operation, target)
    await sign_in(client, scene.officer)
    page = await client.get(f"/operations/{operation.id}/attempts/{attempt.id}")
    # The crime's offences are offered and ticked; the rest of the catalogue is one tap away.
    assert 'name="offence" type="checkbox" value="coercive-control" checked' in page.text
    assert 'value="strangulation"' in page.text
    csrf = csrf_from(page.text)
    at = datetime.now(UTC) - H
    no_offence = await client.post(f"/operations/{operation.id}/attempts/{attempt.id}", data={
        "csrf_token": csrf, "outcome": "arrested", **when("attempted_at", at)})
    assert no_offence.status_code == 400
    assert "Choose at least one offence the suspect was arrested for" in no_offence.text
    assert 'href="#offence_codes"' in no_offence.text
    response = await client.post(f"/operations/{operation.id}/attempts/{attempt.id}", data={
        "csrf_token": csrf, "outcome": "arrested", "offence": ["coercive-control", "strangulation"],
        "place": "", **when("attempted_at", at)})
    assert response.status_code == 303, errors_in(response.text)
    listing = await client.get(response.headers["location"])
    assert re.search(r"Arrest recorded \(arrest \d+\)\. The custody clock is running\.", listing.text)
    arrest = await db.scalar(select(Arrest))
    assert arrest is not None
    assert (arrest.suspect_id, arrest.person_id, arrest.operation_id) == (
        scene.wanted.suspect.id, scene.wanted.person.id, operation.id)
    assert arrest.place == "12 Elm Road, Northfield" and arrest.team_id == force_a.teams["local_policing"].id
    assert arrest.da_related and arrest.arrested_by == scene.officer.user.username
    codes = set(await db.scalars(select(ArrestOffence.offence_id)))
    assert len(codes) == 2
    suspect = await db.scalar(select(Suspect).where(Suspect.id == scene.wanted.suspect.id)
                              .execution_options(populate_existing=True))
    assert suspect is not None and suspect.status == "arrested" and suspect.wanted_since is None
    event = await db.scalar(select(SuspectEvent).order_by(SuspectEvent.id.desc()).limit(1))
    assert event is not None and (event.from_status, event.to_status) == ("wanted", "arrested")
    assert event.details == {"arrest_id": arrest.id}
    row = await db.scalar(select(ArrestAttempt).execution_options(populate_existing=True))
    assert row is not None and (row.outcome, row.arrest_id) == ("arrested", arrest.id)
    assert (await db.scalar(select(OperationTarget.status).execution_options(populate_existing=True))) == "arrested"
    recorded = await client.get(f"/operations/{operation.id}/attempts/{attempt.id}")
    assert "Arrested" in recorded.text and f'href="/crimes/custody/{arrest.id}"' in recorded.text
    assert "Record the outcome" not in recorded.text
    # A second arrest for the same attempt is refused, saying what was recorded, and nothing is added.
    second = await client.post(f"/operations/{operation.id}/attempts/{attempt.id}", data={
        "csrf_token": csrf, "outcome": "arrested", "offence": "coercive-control", **when("attempted_at", at)})
    assert second.status_code == 409
    assert f"This attempt was already recorded as Arrested at {suspects.uk_text(at.replace(second=0))}" in second.text
    assert scene.officer.user.username in second.text
    assert await db.scalar(select(func.count()).select_from(Arrest)) == 1
    overview = await client.get(f"/operations/{operation.id}")
    assert "1 arrested" in overview.text and f"arrest {arrest.id}" in overview.text


# -- refusals ----------------------------------------------------------------------------------------------

async def test_attempts_are_refused_outside_their_operation_when_closed_and_without_a_suspect(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    other = await new_operation(db, scene, "Operation Other")
    added = await add(db, scene, operation, entries=[scene.entries[0].id, scene.entries[2].id])
    dean, harry = sorted(added.added, key=lambda t: t.ranking_entry_id or 0)
    elsewhere = (await add(db, scene, other, entries=[scene.entries[1].id])).added[0]
    attempt = await plan(db, scene, operation, dean)
    lonely = await plan(db, scene, operation, harry)
    # A target of another operation cannot be planned here.
    with pytest.raises(service.OperationRefused) as refused:
        await plan(db, scene, operation, elsewhere)
    assert refused.value.errors == {"target_id": f"Target {elsewhere.id} is not a target of Operation Harbour"}
    await sign_in(client, scene.officer)
    # The address pairs the operation and the attempt: the wrong operation is not found.
    assert (await client.get(f"/operations/{other.id}/attempts/{attempt.id}")).status_code == 404
    page = await client.get(f"/operations/{operation.id}/attempts/{attempt.id}")
    csrf = csrf_from(page.text)
    at = datetime.now(UTC) - H
    wrong = await client.post(f"/operations/{other.id}/attempts/{attempt.id}", data={
        "csrf_token": csrf, "outcome": "not-present", **when("attempted_at", at)})
    assert wrong.status_code == 404
    # A target with no suspect record cannot be arrested: the officer is told to record the crime first.
    no_suspect = await client.post(f"/operations/{operation.id}/attempts/{lonely.id}", data={
        "csrf_token": csrf, "outcome": "arrested", "offence": "abh", **when("attempted_at", at)})
    assert no_suspect.status_code == 400
    assert "Harry Nolan has no open suspect record for a domestic abuse crime" in no_suspect.text
    assert "record the crime and the suspect first" in no_suspect.text
    # An operation lead may record attempts, but an arrest is the arresting officer's to record.
    await set_force_context(db, force_a.id, scene.lead.user.id)
    with pytest.raises(service.OperationRefused, match="Your role does not record arrests"):
        await attempts.record_outcome(db, scene.lead_actor, operation.id, attempt.id, attempts.Outcome(
            outcome="arrested", offence_codes=["abh"]))
    # A closed operation takes no more outcomes.
    await service.change_status(db, scene.lead_actor, operation.id, "closed")
    closed = await client.post(f"/operations/{operation.id}/attempts/{attempt.id}", data={
        "csrf_token": csrf, "outcome": "not-present", **when("attempted_at", at)})
    assert closed.status_code == 409 and "Operation Harbour is closed" in closed.text
    assert await db.scalar(select(func.count()).select_from(ArrestAttempt).where(
        ArrestAttempt.outcome.is_not(None))) == 0
    assert await db.scalar(select(func.count()).select_from(Arrest)) == 0
    with pytest.raises(service.OperationConflict, match="is closed"):
        await add(db, scene, operation, entries=[scene.entries[1].id])


async def test_a_planned_operation_takes_no_outcomes_until_started(db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene, status="planned")
    target = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    attempt = await plan(db, scene, operation, target)
    await set_force_context(db, force_a.id, scene.officer.user.id)
    with pytest.raises(service.OperationConflict, match="has not started"):
        await attempts.record_outcome(db, scene.officer_actor, operation.id, attempt.id,
                                      attempts.Outcome(outcome="not-present"))


async def test_another_forces_operation_is_not_found_and_roles_without_the_permission_are_refused(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    target = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    attempt = await plan(db, scene, operation, target)
    outsider = await make_user(db, force_b, "operation_lead")
    await sign_in(client, outsider)
    for path in (f"/operations/{operation.id}", f"/operations/{operation.id}/targets/add",
                 f"/operations/{operation.id}/targets/{target.id}", f"/operations/{operation.id}/attempts",
                 f"/operations/{operation.id}/attempts/{attempt.id}",
                 f"/operations/{operation.id}/targets/{target.id}/attempts/new"):
        assert (await client.get(path)).status_code == 404, path
    assert "Operation Harbour" not in (await client.get("/operations")).text
    handler = await make_user(db, force_a, "call_handler")
    client.cookies.clear()
    await sign_in(client, handler)
    assert (await client.get("/operations")).status_code == 403
    client.cookies.clear()
    await sign_in(client, scene.officer)
    assert (await client.get(f"/operations/{operation.id}")).status_code == 200
    assert (await client.get("/operations/new")).status_code == 403
    assert (await client.get(f"/operations/{operation.id}/targets/add")).status_code == 403
    csrf = csrf_from((await client.get("/operations")).text)
    assert (await client.post(f"/operations/{operation.id}/status",
                              data={"csrf_token": csrf, "to": "closed"})).status_code == 403


# -- the demo ----------------------------------------------------------------------------------------------

async def test_the_demo_seed_runs_a_closed_and_a_live_operation_once(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    occurred = datetime.now(UTC) - timedelta(days=90)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
            lead = await make_user(s, force, "operation_lead", username="oplead")
            offence = await s.scalar(select(Offence).where(Offence.code == "abh"))
            assert offence is not None
            weights = HarmWeightSet(force_id=force.id, version=1, weights={}, created_by="test")
            s.add(weights)
            await s.flush()
            ranking = HarmRanking(force_id=force.id, weight_set_id=weights.id, weight_version=1, as_of=TODAY,
                                  window_days=1095, engine="duckdb", perpetrators=36, computed_by="test")
            s.add(ranking)
            await s.flush()
            for n in range(36):
                person = Person(force_id=force.id, forename=f"Perp{n}", surname="Demo")
                home = Location(force_id=force.id, line1=f"{n} Demo Street", town="Northfield")
                s.add_all([person, home])
                await s.flush()
                crime = Crime(force_id=force.id, reference=f"CR-D-{n}", occurred_at=occurred, recorded_at=occurred,
                              recorded_by="test", da_related=True)
                s.add_all([crime, PersonAddress(force_id=force.id, person_id=person.id, location_id=home.id),
                           HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=n + 1, person_id=person.id,
                                            score=100 - n, recency=1, frequency=1, gravity=1, victims=1, total_harm=1,
                                            incidents=1, victim_count=1, last_incident_on=occurred.date(), flags=[])])
                await s.flush()
                wanted = n % 2 == 0
                s.add_all([CrimeOffence(force_id=force.id, crime_id=crime.id, offence_id=offence.id, principal=True),
                           Suspect(force_id=force.id, crime_id=crime.id, person_id=person.id,
                                   status="wanted" if wanted else "outstanding", status_since=occurred,
                                   wanted_since=occurred if wanted else None)])
    finally:
        await engine.dispose()
    add_demo_operation(fresh_db.admin_url)
    add_demo_operation(fresh_db.admin_url)  # idempotent
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        operations = {name: (status, starts, ends, lead_name, op_id) for name, status, starts, ends, lead_name, op_id
                      in conn.execute("SELECT name, status, starts_on, ends_on, lead_name, id FROM operation")}
        assert set(operations) == {"Operation Kestrel", "Operation Harbour"}
        status, starts, ends, lead_name, harbour = operations["Operation Harbour"]
        assert status == "active" and starts <= TODAY <= ends and (ends - starts).days == 6
        assert lead_name == lead.user.display_name
        k_status, _, k_ends, _, kestrel = operations["Operation Kestrel"]
        assert k_status == "closed" and k_ends < TODAY - timedelta(days=20)
        kinds = dict(conn.execute("SELECT team_kind, count(*) FROM operation_target WHERE operation_id = %s "
                                  "GROUP BY team_kind", (harbour,)).fetchall())
        assert kinds == {"public_protection": 9, "operational_support": 8, "local_policing": 8}
        assert conn.execute("SELECT count(*) FROM operation_target WHERE suspect_id IS NULL").fetchone() == (0,)
        planned = conn.execute("""SELECT (planned_at AT TIME ZONE 'Europe/London')::date, count(*) FROM arrest_attempt
                                  WHERE operation_id = %s AND outcome IS NULL GROUP BY 1""", (harbour,)).fetchall()
        assert {on for on, _ in planned} == {TODAY, TODAY + timedelta(days=1)}
        outcomes = dict(conn.execute("SELECT outcome, count(*) FROM arrest_attempt WHERE operation_id = %s "
                                     "AND outcome IS NOT NULL GROUP BY outcome", (harbour,)).fetchall())
        assert outcomes["arrested"] == 5 and sum(outcomes.values()) == 11
        # Every arrest keeps the lifecycle: its attempt, its target, its suspect and the suspect's event.
        for operation_id, arrests, suspect_status in ((harbour, 5, "arrested"),
                                                      (kestrel, 3, "released-under-investigation")):
            rows = conn.execute("""
                SELECT a.id, s.status, t.status, att.outcome,
                       (SELECT count(*) FROM suspect_event e WHERE e.suspect_id = s.id AND e.to_status = 'arrested'
                        AND (e.details ->> 'arrest_id')::bigint = a.id),
                       (SELECT count(*) FROM arrest_offence o WHERE o.arrest_id = a.id)
                FROM arrest a JOIN suspect s ON s.id = a.suspect_id
                JOIN arrest_attempt att ON att.arrest_id = a.id
                JOIN operation_target t ON t.id = att.target_id
                WHERE a.operation_id = %s""", (operation_id,)).fetchall()
            assert len(rows) == arrests
            assert all(row[1:] == (suspect_status, "arrested", "arrested", 1, 1) for row in rows), rows
        assert conn.execute("SELECT count(*) FROM operation_target t JOIN operation_target u ON u.person_id = "
                            "t.person_id AND u.id <> t.id").fetchone() == (0,)
