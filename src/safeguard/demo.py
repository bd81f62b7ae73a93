"""The demo force: seeded once, with one account per role, each with a known password and TOTP secret."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from sqlalchemy import select

from safeguard.auth import service as auth_service
from safeguard.auth import totp
from safeguard.auth.models import Team, User
from safeguard.config import Settings
from safeguard.db.engine import DatabaseUrls, psycopg_dsn
from safeguard.db.session import session_scope
from safeguard.force.models import Force

DEMO_FORCE_CODE = "DEMO"
DEMO_PASSWORD = "Demo-Safeguard-2026!"  # noqa: S105 - demo data is fictional; the password is printed for the tester


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    team_kind: str | None


DEMO_ACCOUNTS = [
    DemoAccount("handler", "Sam Carter", "call_handler", "control_room"),
    DemoAccount("supervisor", "Priya Shah", "control_room_supervisor", "control_room"),
    DemoAccount("specialist", "Jo Adeyemi", "da_specialist", "control_room"),
    DemoAccount("officer", "Tom Nowak", "response_officer", "local_policing"),
    DemoAccount("sergeant", "Rachel Okafor", "sergeant", "local_policing"),
    DemoAccount("investigator", "Aisha Khan", "ppu_investigator", "public_protection"),
    DemoAccount("analyst", "Chris Walsh", "analyst", "public_protection"),
    DemoAccount("oplead", "Dev Patel", "operation_lead", "operational_support"),
    DemoAccount("auditor", "Helen Price", "auditor", None),
    DemoAccount("admin", "Mark Evans", "administrator", None),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    password: str
    totp_secret: str


def demo_force_exists(admin_url: str) -> bool:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        return conn.execute("SELECT 1 FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone() is not None


def seed_demo(urls: DatabaseUrls, seed: int = 1) -> bool:
    """Seed the demo force on the first run only. Returns True if it seeded."""
    if demo_force_exists(urls.admin):
        return False
    from safeguard.synth import seed_force

    seed_force(urls.admin, size="demo", seed=seed, force_code=DEMO_FORCE_CODE, force_name="Demo Constabulary")
    add_demo_markers(urls.admin)
    add_demo_crimes(urls.admin)
    add_demo_safeguarding(urls.admin)
    add_demo_control_room(urls.admin)
    add_demo_operations(urls)
    return True


def add_demo_operations(urls: DatabaseUrls) -> None:
    """The force's first harm ranking (3 years, default weights), then Operation Kestrel (closed, a month ago)
    and Operation Harbour (running this week), whose targets come from that ranking."""
    from safeguard.operations.demo_seed import add_demo_operation
    from safeguard.targeting.demo_seed import rank_demo

    rank_demo(urls.admin, urls.app, DEMO_FORCE_CODE)
    add_demo_operation(urls.admin)


def add_demo_control_room(admin_url: str) -> None:
    """Open contacts in the control room's queue (a silent 55 call from a DA-marked number among them), THRIVE
    gradings, AML fixes (attached, held and quarantined), DA specialist advice and online reports."""
    from safeguard.contact.aml_demo import seed_demo_aml
    from safeguard.contact.board_demo import seed_demo_board
    from safeguard.contact.intake_demo import seed_demo_contacts
    from safeguard.contact.specialist_demo import seed_demo_specialist
    from safeguard.public.demo import seed_demo_public

    for seed in (seed_demo_contacts, seed_demo_board, seed_demo_aml, seed_demo_specialist, seed_demo_public):
        seed(admin_url)


def add_demo_safeguarding(admin_url: str) -> None:
    """DASH assessments, MARAC meetings, support services and referrals, safe contact, protective orders,
    Clare's Law requests and Victims' Code entitlements, on the demo force's DA victims and suspects. Each
    seed picks its people from the crimes seeded before it and adds nothing when run again."""
    from safeguard.risk.demo_seed import seed_demo_risk
    from safeguard.risk.marac_demo import seed_demo_marac
    from safeguard.safeguarding.dvds_demo import seed_demo_dvds
    from safeguard.safeguarding.orders_demo import seed_demo_orders
    from safeguard.safeguarding.support_demo import seed_demo_support

    for seed in (seed_demo_risk, seed_demo_marac, seed_demo_support, seed_demo_orders, seed_demo_dvds):
        seed(admin_url)


# Warning markers for the demo, set from the seeded history the way an officer would: on people who were
# suspects in three or more DA incidents, on victims of four or more, and on the phones of the former.
DEMO_MARKERS_SQL = """
WITH roles AS (
    SELECT ip.force_id, ip.person_id, ip.role, count(*) AS incidents, min(i.occurred_at)::date AS first_seen
    FROM incident_person ip JOIN incident i ON i.id = ip.incident_id JOIN force f ON f.id = ip.force_id
    WHERE f.code = %(force)s AND i.da_related
    GROUP BY ip.force_id, ip.person_id, ip.role
), chosen AS (
    SELECT force_id, person_id, first_seen,
           CASE role WHEN 'suspect' THEN 'da-perpetrator' ELSE 'da-high-risk-victim' END AS kind,
           CASE role WHEN 'suspect' THEN 'Suspect in ' ELSE 'Victim in ' END || incidents || ' DA incidents' AS note
    FROM roles WHERE (role = 'suspect' AND incidents >= 3) OR (role = 'victim' AND incidents >= 4)
), people AS (
    INSERT INTO marker (force_id, person_id, kind, note, starts_on, set_by)
    SELECT force_id, person_id, kind, note, first_seen, 'demo seed' FROM chosen
    RETURNING force_id, person_id, kind, starts_on
)
INSERT INTO marker (force_id, phone_e164, kind, note, starts_on, set_by)
SELECT DISTINCT ON (ph.number_e164) p.force_id, ph.number_e164, 'da-perpetrator',
       'Number used by a repeat DA suspect', p.starts_on, 'demo seed'
