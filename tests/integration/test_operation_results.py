"""An operation's results from hand-made data with known counts: arrests inside and outside its days, DA and not,
targeted and not; charges in several categories; outcomes of the targets' crimes; the previous operation and
an ordinary week; a running and a future operation; the summary API's contract; the CSV and the press PDF."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes import offences as catalogue
from safeguard.crimes.models import OFFENCE_CATEGORIES, Arrest, Charge, ChargeOffence, Crime, Suspect
from safeguard.crimes.service import UK, uk_time
from safeguard.db.session import set_force_context
from safeguard.operations import results
from safeguard.operations.models import ArrestAttempt, Operation, OperationTarget
from safeguard.people.models import Person
from tests.conftest import ForceData, make_user, sign_in
from tests.integration.crime_scene import actor_for

TODAY = uk_time(datetime.now(UTC)).date()
START = TODAY - timedelta(days=20)  # a finished week: START .. START + 6
END = START + timedelta(days=6)
SUMMARY_KEYS = {"period", "arrests_total", "arrests_da", "arrests_targeted", "charges_by_category", "targets_total",
                "targets_arrested", "targets_outstanding", "comparison"}


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment on a UK day (so the edges of a period are UK midnights, as the definitions say)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


# -- hand-made records (also used by the board tests) ------------------------------------------------------

async def person(db: AsyncSession, force: ForceData, forename: str, surname: str) -> Person:
    found = Person(force_id=force.id, forename=forename, surname=surname, dob_year=1980)
    db.add(found)
    await db.flush()
    return found


async def operation(db: AsyncSession, force: ForceData, name: str, starts_on: date, ends_on: date) -> Operation:
    found = Operation(force_id=force.id, name=name, objective="Arrest the force's highest-harm DA suspects",
                      starts_on=starts_on, ends_on=ends_on, lead_name="Insp Lead", created_by="test")
    db.add(found)
    await db.flush()
    return found


async def target(db: AsyncSession, force: ForceData, op: Operation, who: Person, status: str = "outstanding",
                 team_kind: str | None = None) -> OperationTarget:
    team = force.teams[team_kind] if team_kind else None
    found = OperationTarget(force_id=force.id, operation_id=op.id, person_id=who.id, source="manual",
                            status=status, team_kind=team_kind, team_id=team.id if team else None, added_by="test")
    db.add(found)
    await db.flush()
    return found


async def arrest(db: AsyncSession, force: ForceData, who: Person, when: datetime, *, da: bool = False,
                 op: Operation | None = None) -> Arrest:
    found = Arrest(force_id=force.id, person_id=who.id, arrested_at=when, arrested_by="PC Test", da_related=da,
                   operation_id=op.id if op else None)
    db.add(found)
    await db.flush()
    return found


async def crime_of(db: AsyncSession, force: ForceData, who: Person, when: datetime) -> tuple[Crime, Suspect]:
    count = await db.scalar(select(func.count()).select_from(Crime))
    crime = Crime(force_id=force.id, reference=f"CR-OP-{force.id}-{count}", occurred_at=when - timedelta(days=30),
                  recorded_at=when - timedelta(days=30), recorded_by="test", da_related=True)
    db.add(crime)
    await db.flush()
    suspect = Suspect(force_id=force.id, crime_id=crime.id, person_id=who.id)
    db.add(suspect)
    await db.flush()
    return crime, suspect


async def charge(db: AsyncSession, force: ForceData, who: Person, when: datetime, codes: list[str]) -> Crime:
    crime, suspect = await crime_of(db, force, who, when)
    found = Charge(force_id=force.id, suspect_id=suspect.id, charged_at=when, decided_by="cps", charged_by="test")
    db.add(found)
    await db.flush()
    offences = await catalogue.by_codes(db, codes)
    db.add_all([ChargeOffence(force_id=force.id, charge_id=found.id, offence_id=offences[c].id) for c in codes])
    await db.flush()
    return crime


async def outcome(db: AsyncSession, crime: Crime, code: str, when: datetime) -> None:
    crime.outcome_code, crime.outcome_at, crime.outcome_by = code, when, "test"
    await db.flush()


async def attempt(db: AsyncSession, force: ForceData, op: Operation, chosen: OperationTarget, planned: datetime,
                  outcome: str | None = None, made: datetime | None = None) -> ArrestAttempt:
    found = ArrestAttempt(force_id=force.id, operation_id=op.id, target_id=chosen.id, planned_at=planned,
                          address="1 Test Street", planned_by="test", outcome=outcome,
                          attempted_at=(made or planned) if outcome else None, recorded_by="test" if outcome else None)
    db.add(found)
    await db.flush()
    return found


@dataclass
class Known:
    force: ForceData
    op: Operation
    previous: Operation
    names: list[str]  # every person's name, none of which may reach the press summary
    outstanding: list[OperationTarget]


async def known_operation(db: AsyncSession, force: ForceData, other: ForceData) -> Known:
    """Operation Vanguard (a finished week) with five targets and every kind of arrest, charge and outcome
    around it; an older operation and the previous one; one still overlapping it; another force's."""
    await set_force_context(db, force.id)
    people = {name: await person(db, force, name, surname) for name, surname in [
        ("Aaron", "Ashby"), ("Brian", "Bolt"), ("Colin", "Carver"), ("Derek", "Dunn"), ("Ewan", "Ely"),
        ("Frank", "Fenn"), ("Gary", "Gale"), ("Harry", "Hale"), ("Ivan", "Irons")]}
    op = await operation(db, force, "Operation Vanguard", START, END)
    t1 = await target(db, force, op, people["Aaron"], "arrested", "public_protection")
    await target(db, force, op, people["Brian"], "arrested", "local_policing")
    t3 = await target(db, force, op, people["Colin"], "outstanding", "operational_support")
    t4 = await target(db, force, op, people["Derek"])
    await target(db, force, op, people["Ewan"], "withdrawn", "local_policing")
    await attempt(db, force, op, t3, at(START + timedelta(days=1), 6), "not-present")
    await attempt(db, force, op, t3, at(START + timedelta(days=3), 6), "address-invalid")
    await attempt(db, force, op, t3, at(START + timedelta(days=5), 6))  # planned, never made
    await attempt(db, force, op, t1, at(START + timedelta(days=1), 6), "arrested")

    # In the period: 6 arrests, 4 for DA, 3 of targets in the operation.
    await arrest(db, force, people["Aaron"], at(START + timedelta(days=1), 6, 5), da=True, op=op)
    await arrest(db, force, people["Aaron"], at(START + timedelta(days=5)), op=op)  # again: a second arrest
    await arrest(db, force, people["Brian"], at(START, 0, 0), da=True, op=op)  # the first instant counts
    await arrest(db, force, people["Frank"], at(START + timedelta(days=2)), da=True, op=op)  # in it, not a target
    await arrest(db, force, people["Derek"], at(START + timedelta(days=2)), da=True)  # a target, not in it
    await arrest(db, force, people["Gary"], at(END, 23, 30))  # regular response, the last day
    # Outside it: the ordinary week before (2 arrests, 1 DA) and the day after.
    await arrest(db, force, people["Harry"], at(START - timedelta(days=1), 23, 59))
    await arrest(db, force, people["Harry"], at(START - timedelta(days=7), 0, 0), da=True)
    await arrest(db, force, people["Aaron"], at(END + timedelta(days=1), 0, 0), da=True, op=op)

    crime_a = await charge(db, force, people["Aaron"], at(START + timedelta(days=2)), ["coercive-control", "abh"])
    crime_f = await charge(db, force, people["Frank"], at(START + timedelta(days=3)), ["threats-to-kill"])
    await charge(db, force, people["Gary"], at(END, 22), ["false-imprisonment", "kidnapping"])
    await charge(db, force, people["Harry"], at(START - timedelta(days=2)), ["harassment"])  # the ordinary week
    await charge(db, force, people["Ivan"], at(END + timedelta(days=1), 1), ["abh"])  # after
    await outcome(db, crime_a, "1", at(START + timedelta(days=4)))
    await outcome(db, crime_f, "16", at(START + timedelta(days=4)))  # not a target's crime
    crime_c, _ = await crime_of(db, force, people["Colin"], at(START))
    await outcome(db, crime_c, "16", at(START + timedelta(days=5)))
    crime_b, _ = await crime_of(db, force, people["Brian"], at(START))
    await outcome(db, crime_b, "1", at(END + timedelta(days=2)))  # after

    # The previous operation (ended before Vanguard started), an older one, and one that overlaps Vanguard.
    await operation(db, force, "Operation Older", TODAY - timedelta(days=60), TODAY - timedelta(days=54))
    previous = await operation(db, force, "Operation Sentinel", TODAY - timedelta(days=40), TODAY - timedelta(days=34))
    await operation(db, force, "Operation Overlap", START - timedelta(days=2), START + timedelta(days=5))
    await target(db, force, previous, people["Ivan"], "arrested", "public_protection")
    await target(db, force, previous, people["Harry"], "outstanding")
    await arrest(db, force, people["Ivan"], at(TODAY - timedelta(days=38)), da=True, op=previous)
    await arrest(db, force, people["Gary"], at(TODAY - timedelta(days=36)))

    await set_force_context(db, other.id)
    theirs = await person(db, other, "Zed", "Zebedee")
    await operation(db, other, "Operation Elsewhere", START - timedelta(days=3), START - timedelta(days=1))
    await arrest(db, other, theirs, at(START + timedelta(days=1)), da=True)
    await set_force_context(db, force.id)
    return Known(force, op, previous, [f"{p.forename} {p.surname}" for p in people.values()] + ["Zed Zebedee"],
                 [t3, t4])


