"""Clare's Law, the Domestic Violence Disclosure Scheme (DOMAIN.md §7.5): requests, their clock, decision and
disclosure.

A request is made by right to ask (the person at risk, or a third party such as a family member, asks about a
partner's or ex-partner's history) or by right to know (the police, or a professional, raise it). It runs
received -> checks -> panel -> decided -> closed, each step kept in its history. The decision (disclose or no
disclosure) needs a rationale: a disclosure is made only if it is lawful, necessary and proportionate. What was
disclosed, to whom and when, is recorded only after a decision to disclose.

The target clock: the request should be completed within `DvdsRules.target_days` of its receipt (28 days under
the statutory guidance since the DA Act 2021; it was 35). The clock stops when the applicant is told of a decision
not to disclose, or when the disclosure is made. A force may set its own target in `force.settings["dvds"]`.

Every check runs before anything is written, and a refusal names each field at fault. Every read is audited.
Row-level security hides a request when either person is restricted from the reader, or it is another force's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes.service import uk_time
from safeguard.force.models import Force
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.safeguarding.models import DVDS_DECISIONS, DVDS_ROUTES, DVDS_STATUSES, DisclosureRequest

ROUTE_LABELS = {"right-to-ask": "Right to ask", "right-to-know": "Right to know"}
STATUS_LABELS = {"received": "Received", "checks": "Checks under way", "panel": "At panel",
                 "decided": "Decided", "closed": "Closed"}
DECISION_LABELS = {"disclose": "Disclose", "no-disclosure": "No disclosure"}
assert set(ROUTE_LABELS) == set(DVDS_ROUTES)
assert set(STATUS_LABELS) == set(DVDS_STATUSES)
assert set(DECISION_LABELS) == set(DVDS_DECISIONS)
# The steps an officer moves a request through by hand; "decided" is reached only by recording the decision.
STEPS = {"received": ("checks",), "checks": ("panel",), "panel": (), "decided": ("closed",), "closed": ()}
DECIDABLE = ("checks", "panel")
OPEN_STATUSES = ("received", "checks", "panel", "decided")
# The scheme began in all 43 forces on 8 March 2014; nothing can have been received before it.
SCHEME_START = datetime(2014, 3, 8, tzinfo=UTC)
SELF = "self"
MAX_TEXT = 10_000
MAX_SHORT = 200


class DisclosureRefused(ValueError):
    """What was asked cannot be saved; `errors` maps each field at fault to a message. Nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class DisclosureNotFound(LookupError):
    """No such request visible to this actor (another force's, or about a restricted person)."""


@dataclass(frozen=True)
class DvdsRules:
    """The force's Clare's Law settings: `force.settings["dvds"] = {"target_days": 28}`."""

    target_days: int = 28

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> DvdsRules:
        chosen = (settings or {}).get("dvds") or {}
        values: dict[str, Any] = {}
        if "target_days" in chosen:
            days = int(chosen["target_days"])
            if not 1 <= days <= 365:
                raise ValueError("dvds.target_days must be between 1 and 365")
            values["target_days"] = days
        return cls(**values)

    @property
    def target(self) -> timedelta:
        return timedelta(days=self.target_days)


async def rules_for(db: AsyncSession, force_id: int) -> DvdsRules:
    return DvdsRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))


@dataclass(frozen=True)
class NewRequest:
    route: str
    person_at_risk_id: int | None
    subject_id: int | None
    applicant_name: str
    applicant_relationship: str
    received_at: datetime | None


