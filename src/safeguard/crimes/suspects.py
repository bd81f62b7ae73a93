"""A suspect's lifecycle: a state machine whose every step is kept in `suspect_event`, and the wanted list.

The allowed steps are the one table `TRANSITIONS`. Each entry says how a step is taken: through the
status form (`STEP`), only by recording the arrest itself (`ARREST`, in `crimes.custody`), by charging
(`CHARGE`, in `crimes.charges`; charging by `method='charge'` needs an arrest), or by summons or postal
requisition only (`SUMMONS`: a suspect never arrested is charged that way). Anything not in the table is
refused with the reason (`why_not`). Bail periods and who may set them are data (`crimes.rules.BailRules`).
Every read of a suspect is audited, and a suspect whose person is restricted from the reader is not found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes import offences as catalogue
from safeguard.crimes.models import (
    OFFENCE_CATEGORIES,
    SUSPECT_STATUSES,
    Arrest,
    Bail,
    Charge,
    ChargeOffence,
    Crime,
    CrimeOffence,
    Offence,
    Suspect,
    SuspectEvent,
)
from safeguard.crimes.rules import AUTHORITY_LABELS, BailRules, rules_for
from safeguard.crimes.service import SUSPECT_STATUS_LABELS, CrimeRefused, PersonInCrime, _person, uk_time
from safeguard.force.models import Area
from safeguard.people.models import Person
from safeguard.people.service import may_see

STEP, ARREST, CHARGE, SUMMONS = "step", "arrest", "charge", "summons"

# from status -> {to status: how the step is taken}. The one place the lifecycle is defined.
TRANSITIONS: dict[str, dict[str, str]] = {
    "outstanding": {"wanted": STEP, "arrested": ARREST, "interviewed": STEP, "charged": SUMMONS,
                    "no-further-action": STEP},
    "wanted": {"outstanding": STEP, "arrested": ARREST, "charged": SUMMONS, "no-further-action": STEP},
    "arrested": {"interviewed": STEP, "charged": CHARGE, "bailed": STEP, "released-under-investigation": STEP,
                 "no-further-action": STEP},
    "interviewed": {"arrested": ARREST, "charged": CHARGE, "bailed": STEP, "released-under-investigation": STEP,
                    "no-further-action": STEP},
    # bailed -> bailed: bail extended or its conditions varied.
    "bailed": {"bailed": STEP, "arrested": ARREST, "interviewed": STEP, "charged": CHARGE,
               "released-under-investigation": STEP, "no-further-action": STEP},
    "released-under-investigation": {"wanted": STEP, "arrested": ARREST, "interviewed": STEP, "charged": CHARGE,
                                     "no-further-action": STEP},
    "charged": {},
    # Reopened on new evidence.
    "no-further-action": {"outstanding": STEP},
}
assert set(TRANSITIONS) == set(SUSPECT_STATUSES)
assert all(set(targets) <= set(SUSPECT_STATUSES) for targets in TRANSITIONS.values())

# "A suspect {WHO[from]} cannot be {DONE[to]}".
WHO = {
    "outstanding": "who is outstanding",
    "wanted": "who is wanted",
    "arrested": "who is under arrest",
    "interviewed": "who has been interviewed",
    "charged": "who has been charged",
    "bailed": "who is on bail",
    "released-under-investigation": "who is released under investigation",
    "no-further-action": "marked no further action",
}
DONE = {
    "outstanding": "made outstanding again",
    "wanted": "marked wanted",
    "arrested": "arrested",
    "interviewed": "recorded as interviewed",
    "charged": "charged",
    "bailed": "bailed",
    "released-under-investigation": "released under investigation",
    "no-further-action": "marked no further action",
}
# What the status form calls each step it takes.
ACTION_LABELS = {
    "outstanding": "Withdraw wanted status (back to outstanding)",
    "wanted": "Mark as wanted",
    "interviewed": "Record the interview",
    "bailed": "Bail (pre-charge)",
    "released-under-investigation": "Release under investigation",
    "no-further-action": "No further action",
}
# The steps that need a reason, and what to ask for when it is missing.
REASON_NEEDED = {
    "outstanding": "Say why the suspect is no longer wanted, or why the investigation is reopened",
    "wanted": "Say why the suspect is wanted",
    "released-under-investigation": "Say why the suspect is released under investigation rather than bailed",
    "no-further-action": "Say why no further action is taken",
}
# A step may be back-dated; a time a little ahead of the server's clock is its clock, not the future.
FUTURE_TOLERANCE = timedelta(minutes=1)
MAX_CONDITIONS = 20
WANTED_LIMIT = 200
ENDS_CUSTODY = {"bailed", "released-under-investigation", "no-further-action"}


class SuspectNotFound(LookupError):
    """No such suspect in this force (or their person is restricted from the reader)."""


def label(status: str) -> str:
    return SUSPECT_STATUS_LABELS.get(status, status)


def why_not(source: str, target: str, *, how: str | None = None) -> str | None:
    """None when `source` -> `target` is allowed (taken `how`); otherwise the reason it is refused."""
    allowed = TRANSITIONS.get(source, {})
    way = allowed.get(target)
    if way is not None and (how is None or how == way or (way == CHARGE and how == SUMMONS)):
        return None
    if target == "charged" and source in ("outstanding", "wanted"):
        return f"A suspect {WHO[source]} cannot be charged: arrest or summons them first"
    if source == target:
        return f"The suspect is already {label(source).lower()}"
    if source == "charged":
        return f"A suspect who has been charged cannot be {DONE[target]}: the case is with the court"
    if source == "no-further-action":
        return (f"A suspect marked no further action cannot be {DONE[target]}: reopen the investigation first "
                "(back to outstanding)")
    if way == ARREST:
        return "Record the arrest itself (when, where, by whom, for which offences) to mark a suspect arrested"
    if way in (CHARGE, SUMMONS):
        return "Charge the suspect with the charge form, which records the offences and the first court date"
    hint = ""
    if target in ("bailed", "released-under-investigation") and source in ("outstanding", "wanted"):
        hint = ": arrest them first"
    elif target == "interviewed" and source == "wanted":
        hint = ": arrest them, or withdraw the wanted status if they will attend a voluntary interview"
    elif target == "outstanding" and source != "wanted":
        hint = ": only a wanted suspect, or one marked no further action, goes back to outstanding"
    return f"A suspect {WHO.get(source, source)} cannot be {DONE.get(target, target)}{hint}"


def next_steps(status: str) -> list[tuple[str, str]]:
    """(to, how) for each step allowed from `status`, in the order of the lifecycle."""
    return [(to, TRANSITIONS[status][to]) for to in SUSPECT_STATUSES if to in TRANSITIONS.get(status, {})]


def uk_text(value: datetime) -> str:
    return uk_time(value).strftime("%d %B %Y %H:%M")


def time_problem(at: datetime, now: datetime, what: str) -> str | None:
    if at.tzinfo is None:
        return f"Give the time {what} with its time zone"
    if at > now + FUTURE_TOLERANCE:
        return f"The time {what} must not be in the future"
    return None


def not_before(at: datetime, earliest: datetime) -> bool:
    """`at` is no earlier than `earliest`, to the minute (forms give minutes; the database keeps seconds)."""
    return at >= earliest.replace(second=0, microsecond=0)


# -- what a step asks for ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BailTerms:
    return_on: date | None
    authority: str
    conditions: Sequence[Mapping[str, str]] = ()  # each {"kind": ..., "detail": ...}
    starts_on: date | None = None  # default: the day of the step (an extension keeps the first start date)
    victim_views: str | None = None


@dataclass(frozen=True)
class Step:
    to: str
    at: datetime | None = None  # default: now
    reason: str | None = None
    circulated: bool = False  # for "wanted": circulated on the PNC or locally
    circulation_note: str | None = None
    bail: BailTerms | None = None


# -- loading -----------------------------------------------------------------------------------------------

async def load_suspect(db: AsyncSession, actor: Actor, suspect_id: int, *, lock: bool = False
                       ) -> tuple[Suspect, Crime, Person]:
    """The suspect, their crime and their person, under row-level security; locked for a change if asked."""
    query = select(Suspect).where(Suspect.id == suspect_id).execution_options(populate_existing=True)
    suspect = (await db.scalars(query.with_for_update() if lock else query)).first()
    if suspect is None:
        raise SuspectNotFound(suspect_id)
    crime = (await db.scalars(select(Crime).where(Crime.id == suspect.crime_id))).first()
    person = (await db.scalars(select(Person).where(Person.id == suspect.person_id))).first()
    if crime is None or person is None or (person.restricted and not await may_see(db, actor,
                                                                                    person_id=person.id)):
        raise SuspectNotFound(suspect_id)
    return suspect, crime, person


async def active_bail(db: AsyncSession, suspect_id: int) -> Bail | None:
    found: Bail | None = (await db.scalars(
        select(Bail).where(Bail.suspect_id == suspect_id, Bail.kind == "pre-charge", Bail.ended_at.is_(None))
        .order_by(Bail.id.desc()).limit(1))).first()
    return found


async def open_arrest(db: AsyncSession, suspect_id: int) -> Arrest | None:
    """The suspect's arrest whose detention has not ended (released or charged), if any."""
    found: Arrest | None = (await db.scalars(
        select(Arrest).where(Arrest.suspect_id == suspect_id, Arrest.released_at.is_(None))
        .order_by(Arrest.arrested_at.desc()).limit(1))).first()
    return found