async def test_the_summary_counts_exactly_what_the_definitions_say(db: AsyncSession, force_a: ForceData,
                                                                   force_b: ForceData) -> None:
    known = await known_operation(db, force_a, force_b)
    lead = await make_user(db, force_a, "operation_lead")
    found = await results.summary(db, actor_for(lead, force_a), known.op.id)
    assert found.period == results.Period(START, END) and found.state == results.FINISHED
    assert found.counted == results.Period(START, END)
    assert (found.arrests_total, found.arrests_da, found.arrests_targeted) == (6, 4, 3)
    assert found.charges_by_category == {**{c: 0 for c in OFFENCE_CATEGORIES}, "assault-wounding": 1,
                                         "coercive-control-stalking": 1, "threats-to-kill": 1,
                                         "false-imprisonment-kidnap": 2}
    assert list(found.charges_by_category) == list(OFFENCE_CATEGORIES)
    assert (found.targets_total, found.targets_arrested, found.targets_outstanding, found.targets_withdrawn) == (
        4, 2, 2, 1)
    assert [(o.code, o.count) for o in found.outcomes] == [("1", 1), ("16", 1)]
    assert [(t.name, t.team, t.attempts, t.last_outcome) for t in found.outstanding] == [
        ("Colin Carver", "Operational support", 2, "Address no longer valid"),
        ("Derek Dunn", "Not assigned", 0, None)]
    # The previous operation is the one that ended most recently before this one started, counted alike.
    assert found.previous is not None and found.previous.name == "Operation Sentinel"
    p = found.previous
    assert (p.arrests_total, p.arrests_da, p.arrests_targeted, p.targets_total, p.targets_arrested) == (2, 1, 1, 2, 1)
    assert p.previous is None and p.outstanding == []  # its own figures, no comparisons of its own
    # An ordinary week: the seven days just before.
    assert found.ordinary is not None
    assert found.ordinary.period == results.Period(START - timedelta(days=7), START - timedelta(days=1))
    assert (found.ordinary.arrests_total, found.ordinary.arrests_da) == (2, 1)
    assert found.ordinary.charges_by_category["harassment"] == 1 and found.ordinary.charges == 1
    assert results.headline(found) == "6 arrests in the week, 3 of them of targeted domestic abuse suspects."
    assert results.ordinary_label(found.ordinary.period).startswith("An ordinary week (")
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "operation.summary")))
    assert [(e.object_type, e.object_id) for e in events] == [("operation", str(known.op.id))]


