"""Signing in and out: passwords, the second factor, lockout and server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth import passwords, totp
from safeguard.auth.actor import Actor
from safeguard.auth.models import Team, User, UserSession
from safeguard.auth.permissions import ROLES, role_permissions
from safeguard.config import Settings
from safeguard.db.session import set_force_context
from safeguard.force.models import Force

GENERIC_FAILURE = "The username or password is not right. Check them and try again."
LOCKED = ("This account is locked after too many failed sign-in attempts. "
          "Ask your administrator to unlock it.")
WRONG_CODE = "That code is not right. Enter the 6-digit code your authenticator app shows now."


def _now() -> datetime:
    return datetime.now(UTC)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    message: str = ""
    session_token: str | None = None
    next_step: str | None = None  # "code" or "enrol" after a correct password; "home" after the code


async def _user_by_username(db: AsyncSession, username: str) -> User | None:
    """The account, locked for update; the transaction then acts for the account's force."""
    user = await db.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower()).with_for_update()
    )
    if user is not None:
        await set_force_context(db, user.force_id, user.id)
    return user


async def _register_failure(db: AsyncSession, settings: Settings, user: User, client_addr: str | None,
                            reason: str) -> SignInResult:
    user.failed_attempts += 1
    await audit.record(db, action="login.failed", actor_label=user.username, force_id=user.force_id,
                       object_type="user", object_id=user.id, client_addr=client_addr, reason=reason)
    if user.failed_attempts >= settings.safeguard_lockout_attempts:
        user.locked_at = _now()
        await audit.record(db, action="account.locked", actor_label=user.username, force_id=user.force_id,
                           object_type="user", object_id=user.id, client_addr=client_addr,
                           reason=f"{user.failed_attempts} failed sign-in attempts")
        return SignInResult(False, LOCKED)
    return SignInResult(False, GENERIC_FAILURE if reason == "wrong password" else WRONG_CODE)


async def sign_in_password(db: AsyncSession, settings: Settings, *, username: str, password: str,
                           client_addr: str | None) -> SignInResult:
    user = await _user_by_username(db, username)
    if user is None or not user.active:
        passwords.verify_password(None, password)  # same time taken whether or not the user exists
        await audit.record(db, action="login.failed", actor_label=username.strip()[:140] or "(blank)",
                           client_addr=client_addr, reason="unknown or inactive user")
        return SignInResult(False, GENERIC_FAILURE)
    if user.locked_at is not None:
        await audit.record(db, action="login.refused_locked", actor_label=user.username, force_id=user.force_id,
                           object_type="user", object_id=user.id, client_addr=client_addr)
        return SignInResult(False, LOCKED)
    if not passwords.verify_password(user.password_hash, password):
        return await _register_failure(db, settings, user, client_addr, "wrong password")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
    token = await _new_session(db, user, client_addr)
    await audit.record(db, action="login.password_accepted", actor_label=user.username, force_id=user.force_id,
                       object_type="user", object_id=user.id, client_addr=client_addr)
    return SignInResult(True, session_token=token, next_step="code" if user.totp_enrolled else "enrol")


async def sign_in_code(db: AsyncSession, settings: Settings, *, session: UserSession, code: str,
                       client_addr: str | None) -> SignInResult:
    """The second step. A correct code completes sign-in (and enrolment, the first time)."""
    user = await db.scalar(select(User).where(User.id == session.user_id).with_for_update())
    if user is None or not user.active or user.totp_secret is None:
        return SignInResult(False, GENERIC_FAILURE)
    await set_force_context(db, user.force_id, user.id)
    if user.locked_at is not None:
        session.ended_at = _now()
        return SignInResult(False, LOCKED)
    step = totp.accepted_step(user.totp_secret, code, last_step=user.totp_last_step)
    if step is None:
        result = await _register_failure(db, settings, user, client_addr, "wrong code")
        if user.locked_at is not None:
            session.ended_at = _now()
        return result
    enrolling = not user.totp_enrolled
    user.totp_enrolled = True
    user.totp_last_step = step
    user.failed_attempts = 0
    # A new session token once both factors are in, so a token seen before sign-in is worth nothing.
    session.ended_at = _now()
    token = await _new_session(db, user, client_addr, mfa_passed=True)
    if enrolling:
        await audit.record(db, action="mfa.enrolled", actor_label=user.username, force_id=user.force_id,
                           object_type="user", object_id=user.id, client_addr=client_addr)
    await audit.record(db, action="login.succeeded", actor_label=user.username, force_id=user.force_id,
                       object_type="user", object_id=user.id, client_addr=client_addr)
    return SignInResult(True, session_token=token, next_step="home")


