"""Online reports for the demo force: three fictional reports from the public form waiting in the control room's
queue (one says someone is in danger now; one gave only an email address). Synthetic data only: phone numbers
are from Ofcom's drama range and email addresses are on example domains.

`seed_demo_public(admin_url)` may be run any number of times: each report has its own idempotency key, so it is
added only once. The answers have the shape `service.report_json` writes (docs/public-pages.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.public.service import ReportInput, note_for, report_json

# (key, minutes ago, answers)
DEMO_REPORTS: tuple[tuple[str, int, ReportInput], ...] = (
    ("public:demo-report-1", 12, ReportInput(
        danger_now="yes", what_happened="My partner has locked me in the bedroom and taken my car keys. He says I "
        "am not going to work again. I am typing this on my laptop because he has my phone.",
        where="Flat 3, Northgate", name="", phone="", email="jo.reporter@demo.example",
        safe_times="Email only, any time")),
    ("public:demo-report-2", 95, ReportInput(
        danger_now="no", what_happened="My ex-wife keeps turning up at my work and sending messages to my friends "
        "about me. It has been going on since we separated in the summer and I am worried about my children.",
        where="Northfield", name="Chris", phone="07700 900781", voicemail_safe="no", text_safe="yes",
        safe_times="Weekdays 12pm to 1pm")),
    ("public:demo-report-3", 240, ReportInput(
        danger_now="no", what_happened="I am worried about my neighbour. I often hear shouting and things being "
        "thrown, and last week she had a bruise on her face.", where="Elm Road, Northgate", name="A neighbour",
        phone="01632 960555", voicemail_safe="yes", text_safe="no", safe_times="Evenings")),
)

INSERT_SQL = """
INSERT INTO contact (force_id, channel, caller_number, received_at, pressed_55, note, da_flag, status, taken_by,
                     location_text, report, idempotency_key)
SELECT f.id, 'online', %(phone)s, %(received_at)s, false, %(note)s, true, 'open', 'public', %(where)s, %(report)s,
       %(key)s
FROM force f WHERE f.code = %(force)s
ON CONFLICT ON CONSTRAINT uq_contact_idempotency DO NOTHING
"""


def seed_demo_public(admin_url: str) -> None:
    """Add the demo force's online reports to its control-room queue, once."""
    now = datetime.now(UTC)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        for key, minutes, answers in DEMO_REPORTS:
            received_at = now - timedelta(minutes=minutes)
            report = report_json(answers, received_at)
            conn.execute(INSERT_SQL, {"force": DEMO_FORCE_CODE, "key": key, "received_at": received_at,
                                      "phone": report["phone"], "note": note_for(report), "where": report["where"],
                                      "report": Jsonb(report)})