async def test_a_running_operation_counts_so_far_and_compares_like_with_like(
        db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    op = await operation(db, force_a, "Operation Now", TODAY - timedelta(days=2), TODAY + timedelta(days=4))
    chosen = await person(db, force_a, "Nigel", "Nash")
    await target(db, force_a, op, chosen, "arrested")
    await arrest(db, force_a, chosen, datetime.now(UTC) - timedelta(minutes=1), da=True, op=op)
    await arrest(db, force_a, chosen, at(TODAY - timedelta(days=3)))  # the day before: the ordinary period
    lead = await make_user(db, force_a, "operation_lead")
    found = await results.summary(db, actor_for(lead, force_a), op)
    assert found.state == results.RUNNING and found.state_label == "Still running: figures so far"
    assert found.counted == results.Period(TODAY - timedelta(days=2), TODAY)
    assert (found.arrests_total, found.arrests_targeted) == (1, 1)
    assert found.ordinary is not None
    assert found.ordinary.period == results.Period(TODAY - timedelta(days=5), TODAY - timedelta(days=3))
    assert found.ordinary.arrests_total == 1
    assert results.headline(found) == ("1 arrest so far in the operation's first 3 days, of a targeted domestic "
                                       "abuse suspect.")
    assert results.ordinary_label(found.ordinary.period).startswith("The 3 days before (")


async def test_an_operation_not_yet_started_counts_nothing(db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    op = await operation(db, force_a, "Operation Soon", TODAY + timedelta(days=3), TODAY + timedelta(days=9))
    someone = await person(db, force_a, "Oscar", "Oak")
    await arrest(db, force_a, someone, datetime.now(UTC) - timedelta(hours=1), da=True)
    lead = await make_user(db, force_a, "operation_lead")
    found = await results.summary(db, actor_for(lead, force_a), op)
    assert found.state == results.NOT_STARTED and found.counted is None
    assert (found.arrests_total, found.charges) == (0, 0)
    assert found.ordinary is not None and found.ordinary.period.days == 7
    assert found.ordinary.period.end == TODAY + timedelta(days=2)
    assert "no arrests are counted yet" in results.headline(found)


def _summary(total: int, targeted: int, days: int = 7, state: str = results.FINISHED) -> results.OperationSummary:
    period = results.Period(date(2026, 3, 2), date(2026, 3, 1) + timedelta(days=days))
    return results.OperationSummary(
        operation_id=1, name="Operation Test", period=period, state=state, counted=period, arrests_total=total,
        arrests_da=0, arrests_targeted=targeted, charges_by_category={}, targets_total=0, targets_arrested=0,
        targets_outstanding=0, targets_withdrawn=0)


def test_the_headline_says_exactly_the_numbers() -> None:
    assert results.headline(_summary(452, 97)) == ("452 arrests in the week, 97 of them of targeted domestic "
                                                   "abuse suspects.")
    assert results.headline(_summary(12, 12)) == ("12 arrests in the week, all of them of targeted domestic "
                                                  "abuse suspects.")
    assert results.headline(_summary(5, 0, days=10)) == ("5 arrests in the 10 days, none of them of targeted "
                                                          "domestic abuse suspects.")
    assert results.headline(_summary(5, 1, days=1)) == ("5 arrests in the day, 1 of them of a targeted domestic "
                                                         "abuse suspect.")
    assert results.headline(_summary(1, 0)) == "1 arrest in the week, not of a targeted domestic abuse suspect."
    assert results.headline(_summary(0, 0)) == "No arrests in the week."
    for text in (results.headline(_summary(n, n // 3)) for n in (0, 1, 99, 100, 451, 452)):
        assert "over" not in text and "almost" not in text and "nearly" not in text
    assert results.span_text(results.Period(date(2026, 2, 27), date(2026, 3, 5))) == "27 February to 5 March 2026"
    assert results.span_text(results.Period(date(2025, 12, 30), date(2026, 1, 5))) == (
        "30 December 2025 to 5 January 2026")


# -- the API ------------------------------------------------------------------------------------------------

async def test_the_summary_api_returns_exactly_the_contract(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData, force_b: ForceData) -> None:
    known = await known_operation(db, force_a, force_b)
    token = await create_token(db, force_id=force_a.id, name="press office", scopes=["operations:read"])
    response = await client.get(f"/api/v1/operations/{known.op.id}/summary",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SUMMARY_KEYS
    assert body["period"] == {"start": START.isoformat(), "end": END.isoformat()}
    assert (body["arrests_total"], body["arrests_da"], body["arrests_targeted"]) == (6, 4, 3)
    assert body["charges_by_category"] == {**{c: 0 for c in OFFENCE_CATEGORIES}, "assault-wounding": 1,
                                           "coercive-control-stalking": 1, "threats-to-kill": 1,
                                           "false-imprisonment-kidnap": 2}
    assert (body["targets_total"], body["targets_arrested"], body["targets_outstanding"]) == (4, 2, 2)
    comparison = body["comparison"]
    assert comparison["state"] == "finished" and comparison["targets_withdrawn"] == 1
    assert comparison["previous_operation"]["name"] == "Operation Sentinel"
    assert comparison["previous_operation"]["arrests_total"] == 2
    assert comparison["ordinary_period"]["period"] == {"start": (START - timedelta(days=7)).isoformat(),
                                                       "end": (START - timedelta(days=1)).isoformat()}
    assert comparison["ordinary_period"]["arrests_total"] == 2
    assert "Colin" not in response.text  # counts only

    # Another force's operation is not found; nor is one that does not exist.
    await set_force_context(db, force_b.id)
    theirs = await operation(db, force_b, "Operation Theirs", START, END)
    await set_force_context(db, force_a.id)
    for missing in (theirs.id, 999_999):
        refused = await client.get(f"/api/v1/operations/{missing}/summary",
                                   headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 404 and refused.json() == {
            "detail": "There is no operation with that number in your force."}
    bad = await client.get("/api/v1/operations/0/summary", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and "detail" in bad.json()
    assert (await client.get(f"/api/v1/operations/{known.op.id}/summary")).status_code == 401
    # A token without operations:read, and an analyst (who has no operations), are refused.
    reports = await create_token(db, force_id=force_a.id, name="reports", scopes=["reports:read"])
    assert (await client.get(f"/api/v1/operations/{known.op.id}/summary",
                             headers={"Authorization": f"Bearer {reports}"})).status_code == 403
    analyst = await make_user(db, force_a, "analyst")
    await sign_in(client, analyst)
    assert (await client.get(f"/api/v1/operations/{known.op.id}/summary")).status_code == 403
    assert (await client.get(f"/operations/{known.op.id}/results")).status_code == 403


# -- the page and the exports ----------------------------------------------------------------------------

async def test_the_results_page_and_its_downloads(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData,
                                                  force_b: ForceData) -> None:
    known = await known_operation(db, force_a, force_b)
    lead = await make_user(db, force_a, "operation_lead")
    await sign_in(client, lead)
    page = await client.get(f"/operations/{known.op.id}/results")
    assert page.status_code == 200, page.text
    html = page.text
    assert "6 arrests in the week, 3 of them of targeted domestic abuse suspects." in html
    assert 'data-testid="results-arrests-total">6<' in html and 'data-testid="results-arrests-da">4<' in html
    assert "2 of 4 (2 outstanding; 1 withdrawn, not counted)" in html
    assert 'data-testid="results-charges-false-imprisonment-kidnap">2<' in html
    assert "Operation Sentinel" in html and "An ordinary week (" in html
    assert 'data-testid="results-ordinary-arrests">2<' in html
    assert "16: " in html and "Colin Carver" in html and "Address no longer valid" in html
    assert f'href="/operations/{known.op.id}/press.pdf"' in html

    download = await client.get(f"/operations/{known.op.id}/results.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == results.CSV_HEADER
    figures = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert figures[("figures", "arrests_total")] == "6" and figures[("figures", "arrests_targeted")] == "3"
    assert figures[("charges by category", "false-imprisonment-kidnap")] == "2"
    assert figures[("ordinary period", "arrests_total")] == "2"
    assert figures[("previous operation", "arrests_total")] == "2"
    outstanding = [r for r in rows if r[0] == "outstanding target"]
    assert [(r[2], r[3]) for r in outstanding] == [("Colin Carver", "Operational support"),
                                                   ("Derek Dunn", "Not assigned")]

    pdf = await client.get(f"/operations/{known.op.id}/press.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "OFFICIAL" in text and "Operation Vanguard" in text
    assert "6 arrests in the week, 3 of them of targeted domestic abuse suspects." in text
    assert "2 of 4 targeted suspects arrested (50%)" in text
    assert "Coercive control and stalking" in text and "False imprisonment and kidnap" in text
    assert "An ordinary week" in text and "Operation Sentinel" in text
    for name in [*known.names, "Insp Lead", lead.user.username]:
        for part in name.split():
            assert part not in text, f"{part} is in the press summary"
    assert "Arrest the force's highest-harm" not in text  # the objective is free text: left out

    exports = [(e.details or {}).get("format") for e in await db.scalars(
        select(AuditEvent).where(AuditEvent.action == "operation.results_export").order_by(AuditEvent.id))]
    assert exports == ["csv", "press-pdf"]

    # Another force's operation: 404 on the page and both downloads.
    await set_force_context(db, force_b.id)
    theirs = await operation(db, force_b, "Operation Theirs", START, END)
    for path in ("results", "results.csv", "press.pdf"):
        assert (await client.get(f"/operations/{theirs.id}/{path}")).status_code == 404
