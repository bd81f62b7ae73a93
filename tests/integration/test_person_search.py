"""Search finds people as the control room types them, ranked, each result saying why."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress, PersonAlias, PersonPhone
from safeguard.people.search import LIMITS, name_variants, parse_query, search_people
from safeguard.people.service import restrict
from tests.conftest import ForceData, make_user, sign_in

PEOPLE = [
    # forename, surname, (y, m, d), phone, postcode
    ("Jonathan", "Smith", (1989, 4, 3), "+447700900123", "B12 9QS"),
    ("William", "Jones", (1975, 11, 30), "+447700900456", "B13 8AA"),
    ("Aisha", "Khan", (1992, None, None), None, "B11 1AB"),
    ("Mohammed", "Rahman", (1980, 6, 15), "+441632960001", "B11 2CD"),
    ("Elizabeth", "Taylor", (1968, 2, 1), None, "B12 9QS"),
    ("Grzegorz", "Kowalski", (1985, 9, 9), "+447700900789", "B15 3XY"),
    ("Jon", "Smyth", None, None, None),
    ("Sarah", "Brown", (2001, 1, 20), None, "B14 7ZZ"),
]


@pytest.fixture
async def people(db: AsyncSession, force_a: ForceData) -> dict[str, int]:
    await set_force_context(db, force_a.id)
    ids = {}
    for forename, surname, dob, phone, postcode in PEOPLE:
        y, m, d = dob or (None, None, None)
        person = Person(force_id=force_a.id, forename=forename, surname=surname, dob_year=y, dob_month=m, dob_day=d,
                        gender="unknown")
        db.add(person)
        await db.flush()
        ids[f"{forename} {surname}"] = person.id
        if phone:
            db.add(PersonPhone(force_id=force_a.id, person_id=person.id, number_e164=phone))
        if postcode:
            place = Location(force_id=force_a.id, line1=f"{person.id} High Street", town="Northfield",
                             postcode=postcode)
            db.add(place)
            await db.flush()
            db.add(PersonAddress(force_id=force_a.id, person_id=person.id, location_id=place.id))
    db.add(PersonAlias(force_id=force_a.id, person_id=ids["Sarah Brown"], forename="Sarah", surname="Whitfield"))
    hidden = Person(force_id=force_a.id, forename="Jonathan", surname="Smith", dob_year=1989, gender="female")
    db.add(hidden)
    await db.flush()
    officer = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                   person_id=hidden.id)
    ids["hidden"] = hidden.id
    return ids


async def _top(db: AsyncSession, force: ForceData, query: str) -> list[tuple[str, float, list[str]]]:
    await set_force_context(db, force.id)
    return [(r.display_name, r.score, r.why) for r in await search_people(db, query)]


@pytest.mark.parametrize(("query", "expected", "reason"), [
    ("Jonathan Smith", "Jonathan Smith", "surname exact"),
    ("Jonathon Smiht", "Jonathan Smith", "surname similar"),  # typos
    ("Elizabeth Tailor", "Elizabeth Taylor", "surname sounds alike"),  # phonetic
    ("Jonathan Smtih", "Jonathan Smith", "surname similar, one letter out"),  # two letters swapped
    ("Willaim Jones", "William Jones", "forename sounds alike, one letter out"),
    ("Bill Jones", "William Jones", "forename is a variant of Bill"),  # nickname
    ("Liam Jones", "William Jones", "forename is a variant of Liam"),
    ("Liz Taylor", "Elizabeth Taylor", "forename is a variant of Liz"),
    ("Mo Rahman", "Mohammed Rahman", "forename is a variant of Mo"),
    ("Smith Jonathan", "Jonathan Smith", "forename and surname swapped"),
    ("Kowalski Grzegorz", "Grzegorz Kowalski", "forename and surname swapped"),
    ("Aisha Khan 1992", "Aisha Khan", "date of birth matches"),  # partial date of birth on record
    ("Jonathan Smith 03/04/89", "Jonathan Smith", "date of birth matches"),
    ("Jonathan Smith 4/1989", "Jonathan Smith", "date of birth matches"),
    ("07700 900123", "Jonathan Smith", "phone number matches"),
    ("+44 7700 900123", "Jonathan Smith", "phone number matches"),
    ("(07700) 900-456", "William Jones", "phone number matches"),
    ("0044 1632 960001", "Mohammed Rahman", "phone number matches"),
    ("Taylor b129qs", "Elizabeth Taylor", "postcode matches"),
    ("Sarah Whitfield", "Sarah Brown", "matches an alias"),
])
async def test_search_finds(db: AsyncSession, force_a: ForceData, people: dict[str, int], query: str,
                            expected: str, reason: str) -> None:
    results = await _top(db, force_a, query)
    assert results, f"nothing found for {query!r}"
    name, _score, why = results[0]
    assert name == expected, results[:3]
    assert any(w.startswith(reason) for w in why), why


async def test_exact_beats_phonetic_and_scores_are_ordered(db: AsyncSession, force_a: ForceData,
                                                           people: dict[str, int]) -> None:
    results = await _top(db, force_a, "Jon Smyth")
    names = [r[0] for r in results]
    assert names[0] == "Jon Smyth"
    assert "Jonathan Smith" in names
    assert [r[1] for r in results] == sorted((r[1] for r in results), reverse=True)


async def test_postcode_alone_lists_everyone_there(db: AsyncSession, force_a: ForceData,
                                                   people: dict[str, int]) -> None:
    names = {r[0] for r in await _top(db, force_a, "B12 9QS")}
    assert names == {"Jonathan Smith", "Elizabeth Taylor"}


async def test_restricted_people_never_appear(db: AsyncSession, force_a: ForceData, people: dict[str, int]) -> None:
    await set_force_context(db, force_a.id)
    ids = {r.id for r in await search_people(db, "Jonathan Smith 1989")}
    assert people["hidden"] not in ids and people["Jonathan Smith"] in ids


async def test_merged_away_records_never_appear(db: AsyncSession, force_a: ForceData,
                                                people: dict[str, int]) -> None:
    """A record merged into another is kept for the undo, but search leads only to the survivor."""
    await set_force_context(db, force_a.id)
    survivor = people["Jonathan Smith"]
    merged = Person(force_id=force_a.id, forename="Jonathan", surname="Smith", dob_year=1989, dob_month=4,
                    dob_day=3, gender="unknown")
    db.add(merged)
    await db.flush()
    # Rows a merge would have moved, left on the merged record here, so that every branch is tried.
    db.add(PersonPhone(force_id=force_a.id, person_id=merged.id, number_e164="+447700900999"))
    db.add(PersonAlias(force_id=force_a.id, person_id=merged.id, forename="Jonathan", surname="Smithson"))
    place = Location(force_id=force_a.id, line1="1 Merge Row", town="Northfield", postcode="B12 9QS")
    db.add(place)
    await db.flush()
    db.add(PersonAddress(force_id=force_a.id, person_id=merged.id, location_id=place.id))
    merged.merged_into_id = survivor
    await db.flush()
    for query in ("Jonathan Smith", "Jonathan Smith 03/04/1989", "Smith Jonathan", "Jonathon Smiht",
                  "07700 900999", "Jonathan Smithson", "B12 9QS", "Smith B12 9QS", "Smith B12", "3/4/1989 B12 9QS"):
        ids = {r.id for r in await search_people(db, query)}
        assert merged.id not in ids, query
    assert survivor in {r.id for r in await search_people(db, "Jonathan Smith")}


async def test_swapped_names_outrank_names_that_only_sound_alike_swapped(db: AsyncSession, force_a: ForceData,
                                                                          people: dict[str, int]) -> None:
    await set_force_context(db, force_a.id)
    db.add(Person(force_id=force_a.id, forename="Jonathon", surname="Smyth", gender="unknown"))
    await db.flush()
    results = await _top(db, force_a, "Smith Jonathan")
    assert results[0][0] == "Jonathan Smith" and results[0][1] > results[1][1], results[:3]


async def test_a_common_name_with_a_year_finds_the_one_born_that_year(db: AsyncSession, force_a: ForceData,
                                                                      people: dict[str, int]) -> None:
    """More people of one name than any branch offers: the name and year together still find the one."""
    await set_force_context(db, force_a.id)
    common = max(LIMITS["exact"], LIMITS["variants"], LIMITS["sound"]) + 10
    db.add_all([Person(force_id=force_a.id, forename="Chloe", surname="Brown", dob_year=1990, gender="female")
                for _ in range(common)])
    await db.flush()
    born_2000 = Person(force_id=force_a.id, forename="Chloe", surname="Brown", dob_year=2000, dob_month=8,
                       gender="female")
    db.add(born_2000)
    await db.flush()
    for query in ("Chloe Brown 2000", "Chloe Brown 8/2000", "Chloe Broun 2000"):
        results = await search_people(db, query)
        assert results[0].id == born_2000.id, query
        assert any(w.startswith("date of birth matches") for w in results[0].why), results[0].why
    exact = await search_people(db, "Chloe Brown")
    assert len(exact) == 20 and all(r.display_name == "Chloe Brown" and r.score == 1.0 for r in exact)


async def test_postcode_district_with_a_name(db: AsyncSession, force_a: ForceData, people: dict[str, int]) -> None:
    results = await _top(db, force_a, "Taylor B12")
    assert results[0][0] == "Elizabeth Taylor" and "postcode district matches" in results[0][2]
    # B1 is a district of its own, not the start of B12, B13...
    assert "postcode district matches" not in (await _top(db, force_a, "Taylor B1"))[0][2]


async def test_repeated_searches_give_the_same_answer_and_leave_planner_settings_alone(
        db: AsyncSession, force_a: ForceData, people: dict[str, int]) -> None:
    """Past the point where the statement is prepared on the server, answers do not change."""
    await set_force_context(db, force_a.id)
    before = (await db.execute(text("SELECT current_setting('plan_cache_mode'), "
                                    "current_setting('enable_bitmapscan')"))).one()
    first = await _top(db, force_a, "Bill Jones 1975")
    for _ in range(8):
        assert await _top(db, force_a, "Bill Jones 1975") == first
    assert first[0][0] == "William Jones"
    after = (await db.execute(text("SELECT current_setting('plan_cache_mode'), "
                                   "current_setting('enable_bitmapscan')"))).one()
    assert after == before


async def test_other_forces_people_never_appear(db: AsyncSession, force_a: ForceData, force_b: ForceData,
                                                people: dict[str, int]) -> None:
    assert await _top(db, force_b, "Jonathan Smith") == []


async def test_nonsense_finds_nothing(db: AsyncSession, force_a: ForceData, people: dict[str, int]) -> None:
    assert await _top(db, force_a, "Xqzvw Plonk") == []
    assert await _top(db, force_a, "!!!") == []


def test_query_parsing() -> None:
    q = parse_query("jon smyth 3/4/1989 B12 9QS 07700 900123")
    assert q.names == ["jon", "smyth"]
    assert (q.dob_day, q.dob_month, q.dob_year) == (3, 4, 1989)
    assert q.postcode == "B129QS" and q.phone == "+447700900123"


def test_nickname_variants_go_both_ways() -> None:
    assert {"bill", "liam", "will"} <= name_variants("william")
    assert "william" in name_variants("bill") and "william" in name_variants("liam")


async def test_search_api_returns_the_contract_and_is_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, people: dict[str, int]) -> None:
    staff = await make_user(db, force_a, "call_handler")
    await sign_in(client, staff)
    response = await client.get("/api/v1/people/search", params={"q": "Bill Jones"})
    assert response.status_code == 200
    top = response.json()["results"][0]
    assert set(top) == {"id", "display_name", "date_of_birth", "score", "why"}
    assert top["display_name"] == "William Jones" and top["date_of_birth"] == "1975-11-30"
    assert 0 < top["score"] <= 1 and top["why"]
    assert (await client.get("/api/v1/people/search", params={"q": ""})).status_code == 422


async def test_search_page_shows_results_with_reasons(client: httpx.AsyncClient, db: AsyncSession,
                                                      force_a: ForceData, people: dict[str, int]) -> None:
    staff = await make_user(db, force_a, "call_handler")
    await sign_in(client, staff)
    page = await client.get("/people", params={"q": "Liam Jones"})
    assert page.status_code == 200
    assert f'href="/people/{people["William Jones"]}"' in page.text
    assert "forename is a variant of Liam" in page.text
    empty = await client.get("/people")
    assert empty.status_code == 200 and "people found" not in empty.text
