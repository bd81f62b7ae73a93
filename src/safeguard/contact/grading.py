"""THRIVE grading: Safeguard's suggested grade with its reasons, and the handler's grading with its history.

The suggestion is a pure function of what is known about the contact (`Facts`): each risk factor present
raises the suggestion to at least that factor's grade, so adding a factor never lowers it. The rule table is
data. The defaults below are a LOCAL POLICY CHOICE, not a national rule (DOMAIN.md §2.2, §3: treating calls
from a number with a DA marker as higher priority is common practice, `UNVERIFIED` as a national rule). A
force overrides them in `force.settings["control_room"]["grading"]`, for example
`{"factors": {"perpetrator": "emergency", "children_present": "emergency"}, "baseline": "scheduled"}`.

The handler always decides. Grading below the suggestion needs a written reason; every grading (and every
re-grade) is a `ContactGrade` row with its THRIVE record, so the history is kept with times. The attendance
clock runs from when the contact was received, even after an upgrade (contact/rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact.models import GRADES, Contact, ContactGrade
from safeguard.contact.rules import GRADE_LABELS, ControlRoomRules
from safeguard.force.models import Force

GRADE_RANK = {grade: rank for rank, grade in enumerate(GRADES)}  # 0 is the most urgent
THRIVE = (
    ("threat", "Threat", "Who or what threatens whom, and is it communicated or perceived?"),
    ("harm", "Harm", "What injury, damage or hurt, physical or psychological, has happened or could happen?"),
    ("risk", "Risk", "How likely is harm before police arrive (interim risk)?"),
    ("investigation", "Investigation", "What needs to be done: evidence, witnesses, suspect, enquiries?"),
    ("vulnerability", "Vulnerability", "Who cannot protect themselves, and why (children, age, health)?"),
    ("engagement", "Engagement", "Can we engage the caller or others, and how, safely?"),
)
THRIVE_KEYS = tuple(key for key, _, _ in THRIVE)
TEXT_MAX = 2000
REASON_MAX = 2000

# Risk factors, most serious first, with the default grade each one raises the suggestion to and the reason
# in words. A local policy choice: see the module docstring.
FACTORS: tuple[tuple[str, str, str], ...] = (
    ("silent_55", "emergency", "Silent 999 call: the caller pressed 55"),
    ("silent", "emergency", "Silent 999 call: the line was left open"),
    ("breach_alert", "emergency", "Order breach alert: the subject of an active protective order is linked "
                                  "to this number"),
    ("high_risk_victim", "emergency", "DA high-risk victim marker on the number or a person linked to it"),
    ("weapons", "emergency", "Weapons mentioned on the call"),
    ("injury", "emergency", "Someone is injured"),
    ("perpetrator", "priority", "DA perpetrator marker on the number or a person linked to it"),
    ("weapons_marker", "priority", "Weapons marker on the number or a person linked to it"),
    ("children_present", "priority", "Children are present"),
    ("da_flag", "priority", "Domestic abuse flagged on the contact"),
)
FACTOR_NAMES = tuple(name for name, _, _ in FACTORS)
DEFAULT_BASELINE = "scheduled"
BASELINE_REASON = "No risk factor recorded: grade on the THRIVE assessment"


class GradingRulesError(ValueError):
    """A force's grading settings are not usable; the message says which one and why."""


@dataclass(frozen=True)
class GradingRules:
    factors: dict[str, str] = field(default_factory=lambda: {name: grade for name, grade, _ in FACTORS})
    baseline: str = DEFAULT_BASELINE

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> GradingRules:
        chosen = ((settings or {}).get("control_room") or {}).get("grading") or {}
        factors = {name: grade for name, grade, _ in FACTORS}
        for name, grade in dict(chosen.get("factors") or {}).items():
            if name not in factors:
                raise GradingRulesError(f"control_room.grading.factors: '{name}' is not a risk factor "
                                        f"({', '.join(FACTOR_NAMES)})")
            if grade not in GRADES:
                raise GradingRulesError(f"control_room.grading.factors.{name}: '{grade}' is not a grade "
                                        f"({', '.join(GRADES)})")
            factors[name] = grade
        baseline = chosen.get("baseline", DEFAULT_BASELINE)
        if baseline not in GRADES:
            raise GradingRulesError(f"control_room.grading.baseline: '{baseline}' is not a grade "
                                    f"({', '.join(GRADES)})")
        return cls(factors=factors, baseline=baseline)


