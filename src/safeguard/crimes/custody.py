"""Arrests and their custody records: recording an arrest (which moves the suspect to arrested), then the
arrival at the station, reviews, a superintendent's extension, a warrant of further detention and release.

The clock itself is pure (`crimes.clock`); this module gathers the record, applies the same rules to every
entry before anything is written, and audits every read. Refusals raise `CrimeRefused` naming each field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.models import Team
from safeguard.crimes import clock as custody_clock
from safeguard.crimes import offences as catalogue
from safeguard.crimes import suspects
from safeguard.crimes.models import Arrest, ArrestOffence, Charge, Crime, CustodyReview, Offence, Suspect
from safeguard.crimes.rules import RANK_LABELS, ClockRules, rules_for
from safeguard.crimes.service import MAX_OFFENCES, CrimeRefused, PersonInCrime, _person
from safeguard.operations.models import Operation
from safeguard.people.models import Person
from safeguard.people.service import may_see

TOLERANCE = suspects.FUTURE_TOLERANCE
MAX_TEXT = 500


class ArrestNotFound(LookupError):
    """No such arrest in this force (or its person is restricted from the reader)."""


@dataclass(frozen=True)
class NewArrest:
    suspect_id: int
    arrested_at: datetime | None
    place: str
    offence_codes: Sequence[str]
    team_id: int | None
    arresting_officer: str | None = None  # default: whoever records it
    operation_id: int | None = None  # None: regular response
    da_related: bool | None = None  # default: the crime's DA flag
    for_bail_breach: bool = False
    custody_station: str | None = None
    arrived_at_station: datetime | None = None
    detention_authorised_at: datetime | None = None


@dataclass(frozen=True)
class ReviewView:
    id: int
    reviewed_at: datetime
    by: str
    rank: str | None
    rank_label: str | None
    detention_continued: bool
    note: str | None


@dataclass(frozen=True)
class ArrestView:
    id: int
    suspect_id: int | None
    suspect_status: str | None
    crime_id: int | None
    crime_reference: str | None
    person: PersonInCrime
    arrested_at: datetime
    place: str | None
    arrested_by: str
    team_id: int | None
    team: str | None
    operation_id: int | None
    da_related: bool
    for_bail_breach: bool
    offences: list[tuple[str, str]]  # (code, title)
    custody_station: str | None
    arrived_at_station: datetime | None
    detention_authorised_at: datetime | None
    released_at: datetime | None
    release_reason: str | None
    superintendent_extension_at: datetime | None
    superintendent_extension_by: str | None
    warrant_until: datetime | None
    reviews: list[ReviewView]
    charged_at: datetime | None
    clock: custody_clock.Clock
    rules: ClockRules


async def operations(db: AsyncSession) -> list[tuple[int, str]]:
    """The force's operations that an arrest may be made in (not closed), newest first, as (id, label)."""
    rows = await db.scalars(select(Operation).where(Operation.status != "closed")
                            .order_by(Operation.starts_on.desc(), Operation.id.desc()))
    return [(o.id, f"{o.name} ({o.starts_on:%-d %b} to {o.ends_on:%-d %b %Y})") for o in rows]