@dataclass(frozen=True)
class RequestView:
    id: int
    reference: str
    route: str
    route_label: str
    person_at_risk_id: int
    person_at_risk_name: str
    subject_id: int
    subject_name: str
    applicant_name: str
    applicant_relationship: str
    received_at: datetime
    due_by: datetime
    status: str
    status_label: str
    decision: str | None
    decided_at: datetime | None
    decided_by: str | None
    rationale: str | None
    disclosed_to: str | None
    disclosed_at: datetime | None
    disclosure_text: str | None
    created_by: str
    history: list[dict[str, str | None]]
    now: datetime

    @property
    def completed_at(self) -> datetime | None:
        """When the clock stopped: the disclosure made, or the decision not to disclose."""
        if self.decision == "no-disclosure":
            return self.decided_at
        return self.disclosed_at

    @property
    def days_left(self) -> int:
        """UK calendar days from today (or from when the clock stopped) to the target date; negative when late."""
        end = self.completed_at or self.now
        return (uk_time(self.due_by).date() - uk_time(end).date()).days

    @property
    def overdue(self) -> bool:
        return (self.completed_at or self.now) > self.due_by

    @property
    def clock_text(self) -> str:
        if self.completed_at is not None:
            met = "within" if self.completed_at <= self.due_by else "after"
            return f"Completed {met} the target, on {uk_time(self.completed_at):%d %B %Y}"
        days = self.days_left
        if days > 0:
            return f"{days} day{'s' if days != 1 else ''} left"
        if days == 0:
            return "Overdue: due today" if self.overdue else "Due today"
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"

    @property
    def next_steps(self) -> tuple[str, ...]:
        steps = STEPS[self.status]
        if self.status == "decided" and self.decision == "disclose" and self.disclosed_at is None:
            return ()  # the disclosure must be recorded before the request is closed
        return steps


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _when_problem(value: datetime | None, label: str, now: datetime, *, required: bool = True) -> str | None:
    if value is None:
        return f"Enter the date {label}" if required else None
    if value.tzinfo is None:
        return f"Give the time {label} with its time zone"
    if value > now + timedelta(minutes=5):
        return f"The date {label} must not be in the future"
    if value < SCHEME_START:
        return f"The date {label} must be on or after 8 March 2014, when the scheme began"
    return None