@dataclass(frozen=True)
class Facts:
    """What is known about a contact when it is graded."""

    channel: str = "101"
    pressed_55: bool = False
    da_flag: bool = False
    injury: bool = False
    weapons: bool = False
    children_present: bool = False
    high_risk_victim: bool = False  # DA high-risk victim marker on the number or its people
    perpetrator: bool = False  # DA perpetrator marker on the number or its people
    weapons_marker: bool = False
    breach_alert: bool = False  # an active order's subject is linked to the number with a protected person

    def present(self) -> list[str]:
        """The risk factors present, by name."""
        flags = {
            "silent_55": self.pressed_55,
            "silent": self.channel == "999-silent" and not self.pressed_55,
            "breach_alert": self.breach_alert,
            "high_risk_victim": self.high_risk_victim,
            "weapons": self.weapons,
            "injury": self.injury,
            "perpetrator": self.perpetrator,
            "weapons_marker": self.weapons_marker,
            "children_present": self.children_present,
            "da_flag": self.da_flag,
        }
        return [name for name in FACTOR_NAMES if flags[name]]


@dataclass(frozen=True)
class Suggestion:
    grade: str
    reasons: list[str]

    @property
    def label(self) -> str:
        return GRADE_LABELS[self.grade]


def suggest(facts: Facts, rules: GradingRules | None = None) -> Suggestion:
    """The most urgent grade any present factor calls for (or the baseline), with every reason, most urgent first."""
    rules = rules or GradingRules()
    words = {name: reason for name, _, reason in FACTORS}
    grades = dict(rules.factors)
    if facts.channel == "999-silent":  # 55 pressed on a silent call is never graded below the silent call itself
        grades["silent_55"] = min(grades["silent_55"], grades["silent"], key=GRADE_RANK.__getitem__)
    present = sorted(facts.present(), key=lambda name: (GRADE_RANK[grades[name]], FACTOR_NAMES.index(name)))
    if not present:
        return Suggestion(rules.baseline, [BASELINE_REASON])
    grade = min((grades[name] for name in present), key=GRADE_RANK.__getitem__)
    grade = min(grade, rules.baseline, key=GRADE_RANK.__getitem__)
    return Suggestion(grade, [words[name] for name in present])


def is_below(grade: str, suggested: str) -> bool:
    """True when `grade` is less urgent than `suggested`."""
    return GRADE_RANK[grade] > GRADE_RANK[suggested]


# -- the service -------------------------------------------------------------------------------------------

class GradingRefused(ValueError):
    """The grading (or closing) cannot be saved. `errors` maps each field at fault to a message an officer can
    act on. Nothing has been written when this is raised."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class ContactNotFound(LookupError):
    """No such contact in this force."""


@dataclass(frozen=True)
class GradeEntry:
    grade: str
    grade_label: str
    suggested_grade: str | None
    reasons: list[str]
    below_reason: str | None
    thrive: dict[str, str]
    graded_at: datetime
    graded_by: str


@dataclass(frozen=True)
class GradingView:
    contact: Contact
    suggestion: Suggestion
    history: list[GradeEntry]
    attend_by: datetime | None


async def grading_rules_for(db: AsyncSession, force_id: int) -> tuple[ControlRoomRules, GradingRules]:
    settings = await db.scalar(select(Force.settings).where(Force.id == force_id))
    return ControlRoomRules.from_settings(settings), GradingRules.from_settings(settings)


async def _contact(db: AsyncSession, actor: Actor, contact_id: int, *, lock: bool = False) -> Contact:
    query = select(Contact).where(Contact.id == contact_id, Contact.force_id == actor.force_id)
    contact = await db.scalar(query.with_for_update() if lock else query)
    if contact is None:
        raise ContactNotFound(contact_id)
    return contact


async def facts_for(db: AsyncSession, actor: Actor, contact: Contact) -> Facts:
    """The contact's own flags, and the markers and breach alerts on its number (history at a glance)."""
    from safeguard.people import glance
    from safeguard.people.markers import Refused as MarkerRefused

    kinds: set[str] = set()
    breach = False
    if contact.caller_number:
        try:
            seen = await glance.history_for_number(db, actor, contact.caller_number)
        except MarkerRefused:  # a number that is not a valid phone number: nothing is linked to it
            seen = None
        if seen is not None:
            kinds.update(m.kind for m in seen.number_markers)
            for person in seen.people:
                kinds.update(m.kind for m in person.markers)
                for address in person.addresses:
                    kinds.update(m.kind for m in address.markers)
            breach = bool(seen.alerts)
    return Facts(channel=contact.channel, pressed_55=contact.pressed_55, da_flag=contact.da_flag,
                 injury=contact.injury, weapons=contact.weapons, children_present=contact.children_present,
                 high_risk_victim="da-high-risk-victim" in kinds, perpetrator="da-perpetrator" in kinds,
                 weapons_marker="weapons" in kinds, breach_alert=breach)


