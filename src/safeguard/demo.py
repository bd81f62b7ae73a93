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
    return True


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