async def was_arrested(db: AsyncSession, suspect_id: int) -> bool:
    return bool(await db.scalar(select(func.count()).select_from(Arrest).where(Arrest.suspect_id == suspect_id)))


async def move(db: AsyncSession, actor: Actor, suspect: Suspect, to: str, at: datetime, *, reason: str | None,
               details: dict[str, Any] | None = None) -> SuspectEvent:
    """Write one step: the suspect's new status and the event that records it. Callers have checked it."""
    source = suspect.status
    event = SuspectEvent(force_id=suspect.force_id, suspect_id=suspect.id, from_status=source, to_status=to,
                         at=at, by=actor.label, by_id=actor.user_id, reason=reason or None, details=details or {})
    db.add(event)
    suspect.status = to
    suspect.status_since = at
    if to == "wanted":
        suspect.wanted_since = suspect.wanted_since if source == "wanted" else at
    elif source == "wanted":
        suspect.wanted_since = None
        suspect.circulated = False
    if source == "bailed" and to != "bailed":
        bail = await active_bail(db, suspect.id)
        if bail is not None:
            bail.ended_at = at
            bail.end_reason = label(to)
    await db.flush()
    return event


# -- a step through the status form ------------------------------------------------------------------------

def bail_problems(rules: BailRules, terms: BailTerms | None, at: datetime, first_start: date | None
                  ) -> dict[str, str]:
    """Everything wrong with pre-charge bail terms, keyed by field (bail_return_on, bail_authority, ...)."""
    errors: dict[str, str] = {}
    if terms is None:
        return {"bail_return_on": "Give the bail return date and who authorised it"}
    starts = first_start or terms.starts_on or uk_time(at).date()
    if first_start is not None and terms.starts_on is not None and terms.starts_on != first_start:
        errors["bail_starts_on"] = (f"Bail runs from its first start date, {first_start:%d %B %Y}: an extension "
                                    "keeps it")
    elif terms.starts_on is not None and terms.starts_on > uk_time(at).date():
        errors["bail_starts_on"] = "The bail start date must not be after the day it was given"
    if terms.authority not in AUTHORITY_LABELS or rules.months(terms.authority) is None:
        errors["bail_authority"] = "Choose who authorised the bail period"
    if terms.return_on is None:
        errors["bail_return_on"] = "Enter the date the suspect must return on bail"
    elif terms.return_on <= uk_time(at).date():
        errors["bail_return_on"] = "The bail return date must be after the day bail was given"
    elif terms.return_on < starts:
        errors["bail_return_on"] = "The bail return date must be after the bail start date"
    elif "bail_authority" not in errors and not rules.may_set(terms.authority, starts, terms.return_on):
        needed = rules.authority_needed(starts, terms.return_on)
        if needed is None:
            longest = max(months for _, months in rules.periods)
            errors["bail_return_on"] = (f"Pre-charge bail cannot run beyond {longest} months from its start on "
                                        f"{starts:%d %B %Y}")
        else:
            months = rules.months(needed)
            errors["bail_authority"] = (f"Bail to {terms.return_on:%d %B %Y} runs beyond the period a "
                                        f"{AUTHORITY_LABELS[terms.authority].lower()} may set; up to {months} "
                                        f"months from the start needs: {AUTHORITY_LABELS[needed].lower()}")
    known = dict(rules.condition_kinds)
    if len(terms.conditions) > MAX_CONDITIONS:
        errors["bail_conditions"] = f"Give at most {MAX_CONDITIONS} conditions"
    for condition in terms.conditions:
        kind, detail = condition.get("kind", ""), (condition.get("detail") or "").strip()
        if kind not in known:
            errors["bail_conditions"] = f"'{kind}' is not a bail condition Safeguard knows"
            break
        if not detail or len(detail) > 500:
            errors["bail_conditions"] = f"Say what the condition '{known[kind]}' is (up to 500 characters)"
            break
    if terms.victim_views is not None and len(terms.victim_views) > 2000:
        errors["bail_victim_views"] = "The victim's views must be at most 2000 characters"
    return errors


