"""Demo DASH assessments: a few saved assessments on the demo force's most recent DA incidents, so the review
queue, the assessment page and the person timeline have something to show. Synthetic data only.

Idempotent: it adds nothing if the demo force already holds seeded assessments. The scores, levels and MARAC
routes are worked out by the same rules the application uses (`scoring`, `eligibility`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.risk import eligibility, scoring
from safeguard.risk.forms import get_form

ASSESSED_BY = "officer"  # the demo response officer; the demo sergeant reviews
REVIEWED_BY = "sergeant"
# The questions most often answered yes first, as a DASH at the scene commonly goes.
YES_ORDER = [2, 3, 1, 6, 15, 14, 13, 8, 17, 18, 5, 4, 16, 24, 23, 26, 27, 7, 19, 20, 21, 22, 25, 9, 10, 11, 12]


@dataclass(frozen=True)
class Plan:
    yes: int
    judgement: str | None
    rationale: str | None
    victim_view: str
    review: tuple[str, str | None] | None  # (level, note) once reviewed
    not_asked: tuple[int, ...] = ()


PLANS = [
    Plan(16, None, None, "Believes he will kill her if she leaves; has packed a bag at her sister's.", None),
    Plan(11, "high", "Non-fatal strangulation two days ago; threats to kill in front of the children.",
         "Frightened, but wants to stay for now.", None),
    Plan(12, None, None, "Says it is getting worse since she told him it was over.", None, (9, 10, 11, 12)),
    Plan(5, None, None, "Does not think he would hurt her; worried about the children.", ("standard", None)),
    Plan(8, None, None, "Scared of him turning up at work.", ("medium", "Stalking at her workplace since the "
                                                                       "separation: raised at review.")),
]


def _answers(plan: Plan) -> dict[str, str]:
    yes = set(YES_ORDER[:plan.yes])
    return {f"q{n}": "not-asked" if n in plan.not_asked else ("yes" if n in yes else "no") for n in range(1, 28)}


SQL_CHOSEN = """
SELECT DISTINCT ON (i.id) i.id, i.occurred_at, i.force_id, ip.person_id
FROM incident i JOIN incident_person ip ON ip.incident_id = i.id AND ip.role = 'victim'
JOIN person p ON p.id = ip.person_id AND NOT p.restricted AND p.merged_into_id IS NULL
WHERE i.force_id = (SELECT id FROM force WHERE code = %(force)s) AND i.da_related
ORDER BY i.id DESC, ip.id
"""
SQL_HISTORY = """
SELECT i.id, i.occurred_at FROM incident i JOIN incident_person ip ON ip.incident_id = i.id
WHERE ip.person_id = %(victim)s AND ip.role = 'victim' AND i.da_related
"""
SQL_INSERT = """
INSERT INTO risk_assessment (id, force_id, reference, victim_id, incident_id, form, answers, supplement_form,
    supplement_answers, score, supplement_score, suggested_level, professional_judgement, rationale, final_level,
    marac_routes, victim_view, assessed_at, assessed_by, review_status, reviewed_at, reviewed_by, reviewed_level,
    review_note)
VALUES (%(id)s, %(force_id)s, %(reference)s, %(victim_id)s, %(incident_id)s, 'DASH-27', %(answers)s,
    %(supplement_form)s, %(supplement_answers)s, %(score)s, %(supplement_score)s, %(suggested)s, %(judgement)s,
    %(rationale)s, %(final)s, %(routes)s, %(victim_view)s, %(assessed_at)s, %(assessed_by)s, %(status)s,
    %(reviewed_at)s, %(reviewed_by)s, %(reviewed_level)s, %(review_note)s)
"""


def seed_demo_risk(admin_url: str) -> None:
    """Add a few DASH assessments to the demo force (some awaiting review, one visibly high risk)."""
    form = get_form("DASH-27")
    supplement = get_form("S-DASH-11")
    assert form is not None and supplement is not None
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        seeded = conn.execute(
            "SELECT 1 FROM risk_assessment a JOIN force f ON f.id = a.force_id WHERE f.code = %s LIMIT 1",
            (DEMO_FORCE_CODE,)).fetchone()
        if seeded is not None:
            return
        chosen = conn.execute(SQL_CHOSEN, {"force": DEMO_FORCE_CODE}).fetchall()
        chosen.sort(key=lambda row: row[1], reverse=True)  # the most recent incidents
        victims_used: set[int] = set()
        plans = iter(PLANS)
        for incident_id, occurred_at, force_id, victim_id in chosen:
            if victim_id in victims_used:
                continue
            plan = next(plans, None)
            if plan is None:
                break
            victims_used.add(victim_id)
            conn.execute(SQL_INSERT, _row(conn, plan, form, supplement, incident_id, occurred_at, force_id,
                                          victim_id))


def _row(conn: psycopg.Connection[Any], plan: Plan, form: Any, supplement: Any, incident_id: int,
         occurred_at: datetime, force_id: int, victim_id: int) -> dict[str, Any]:
    scored = scoring.assess(form.id, _answers(plan), plan.judgement, plan.rationale)
    times = {row[0]: row[1] for row in conn.execute(SQL_HISTORY, {"victim": victim_id})}
    history = eligibility.routes(times, [], incident_id, occurred_at, eligibility.EligibilityRules())
    routes = list(scoring.marac_routes(form, scored.score, scored.suggested_level, scored.final_level, history))
    supplement_answers = None
    if scored.supplements_due:
        supplement_answers = {f"q{n}": "yes" if n in (1, 4, 5) else "no" for n in range(1, 12)}
    assessed_at = occurred_at + timedelta(minutes=50)
    assessment_id = int(conn.execute("SELECT nextval(pg_get_serial_sequence('risk_assessment', 'id'))")
                        .fetchone()[0])  # type: ignore[index]
    reviewed_level, review_note = plan.review if plan.review else (None, None)
    if reviewed_level == "high" and scored.final_level != "high" and "professional-judgement" not in routes:
        routes = [r for r in scoring.MARAC_ROUTES if r in {*routes, "professional-judgement"}]
    return {
        "id": assessment_id, "force_id": force_id, "reference": f"RA-{assessed_at.year}-{assessment_id:06d}",
        "victim_id": victim_id, "incident_id": incident_id, "answers": Jsonb(scored.answers),
        "supplement_form": supplement.id if supplement_answers else None,
        "supplement_answers": Jsonb(supplement_answers) if supplement_answers else None,
        "score": scored.score, "supplement_score": 3 if supplement_answers else None,
        "suggested": scored.suggested_level, "judgement": plan.judgement, "rationale": plan.rationale,
        "final": scored.final_level, "routes": Jsonb(routes), "victim_view": plan.victim_view,
        "assessed_at": assessed_at, "assessed_by": ASSESSED_BY,
        "status": "reviewed" if plan.review else "awaiting-review",
        "reviewed_at": assessed_at + timedelta(hours=6) if plan.review else None,
        "reviewed_by": REVIEWED_BY if plan.review else None, "reviewed_level": reviewed_level,
        "review_note": review_note,
    }
