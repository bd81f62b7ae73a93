"""Request dependencies: the transaction, who is acting, what they may do, and CSRF.

Every route declares either `Requires(P.SOMETHING)` (or `Requires()` for "any signed-in actor") or
`Public()`. `create_app` refuses to start if a route declares neither, so the default is deny.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguard.audit import service as audit
from safeguard.auth import service as auth_service
from safeguard.auth import tokens
from safeguard.auth.actor import Actor
from safeguard.auth.models import UserSession
from safeguard.auth.permissions import P
from safeguard.config import Settings
from safeguard.db.session import set_force_context

SESSION_COOKIE = "sg_session"
ANON_COOKIE = "sg_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """No one is signed in (or the session has ended)."""


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfFailed(Exception):
    pass


_NO_FORCE = text("SELECT set_config('app.force_id', '', true), set_config('app.user_id', '', true)")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request_transaction(request, request.app.state.sessionmaker) as db:
        yield db


@asynccontextmanager
async def request_transaction(request: Request, sessionmaker: async_sessionmaker[AsyncSession]
                              ) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed if the request succeeds, rolled back if anything raises.

    The one exception that commits is LoginRequired: it is raised before the route does any work, and
    what the transaction holds then (a session found expired and ended) must be kept.
    """
    async with sessionmaker() as db:
        transaction = await db.begin()
        # A transaction starts with no force, so nothing is visible until the actor is known: the force is only
        # ever set with set_config(..., true), which ends with the transaction. Requests that run as savepoints of
        # one outer transaction (the test suite's) would inherit the one before's, so they clear it first.
        if (await db.connection()).in_nested_transaction():
            await db.execute(_NO_FORCE)
        request.state.db = db
        try:
            yield db
        except LoginRequired:
            await transaction.commit()
            raise
        except BaseException:
            await transaction.rollback()
            raise
        else:
            await audit.commit(db)


DbSession = Annotated[AsyncSession, Depends(get_db)]


async def _resolve(request: Request, db: AsyncSession) -> Actor | None:
    """Find the actor once per request, and set the force for row-level security."""
    if "actor" in request.state._state:
        actor: Actor | None = request.state.actor
        return actor
    actor = None
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        # The token's own lookup sets the force (one round trip fewer on every telephony post).
        actor = await tokens.actor_for_token(db, authorization[7:].strip(), client_addr(request))
        request.state.bearer = True
    else:
        session = await _live_session(request, db)
        if session is not None and session.mfa_passed:
            actor = await auth_service.actor_for_session(db, session, client_addr(request))
        if actor is not None:
            await set_force_context(db, actor.force_id, actor.user_id)
    request.state.actor = actor
    return actor


async def _live_session(request: Request, db: AsyncSession) -> UserSession | None:
    if "user_session" in request.state._state:
        cached: UserSession | None = request.state.user_session
        return cached
    token = request.cookies.get(SESSION_COOKIE, "")
    session = await auth_service.find_session(db, settings_of(request), token) if token else None
    request.state.user_session = session
    return session


async def optional_actor(request: Request, db: DbSession) -> Actor | None:
    return await _resolve(request, db)


async def pending_session(request: Request, db: DbSession) -> UserSession | None:
    """A session that has passed the password but not yet the code."""
    return await _live_session(request, db)


class Requires:
    """Route dependency: the actor must be signed in and hold `permission` (None: any signed-in actor)."""

    def __init__(self, permission: P | None = None) -> None:
        self.permission = permission

    async def __call__(self, request: Request, db: DbSession) -> Actor:
        actor = await _resolve(request, db)
        if actor is None:
            raise LoginRequired()
        if self.permission is not None and not actor.can(self.permission):
            raise Forbidden(f"Your role does not allow this ({self.permission.value}).")
        return actor

    def __repr__(self) -> str:
        return f"Requires({self.permission})"


class Public:
    """Route dependency: deliberately open to anyone (sign-in, health check, public help pages)."""

    async def __call__(self) -> None:
        return None


# -- CSRF ------------------------------------------------------------------------------------------

def _binding(request: Request) -> str:
    """What a CSRF token is bound to: the session cookie, or an anonymous cookie before sign-in."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return "s:" + session
    anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anon", None)
    if not anon:
        anon = secrets.token_urlsafe(24)
        request.state.new_anon = anon
    return "a:" + anon


def csrf_token(request: Request) -> str:
    key = settings_of(request).safeguard_secret_key.encode()
    return hmac.new(key, _binding(request).encode(), hashlib.sha256).hexdigest()


async def csrf_protect(request: Request) -> None:
    """Every state-changing request made with a browser cookie must carry the form's CSRF token.

    Requests authenticated by a bearer token carry no ambient credential, so they need none.
    """
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    has_cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE)
    if not supplied or not has_cookie or not hmac.compare_digest(supplied, csrf_token(request)):
        raise CsrfFailed()


CurrentActor = Annotated[Actor, Depends(Requires())]