async def _history(db: AsyncSession, contact_id: int) -> list[GradeEntry]:
    rows = await db.scalars(select(ContactGrade).where(ContactGrade.contact_id == contact_id)
                            .order_by(ContactGrade.graded_at, ContactGrade.id))
    return [GradeEntry(r.grade, GRADE_LABELS[r.grade], r.suggested_grade, list(r.reasons or []), r.below_reason,
                       dict(r.thrive or {}), r.graded_at, r.graded_by) for r in rows]


async def read_grading(db: AsyncSession, actor: Actor, contact_id: int) -> GradingView:
    """The contact, what Safeguard suggests and why, and its grade history. Audited."""
    contact = await _contact(db, actor, contact_id)
    control, rules = await grading_rules_for(db, actor.force_id)
    suggestion = suggest(await facts_for(db, actor, contact), rules)
    await audit.record_read(db, actor, "contact", contact.id, reason="grading")
    return GradingView(contact, suggestion, await _history(db, contact.id),
                       control.attend_by(contact.received_at, contact.grade, rural=contact.rural))


def grading_problems(grade: str | None, thrive: Mapping[str, str | None], below_reason: str | None,
                     suggested: str) -> dict[str, str]:
    """Every problem with a grading, by field; empty when it may be saved."""
    errors: dict[str, str] = {}
    for key, label, _ in THRIVE:
        value = (thrive.get(key) or "").strip()
        if not value:
            errors[key] = f"Enter the {label.lower()}: what you found about {label.lower()} on this call"
        elif len(value) > TEXT_MAX:
            errors[key] = f"{label} must be {TEXT_MAX} characters or fewer"
    if grade not in GRADES:
        errors["grade"] = "Choose a grade: emergency, priority, scheduled or resolution without deployment"
    elif is_below(grade, suggested) and not (below_reason or "").strip():
        errors["below_reason"] = (f"You chose {GRADE_LABELS[grade].lower()}, below the suggested "
                                  f"{GRADE_LABELS[suggested].lower()}: give the reason for grading lower")
    if below_reason and len(below_reason.strip()) > REASON_MAX:
        errors["below_reason"] = f"The reason must be {REASON_MAX} characters or fewer"
    return errors


async def grade_contact(db: AsyncSession, actor: Actor, contact_id: int, *, grade: str | None,
                        thrive: Mapping[str, str | None], below_reason: str | None = None,
                        now: datetime | None = None, via: str = "page") -> ContactGrade:
    """Grade (or re-grade) an open contact with its THRIVE record. Raises ContactNotFound or GradingRefused."""
    contact = await _contact(db, actor, contact_id, lock=True)
    if contact.status != "open":
        raise GradingRefused({"grade": "This contact is closed, so it cannot be graded. Open a new contact if "
                                       "the caller needs police again"})
    _, rules = await grading_rules_for(db, actor.force_id)
    suggestion = suggest(await facts_for(db, actor, contact), rules)
    errors = grading_problems(grade, thrive, below_reason, suggestion.grade)
    if errors:
        raise GradingRefused(errors)
    assert grade is not None
    at = now or datetime.now(UTC)
    reason = (below_reason or "").strip() or None
    entry = ContactGrade(force_id=contact.force_id, contact_id=contact.id, grade=grade,
                         suggested_grade=suggestion.grade, reasons=suggestion.reasons,
                         below_reason=reason if is_below(grade, suggestion.grade) else None,
                         thrive={key: (thrive.get(key) or "").strip() for key in THRIVE_KEYS},
                         graded_at=at, graded_by=actor.label)
    db.add(entry)
    previous = contact.grade
    contact.grade = grade
    contact.graded_at = at
    await db.flush()
    await audit.record(db, action="contact.graded", actor=actor, object_type="contact", object_id=contact.id,
                       details={"grade": grade, "previous": previous, "suggested": suggestion.grade,
                                "below": is_below(grade, suggestion.grade), "via": via})
    return entry


async def close_contact(db: AsyncSession, actor: Actor, contact_id: int, *, reason: str | None,
                        now: datetime | None = None, via: str = "page") -> Contact:
    """Close an open contact with a reason (kept in the audit trail); it leaves the board."""
    contact = await _contact(db, actor, contact_id, lock=True)
    text = (reason or "").strip()
    if contact.status != "open":
        raise GradingRefused({"close_reason": "This contact is already closed"})
    if not text:
        raise GradingRefused({"close_reason": "Enter why the contact is being closed, for example "
                                              "'officers attended; victim safe at a relative's'"})
    if len(text) > REASON_MAX:
        raise GradingRefused({"close_reason": f"The reason must be {REASON_MAX} characters or fewer"})
    contact.status = "closed"
    contact.closed_at = now or datetime.now(UTC)
    await db.flush()
    await audit.record(db, action="contact.closed", actor=actor, object_type="contact", object_id=contact.id,
                       reason=text, details={"via": via})
    return contact