async def step_problems(db: AsyncSession, actor: Actor, suspect_id: int, step: Step, *,
                        now: datetime | None = None) -> dict[str, str]:
    """Everything wrong with `step`, keyed by field, without writing anything."""
    try:
        await change_status(db, actor, suspect_id, step, now=now, dry_run=True)
    except CrimeRefused as refused:
        return refused.errors
    return {}


async def change_status(db: AsyncSession, actor: Actor, suspect_id: int, step: Step, *, via: str = "web",
                        now: datetime | None = None, dry_run: bool = False) -> SuspectEvent | None:
    """Take one step through the status form. Raises CrimeRefused (nothing written) naming each field.

    With `dry_run`, only checks (and returns None)."""
    now = now or datetime.now(UTC)
    suspect, crime, _person_row = await load_suspect(db, actor, suspect_id, lock=True)
    source = suspect.status
    errors: dict[str, str] = {}
    if step.to not in SUSPECT_STATUSES:
        raise CrimeRefused({"to": f"'{step.to}' is not a suspect status"})
    refusal = why_not(source, step.to, how=STEP)
    if refusal:
        raise CrimeRefused({"to": refusal})
    at = step.at or now
    problem = time_problem(at, now, "of this step")
    if problem:
        errors["at"] = problem
    elif not not_before(at, suspect.status_since):
        errors["at"] = f"The time must be after the suspect's last step ({uk_text(suspect.status_since)})"
    reason = (step.reason or "").strip()
    if step.to in REASON_NEEDED and not reason:
        errors["reason"] = REASON_NEEDED[step.to]
    elif len(reason) > 1000:
        errors["reason"] = "The reason must be at most 1000 characters"
    note = (step.circulation_note or "").strip()
    if len(note) > 1000:
        errors["circulation_note"] = "The circulation note must be at most 1000 characters"
    details: dict[str, Any] = {}
    bail_rules = None
    custody = await open_arrest(db, suspect.id) if step.to in ENDS_CUSTODY else None
    if custody is not None and "at" not in errors:
        started = custody.arrived_at_station or custody.arrested_at
        if at < started.replace(second=0, microsecond=0):
            errors["at"] = f"The suspect was in custody from {uk_text(started)}: the time must be after that"
    if step.to == "bailed":
        if not await was_arrested(db, suspect.id):
            errors["to"] = "Pre-charge bail is given on release from arrest: record the arrest first"
        bail_rules = (await rules_for(db, actor.force_id)).bail
        current = await active_bail(db, suspect.id) if source == "bailed" else None
        errors.update(bail_problems(bail_rules, step.bail, at, current.starts_on if current else None))
    if step.to == "wanted":
        details = {"circulated": step.circulated, **({"circulation_note": note} if note else {})}
    if errors:
        raise CrimeRefused(errors)
    if dry_run:
        return None
    if custody is not None:
        custody.released_at = max(at, custody.arrested_at, custody.arrived_at_station or custody.arrested_at)
        custody.release_reason = f"Released: {label(step.to).lower()}"
        details["arrest_id"] = custody.id
    if step.to == "bailed":
        assert step.bail is not None and step.bail.return_on is not None and bail_rules is not None
        current = await active_bail(db, suspect.id)
        starts = current.starts_on if current else (step.bail.starts_on or uk_time(at).date())
        if current is not None:
            current.ended_at = at
            current.end_reason = "Extended or varied"
        latest = (await db.scalars(select(Arrest).where(Arrest.suspect_id == suspect.id)
                                   .order_by(Arrest.arrested_at.desc()).limit(1))).first()
        bail = Bail(force_id=suspect.force_id, suspect_id=suspect.id, arrest_id=latest.id if latest else None,
                    kind="pre-charge", conditions=[{"kind": c["kind"], "detail": c["detail"].strip()}
                                                   for c in step.bail.conditions],
                    starts_on=starts, return_on=step.bail.return_on, authority=step.bail.authority,
                    victim_views=(step.bail.victim_views or "").strip() or None, set_by=actor.label, set_at=at)
        db.add(bail)
        await db.flush()
        details.update({"bail_id": bail.id, "starts_on": starts.isoformat(),
                        "return_on": step.bail.return_on.isoformat(), "authority": step.bail.authority,
                        "conditions": len(step.bail.conditions), "extended": source == "bailed"})
    if step.to == "wanted":
        suspect.circulated = step.circulated
        suspect.circulation_note = note or None
    event = await move(db, actor, suspect, step.to, at, reason=reason, details=details)
    await audit.record(db, action="suspect.status", actor=actor, object_type="suspect", object_id=suspect.id,
                       details={"crime_id": crime.id, "from": source, "to": step.to, "via": via})
    return event


