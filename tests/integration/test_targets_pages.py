"""The harm-ranking pages: the newest list with its header, breakdown, flags, filter, pages and CSV; a person's
score explained in words and audited; past lists; weight versions and a new one with every problem named;
"Rank now"; and the fairness report counted against hand-made data. Another force's list is not found, and a
role without targets:read is refused."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import ROLES
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes.models import Crime, CrimePerson, Suspect
from safeguard.crimes.service import UK, uk_time
from safeguard.db.session import set_force_context
from safeguard.force.models import Area
from safeguard.people.models import Location, Person, PersonAddress
from safeguard.targeting import fairness
from safeguard.targeting.models import HarmRanking, HarmRankingEntry, HarmWeightSet
from safeguard.targeting.weights import DEFAULT_WEIGHTS
from tests.conftest import ForceData, Staff, csrf_from, make_user, sign_in

AS_OF = uk_time(datetime.now(UTC)).date() - timedelta(days=30)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), UK)


@dataclass
class Scene:
    force: ForceData
    southgate: Area
    ranking: HarmRanking
    weights: HarmWeightSet
    people: dict[str, Person]
    entries: dict[str, HarmRankingEntry]


def actor_of(staff: Staff, force: ForceData) -> Actor:
    return Actor(kind="user", force_id=force.id, label=staff.user.username,
                 permissions=ROLES[staff.user.role].permissions, user_id=staff.user.id, role=staff.user.role)


async def _incident(db: AsyncSession, force: ForceData, when: datetime, suspect: Person, victim: Person | None, *,
                    area_id: int | None, location_id: int | None = None, da: bool = True) -> Incident:
    count = await db.scalar(select(func.count()).select_from(Incident))
    incident = Incident(force_id=force.id, reference=f"INC-R-{force.id}-{count}", occurred_at=when, da_related=da,
                        area_id=area_id, location_id=location_id)
    db.add(incident)
    await db.flush()
    db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id, role="suspect"))
    if victim is not None:
        db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"))
    await db.flush()
    return incident


async def scene(db: AsyncSession, force: ForceData) -> Scene:
    """Three listed perpetrators and one DA suspect who is not listed, with victims of every gender record.

    - Adam (male): DA incidents 60 and 30 days before the list's date in Northfield, victims Vera then Victor;
    - Beth (female): a DA incident in Southgate (known only from its location), victim Val (gender unknown);
    - Carl (male): a DA crime with no incident and no area, victim Viv; his current address is in Southgate;
    - Dan (male, not listed): a DA incident in Northfield 20 days before, victim Vicky; and one in Southgate
      long before the window, which must not set his area;
    - Eddie: a DA incident only before the window; Fred: a non-DA incident in the window. Neither counts.
    """
    await set_force_context(db, force.id)
    southgate = Area(force_id=force.id, code=f"{force.force.code}-S", name="Southgate")
    db.add(southgate)
    await db.flush()
    south_street = Location(force_id=force.id, area_id=southgate.id, line1="1 South Street", town="Southgate")
    db.add(south_street)
    people = {name: Person(force_id=force.id, forename=name, surname="Tester", gender=gender, dob_year=1980)
              for name, gender in [("Adam", "male"), ("Beth", "female"), ("Carl", "male"), ("Dan", "male"),
                                   ("Eddie", "male"), ("Fred", "male"), ("Vera", "female"), ("Victor", "male"),
                                   ("Val", "unknown"), ("Viv", "female"), ("Vicky", "female")]}
    db.add_all(people.values())
    await db.flush()
    p = people
    north = force.area.id
    await _incident(db, force, at(AS_OF - timedelta(days=60)), p["Adam"], p["Vera"], area_id=north)
    await _incident(db, force, at(AS_OF - timedelta(days=30)), p["Adam"], p["Victor"], area_id=north)
    await _incident(db, force, at(AS_OF - timedelta(days=45)), p["Beth"], p["Val"], area_id=None,
                    location_id=south_street.id)
    await _incident(db, force, at(AS_OF - timedelta(days=20)), p["Dan"], p["Vicky"], area_id=north)
    await _incident(db, force, at(AS_OF - timedelta(days=2000)), p["Dan"], p["Vicky"], area_id=southgate.id)
    await _incident(db, force, at(AS_OF - timedelta(days=2000)), p["Eddie"], p["Vicky"], area_id=north)
    await _incident(db, force, at(AS_OF - timedelta(days=10)), p["Fred"], p["Vicky"], area_id=north, da=False)
    crime = Crime(force_id=force.id, reference=f"CR-R-{force.id}", occurred_at=at(AS_OF - timedelta(days=50)),
                  recorded_at=at(AS_OF - timedelta(days=50)), recorded_by="test", da_related=True)
    db.add(crime)
    db.add(PersonAddress(force_id=force.id, person_id=p["Carl"].id, location_id=south_street.id))
    await db.flush()
    db.add_all([Suspect(force_id=force.id, crime_id=crime.id, person_id=p["Carl"].id),
                CrimePerson(force_id=force.id, crime_id=crime.id, person_id=p["Viv"].id, role="victim")])
    weights = HarmWeightSet(force_id=force.id, version=1, weights=DEFAULT_WEIGHTS.model_dump(mode="json"),
                            note="Safeguard's defaults", created_by="analyst")
    db.add(weights)
    await db.flush()
    ranking = HarmRanking(force_id=force.id, weight_set_id=weights.id, weight_version=1, as_of=AS_OF,
                          window_days=1095, engine="duckdb", perpetrators=3, computed_by="Ana Analyst",
                          seconds=Decimal("0.412"))
    db.add(ranking)
    await db.flush()
    entries = {
        "Adam": HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=1, person_id=p["Adam"].id,
                                 score=Decimal("18.5099"), recency=Decimal("5"), frequency=Decimal("2"),
                                 gravity=Decimal("7.5099"), victims=Decimal("4"), total_harm=Decimal("1826.00"),
                                 incidents=2, victim_count=2, last_incident_on=AS_OF - timedelta(days=30),
                                 flags=["serial", "wanted"]),
        "Beth": HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=2, person_id=p["Beth"].id,
                                 score=Decimal("7.6931"), recency=Decimal("5"), frequency=Decimal("1"),
                                 gravity=Decimal("0.6931"), victims=Decimal("2"), total_harm=Decimal("1.00"),
                                 incidents=1, victim_count=1, last_incident_on=AS_OF - timedelta(days=45),
                                 flags=["active-order"]),
        "Carl": HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=3, person_id=p["Carl"].id,
                                 score=Decimal("7.0"), recency=Decimal("5"), frequency=Decimal("1"),
                                 gravity=Decimal("0"), victims=Decimal("1"), total_harm=Decimal("0"),
                                 incidents=1, victim_count=1, last_incident_on=AS_OF - timedelta(days=50),
                                 flags=[]),
    }
    db.add_all(entries.values())
    await db.flush()
    return Scene(force, southgate, ranking, weights, people, entries)


async def signed_in(client: httpx.AsyncClient, db: AsyncSession, force: ForceData, role: str = "analyst") -> Staff:
    staff = await make_user(db, force, role)
    assert (await sign_in(client, staff)).status_code == 303
    return staff


async def _events(db: AsyncSession, force: ForceData, action: str) -> list[AuditEvent]:
    await set_force_context(db, force.id)
    return list(await db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# -- the list ----------------------------------------------------------------------------------------------

async def test_the_newest_list_shows_its_header_breakdown_flags_and_the_critique(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    older = HarmRanking(force_id=force_a.id, weight_set_id=s.weights.id, weight_version=1,
                        as_of=AS_OF - timedelta(days=7), window_days=730, engine="spark", perpetrators=9,
                        computed_by="someone", computed_at=at(AS_OF - timedelta(days=7)))
    db.add(older)
    await db.flush()
    await signed_in(client, db, force_a, "ppu_investigator")
    page = await client.get("/targets")
    assert page.status_code == 200, page.text
    text = page.text
    assert f'href="/targets/rankings/{s.ranking.id}"' in text  # the newest, not the older one
    assert 'href="/targets/weights/1"' in text and "3 years (1,095 days)" in text
    assert "DuckDB (one machine)" in text and "by Ana Analyst" in text
    assert 'data-testid="perpetrators">3<' in text
    assert "use this list to start a conversation, not to end one" in text
    adam = s.entries["Adam"]
    assert f'<a class="govuk-link" href="/people/{s.people["Adam"].id}">Adam Tester</a>' in text
    assert text.index("Adam Tester") < text.index("Beth Tester") < text.index("Carl Tester")
    assert "18.51" in text and "Gravity 7.51" in text and "Victims 4.00" in text and "1,826.00" in text
    assert f"/targets/rankings/{s.ranking.id}/entries/{adam.id}" in text
    assert 'govuk-tag--red govuk-!-margin-bottom-1">Serial<' in text
    assert ">Wanted<" in text and ">Active order<" in text
    assert f"/targets/rankings/{s.ranking.id}.csv" in text
    # An investigator may read but not rank.
    assert 'data-testid="rank-now"' not in text
    events = await _events(db, force_a, "harm_ranking.read")
    assert [e.object_id for e in events] == [str(s.ranking.id)]
    # Filtered by a flag, only those carrying it are shown.
    only = await client.get("/targets", params={"flag": "active-order"})
    assert "Beth Tester" in only.text and "Adam Tester" not in only.text
    assert "1 person flagged Active order" in only.text
    none = await client.get("/targets", params={"flag": "victim-high-risk"})
    assert 'data-testid="ranking-empty"' in none.text and "Beth Tester" not in none.text


async def test_a_long_list_is_shown_fifty_a_page(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    s = await scene(db, force_a)
    extra = [Person(force_id=force_a.id, forename=f"Extra{n:03d}", surname="Zed") for n in range(60)]
    db.add_all(extra)
    await db.flush()
    db.add_all([HarmRankingEntry(force_id=force_a.id, ranking_id=s.ranking.id, rank=4 + n, person_id=person.id,
                                 score=Decimal("1"), recency=Decimal("1"), frequency=0, gravity=0, victims=0,
                                 total_harm=0, incidents=1, victim_count=0, last_incident_on=AS_OF, flags=[])
                for n, person in enumerate(extra)])
    await db.flush()
    await signed_in(client, db, force_a)
    first = await client.get(f"/targets/rankings/{s.ranking.id}")
    assert "63 people, page 1 of 2" in first.text
    assert "Extra046 Zed" in first.text and "Extra047 Zed" not in first.text  # rank 50 is Extra046
    assert f'href="/targets/rankings/{s.ranking.id}?page=2" rel="next"' in first.text
    second = await client.get(f"/targets/rankings/{s.ranking.id}", params={"page": "2"})
    assert "Extra047 Zed" in second.text and "Adam Tester" not in second.text
    assert "Extra059 Zed" in second.text
    beyond = await client.get(f"/targets/rankings/{s.ranking.id}", params={"page": "99"})
    assert "page 2 of 2" in beyond.text


async def test_no_list_yet_offers_rank_now_to_those_who_may_rank(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    await signed_in(client, db, force_a, "analyst")
    page = await client.get("/targets")
    assert page.status_code == 200
    assert 'data-testid="no-list"' in page.text and 'data-testid="rank-now"' in page.text
    assert "Safeguard's defaults (saved as version 1)" in page.text
    history = await client.get("/targets/rankings")
    assert history.status_code == 200 and "No list yet." in history.text


async def test_the_csv_download_holds_the_whole_list_and_is_audited(client: httpx.AsyncClient, db: AsyncSession,
                                                                    force_a: ForceData) -> None:
    s = await scene(db, force_a)
    s.people["Carl"].forename = "=HYPERLINK(1)"
    await db.flush()
    await signed_in(client, db, force_a)
    response = await client.get(f"/targets/rankings/{s.ranking.id}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"harm-ranking-{s.ranking.id}-{AS_OF.isoformat()}.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["display_name"] == "Adam Tester" and rows[0]["score"] == "18.5099"
    assert rows[0]["flags"] == "serial;wanted"
    assert rows[0]["last_incident_on"] == (AS_OF - timedelta(days=30)).isoformat()
    assert rows[2]["display_name"] == "'=HYPERLINK(1) Tester"  # a formula is neutralised
    events = await _events(db, force_a, "harm_ranking.exported")
    assert len(events) == 1 and events[0].details == {"via": "csv", "rows": 3}


async def test_another_forces_list_and_entries_are_not_found(client: httpx.AsyncClient, db: AsyncSession,
                                                             force_a: ForceData, force_b: ForceData) -> None:
    theirs = await scene(db, force_b)
    await signed_in(client, db, force_a)
    for path in (f"/targets/rankings/{theirs.ranking.id}", f"/targets/rankings/{theirs.ranking.id}.csv",
                 f"/targets/rankings/{theirs.ranking.id}/entries/{theirs.entries['Adam'].id}",
                 f"/targets/fairness?ranking_id={theirs.ranking.id}"):
        response = await client.get(path)
        assert response.status_code == 404, path
    # Force A has no list of its own, so its newest list is none, not force B's.
    page = await client.get("/targets")
    assert 'data-testid="no-list"' in page.text and "Adam Tester" not in page.text
    assert (await client.get("/targets/weights/1")).status_code == 404


@pytest.mark.parametrize("role", ["call_handler", "response_officer", "da_specialist"])
async def test_a_role_without_targets_read_is_refused(role: str, client: httpx.AsyncClient, db: AsyncSession,
                                                      force_a: ForceData) -> None:
    s = await scene(db, force_a)
    await signed_in(client, db, force_a, role)
    for path in ("/targets", f"/targets/rankings/{s.ranking.id}", "/targets/weights", "/targets/fairness"):
        response = await client.get(path)
        assert response.status_code == 403, (role, path)
        assert "targets:read" in response.text


async def test_an_investigator_may_not_add_weights_or_rank(client: httpx.AsyncClient, db: AsyncSession,
                                                           force_a: ForceData) -> None:
    await scene(db, force_a)
    await signed_in(client, db, force_a, "ppu_investigator")
    csrf = csrf_from((await client.get("/targets/weights")).text)
    assert (await client.get("/targets/weights/new")).status_code == 403
    refused = await client.post("/targets/weights", data={"csrf_token": csrf, "note": "x"})
    assert refused.status_code == 403
    assert (await client.post("/targets/rankings", data={"csrf_token": csrf, "window": "3"})).status_code == 403


# -- one person's score explained --------------------------------------------------------------------------

async def test_a_breakdown_is_explained_in_words_with_the_versions_weights_and_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    await signed_in(client, db, force_a)
    adam = s.entries["Adam"]
    page = await client.get(f"/targets/rankings/{s.ranking.id}/entries/{adam.id}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Why Adam Tester is ranked 1" in text
    assert ("Recency 5.00: latest DA incident or crime 30 days ago (1.0 months); the band up to 3 months scores "
            "5 × weight 1") in text
    assert "Frequency 2.00: 2 DA events in the window: 2 × weight 1" in text
    assert "Gravity 7.51: the most harmful event weighs about 1,825 days; ln(1 + 1,825) = 7.51 × weight 1" in text
    assert "Victims 4.00: 2 different victims × weight 2" in text
    assert "Total harm 1,826.00 days" in text
    assert "up to 3 months: 5; up to 6 months: 4" in text
    assert "Serial: suspect in DA incidents or crimes against two or more different victims" in text
    reads = await _events(db, force_a, "person.read")
    assert [(e.object_id, e.reason) for e in reads] == [
        (str(s.people["Adam"].id), f"harm ranking breakdown (list {s.ranking.id}, rank 1)")]
    # An entry of another list is not found under this one.
    other = HarmRanking(force_id=force_a.id, weight_set_id=s.weights.id, weight_version=1, as_of=AS_OF,
                        window_days=365, engine="duckdb", perpetrators=0, computed_by="x")
    db.add(other)
    await db.flush()
    assert (await client.get(f"/targets/rankings/{other.id}/entries/{adam.id}")).status_code == 404


async def test_a_long_gap_and_a_frequency_cap_are_explained(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData) -> None:
    s = await scene(db, force_a)
    carl = s.entries["Carl"]
    carl.last_incident_on = AS_OF - timedelta(days=1200)
    carl.incidents = 25
    carl.recency = Decimal("0")
    carl.frequency = Decimal("20")
    await db.flush()
    await signed_in(client, db, force_a)
    text = (await client.get(f"/targets/rankings/{s.ranking.id}/entries/{carl.id}")).text
    assert "1,200 days ago (40.0 months), beyond the last band (36 months), so it scores 0" in text
    assert "25 DA events in the window, counted up to the cap of 20: 20 × weight 1" in text


# -- past lists ----------------------------------------------------------------------------------------------

async def test_past_lists_newest_first(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    older = HarmRanking(force_id=force_a.id, weight_set_id=s.weights.id, weight_version=1,
                        as_of=AS_OF - timedelta(days=28), window_days=730, engine="spark", perpetrators=12,
                        computed_by="Old Hand", computed_at=at(AS_OF - timedelta(days=28)))
    db.add(older)
    await db.flush()
    await signed_in(client, db, force_a)
    text = (await client.get("/targets/rankings")).text
    assert text.index(f">List {s.ranking.id}<") < text.index(f">List {older.id}<")
    assert "Spark (national scale)" in text and "Old Hand" in text and ">730<" in text
    one = await client.get(f"/targets/rankings/{older.id}")
    assert one.status_code == 200 and f"Ranked list {older.id}" in one.text
    assert 'data-testid="ranking-empty"' in one.text


# -- weights -------------------------------------------------------------------------------------------------

async def test_weight_versions_are_listed_and_a_new_one_is_validated_then_saved(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    staff = await signed_in(client, db, force_a, "analyst")
    listing = await client.get("/targets/weights")
    assert 'href="/targets/weights/1">Version 1<' in listing.text and "Safeguard&#39;s defaults" in listing.text
    form = await client.get("/targets/weights/new")
    assert form.status_code == 200
    assert 'id="band_months_1" name="band_months_1" type="text" inputmode="numeric" value="3"' in form.text
    assert 'id="band_points_5" name="band_points_5" type="text" inputmode="decimal" value="1"' in form.text
    assert 'id="victims" name="victims" type="text" value="2"' in form.text
    csrf = csrf_from(form.text)
    good = {"csrf_token": csrf, "band_months_1": "3", "band_points_1": "6", "band_months_2": "12",
            "band_points_2": "3", "recency": "1.5", "frequency": "1", "frequency_cap": "10", "gravity": "1",
            "victims": "3", "non_crime_harm": "1", "serial_min_victims": "2", "serial_min_age": "16",
            "note": "Agreed at the MATAC review"}
    bad = {**good, "band_months_2": "abc", "gravity": "-1", "frequency_cap": "2.5", "note": " "}
    refused = await client.post("/targets/weights", data=bad)
    assert refused.status_code == 400
    text = refused.text
    assert '<a href="#band_months_2">Recency band 2: months must be a whole number</a>' in text
    assert '<a href="#gravity">Gravity weight must be 0 or more</a>' in text
    assert '<a href="#frequency_cap">Frequency cap must be a whole number</a>' in text
    assert '<a href="#note">Say why these weights are changing' in text
    assert text.index("#band_months_2") < text.index("#frequency_cap") < text.index("#gravity") < text.index("#note")
    assert 'value="abc"' in text  # what was typed is kept
    descending = await client.post("/targets/weights", data={**good, "band_months_2": "2"})
    assert descending.status_code == 400
    assert "Recency bands: months must go up, each band once" in descending.text
    await set_force_context(db, force_a.id)
    assert await db.scalar(select(func.count()).select_from(HarmWeightSet)) == 1  # nothing saved
    saved = await client.post("/targets/weights", data=good)
    assert saved.status_code == 303 and saved.headers["location"] == "/targets/weights/2"
    version = await db.scalar(select(HarmWeightSet).where(HarmWeightSet.version == 2))
    assert version is not None and version.note == "Agreed at the MATAC review"
    assert version.weights["recency_bands"] == [[3, 6.0], [12, 3.0]] and version.weights["recency"] == 1.5
    assert version.created_by == staff.user.username and version.created_by_id == staff.user.id
    shown = await client.get("/targets/weights/2")
    assert "Weight version 2 saved" in shown.text and "Agreed at the MATAC review" in shown.text
    assert "Up to 12 months since the latest event: 3 points" in shown.text
    # The form now starts from the newest version; version 1 is unchanged.
    again = await client.get("/targets/weights/new")
    assert "Filled in with version 2, the newest." in again.text
    assert 'id="recency" name="recency" type="text" value="1.5"' in again.text
    first = await client.get("/targets/weights/1")
    assert "Up to 36 months since the latest event: 1 points" in first.text
    assert s.weights.weights == DEFAULT_WEIGHTS.model_dump(mode="json")
    missing = await client.get("/targets/weights/9")
    assert missing.status_code == 404 and "There is no weight version 9 in your force." in missing.text


async def test_the_weights_page_with_no_version_shows_the_defaults(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    await signed_in(client, db, force_a, "operation_lead")
    page = await client.get("/targets/weights")
    assert page.status_code == 200
    assert 'data-testid="no-weights"' in page.text and "Up to 36 months since the latest event: 1 points" in page.text
    form = await client.get("/targets/weights/new")
    assert "Filled in with Safeguard's defaults." in form.text


# -- rank now ------------------------------------------------------------------------------------------------

async def test_rank_now_makes_a_list_with_the_chosen_version(client: httpx.AsyncClient, db: AsyncSession,
                                                             force_a: ForceData) -> None:
    await scene(db, force_a)
    staff = await signed_in(client, db, force_a, "analyst")
    page = await client.get("/targets")
    csrf = csrf_from(page.text)
    wrong = await client.post("/targets/rankings", data={"csrf_token": csrf, "window": "9", "weight_version": "7"})
    assert wrong.status_code == 400
    assert '<a href="#window">Choose a window of 1 to 5 years</a>' in wrong.text
    unknown = await client.post("/targets/rankings", data={"csrf_token": csrf, "window": "3", "weight_version": "7"})
    assert unknown.status_code == 400
    assert "Weight version 7 does not exist for this force (versions: 1)." in unknown.text
    made = await client.post("/targets/rankings", data={"csrf_token": csrf, "window": "3", "weight_version": "1"})
    assert made.status_code == 303, made.text
    await set_force_context(db, force_a.id)
    newest = await db.scalar(select(HarmRanking).order_by(HarmRanking.id.desc()).limit(1))
    assert newest is not None and made.headers["location"] == f"/targets/rankings/{newest.id}"
    assert newest.window_days == 1095 and newest.weight_version == 1 and newest.computed_by_id == staff.user.id
    # Adam, Beth, Carl and Dan had DA events in the last three years; Eddie's was too long ago, Fred's not DA.
    assert newest.perpetrators == 4
    shown = await client.get(made.headers["location"])
    assert f"Ranked list {newest.id} made: 4 perpetrators scored." in shown.text
    assert "Dan Tester" in shown.text and "Eddie Tester" not in shown.text


# -- fairness ------------------------------------------------------------------------------------------------

async def test_the_fairness_report_counts_the_list_beside_all_da_suspects(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    staff = await make_user(db, force_a, "analyst")
    made = await fairness.report(db, actor_of(staff, force_a), s.ranking, "all")
    areas = {r.label: (r.listed, r.listed_share, r.suspects, r.suspects_share) for r in made.by_area.rows}
    # Adam and Dan in Northfield (Dan's old Southgate incident is outside the window); Beth by her incident's
    # location, Carl by his address, in Southgate.
    assert areas == {"Northfield": (1, 33.3, 2, 50.0), "Southgate": (2, 66.7, 2, 50.0)}
    assert (made.by_area.listed_total, made.by_area.suspects_total) == (3, 4)
    genders = {r.label: (r.listed, r.suspects) for r in made.by_gender.rows}
    assert genders == {"Female": (1, 1), "Male": (2, 3), "Non-binary": (0, 0), "Not recorded": (0, 0)}
    victims = {r.label: (r.listed, r.suspects) for r in made.victims_by_gender.rows}
    assert victims == {"Female": (2, 3), "Male": (1, 1), "Non-binary": (0, 0), "Not recorded": (1, 1)}
    assert made.start == AS_OF - timedelta(days=1095) and made.last == AS_OF


async def test_the_fairness_report_takes_the_top_n_and_has_a_csv(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    s = await scene(db, force_a)
    extra = [Person(force_id=force_a.id, forename=f"Extra{n}", surname="Zed", gender="female") for n in range(20)]
    db.add_all(extra)
    await db.flush()
    db.add_all([HarmRankingEntry(force_id=force_a.id, ranking_id=s.ranking.id, rank=4 + n, person_id=person.id,
                                 score=Decimal("1"), recency=Decimal("1"), frequency=0, gravity=0, victims=0,
                                 total_harm=0, incidents=1, victim_count=0, last_incident_on=AS_OF, flags=[])
                for n, person in enumerate(extra)])
    await db.flush()
    await signed_in(client, db, force_a, "ppu_investigator")
    page = await client.get("/targets/fairness", params={"top": "20"})
    assert page.status_code == 200, page.text
    assert "the top 20 (20 people)" in page.text and "Abuse against men is real" in page.text
    assert f"List {s.ranking.id} (" in page.text
    everyone = await client.get("/targets/fairness", params={"top": "all", "ranking_id": str(s.ranking.id)})
    assert "everyone on the list (23 people)" in everyone.text
    download = await client.get("/targets/fairness.csv", params={"top": "20", "ranking_id": str(s.ranking.id)})
    assert download.status_code == 200
    assert f"harm-ranking-{s.ranking.id}-fairness-top-20.csv" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    female = next(r for r in rows if r["section"] == "gender" and r["group"] == "Female")
    # The top 20: Adam, Beth, Carl and 17 of the extra women (who have no DA events, so are not suspects).
    assert female == {"section": "gender", "group": "Female", "listed": "18", "listed_percent": "90.0",
                      "all_da_suspects": "1", "all_da_suspects_percent": "25.0"}
    total = next(r for r in rows if r["section"] == "area" and r["group"] == "Total")
    assert total["listed"] == "20" and total["all_da_suspects"] == "4"
    assert any(r["section"] == "area" and r["group"] == "Area not known" and r["listed"] == "17" for r in rows)
    events = await _events(db, force_a, "harm_ranking.fairness")
    assert [(e.details or {}).get("top") for e in events] == ["20", "all", "20"]
    nonsense = await client.get("/targets/fairness", params={"ranking_id": "abc"})
    assert nonsense.status_code == 404


async def test_the_fairness_page_with_no_list(client: httpx.AsyncClient, db: AsyncSession,
                                              force_a: ForceData) -> None:
    await signed_in(client, db, force_a)
    page = await client.get("/targets/fairness")
    assert page.status_code == 200 and 'data-testid="no-list"' in page.text
    assert (await client.get("/targets/fairness.csv")).status_code == 404