FROM people p JOIN person_phone ph ON ph.person_id = p.person_id WHERE p.kind = 'da-perpetrator'
"""


# Crimes for the demo, recorded from the seeded DA incidents of the last four months before the data ends:
# one crime per incident with one offence (chosen from the incident's id, so the same seed gives the same
# crimes), its victims and witnesses, and its suspects, a third of whom are wanted and circulated. Each
# suspect's history starts as the application's own recording does.
DEMO_OFFENCES = ["common-assault", "abh", "coercive-control", "stalking", "threats-to-kill", "strangulation",
                 "harassment", "criminal-damage-dwelling", "false-imprisonment", "breach-non-molestation"]
DEMO_CRIMES_SQL = """
WITH force_row AS (SELECT id FROM force WHERE code = %(force)s),
latest AS (SELECT max(occurred_at) AS at FROM incident WHERE force_id = (SELECT id FROM force_row)),
chosen AS (
    SELECT i.id AS incident_id, i.force_id, i.occurred_at, i.area_id, i.location_id,
           nextval(pg_get_serial_sequence('crime', 'id')) AS crime_id,
           (%(offences)s::text[])[1 + (i.id %% cardinality(%(offences)s::text[]))] AS offence_code
    FROM incident i, latest
    WHERE i.force_id = (SELECT id FROM force_row) AND i.da_related AND i.occurred_at > latest.at - interval '120 days'
      AND EXISTS (SELECT 1 FROM incident_person ip WHERE ip.incident_id = i.id AND ip.role = 'suspect')
      AND EXISTS (SELECT 1 FROM incident_person ip WHERE ip.incident_id = i.id AND ip.role = 'victim')
), crimes AS (
    INSERT INTO crime (id, force_id, reference, incident_id, occurred_at, recorded_at, recorded_by, da_related,
                       status, area_id, location_id)
    SELECT crime_id, force_id, 'CR-' || extract(year FROM occurred_at + interval '2 hours')::int || '-'
           || lpad(crime_id::text, 6, '0'), incident_id, occurred_at, occurred_at + interval '2 hours', 'demo seed',
           true, 'under-investigation', area_id, location_id
    FROM chosen RETURNING id
), offences AS (
    INSERT INTO crime_offence (force_id, crime_id, offence_id, principal)
    SELECT c.force_id, c.crime_id, o.id, true FROM chosen c JOIN offence o ON o.code = c.offence_code
    RETURNING id
), people AS (
    INSERT INTO crime_person (force_id, crime_id, person_id, role)
    SELECT DISTINCT c.force_id, c.crime_id, ip.person_id, ip.role
    FROM chosen c JOIN incident_person ip ON ip.incident_id = c.incident_id WHERE ip.role IN ('victim', 'witness')
    RETURNING id
), suspects AS (
    INSERT INTO suspect (force_id, crime_id, person_id, status, status_since, wanted_since, circulated,
                         circulation_note)
    SELECT DISTINCT ON (c.crime_id, ip.person_id) c.force_id, c.crime_id, ip.person_id,
           CASE WHEN ip.person_id %% 3 = 0 THEN 'wanted' ELSE 'outstanding' END,
           c.occurred_at + interval '2 hours'
               + CASE WHEN ip.person_id %% 3 = 0 THEN interval '1 day' ELSE interval '0' END,
           CASE WHEN ip.person_id %% 3 = 0 THEN c.occurred_at + interval '1 day 2 hours' END,
           ip.person_id %% 3 = 0,
           CASE WHEN ip.person_id %% 3 = 0 THEN 'Circulated locally: not at home address' END
    FROM chosen c JOIN incident_person ip ON ip.incident_id = c.incident_id WHERE ip.role = 'suspect'
    RETURNING id, force_id, status, status_since
), added AS (
    INSERT INTO suspect_event (force_id, suspect_id, from_status, to_status, at, by, reason)
    SELECT force_id, id, NULL, 'outstanding',
           status_since - CASE WHEN status = 'wanted' THEN interval '1 day' ELSE interval '0' END,
           'demo seed', 'Recorded with the crime' FROM suspects
    RETURNING id
)
INSERT INTO suspect_event (force_id, suspect_id, from_status, to_status, at, by, reason)
SELECT force_id, id, 'outstanding', 'wanted', status_since, 'demo seed', 'Not found at home address'
FROM suspects WHERE status = 'wanted'
"""


def demo_summary(admin_url: str) -> str:
    """What the demo force holds, in one line for the person starting it."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute("""
            SELECT (SELECT count(*) FROM person p WHERE p.force_id = f.id),
                   (SELECT count(*) FROM incident i WHERE i.force_id = f.id),
                   (SELECT count(*) FROM crime c WHERE c.force_id = f.id),
                   (SELECT count(*) FROM suspect s WHERE s.force_id = f.id AND s.status = 'wanted'),
                   (SELECT count(*) FROM marker m WHERE m.force_id = f.id),
                   (SELECT count(*) FROM risk_assessment r WHERE r.force_id = f.id),
                   (SELECT count(*) FROM marac_referral r WHERE r.force_id = f.id),
                   (SELECT count(*) FROM protective_order o WHERE o.force_id = f.id AND o.status = 'active'),
                   (SELECT count(*) FROM harm_ranking_entry e WHERE e.force_id = f.id),
                   (SELECT count(*) FROM operation o WHERE o.force_id = f.id)
            FROM force f WHERE f.code = %s""", (DEMO_FORCE_CODE,)).fetchone()
    people, incidents, crimes, wanted, markers, assessments, referrals, orders, ranked, operations = (
        row if row else (0,) * 10)
    return (f"The demo force holds {people:,} person records, {incidents:,} incidents, {crimes:,} crimes "
            f"({wanted:,} suspects wanted), {markers:,} warning markers, {assessments:,} DASH assessments, "
            f"{referrals:,} MARAC referrals, {orders:,} active protective orders, {ranked:,} perpetrators ranked "
            f"by harm and {operations:,} targeted operations.")


def add_demo_crimes(admin_url: str) -> None:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        conn.execute(DEMO_CRIMES_SQL, {"force": DEMO_FORCE_CODE, "offences": DEMO_OFFENCES})


def add_demo_markers(admin_url: str) -> None:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        conn.execute(DEMO_MARKERS_SQL, {"force": DEMO_FORCE_CODE})


async def ensure_demo_accounts(urls: DatabaseUrls, settings: Settings) -> list[DemoLogin]:
    async with session_scope(urls.app) as db:
        force = await db.scalar(select(Force).where(Force.code == DEMO_FORCE_CODE))
        if force is None:
            raise RuntimeError("The demo force has not been seeded.")
        teams = {team.kind: team for team in await db.scalars(select(Team).where(Team.force_id == force.id))}
        logins = []
        for account in DEMO_ACCOUNTS:
            user = await db.scalar(select(User).where(User.username == account.username))
            if user is None:
                team = teams.get(account.team_kind) if account.team_kind else None
                user = await auth_service.create_user(
                    db, settings, force_id=force.id, username=account.username,
                    display_name=account.display_name, role=account.role, password=DEMO_PASSWORD,
                    team_id=team.id if team else None, totp_secret=totp.new_secret(),
                )
            logins.append(DemoLogin(user.username, user.display_name, user.role, DEMO_PASSWORD,
                                    user.totp_secret or ""))
        return logins


async def link_demo(urls: DatabaseUrls) -> int:
    """Run the linkage job over the demo force, so the analysts' duplicate queue has pairs to review."""
    from safeguard.db.session import set_force_context
    from safeguard.people.linkjob import find_duplicates

    async with session_scope(urls.app) as db:
        force = (await db.scalars(select(Force).where(Force.code == DEMO_FORCE_CODE))).one()
        await set_force_context(db, force.id)
        report = await find_duplicates(db, force_id=force.id, found_by="demo seed")
        return report.added