# -- reading a suspect -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventView:
    at: datetime
    from_status: str | None
    from_label: str | None
    to_status: str
    to_label: str
    by: str
    reason: str | None
    details: str


@dataclass(frozen=True)
class BailView:
    id: int
    kind: str
    starts_on: date
    return_on: date | None
    authority: str
    authority_label: str
    conditions: list[tuple[str, str, str]]  # (kind, label, detail)
    victim_views: str | None
    set_by: str
    set_at: datetime
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True)
class ArrestSummary:
    id: int
    arrested_at: datetime
    place: str | None
    custody_station: str | None
    released_at: datetime | None
    release_reason: str | None


@dataclass(frozen=True)
class ChargeView:
    id: int
    charged_at: datetime
    method: str
    decided_by: str
    code_test: str | None
    charged_by: str
    offences: list[tuple[str, str]]  # (code, title)
    remanded: bool
    first_court_date: date | None
    court: str | None


@dataclass(frozen=True)
class SuspectDetail:
    id: int
    crime_id: int
    crime_reference: str
    crime_da_related: bool
    crime_status: str
    person: PersonInCrime
    status: str
    status_label: str
    status_since: datetime
    wanted_since: datetime | None
    circulated: bool
    circulation_note: str | None
    history: list[EventView]
    bails: list[BailView]
    arrests: list[ArrestSummary]
    charges: list[ChargeView]
    next_steps: list[tuple[str, str]] = field(default_factory=list)

    @property
    def current_bail(self) -> BailView | None:
        return next((b for b in self.bails if b.ended_at is None and b.kind == "pre-charge"), None)


