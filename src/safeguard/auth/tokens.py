"""Scoped API tokens: `sg_<prefix>_<secret>`, stored as a SHA-256 and shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Text, bindparam, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.models import ApiToken
from safeguard.auth.permissions import P, parse_scope
from safeguard.db.driver import DriverStatement
from safeguard.db.engine import DatabaseUrls
from safeguard.db.session import set_force_context
from safeguard.force.models import Force

LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(db: AsyncSession, *, force_id: int, name: str, scopes: list[str],
                       created_by: str = "command line") -> str:
    name = name.strip()
    if not name:
        raise ValueError("A token needs a --name saying what it is for.")
    if not scopes:
        raise ValueError("A token needs at least one --scope, such as contacts:write.")
    parsed = sorted({parse_scope(scope) for scope in scopes})
    prefix = secrets.token_hex(6)
    token = f"sg_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(force_id=force_id, name=name, prefix=prefix, token_hash=_hash(token),
                   scopes=[str(scope) for scope in parsed])
    db.add(row)
    await db.flush()
    await set_force_context(db, force_id)
    await audit.record(db, action="token.created", actor_label=created_by, force_id=force_id,
                       object_type="api_token", object_id=row.id, details={"name": name, "scopes": row.scopes})
    return token


# One round trip finds the token and sets the transaction's force and user for row-level security. The hash is
# compared in SQL: it is the SHA-256 of a 256-bit secret, so how long a comparison takes tells a caller nothing
# they could use to build a token. set_config runs only for the row that matched, so a wrong, revoked or unknown
# token sets nothing and finds nothing.
_TOKEN = (select(ApiToken.id, ApiToken.force_id, ApiToken.name, ApiToken.scopes, ApiToken.last_used_at,
                 Force.name.label("force_name"),
                 func.set_config("app.force_id", cast(ApiToken.force_id, Text), True).label("force_set"),
                 func.set_config("app.user_id", "", True).label("user_set"))
          .join(Force, Force.id == ApiToken.force_id)
          .where(ApiToken.prefix == bindparam("prefix"), ApiToken.token_hash == bindparam("token_hash"),
                 ApiToken.revoked_at.is_(None)))
_TOKEN_STATEMENT = DriverStatement(_TOKEN)  # every API request: run on the driver's connection (db/driver.py)
# Kept to the minute, and written by whichever request gets the row first: writing it on every call, or from every
# request that finds it stale at once, would make each request from one token (a telephony switch sends many at
# once) wait on the same row lock until the one before it commits.
_TOUCH = (update(ApiToken)
          .where(ApiToken.id.in_(select(ApiToken.id).where(ApiToken.id == bindparam("token_id"))
                                 .with_for_update(skip_locked=True)))
          .values(last_used_at=bindparam("now")))


async def actor_for_token(db: AsyncSession, token: str, client_addr: str | None) -> Actor | None:
    """The actor a bearer token stands for, with the transaction's force set to the token's; None if the token is
    unknown, wrong or revoked (and then no force is set)."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "sg" or len(token) > 200:
        return None
    row = await _TOKEN_STATEMENT.first(db, {"prefix": parts[1], "token_hash": _hash(token)})
    if row is None:
        return None
    token_id, force_id, name, scopes, last_used_at, force_name = row[:6]
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        await db.execute(_TOUCH, {"token_id": token_id, "now": now},
                         execution_options={"synchronize_session": False})
    return Actor(kind="token", force_id=force_id, label=f"token:{name}",
                 permissions=frozenset(P(scope) for scope in scopes), token_id=token_id,
                 display_name=name, force_name=force_name or "", client_addr=client_addr)


async def force_by_code(db: AsyncSession, code: str | None) -> Force:
    if code:
        force = await db.scalar(select(Force).where(Force.code == code))
        if force is None:
            raise ValueError(f"No force with code '{code}'.")
        return force
    forces = list(await db.scalars(select(Force).order_by(Force.id).limit(2)))
    if not forces:
        raise ValueError("No force exists yet: run `make demo` or `safeguard seed` first.")
    if len(forces) > 1:
        raise ValueError("There is more than one force: say which with --force CODE.")
    return forces[0]


async def create_token_cli(urls: DatabaseUrls, *, name: str, scopes: list[str], force_code: str | None) -> str:
    from safeguard.db.session import session_scope

    async with session_scope(urls.app) as db:
        force = await force_by_code(db, force_code)
        return await create_token(db, force_id=force.id, name=name, scopes=scopes)
