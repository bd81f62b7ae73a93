"""Signing in and out through the real forms."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth import totp
from safeguard.auth.models import User, UserSession
from tests.conftest import ForceData, csrf_from, make_user, sign_in


async def test_sign_in_with_password_and_code_reaches_home(client: httpx.AsyncClient, db: AsyncSession,
                                                           force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "call_handler", username="handler1", team_kind="control_room")
    response = await sign_in(client, staff)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200
    assert "Control room" in home.text and "Handler1" in home.text
    assert "Force A Constabulary" in home.text
    events = (await db.scalars(select(AuditEvent.action).where(AuditEvent.actor_label == "handler1"))).all()
    assert "login.succeeded" in events


async def test_wrong_code_is_refused(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    good = totp.current_code(staff.totp_secret)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = await sign_in(client, staff, code=wrong)
    assert response.status_code == 401
    assert "That code is not right" in response.text
    assert (await client.get("/")).status_code == 303  # still not signed in