def _details_text(event: SuspectEvent, rules: BailRules) -> str:
    d = event.details or {}
    parts: list[str] = []
    if event.to_status == "wanted" and event.from_status != "wanted":
        parts.append("Circulated" if d.get("circulated") else "Not circulated")
        if d.get("circulation_note"):
            parts.append(str(d["circulation_note"]))
    if "arrest_id" in d and event.to_status == "arrested":
        parts.append(f"Arrest {d['arrest_id']}")
    if "bail_id" in d:
        authority = AUTHORITY_LABELS.get(str(d.get("authority")), str(d.get("authority")))
        parts.append(f"{'Bail extended or varied' if d.get('extended') else 'Bailed'} to return on "
                     f"{date.fromisoformat(str(d['return_on'])):%d %B %Y} ({authority.lower()}); "
                     f"{d.get('conditions', 0)} condition(s)")
    if "charge_id" in d:
        parts.append(f"{str(d.get('method', 'charge')).replace('-', ' ').capitalize()}, decided by "
                     f"{'the CPS' if d.get('decided_by') == 'cps' else 'the police'}")
    return "; ".join(parts)


async def read_suspect(db: AsyncSession, actor: Actor, suspect_id: int, *, reason: str | None = None
                       ) -> SuspectDetail:
    """A suspect with their history, bail, arrests and charges. Audited."""
    suspect, crime, person = await load_suspect(db, actor, suspect_id)
    await audit.record_read(db, actor, "suspect", suspect_id, reason=reason)
    rules = (await rules_for(db, actor.force_id)).bail
    events = list(await db.scalars(select(SuspectEvent).where(SuspectEvent.suspect_id == suspect_id)
                                   .order_by(SuspectEvent.at, SuspectEvent.id)))
    history = [EventView(e.at, e.from_status, label(e.from_status) if e.from_status else None, e.to_status,
                         label(e.to_status), e.by, e.reason, _details_text(e, rules)) for e in events]
    bails = [BailView(b.id, b.kind, b.starts_on, b.return_on, b.authority,
                      AUTHORITY_LABELS.get(b.authority, b.authority),
                      [(str(c.get("kind")), rules.condition_label(str(c.get("kind"))), str(c.get("detail", "")))
                       for c in b.conditions], b.victim_views, b.set_by, b.set_at, b.ended_at, b.end_reason)
             for b in await db.scalars(select(Bail).where(Bail.suspect_id == suspect_id).order_by(Bail.id))]
    arrests = [ArrestSummary(a.id, a.arrested_at, a.place, a.custody_station, a.released_at, a.release_reason)
               for a in await db.scalars(select(Arrest).where(Arrest.suspect_id == suspect_id)
                                         .order_by(Arrest.arrested_at))]
    charges: list[ChargeView] = []
    for charge in await db.scalars(select(Charge).where(Charge.suspect_id == suspect_id).order_by(Charge.id)):
        offences = [(code, title) for code, title in await db.execute(
            select(Offence.code, Offence.title).join(ChargeOffence, ChargeOffence.offence_id == Offence.id)
            .where(ChargeOffence.charge_id == charge.id).order_by(ChargeOffence.id))]
        charges.append(ChargeView(charge.id, charge.charged_at, charge.method, charge.decided_by, charge.code_test,
                                  charge.charged_by, offences, charge.remanded, charge.first_court_date,
                                  charge.court))
    return SuspectDetail(suspect.id, crime.id, crime.reference, crime.da_related, crime.status,
                         await _person(db, actor, person.id, person), suspect.status, label(suspect.status),
                         suspect.status_since, suspect.wanted_since, suspect.circulated, suspect.circulation_note,
                         history, bails, arrests, charges, next_steps(suspect.status))


