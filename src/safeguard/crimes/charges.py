"""Charging a suspect, and recording a crime's outcome from the Home Office outcome types.

Who may decide to charge is data (`crimes.rules.ChargingRules`): under the Director's Guidance on Charging
(DG6) domestic abuse, harassment and stalking cases go to the CPS, and police charging of a DA case is
refused unless the force's settings allow it. Charging in custody (`method='charge'`) needs an arrest; a
suspect never arrested is charged by summons or postal requisition. A charge stops the custody clock (the
suspect is remanded or bailed to court) and ends any pre-charge bail. Refusals raise `CrimeRefused`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes import offences as catalogue
from safeguard.crimes import suspects
from safeguard.crimes.models import (
    CHARGE_DECIDERS,
    CHARGE_METHODS,
    CODE_TESTS,
    Arrest,
    Bail,
    Charge,
    ChargeOffence,
    Crime,
    Offence,
    OutcomeType,
    Suspect,
)
from safeguard.crimes.rules import rules_for
from safeguard.crimes.service import MAX_OFFENCES, CrimeNotFound, CrimeRefused, uk_time

METHOD_LABELS = {"charge": "Charged in custody", "summons": "Summons", "postal-requisition": "Postal requisition"}
assert set(METHOD_LABELS) == set(CHARGE_METHODS)
# What an outcome needs of the crime (DOMAIN.md §8.1, for the outcomes whose meaning is VERIFIED there).
NEEDS_CHARGE = {"1", "1A"}  # charged or summonsed
NEEDS_SUSPECT = {"15", "16", "21"}  # a named suspect
NEEDS_NO_SUSPECT = {"18"}  # investigation complete, no suspect identified
NEEDS_RATIONALE = {"21"}  # not in the public interest: the rationale (and not normally for DA)


@dataclass(frozen=True)
class NewCharge:
    offence_codes: Sequence[str]
    decided_by: str  # cps or police
    method: str = "charge"
    code_test: str | None = None
    charged_at: datetime | None = None  # default: now
    remanded: bool = False
    first_court_date: date | None = None
    court: str | None = None
    bail_conditions: Sequence[Mapping[str, str]] = ()  # after charge, when bailed to court


async def charge_suspect(db: AsyncSession, actor: Actor, suspect_id: int, new: NewCharge, *, via: str = "web",
                         now: datetime | None = None, dry_run: bool = False) -> Charge | None:
    """Charge a suspect. Raises CrimeRefused (nothing written) naming each field; with `dry_run`, only checks."""
    now = now or datetime.now(UTC)
    suspect, crime, _person = await suspects.load_suspect(db, actor, suspect_id, lock=True)
    rules = await rules_for(db, actor.force_id)
    errors: dict[str, str] = {}
    if new.method not in CHARGE_METHODS:
        errors["method"] = "Choose how the suspect is charged: in custody, by summons or by postal requisition"
    how = suspects.CHARGE if new.method == "charge" else suspects.SUMMONS
    refusal = suspects.why_not(suspect.status, "charged", how=how)
    if refusal:
        errors["suspect"] = refusal
    elif new.method == "charge" and not await suspects.was_arrested(db, suspect.id):
        errors["method"] = ("A suspect who was never arrested cannot be charged in custody: arrest them, or charge "
                            "by summons or postal requisition")
    codes = list(dict.fromkeys(code.strip() for code in new.offence_codes if code.strip()))
    found: dict[str, Offence] = {}
    if not codes:
        errors["offences"] = "Choose at least one offence charged"
    elif len(codes) > MAX_OFFENCES:
        errors["offences"] = f"Choose at most {MAX_OFFENCES} offences"
    else:
        found = await catalogue.by_codes(db, codes)
        unknown = [code for code in codes if code not in found or not found[code].active]
        if unknown:
            errors["offences"] = f"'{unknown[0]}' is not an offence in the catalogue"
    if new.decided_by not in CHARGE_DECIDERS:
        errors["decided_by"] = "Choose who decided to charge: the CPS or the police"
    elif new.decided_by == "police":
        cps_only = [found[c].title for c in codes if c in found and c in rules.charging.cps_only_offences]
        if crime.da_related and not rules.charging.police_may_charge_da:
            errors["decided_by"] = ("Domestic abuse cases go to the CPS for a charging decision (Director's Guidance "
                                    "on Charging, 6th edition): choose the CPS")
        elif cps_only:
            errors["decided_by"] = (f"Harassment and stalking cases go to the CPS for a charging decision (DG6): "
                                    f"{cps_only[0]}")
    if new.code_test is not None and new.code_test not in CODE_TESTS:
        errors["code_test"] = "Choose the full code test or the threshold test"
    at = new.charged_at or now
    problem = suspects.time_problem(at, now, "of the charge")
    custody = await suspects.open_arrest(db, suspect.id)
    if problem:
        errors["charged_at"] = problem
    elif not refusal and not suspects.not_before(at, suspect.status_since):
        errors["charged_at"] = (f"The charge must be after the suspect's last step "
                                f"({suspects.uk_text(suspect.status_since)})")
    if new.first_court_date is None:
        errors["first_court_date"] = "Enter the date of the first court hearing"
    elif new.first_court_date < uk_time(at).date():
        errors["first_court_date"] = "The first court date must be on or after the day of the charge"
    court = (new.court or "").strip() or None
    if court and len(court) > 200:
        errors["court"] = "The court must be at most 200 characters"
    if new.remanded and (new.method != "charge" or custody is None):
        errors["remanded"] = "Only a suspect charged in custody can be remanded in custody"
    conditions = [{"kind": c.get("kind", ""), "detail": (c.get("detail") or "").strip()} for c in new.bail_conditions]
    if conditions and (new.remanded or new.method != "charge"):
        errors["bail_conditions"] = "Bail conditions are for a suspect charged in custody and bailed to court"
    elif conditions:
        known = dict(rules.bail.condition_kinds)
        bad = next((c for c in conditions if c["kind"] not in known or not c["detail"] or len(c["detail"]) > 500),
                   None)
        if bad is not None:
            errors["bail_conditions"] = (f"'{bad['kind']}' is not a bail condition Safeguard knows"
                                         if bad["kind"] not in known else
                                         f"Say what the condition '{known[bad['kind']]}' is (up to 500 characters)")
    if errors:
        raise CrimeRefused(errors)
    if dry_run:
        return None
    latest = custody or (await db.scalars(select(Arrest).where(Arrest.suspect_id == suspect.id)
                                          .order_by(Arrest.arrested_at.desc()).limit(1))).first()
    charge = Charge(force_id=actor.force_id, suspect_id=suspect.id,
                    arrest_id=latest.id if latest and new.method == "charge" else None, charged_at=at,
                    method=new.method, decided_by=new.decided_by, code_test=new.code_test, charged_by=actor.label,
                    charged_by_id=actor.user_id, remanded=new.remanded, first_court_date=new.first_court_date,
                    court=court)
    db.add(charge)
    await db.flush()
    for code in codes:
        db.add(ChargeOffence(force_id=actor.force_id, charge_id=charge.id, offence_id=found[code].id))
    if new.method == "charge" and not new.remanded:
        assert new.first_court_date is not None
        db.add(Bail(force_id=actor.force_id, suspect_id=suspect.id, arrest_id=charge.arrest_id, charge_id=charge.id,
                    kind="post-charge", conditions=conditions, starts_on=uk_time(at).date(),
                    return_on=new.first_court_date, authority="custody-officer", set_by=actor.label, set_at=at))
    if custody is not None:
        # Pre-charge detention ends at charge: the clock stops, remanded to court or bailed to it.
        custody.released_at = max(at, custody.arrested_at, custody.arrived_at_station or custody.arrested_at)
        custody.release_reason = "Charged: remanded in custody to court" if new.remanded else "Charged: bailed to court"
    await suspects.move(db, actor, suspect, "charged", at, reason=None,
                        details={"charge_id": charge.id, "method": new.method, "decided_by": new.decided_by})
    crime.status = "charged"
    await db.flush()
    await audit.record(db, action="charge.create", actor=actor, object_type="suspect", object_id=suspect.id,
                       details={"charge_id": charge.id, "crime_id": crime.id, "offences": codes,
                                "decided_by": new.decided_by, "method": new.method, "remanded": new.remanded,
                                "via": via,
                                **({"police_charged_da_by_force_setting": True}
                                   if crime.da_related and new.decided_by == "police" else {})})
    return charge


# -- outcomes ----------------------------------------------------------------------------------------------

async def outcome_types(db: AsyncSession) -> list[OutcomeType]:
    return list(await db.scalars(select(OutcomeType).order_by(OutcomeType.sort_order, OutcomeType.code)))


async def record_outcome(db: AsyncSession, actor: Actor, crime_id: int, *, code: str, at: datetime | None = None,
                         note: str | None = None, via: str = "web", now: datetime | None = None) -> Crime:
    """Give a crime its Home Office outcome (replacing an earlier one, which the audit trail keeps)."""
    now = now or datetime.now(UTC)
    crime = (await db.scalars(select(Crime).where(Crime.id == crime_id).with_for_update()
                              .execution_options(populate_existing=True))).first()
    if crime is None:
        raise CrimeNotFound(crime_id)
    errors: dict[str, str] = {}
    code = (code or "").strip().upper()
    kind = await db.get(OutcomeType, code) if code and len(code) <= 4 else None
    if not code:
        errors["code"] = "Choose the outcome"
    elif kind is None:
        errors["code"] = f"'{code[:10]}' is not a Home Office outcome type"
    when = at or now
    problem = suspects.time_problem(when, now, "of the outcome")
    if problem:
        errors["at"] = problem
    elif when < crime.occurred_at.replace(second=0, microsecond=0):
        errors["at"] = f"The outcome must be after the crime happened ({suspects.uk_text(crime.occurred_at)})"
    text = (note or "").strip() or None
    if text and len(text) > 2000:
        errors["note"] = "The note must be at most 2000 characters"
    if kind is not None:
        statuses = list(await db.scalars(select(Suspect.status).where(Suspect.crime_id == crime.id)))
        if code in NEEDS_CHARGE and "charged" not in statuses:
            errors["code"] = f"Outcome {code} is for a charged or summonsed suspect: charge them first"
        elif code in NEEDS_SUSPECT and not statuses:
            errors["code"] = f"Outcome {code} needs a named suspect, and this crime has none"
        elif code in NEEDS_NO_SUSPECT and statuses:
            errors["code"] = f"Outcome {code} is for a crime with no suspect identified, and this crime has one"
        if code in NEEDS_RATIONALE and not text and "note" not in errors:
            errors["note"] = (f"Give the rationale for outcome {code}"
                              + (": it should not normally be used for domestic abuse" if crime.da_related else ""))
    if errors:
        raise CrimeRefused(errors)
    assert kind is not None
    previous = crime.outcome_code
    crime.outcome_code = kind.code
    crime.outcome_at = when
    crime.outcome_by = actor.label
    crime.outcome_note = text
    crime.status = "charged" if kind.code in NEEDS_CHARGE else "closed"
    await db.flush()
    await audit.record(db, action="crime.outcome", actor=actor, object_type="crime", object_id=crime.id,
                       details={"code": kind.code, "previous": previous, "via": via})
    return crime


@dataclass(frozen=True)
class CrimeCharge:
    suspect_id: int
    charged_at: datetime
    method: str
    decided_by: str
    offences: list[str]
    remanded: bool
    first_court_date: date | None
    court: str | None


async def charges_for_crime(db: AsyncSession, crime_id: int) -> list[CrimeCharge]:
    """The charges of a crime's suspects (names come from the crime's own suspect list, redacted there)."""
    rows = list(await db.scalars(select(Charge).join(Suspect, Suspect.id == Charge.suspect_id)
                                 .where(Suspect.crime_id == crime_id).order_by(Charge.charged_at, Charge.id)))
    titles: dict[int, list[str]] = {}
    if rows:
        for charge_id, title in await db.execute(
                select(ChargeOffence.charge_id, Offence.title).join(Offence, Offence.id == ChargeOffence.offence_id)
                .where(ChargeOffence.charge_id.in_([c.id for c in rows])).order_by(ChargeOffence.id)):
            titles.setdefault(charge_id, []).append(title)
    return [CrimeCharge(c.suspect_id, c.charged_at, c.method, c.decided_by, titles.get(c.id, []), c.remanded,
                        c.first_court_date, c.court) for c in rows]