async def _person_problem(db: AsyncSession, actor: Actor, person_id: int | None, what: str) -> str | None:
    if person_id is None:
        return f"Enter the person number of the {what}"
    if not 1 <= person_id <= 2**62:
        return f"There is no person {person_id} in your force"
    person = (await db.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        return f"There is no person {person_id} in your force"
    if person.merged_into_id is not None:
        return f"Person {person_id} was merged into person {person.merged_into_id}: use that record"
    return None


async def request_problems(db: AsyncSession, actor: Actor, new: NewRequest, *, now: datetime | None = None
                           ) -> dict[str, str]:
    now = now or datetime.now(UTC)
    errors: dict[str, str] = {}
    if new.route not in DVDS_ROUTES:
        errors["route"] = "Choose right to ask or right to know"
    for name, person_id, what in (("person_at_risk", new.person_at_risk_id, "person at risk"),
                                  ("subject", new.subject_id, "partner or ex-partner asked about")):
        problem = await _person_problem(db, actor, person_id, what)
        if problem:
            errors[name] = problem
    if "subject" not in errors and new.subject_id is not None and new.subject_id == new.person_at_risk_id:
        errors["subject"] = "The partner or ex-partner asked about must be a different person from the person at risk"
    name, relationship = _clean(new.applicant_name), _clean(new.applicant_relationship)
    if not name:
        errors["applicant_name"] = ("Enter the name of who asked (right to ask) or who raised it (right to know)")
    elif len(name) > MAX_SHORT:
        errors["applicant_name"] = f"The applicant's name must be {MAX_SHORT} characters or fewer"
    if not relationship:
        errors["applicant_relationship"] = ("Enter the applicant's relationship to the person at risk: 'self' if "
                                            "the person at risk asked")
    elif len(relationship) > 100:
        errors["applicant_relationship"] = "The relationship must be 100 characters or fewer"
    problem = _when_problem(new.received_at, "the request was received", now)
    if problem:
        errors["received_at"] = problem
    return errors


async def _next_reference(db: AsyncSession, at: datetime) -> tuple[int, str]:
    request_id = int(await db.scalar(text("SELECT nextval(pg_get_serial_sequence('disclosure_request', 'id'))"))
                     or 0)
    return request_id, f"DVDS-{uk_time(at).year}-{request_id:06d}"


def _step(request: DisclosureRequest, actor: Actor, to: str, at: datetime, note: str | None) -> None:
    request.history = [*request.history, {"at": at.isoformat(), "by": actor.label, "from": request.status,
                                          "to": to, "note": note}]
    request.status = to


async def record_request(db: AsyncSession, actor: Actor, new: NewRequest, *, via: str = "web",
                         now: datetime | None = None) -> DisclosureRequest:
    """Record a request; its target date is the receipt plus the force's target days. Raises DisclosureRefused."""
    now = now or datetime.now(UTC)
    errors = await request_problems(db, actor, new, now=now)
    if errors:
        raise DisclosureRefused(errors)
    assert new.received_at is not None and new.person_at_risk_id is not None and new.subject_id is not None
    rules = await rules_for(db, actor.force_id)
    request_id, reference = await _next_reference(db, new.received_at)
    request = DisclosureRequest(
        id=request_id, force_id=actor.force_id, reference=reference, route=new.route,
        person_at_risk_id=new.person_at_risk_id, subject_id=new.subject_id,
        applicant_name=_clean(new.applicant_name), applicant_relationship=_clean(new.applicant_relationship),
        received_at=new.received_at, due_by=new.received_at + rules.target, status="received",
        created_by=actor.label,
        history=[{"at": now.isoformat(), "by": actor.label, "from": None, "to": "received",
                  "note": f"{ROUTE_LABELS[new.route]} request recorded; target {rules.target_days} days"}])
    db.add(request)
    await db.flush()
    await audit.record(db, action="disclosure.create", actor=actor, object_type="disclosure_request",
                       object_id=request.id, details={"reference": reference, "route": new.route, "via": via})
    return request


async def _load(db: AsyncSession, request_id: int) -> DisclosureRequest:
    # A query, not the identity map, so that row-level security always decides.
    request = (await db.scalars(select(DisclosureRequest).where(DisclosureRequest.id == request_id)
                                .execution_options(populate_existing=True))).first()
    if request is None:
        raise DisclosureNotFound(request_id)
    return request


async def _name(db: AsyncSession, actor: Actor, person_id: int) -> str:
    person = (await db.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        raise DisclosureNotFound(person_id)
    return person.display_name


async def _view(db: AsyncSession, actor: Actor, r: DisclosureRequest, now: datetime) -> RequestView:
    return RequestView(
        r.id, r.reference, r.route, ROUTE_LABELS[r.route], r.person_at_risk_id,
        await _name(db, actor, r.person_at_risk_id), r.subject_id, await _name(db, actor, r.subject_id),
        r.applicant_name, r.applicant_relationship, r.received_at, r.due_by, r.status, STATUS_LABELS[r.status],
        r.decision, r.decided_at, r.decided_by, r.rationale, r.disclosed_to, r.disclosed_at, r.disclosure_text,
        r.created_by, list(r.history), now)


async def read_request(db: AsyncSession, actor: Actor, request_id: int, *, reason: str | None = None,
                       now: datetime | None = None) -> RequestView:
    """One request, audited. Raises DisclosureNotFound for another force's or a restricted person's."""
    request = await _load(db, request_id)
    view = await _view(db, actor, request, now or datetime.now(UTC))
    await audit.record_read(db, actor, "disclosure_request", request_id, reason=reason)
    return view


async def open_requests(db: AsyncSession, actor: Actor, *, now: datetime | None = None,
                        limit: int = 200) -> list[RequestView]:
    """Requests not yet closed, the soonest due first. Audited as a list."""
    now = now or datetime.now(UTC)
    rows = list(await db.scalars(select(DisclosureRequest).where(DisclosureRequest.status.in_(OPEN_STATUSES))
                                 .order_by(DisclosureRequest.due_by, DisclosureRequest.id).limit(limit)))
    views = []
    for row in rows:
        try:
            views.append(await _view(db, actor, row, now))
        except DisclosureNotFound:
            continue
    await audit.record(db, action="disclosure.list", actor=actor, details={"shown": len(views)})
    return views


async def advance(db: AsyncSession, actor: Actor, request_id: int, to: str, *, note: str | None = None,
                  now: datetime | None = None) -> DisclosureRequest:
    """Move a request on one step: received -> checks -> panel, or decided -> closed."""
    now = now or datetime.now(UTC)
    request = await _load(db, request_id)
    note = _clean(note) or None
    if to not in DVDS_STATUSES:
        raise DisclosureRefused({"status": "Choose a step: checks, panel or closed"})
    if to == "decided":
        raise DisclosureRefused({"status": "Record the decision, with its rationale, to decide a request"})
    if to not in STEPS[request.status]:
        label = STATUS_LABELS[request.status].lower()
        allowed = " or ".join(STATUS_LABELS[s].lower() for s in STEPS[request.status]) or "nothing by hand"
        raise DisclosureRefused({"status": f"A request that is {label} can move on to {allowed}, "
                                           f"not to {STATUS_LABELS[to].lower()}"})
    if to == "closed" and request.decision == "disclose" and request.disclosed_at is None:
        raise DisclosureRefused({"status": "Record what was disclosed, to whom and when, before closing the request"})
    if note and len(note) > MAX_TEXT:
        raise DisclosureRefused({"note": f"The note must be {MAX_TEXT} characters or fewer"})
    _step(request, actor, to, now, note)
    await db.flush()
    await audit.record(db, action="disclosure.step", actor=actor, object_type="disclosure_request",
                       object_id=request.id, details={"to": to})
    return request


async def decide(db: AsyncSession, actor: Actor, request_id: int, *, decision: str, rationale: str,
                 decided_at: datetime | None = None, now: datetime | None = None) -> DisclosureRequest:
    """Record the decision, with a rationale saying why it is lawful, necessary and proportionate."""
    now = now or datetime.now(UTC)
    decided_at = decided_at or now
    request = await _load(db, request_id)
    errors: dict[str, str] = {}
    if request.status not in DECIDABLE:
        errors["decision"] = (f"A request that is {STATUS_LABELS[request.status].lower()} cannot be decided: "
                              "decide it after the checks or at panel")
    elif decision not in DVDS_DECISIONS:
        errors["decision"] = "Choose disclose or no disclosure"
    rationale = _clean(rationale)
    if not rationale:
        errors["rationale"] = "Explain why the decision is lawful, necessary and proportionate"
    elif len(rationale) > MAX_TEXT:
        errors["rationale"] = f"The rationale must be {MAX_TEXT} characters or fewer"
    problem = _when_problem(decided_at, "of the decision", now)
    if problem:
        errors["decided_at"] = problem
    elif decided_at < request.received_at:
        errors["decided_at"] = ("The decision cannot be before the request was received, on "
                                f"{uk_time(request.received_at):%d %B %Y at %H:%M}")
    if errors:
        raise DisclosureRefused(errors)
    request.decision, request.rationale = decision, rationale
    request.decided_at, request.decided_by = decided_at, actor.label
    _step(request, actor, "decided", now, DECISION_LABELS[decision])
    await db.flush()
    await audit.record(db, action="disclosure.decide", actor=actor, object_type="disclosure_request",
                       object_id=request.id, details={"decision": decision})
    return request


async def record_disclosure(db: AsyncSession, actor: Actor, request_id: int, *, disclosed_to: str,
                            disclosed_at: datetime | None, disclosure_text: str,
                            now: datetime | None = None) -> DisclosureRequest:
    """What was disclosed, to whom and when: only after a decision to disclose, and once."""
    now = now or datetime.now(UTC)
    request = await _load(db, request_id)
    errors: dict[str, str] = {}
    if request.decision != "disclose":
        errors["disclosure"] = "A disclosure can be recorded only after a decision to disclose"
    elif request.disclosed_at is not None:
        errors["disclosure"] = (f"The disclosure was already recorded, on "
                                f"{uk_time(request.disclosed_at):%d %B %Y at %H:%M}")
    to, said = _clean(disclosed_to), _clean(disclosure_text)
    if not to:
        errors["disclosed_to"] = "Enter who the disclosure was made to (the person best placed to protect)"
    elif len(to) > MAX_SHORT:
        errors["disclosed_to"] = f"Who it was disclosed to must be {MAX_SHORT} characters or fewer"
    if not said:
        errors["disclosure_text"] = "Enter what was disclosed"
    elif len(said) > MAX_TEXT:
        errors["disclosure_text"] = f"What was disclosed must be {MAX_TEXT} characters or fewer"
    problem = _when_problem(disclosed_at, "of the disclosure", now)
    if problem:
        errors["disclosed_at"] = problem
    elif disclosed_at is not None and disclosed_at < request.received_at:
        errors["disclosed_at"] = ("The disclosure cannot be before the request was received, on "
                                  f"{uk_time(request.received_at):%d %B %Y at %H:%M}")
    elif disclosed_at is not None and request.decided_at is not None and disclosed_at < request.decided_at:
        errors["disclosed_at"] = ("The disclosure cannot be before the decision to disclose, on "
                                  f"{uk_time(request.decided_at):%d %B %Y at %H:%M}")
    if errors:
        raise DisclosureRefused(errors)
    request.disclosed_to, request.disclosed_at, request.disclosure_text = to, disclosed_at, said
    request.history = [*request.history, {"at": now.isoformat(), "by": actor.label, "from": request.status,
                                          "to": request.status, "note": "Disclosure recorded"}]
    await db.flush()
    await audit.record(db, action="disclosure.disclose", actor=actor, object_type="disclosure_request",
                       object_id=request.id)
    return request