# -- the wanted list ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WantedFilter:
    area_id: int | None = None
    da_only: bool = False
    category: str | None = None
    min_harm: Decimal | None = None


@dataclass(frozen=True)
class WantedItem:
    suspect_id: int
    person: PersonInCrime
    crime_id: int
    crime_reference: str
    da_related: bool
    area: str | None
    offences: list[str]
    principal_category: str | None
    principal_category_label: str | None
    harm_weight: Decimal | None
    wanted_since: datetime
    circulated: bool
    circulation_note: str | None


def wanted_filter_problems(area_ids: Sequence[int], wanted: WantedFilter) -> dict[str, str]:
    errors: dict[str, str] = {}
    if wanted.area_id is not None and wanted.area_id not in area_ids:
        errors["area"] = "Choose an area of your force"
    if wanted.category is not None and wanted.category not in OFFENCE_CATEGORIES:
        errors["category"] = "Choose an offence category from the list"
    if wanted.min_harm is not None and (not wanted.min_harm.is_finite() or wanted.min_harm < 0):
        errors["min_harm"] = "The least harm weight must be a number, 0 or more"
    return errors


async def areas(db: AsyncSession) -> list[tuple[int, str]]:
    return [(a.id, a.name) for a in await db.scalars(select(Area).order_by(Area.name))]