async def teams(db: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    """The force's teams (staff tables are filtered by force in code, not by row-level security)."""
    return [(t.id, t.name) for t in await db.scalars(select(Team).where(Team.force_id == actor.force_id)
                                                     .order_by(Team.name))]


def _text_problem(errors: dict[str, str], key: str, value: str | None, what: str, limit: int = MAX_TEXT,
                  *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        errors[key] = f"Enter {what}"
    elif len(text) > limit:
        errors[key] = f"{what[0].upper()}{what[1:]} must be at most {limit} characters"
    return text or None


# -- recording an arrest -----------------------------------------------------------------------------------

async def record_arrest(db: AsyncSession, actor: Actor, new: NewArrest, *, via: str = "web",
                        now: datetime | None = None, dry_run: bool = False) -> Arrest | None:
    """Record an arrest of a suspect and move them to arrested. Raises CrimeRefused (nothing written).

    With `dry_run`, only checks (and returns None)."""
    now = now or datetime.now(UTC)
    suspect, crime, person = await suspects.load_suspect(db, actor, new.suspect_id, lock=True)
    errors: dict[str, str] = {}
    refusal = suspects.why_not(suspect.status, "arrested", how=suspects.ARREST)
    if refusal:
        errors["suspect"] = refusal
    at = new.arrested_at
    if at is None:
        errors["arrested_at"] = "Enter the date and time of the arrest"
    else:
        problem = suspects.time_problem(at, now, "of the arrest")
        if problem:
            errors["arrested_at"] = problem
        elif at < crime.occurred_at.replace(second=0, microsecond=0):
            errors["arrested_at"] = (f"The arrest must be after the crime happened "
                                     f"({suspects.uk_text(crime.occurred_at)})")
        elif not refusal and not suspects.not_before(at, suspect.status_since):
            errors["arrested_at"] = (f"The arrest must be after the suspect's last step "
                                     f"({suspects.uk_text(suspect.status_since)})")
    place = _text_problem(errors, "place", new.place, "where the arrest was made", required=True)
    officer = _text_problem(errors, "arresting_officer", new.arresting_officer, "the arresting officer", 140)
    station = _text_problem(errors, "custody_station", new.custody_station, "the custody station", 120)
    codes = list(dict.fromkeys(code.strip() for code in new.offence_codes if code.strip()))
    found: dict[str, Offence] = {}
    if not codes:
        errors["offences"] = "Choose at least one offence the suspect was arrested for"
    elif len(codes) > MAX_OFFENCES:
        errors["offences"] = f"Choose at most {MAX_OFFENCES} offences"
    else:
        found = await catalogue.by_codes(db, codes)
        unknown = [code for code in codes if code not in found or not found[code].active]
        if unknown:
            errors["offences"] = f"'{unknown[0]}' is not an offence in the catalogue"
    if new.team_id is None:
        errors["team"] = "Choose the team that made the arrest"
    elif new.team_id not in dict(await teams(db, actor)):
        errors["team"] = "Choose a team of your force"
    if new.operation_id is not None and not 1 <= new.operation_id <= 2**62:
        errors["operation"] = "Give the operation's number, or choose regular response"
    elif new.operation_id is not None and await db.get(Operation, new.operation_id) is None:
        errors["operation"] = (f"There is no operation {new.operation_id} in your force: give the number on the "
                               "operation's page, or choose regular response")
    if new.for_bail_breach and (suspect.status != "bailed" or await suspects.active_bail(db, suspect.id) is None):
        errors["for_bail_breach"] = "Only a suspect on pre-charge bail can be arrested for breaching it"
    if at is not None and "arrested_at" not in errors:
        errors.update({key: message for key, message in custody_clock.arrival_problems(
            custody_clock.CustodyRecord(at), new.arrived_at_station, new.detention_authorised_at, now,
            TOLERANCE).items()})
    if errors:
        raise CrimeRefused(errors)
    if dry_run:
        return None
    assert at is not None
    arrest = Arrest(force_id=actor.force_id, person_id=person.id, suspect_id=suspect.id, arrested_at=at, place=place,
                    arrested_by=officer or actor.label, arrested_by_id=None if officer else actor.user_id,
                    team_id=new.team_id, operation_id=new.operation_id,
                    da_related=crime.da_related if new.da_related is None else new.da_related,
                    for_bail_breach=new.for_bail_breach, custody_station=station,
                    arrived_at_station=new.arrived_at_station, detention_authorised_at=new.detention_authorised_at)
    db.add(arrest)
    await db.flush()
    for code in codes:
        db.add(ArrestOffence(force_id=actor.force_id, arrest_id=arrest.id, offence_id=found[code].id))
    await suspects.move(db, actor, suspect, "arrested", at, reason=None,
                        details={"arrest_id": arrest.id, **({"bail_breach": True} if new.for_bail_breach else {})})
    await audit.record(db, action="arrest.create", actor=actor, object_type="arrest", object_id=arrest.id,
                       details={"suspect_id": suspect.id, "crime_id": crime.id, "offences": codes,
                                "operation_id": new.operation_id, "via": via})
    return arrest


# -- the custody record ------------------------------------------------------------------------------------

async def _load(db: AsyncSession, actor: Actor, arrest_id: int, *, lock: bool = False) -> Arrest:
    query = select(Arrest).where(Arrest.id == arrest_id).execution_options(populate_existing=True)
    arrest = (await db.scalars(query.with_for_update() if lock else query)).first()
    if arrest is None:
        raise ArrestNotFound(arrest_id)
    person = (await db.scalars(select(Person).where(Person.id == arrest.person_id))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person.id)):
        raise ArrestNotFound(arrest_id)
    return arrest


def _as_record(arrest: Arrest, reviews: Sequence[datetime], charged_at: datetime | None
               ) -> custody_clock.CustodyRecord:
    return custody_clock.CustodyRecord(
        arrested_at=arrest.arrested_at, arrived_at_station=arrest.arrived_at_station,
        detention_authorised_at=arrest.detention_authorised_at, for_bail_breach=arrest.for_bail_breach,
        reviews=tuple(sorted(reviews)), superintendent_extension_at=arrest.superintendent_extension_at,
        warrant_until=arrest.warrant_of_further_detention_until, released_at=arrest.released_at,
        charged_at=charged_at)


async def _records(db: AsyncSession, arrests: Sequence[Arrest]) -> dict[int, custody_clock.CustodyRecord]:
    """The custody record of each arrest, in two queries however many there are."""
    ids = [a.id for a in arrests]
    reviews: dict[int, list[datetime]] = {}
    charged: dict[int, datetime] = {}
    if ids:
        for arrest_id, at in await db.execute(select(CustodyReview.arrest_id, CustodyReview.reviewed_at)
                                               .where(CustodyReview.arrest_id.in_(ids))):
            reviews.setdefault(arrest_id, []).append(at)
        for charged_arrest, first in await db.execute(
                select(Charge.arrest_id, func.min(Charge.charged_at))
                .where(Charge.arrest_id.in_(ids)).group_by(Charge.arrest_id)):
            if charged_arrest is not None:
                charged[charged_arrest] = first
    return {a.id: _as_record(a, reviews.get(a.id, []), charged.get(a.id)) for a in arrests}


async def _record(db: AsyncSession, arrest: Arrest) -> custody_clock.CustodyRecord:
    return (await _records(db, [arrest]))[arrest.id]


async def _offence_codes(db: AsyncSession, arrest_id: int) -> list[str]:
    return list(await db.scalars(select(Offence.code).join(ArrestOffence, ArrestOffence.offence_id == Offence.id)
                                 .where(ArrestOffence.arrest_id == arrest_id).order_by(ArrestOffence.id)))


async def _done(db: AsyncSession, actor: Actor, arrest: Arrest, action: str, via: str, **details: object) -> None:
    await db.flush()
    await audit.record(db, action=f"arrest.{action}", actor=actor, object_type="arrest", object_id=arrest.id,
                       details={"via": via, **details})


async def record_arrival(db: AsyncSession, actor: Actor, arrest_id: int, *, arrived_at: datetime | None,
                         authorised_at: datetime | None, station: str | None, via: str = "web",
                         now: datetime | None = None) -> Arrest:
    """The arrival at the custody station (the relevant time) and when detention was authorised."""
    now = now or datetime.now(UTC)
    arrest = await _load(db, actor, arrest_id, lock=True)
    record = await _record(db, arrest)
    errors: dict[str, str] = {}
    name = _text_problem(errors, "custody_station", station, "the custody station", 120)
    if arrest.arrived_at_station is not None:
        errors["arrived_at"] = (f"The arrival at the station was recorded already "
                                f"({suspects.uk_text(arrest.arrived_at_station)})")
    elif arrived_at is None:
        errors["arrived_at"] = "Enter the date and time of the arrival at the station"
    else:
        errors.update(custody_clock.arrival_problems(record, arrived_at, authorised_at, now, TOLERANCE))
        stop = custody_clock.stopped_problem(record)
        if stop:
            errors["arrived_at"] = stop
    if errors:
        raise CrimeRefused(errors)
    arrest.arrived_at_station = arrived_at
    arrest.detention_authorised_at = authorised_at
    arrest.custody_station = name or arrest.custody_station
    await _done(db, actor, arrest, "arrival", via)
    return arrest


@dataclass(frozen=True)
class NewReview:
    reviewed_at: datetime | None
    by: str
    rank: str
    detention_continued: bool = True
    note: str | None = None


async def record_review(db: AsyncSession, actor: Actor, arrest_id: int, review: NewReview, *, via: str = "web",
                        now: datetime | None = None) -> CustodyReview:
    """A PACE s40 review of continued detention, by an officer of a rank the force's rules accept."""
    now = now or datetime.now(UTC)
    arrest = await _load(db, actor, arrest_id, lock=True)
    rules = (await rules_for(db, actor.force_id)).clock
    record = await _record(db, arrest)
    errors: dict[str, str] = {}
    if review.reviewed_at is None:
        errors["reviewed_at"] = "Enter the date and time of the review"
    else:
        problem = custody_clock.review_problem(record, review.reviewed_at, now, TOLERANCE, rules)
        if problem:
            errors["reviewed_at"] = problem
    by = _text_problem(errors, "by", review.by, "the name of the reviewing officer", 140, required=True)
    if review.rank not in rules.review_ranks:
        accepted = ", ".join(RANK_LABELS.get(r, r).lower() for r in rules.review_ranks)
        errors["rank"] = f"Detention before charge is reviewed by an officer of one of these ranks: {accepted}"
    note = _text_problem(errors, "note", review.note, "the review note", 2000)
    if not review.detention_continued and not note:
        errors["note"] = "Say why detention was not continued"
    if errors:
        raise CrimeRefused(errors)
    assert review.reviewed_at is not None and by is not None
    row = CustodyReview(force_id=arrest.force_id, arrest_id=arrest.id, reviewed_at=review.reviewed_at, by=by,
                        by_id=actor.user_id, reviewer_rank=review.rank,
                        detention_continued=review.detention_continued, note=note)
    db.add(row)
    await _done(db, actor, arrest, "review", via, continued=review.detention_continued)
    return row


async def record_extension(db: AsyncSession, actor: Actor, arrest_id: int, *, at: datetime | None, by: str,
                           rank: str, via: str = "web", now: datetime | None = None) -> Arrest:
    """A superintendent's extension of detention to 36 hours from the relevant time (PACE s42)."""
    now = now or datetime.now(UTC)
    arrest = await _load(db, actor, arrest_id, lock=True)
    rules = (await rules_for(db, actor.force_id)).clock
    record = await _record(db, arrest)
    errors: dict[str, str] = {}
    if at is None:
        errors["at"] = "Enter the date and time of the extension"
    else:
        problem = custody_clock.extension_problem(record, at, now, TOLERANCE, rules,
                                                  await _offence_codes(db, arrest.id))
        if problem:
            errors["at"] = problem
    name = _text_problem(errors, "by", by, "the name of the superintendent", 100, required=True)
    if rank not in rules.extension_ranks:
        accepted = " or ".join(RANK_LABELS.get(r, r).lower() for r in rules.extension_ranks)
        errors["rank"] = f"Only a {accepted} may extend detention"
    if errors:
        raise CrimeRefused(errors)
    arrest.superintendent_extension_at = at
    arrest.superintendent_extension_by = f"{name} ({RANK_LABELS.get(rank, rank).lower()})"
    await _done(db, actor, arrest, "extension", via)
    return arrest


async def record_warrant(db: AsyncSession, actor: Actor, arrest_id: int, *, issued_at: datetime | None,
                         until: datetime | None, court: str | None = None, via: str = "web",
                         now: datetime | None = None) -> Arrest:
    """A magistrates' warrant of further detention (PACE s43), or its extension (s44)."""
    now = now or datetime.now(UTC)
    arrest = await _load(db, actor, arrest_id, lock=True)
    rules = (await rules_for(db, actor.force_id)).clock
    record = await _record(db, arrest)
    errors: dict[str, str] = {}
    court_name = _text_problem(errors, "court", court, "the court", 200)
    if issued_at is None:
        errors["issued_at"] = "Enter the date and time the warrant was issued"
    if until is None:
        errors["until"] = "Enter the date and time the warrant runs to"
    if issued_at is not None and until is not None:
        errors.update(custody_clock.warrant_problem(record, issued_at, until, now, TOLERANCE, rules,
                                                    await _offence_codes(db, arrest.id)))
    if errors:
        raise CrimeRefused(errors)
    assert issued_at is not None and until is not None
    previous = arrest.warrant_of_further_detention_until
    arrest.warrant_of_further_detention_until = until
    # The warrant's issue and court live in the audit trail (the custody record keeps the time it runs to).
    await _done(db, actor, arrest, "warrant", via, issued_at=issued_at.isoformat(), until=until.isoformat(),
                court=court_name, previous_until=previous.isoformat() if previous else None)
    return arrest


async def record_release(db: AsyncSession, actor: Actor, arrest_id: int, *, released_at: datetime | None,
                         reason: str, via: str = "web", now: datetime | None = None) -> Arrest:
    """Release from custody. The suspect's next status (bail, RUI, NFA) is a step on the suspect's page."""
    now = now or datetime.now(UTC)
    arrest = await _load(db, actor, arrest_id, lock=True)
    record = await _record(db, arrest)
    errors: dict[str, str] = {}
    if released_at is None:
        errors["released_at"] = "Enter the date and time of the release"
    else:
        problem = custody_clock.release_problem(record, released_at, now, TOLERANCE)
        if problem:
            errors["released_at"] = problem
    why = _text_problem(errors, "reason", reason, "the reason for the release", 500, required=True)
    if errors:
        raise CrimeRefused(errors)
    arrest.released_at = released_at
    arrest.release_reason = why
    await _done(db, actor, arrest, "release", via)
    return arrest


# -- reading -----------------------------------------------------------------------------------------------

async def read_arrest(db: AsyncSession, actor: Actor, arrest_id: int, *, now: datetime | None = None,
                      reason: str | None = None) -> ArrestView:
    """An arrest with its custody record and clock at `now`. Audited."""
    now = now or datetime.now(UTC)
    arrest = await _load(db, actor, arrest_id)
    await audit.record_read(db, actor, "arrest", arrest_id, reason=reason)
    rules = (await rules_for(db, actor.force_id)).clock
    record = await _record(db, arrest)
    suspect = crime = None
    if arrest.suspect_id is not None:
        suspect = (await db.scalars(select(Suspect).where(Suspect.id == arrest.suspect_id))).first()
        if suspect is not None:
            crime = (await db.scalars(select(Crime).where(Crime.id == suspect.crime_id))).first()
    person = (await db.scalars(select(Person).where(Person.id == arrest.person_id))).first()
    team = dict(await teams(db, actor)).get(arrest.team_id) if arrest.team_id else None
    offences = [(code, title) for code, title in await db.execute(
        select(Offence.code, Offence.title).join(ArrestOffence, ArrestOffence.offence_id == Offence.id)
        .where(ArrestOffence.arrest_id == arrest.id).order_by(ArrestOffence.id))]
    reviews = [ReviewView(r.id, r.reviewed_at, r.by, r.reviewer_rank,
                          RANK_LABELS.get(r.reviewer_rank or "", r.reviewer_rank), r.detention_continued, r.note)
               for r in await db.scalars(select(CustodyReview).where(CustodyReview.arrest_id == arrest.id)
                                         .order_by(CustodyReview.reviewed_at, CustodyReview.id))]
    return ArrestView(
        arrest.id, arrest.suspect_id, suspect.status if suspect else None, crime.id if crime else None,
        crime.reference if crime else None, await _person(db, actor, arrest.person_id, person), arrest.arrested_at,
        arrest.place, arrest.arrested_by, arrest.team_id, team, arrest.operation_id, arrest.da_related,
        arrest.for_bail_breach, offences, arrest.custody_station, arrest.arrived_at_station,
        arrest.detention_authorised_at, arrest.released_at, arrest.release_reason,
        arrest.superintendent_extension_at, arrest.superintendent_extension_by,
        arrest.warrant_of_further_detention_until, reviews, record.charged_at,
        custody_clock.clock(record, now, rules), rules)


@dataclass(frozen=True)
class InCustody:
    arrest_id: int
    person: PersonInCrime
    crime_reference: str | None
    custody_station: str | None
    clock: custody_clock.Clock


async def in_custody(db: AsyncSession, actor: Actor, *, now: datetime | None = None, limit: int = 200
                     ) -> list[InCustody]:
    """Everyone detained now (arrests whose custody has not ended), soonest limit first. Audited as a list."""
    now = now or datetime.now(UTC)
    rules = (await rules_for(db, actor.force_id)).clock
    rows = (await db.execute(
        select(Arrest, Person, Crime.reference).outerjoin(Person, Person.id == Arrest.person_id)
        .outerjoin(Suspect, Suspect.id == Arrest.suspect_id).outerjoin(Crime, Crime.id == Suspect.crime_id)
        .where(Arrest.released_at.is_(None)).order_by(Arrest.arrested_at).limit(limit))).all()
    records = await _records(db, [arrest for arrest, _, _ in rows])
    items = []
    for arrest, person, reference in rows:
        result = custody_clock.clock(records[arrest.id], now, rules)
        if not result.running:
            continue
        items.append(InCustody(arrest.id, await _person(db, actor, arrest.person_id, person), reference,
                               arrest.custody_station, result))
    items.sort(key=lambda item: min(item.clock.limit, item.clock.next_review_due or item.clock.limit))
    await audit.record(db, action="arrest.list", actor=actor, object_type="arrest",
                       details={"list": "in custody", "shown": len(items)})
    return items