async def _new_session(db: AsyncSession, user: User, client_addr: str | None, *, mfa_passed: bool = False) -> str:
    token = secrets.token_urlsafe(32)
    now = _now()
    db.add(UserSession(token_hash=_hash_token(token), user_id=user.id, mfa_passed=mfa_passed, created_at=now,
                       last_seen_at=now, client_addr=client_addr))
    await db.flush()
    return token


async def find_session(db: AsyncSession, settings: Settings, token: str) -> UserSession | None:
    """The live session for a cookie, or None. Sessions past their idle or absolute limit are ended."""
    if not token or len(token) > 100:
        return None
    session = await db.scalar(select(UserSession).where(UserSession.token_hash == _hash_token(token)))
    if session is None or session.ended_at is not None:
        return None
    now = _now()
    idle_limit = timedelta(minutes=settings.safeguard_session_idle_minutes)
    absolute_limit = timedelta(hours=settings.safeguard_session_absolute_hours)
    if now - session.last_seen_at > idle_limit or now - session.created_at > absolute_limit:
        session.ended_at = now
        return None
    session.last_seen_at = now
    return session


async def actor_for_session(db: AsyncSession, session: UserSession, client_addr: str | None) -> Actor | None:
    row = (await db.execute(
        select(User, Force.name).join(Force, Force.id == User.force_id).where(User.id == session.user_id)
    )).first()
    if row is None:
        return None
    user, force_name = row
    if not user.active or user.locked_at is not None or user.role not in ROLES:
        return None
    return Actor(kind="user", force_id=user.force_id, label=user.username, permissions=role_permissions(user.role),
                 user_id=user.id, role=user.role, display_name=user.display_name, force_name=force_name,
                 team_id=user.team_id, client_addr=client_addr, session_id=session.id)


async def sign_out(db: AsyncSession, session: UserSession, actor: Actor | None) -> None:
    session.ended_at = _now()
    if actor is not None:
        await audit.record(db, action="logout", actor=actor, object_type="user", object_id=actor.user_id)


async def pending_user(db: AsyncSession, session: UserSession) -> User | None:
    return await db.get(User, session.user_id)


async def create_user(db: AsyncSession, settings: Settings, *, force_id: int, username: str, display_name: str,
                      role: str, password: str, team_id: int | None = None, totp_secret: str | None = None,
                      check_policy: bool = True) -> User:
    if role not in ROLES:
        raise ValueError(f"Unknown role '{role}'. Roles: {', '.join(sorted(ROLES))}")
    if check_policy:
        problems = passwords.password_problems(password, min_length=settings.safeguard_password_min_length,
                                               username=username)
        if problems:
            raise ValueError(" ".join(problems))
    user = User(force_id=force_id, username=username, display_name=display_name, role=role, team_id=team_id,
                password_hash=passwords.hash_password(password), totp_secret=totp_secret,
                totp_enrolled=totp_secret is not None)
    db.add(user)
    await db.flush()
    return user


async def unlock_user(db: AsyncSession, *, username: str, by: str) -> User:
    user = await _user_by_username(db, username)
    if user is None:
        raise ValueError(f"No user called '{username}'.")
    user.locked_at = None
    user.failed_attempts = 0
    await audit.record(db, action="account.unlocked", actor_label=by, force_id=user.force_id, object_type="user",
                       object_id=user.id)
    return user


async def end_all_sessions(db: AsyncSession, user_id: int) -> None:
    await db.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                     .values(ended_at=_now()))


async def teams(db: AsyncSession, force_id: int) -> list[Team]:
    return list(await db.scalars(select(Team).where(Team.force_id == force_id).order_by(Team.name)))