async def wanted_list(db: AsyncSession, actor: Actor, wanted: WantedFilter, *, limit: int = WANTED_LIMIT
                      ) -> list[WantedItem]:
    """Suspects wanted now, greatest harm first then longest wanted. Audited as one list read."""
    principal = (select(CrimeOffence.crime_id, Offence.category, Offence.harm_weight)
                 .join(Offence, Offence.id == CrimeOffence.offence_id)
                 .where(CrimeOffence.principal.is_(True)).subquery())
    query = (select(Suspect, Crime, Person, Area.name, principal.c.category, principal.c.harm_weight)
             .join(Crime, Crime.id == Suspect.crime_id)
             .outerjoin(Person, Person.id == Suspect.person_id)
             .outerjoin(Area, Area.id == Crime.area_id)
             .outerjoin(principal, principal.c.crime_id == Crime.id)
             .where(Suspect.status == "wanted"))
    if wanted.area_id is not None:
        query = query.where(Crime.area_id == wanted.area_id)
    if wanted.da_only:
        query = query.where(Crime.da_related.is_(True))
    if wanted.category is not None:
        query = query.where(principal.c.category == wanted.category)
    if wanted.min_harm is not None:
        query = query.where(principal.c.harm_weight >= wanted.min_harm)
    query = query.order_by(principal.c.harm_weight.desc().nulls_last(),
                           func.coalesce(Suspect.wanted_since, Suspect.status_since), Suspect.id).limit(limit)
    rows = (await db.execute(query)).all()
    titles: dict[int, list[str]] = {}
    crime_ids = sorted({crime.id for _, crime, *_ in rows})
    if crime_ids:
        for crime_id, title in await db.execute(
                select(CrimeOffence.crime_id, Offence.title).join(Offence, Offence.id == CrimeOffence.offence_id)
                .where(CrimeOffence.crime_id.in_(crime_ids))
                .order_by(CrimeOffence.principal.desc(), Offence.harm_weight.desc(), CrimeOffence.id)):
            titles.setdefault(crime_id, []).append(title)
    items = []
    for suspect, crime, person, area, category, weight in rows:
        items.append(WantedItem(
            suspect.id, await _person(db, actor, suspect.person_id, person), crime.id, crime.reference,
            crime.da_related, area, titles.get(crime.id, []), category,
            catalogue.category_label(category) if category else None, weight,
            suspect.wanted_since or suspect.status_since, suspect.circulated, suspect.circulation_note))
    await audit.record(db, action="suspect.list", actor=actor, object_type="suspect",
                       details={"list": "wanted", "shown": len(items), "area_id": wanted.area_id,
                                "da_only": wanted.da_only, "category": wanted.category,
                                "min_harm": None if wanted.min_harm is None else str(wanted.min_harm)})
    return items
