"""`find_duplicates` and `safeguard people link`: the force's own people, scored by the linkage model, feeding
the analysts' review queue. All people here are fictional."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import psycopg
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.engine import psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.people.linkage import normalise_phone
from safeguard.people.linkjob import LinkReport, find_duplicates
from safeguard.people.models import DuplicateCandidate, Location, Person, PersonAddress, PersonPhone
from safeguard.people.service import restrict
from tests.conftest import DatabaseUnderTest, ForceData, make_user
from tests.unit.test_linkage import make_people

GENDERS = {"M": "male", "F": "female", "": "unknown"}
EVIDENCE_FIELDS = ["forename", "surname", "date_of_birth", "gender", "address", "phone"]
THACKERAY = ("Margaret", "Thackeray", "1961-04-12", "F", "14 Lumb Lane, Halifax", "HX3 9QT", "01422 700111")
# Named people on top of the generated background, by key: (forename, surname, date of birth, gender, address,
# postcode, phone).
NAMED = {
    "margaret": THACKERAY,
    "margaret_typo": ("Margaret", "Thackray", "1961-04-12", "F", "14 Lumb Lane, Halifax", "HX3 9QT", "01422 700111"),
    # Her partner: same surname, address and landline, but someone else.
    "desmond": ("Desmond", "Thackeray", "1958-11-30", "M", "14 Lumb Lane, Halifax", "HX3 9QT", "01422 700111"),
    # Exact copies of Margaret that must never be offered: restricted, and already merged into her.
    "margaret_restricted": THACKERAY,
    "margaret_merged": THACKERAY,
    # Two records of a woman in a refuge (a restricted address): found, but the address is not evidence.
    "kerry": ("Kerry", "Ashworth", "1984-09-02", "F", "1 Hidden Lane, Halifax", "HX9 9ZZ", "07700 900321"),
    "kerry_copy": ("Kerry", "Ashworth", "1984-09-02", "F", "1 Hidden Lane, Halifax", "HX9 9ZZ", "07700 900321"),
}


class Population:
    def __init__(self, force: ForceData) -> None:
        self.force = force
        self.people: dict[str, Person] = {}
        self.locations: dict[tuple[str, str], Location] = {}
        self.truth: dict[str, int] = {}  # generated record id -> the person it really is
        self.officer_id: int | None = None  # who restricted the restricted records (and may see them)


async def _add(db: AsyncSession, population: Population, rows: dict[str, tuple[str, ...]]) -> None:
    """Insert people (with a current address and a phone) the way the application stores them."""
    force_id = population.force.id
    people: dict[str, Person] = {}
    for key, (forename, surname, dob, gender, address, postcode, _phone) in rows.items():
        year, month, day = (int(part) for part in dob.split("-")) if dob else (None, None, None)
        people[key] = Person(force_id=force_id, forename=forename, surname=surname, dob_year=year, dob_month=month,
                             dob_day=day, gender=GENDERS[gender])
        if (address, postcode) not in population.locations:
            line1, town = address.rsplit(", ", 1)
            population.locations[address, postcode] = Location(force_id=force_id, line1=line1, town=town,
                                                               postcode=postcode)
    db.add_all([*people.values(), *population.locations.values()])
    await db.flush()
    for key, (*_, address, postcode, phone) in rows.items():
        person = people[key]
        db.add(PersonAddress(force_id=force_id, person_id=person.id,
                             location_id=population.locations[address, postcode].id))
        if phone and (e164 := normalise_phone(phone)):
            db.add(PersonPhone(force_id=force_id, person_id=person.id, number_e164=e164))
    await db.flush()
    population.people |= people


async def _populate(db: AsyncSession, force: ForceData, *, seed: int, named: bool = True) -> Population:
    """A few hundred generated people (some with duplicate records) and, if asked, the named ones."""
    await set_force_context(db, force.id)
    population = Population(force)
    rows, population.truth = make_people(seed=seed, households=120)
    await _add(db, population, {f"background {row[0]}": tuple(row[1:]) for row in rows})
    if not named:
        return population
    await _add(db, population, NAMED)
    people = population.people
    await db.execute(update(Person).where(Person.id == people["margaret_merged"].id)
                     .values(merged_into_id=people["margaret"].id))
    officer = await make_user(db, force, "ppu_investigator")
    await restrict(db, force_id=force.id, by_user_id=officer.user.id, by_label=officer.user.username,
                   reason="Officer who is a victim", person_id=people["margaret_restricted"].id)
    await restrict(db, force_id=force.id, by_user_id=officer.user.id, by_label=officer.user.username,
                   reason="Refuge", location_id=population.locations["1 Hidden Lane, Halifax", "HX9 9ZZ"].id)
    population.officer_id = officer.user.id
    await set_force_context(db, force.id, None)
    return population


async def _candidates(db: AsyncSession) -> dict[tuple[int, int], DuplicateCandidate]:
    rows = await db.scalars(select(DuplicateCandidate).execution_options(populate_existing=True))
    return {(c.person_a_id, c.person_b_id): c for c in rows}


def _pair(a: Person, b: Person) -> tuple[int, int]:
    return (min(a.id, b.id), max(a.id, b.id))


async def test_obvious_duplicates_are_offered_with_evidence_an_analyst_reads(
        db: AsyncSession, force_a: ForceData) -> None:
    population = await _populate(db, force_a, seed=11)
    people = population.people
    report = await find_duplicates(db, force_id=force_a.id, found_by="analyst-1")
    candidates = await _candidates(db)
    assert report.added == len(candidates) == report.pairs_found > 10
    assert report.already_known == 0 and report.threshold == 0.9
    assert report.people == len(people) - 2  # the restricted record and the merged one are left out
    thackeray = candidates[_pair(people["margaret"], people["margaret_typo"])]
    assert thackeray.status == "pending" and thackeray.found_by == "analyst-1" and thackeray.decided_by is None
    assert 0.9 <= thackeray.match_probability <= 1
    assert sorted(thackeray.evidence) == sorted(EVIDENCE_FIELDS)  # JSONB keeps no key order
    assert thackeray.evidence == {"forename": "exact", "surname": "similar (Jaro-Winkler ≥ 0.92)",
                                  "date_of_birth": "exact", "gender": "same", "address": "same address and postcode",
                                  "phone": "exact"}
    # Her partner shares her surname, address and landline, but is not offered as her.
    assert _pair(people["margaret"], people["desmond"]) not in candidates
    # At a refuge, the address is never evidence: it counts as missing.
    kerry = candidates[_pair(people["kerry"], people["kerry_copy"])]
    assert kerry.evidence["address"] == "missing on one or both records"
    assert kerry.evidence["forename"] == kerry.evidence["date_of_birth"] == kerry.evidence["phone"] == "exact"
    # Most of the generated duplicates are found, and few of the pairs offered are wrong.
    identity = {people[f"background {record}"].id: who for record, who in population.truth.items()}
    offered = [pair for pair in candidates if set(pair) <= identity.keys()]
    right = sum(identity[a] == identity[b] for a, b in offered)
    duplicates = Counter(identity.values())
    assert right / len(offered) >= 0.9, (right, len(offered))
    assert right / sum(n * (n - 1) // 2 for n in duplicates.values()) >= 0.6
    events = (await db.execute(select(AuditEvent.actor_label, AuditEvent.details, AuditEvent.force_id)
                               .where(AuditEvent.action == "people.linkage_run"))).all()
    assert events == [("analyst-1", report.counts(), force_a.id)]
    assert events[0][1]["added"] == len(candidates)


async def test_restricted_and_merged_records_are_never_offered(db: AsyncSession, force_a: ForceData) -> None:
    population = await _populate(db, force_a, seed=12)
    people = population.people
    hidden = {people["margaret_restricted"].id, people["margaret_merged"].id}
    # Not even when the job runs as someone granted the restricted record.
    await set_force_context(db, force_a.id, population.officer_id)
    report = await find_duplicates(db, force_id=force_a.id, found_by="officer")
    assert report.people == len(people) - 2
    candidates = await _candidates(db)
    assert candidates and not any(set(pair) & hidden for pair in candidates)
    kerry = candidates[_pair(people["kerry"], people["kerry_copy"])]
    assert kerry.evidence["address"] == "missing on one or both records"  # even with a grant for the refuge


async def test_each_force_is_linked_on_its_own(db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    a = await _populate(db, force_a, seed=13)
    b = await _populate(db, force_b, seed=13, named=False)  # the same people, in another force
    await _add(db, b, {"margaret": THACKERAY, "margaret_copy": THACKERAY})
    ids_a = {person.id for person in a.people.values()}
    ids_b = {person.id for person in b.people.values()}

    await set_force_context(db, force_a.id)
    report_a = await find_duplicates(db, force_id=force_a.id, found_by="analyst-a")
    found_a = set(await _candidates(db))
    assert report_a.added == len(found_a) > 0 and all(set(pair) <= ids_a for pair in found_a)

    await set_force_context(db, force_b.id)
    report_b = await find_duplicates(db, force_id=force_b.id, found_by="analyst-b")
    found_b = set(await _candidates(db))  # row-level security: force B sees only its own queue
    assert report_b.people == len(ids_b) and report_b.added == len(found_b) > 0
    assert all(set(pair) <= ids_b for pair in found_b)
    assert _pair(b.people["margaret"], b.people["margaret_copy"]) in found_b


async def test_running_again_changes_nothing_and_decided_pairs_stay_decided(
        db: AsyncSession, force_a: ForceData) -> None:
    population = await _populate(db, force_a, seed=14)
    people = population.people
    first = await find_duplicates(db, force_id=force_a.id, found_by="analyst-1")
    before = await _candidates(db)
    thackeray = before[_pair(people["margaret"], people["margaret_typo"])]
    kerry = before[_pair(people["kerry"], people["kerry_copy"])]
    decided = datetime.now(UTC)
    await db.execute(update(DuplicateCandidate).where(DuplicateCandidate.id == thackeray.id).values(
        status="rejected", decided_by="analyst-2", decided_at=decided, reason="Checked: sisters-in-law"))
    await db.execute(update(DuplicateCandidate).where(DuplicateCandidate.id == kerry.id).values(
        status="confirmed", decided_by="analyst-2", decided_at=decided, reason="Same person"))

    second = await find_duplicates(db, force_id=force_a.id, found_by="analyst-3")
    after = await _candidates(db)
    assert isinstance(second, LinkReport)
    assert second.added == 0 and second.already_known == second.pairs_found == first.pairs_found
    assert set(after) == set(before)
    assert after[_pair(people["margaret"], people["margaret_typo"])].status == "rejected"
    assert after[_pair(people["kerry"], people["kerry_copy"])].status == "confirmed"
    assert {c.found_by for c in after.values()} == {"analyst-1"}

    # Once merged away, a record is not offered again; the pairs already decided stay as they were.
    await db.execute(update(Person).where(Person.id == people["kerry_copy"].id)
                     .values(merged_into_id=people["kerry"].id))
    third = await find_duplicates(db, force_id=force_a.id, found_by="analyst-3")
    assert third.people == first.people - 1 and third.added == 0
    assert set(await _candidates(db)) == set(before)


async def test_a_threshold_outside_zero_to_one_is_refused(db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    for threshold in (0, 1.5, float("nan")):
        try:
            await find_duplicates(db, force_id=force_a.id, found_by="x", threshold=threshold)
        except ValueError as exc:
            assert "threshold" in str(exc)
        else:
            raise AssertionError(f"threshold {threshold} was accepted")


def _run(db: DatabaseUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=db.app_url, DATABASE_ADMIN_URL=db.admin_url, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "safeguard", "people", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_the_command_adds_pairs_to_the_queue_once(fresh_db: DatabaseUnderTest) -> None:
    rows, _ = make_people(seed=15, households=120)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        force_id = conn.execute("INSERT INTO force (code, name) VALUES ('LNK', 'Link Police') RETURNING id"
                                ).fetchone()[0]  # type: ignore[index]
        for _, forename, surname, dob, gender, address, postcode, phone in [*rows, ["x", *THACKERAY],
                                                                             ["y", *NAMED["margaret_typo"]]]:
            year, month, day = (int(part) for part in dob.split("-")) if dob else (None, None, None)
            person = conn.execute(
                "INSERT INTO person (force_id, forename, surname, dob_year, dob_month, dob_day, gender) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (force_id, forename, surname, year, month, day, GENDERS[gender])).fetchone()[0]  # type: ignore[index]
            line1, town = address.rsplit(", ", 1)
            location = conn.execute("INSERT INTO location (force_id, line1, town, postcode) VALUES (%s, %s, %s, %s) "
                                    "RETURNING id", (force_id, line1, town, postcode)).fetchone()[0]  # type: ignore[index]
            conn.execute("INSERT INTO person_address (force_id, person_id, location_id) VALUES (%s, %s, %s)",
                         (force_id, person, location))
            if phone:
                conn.execute("INSERT INTO person_phone (force_id, person_id, number_e164) VALUES (%s, %s, %s)",
                             (force_id, person, normalise_phone(phone)))

    first = _run(fresh_db, "link", "--force", "LNK")
    assert first.returncode == 0, first.stderr
    assert f"LNK: {len(rows) + 2:,} person records compared" in first.stdout
    assert "added to the review queue and 0 already there" in first.stdout
    assert "Traceback" not in first.stderr and "splink" not in first.stderr.lower()
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        queued = conn.execute("SELECT count(*), min(found_by), max(found_by) FROM duplicate_candidate").fetchone()
        assert queued is not None and queued[0] > 0 and queued[1:] == ("command line", "command line")
        audit = conn.execute("SELECT details FROM audit_event WHERE action = 'people.linkage_run'").fetchall()
        assert len(audit) == 1 and audit[0][0]["added"] == queued[0]
    second = _run(fresh_db, "link", "--force", "LNK", "--threshold", "0.9")
    assert second.returncode == 0, second.stderr
    assert f"of which 0 added to the review queue and {queued[0]:,} already there" in second.stdout

    refused = _run(fresh_db, "link", "--force", "LNK", "--threshold", "1.5")
    assert refused.returncode == 2 and "--threshold must be a match probability" in refused.stderr
    unknown = _run(fresh_db, "link", "--force", "NOPE")
    assert unknown.returncode == 2 and "No force with code 'NOPE'" in unknown.stderr
