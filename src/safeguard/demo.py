"""The demo force: seeded once, with one account per role, each with a known password and TOTP secret."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safeguard.auth import service as auth_service
from safeguard.auth import totp
from safeguard.auth.models import Team, User
from safeguard.config import Settings
from safeguard.db.engine import DatabaseUrls
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
    import psycopg

    from safeguard.db.engine import psycopg_dsn

    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        return conn.execute("SELECT 1 FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone() is not None


def seed_demo(urls: DatabaseUrls, seed: int = 1) -> bool:
    """Seed the demo force on the first run only. Returns True if it seeded."""
    if demo_force_exists(urls.admin):
        return False
    from safeguard.synth import seed_force

    seed_force(urls.admin, size="demo", seed=seed, force_code=DEMO_FORCE_CODE, force_name="Demo Constabulary")
    return True


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
