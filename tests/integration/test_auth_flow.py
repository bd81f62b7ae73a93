"""Signing in and out through the real forms."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth import totp
from safeguard.auth.models import User, UserSession
from safeguard.db.session import set_force_context
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
    await set_force_context(db, force_a.id)
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


async def _post_login(client: httpx.AsyncClient, username: str, password: str, next: str = "/") -> httpx.Response:
    page = await client.get("/login")
    return await client.post("/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_from(page.text), "next": next})


async def test_five_wrong_passwords_lock_the_account(client: httpx.AsyncClient, db: AsyncSession,
                                                     force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst", username="lockme")
    for attempt in range(4):
        response = await _post_login(client, "lockme", f"wrong-password-{attempt}")
        assert response.status_code == 401
        assert "username or password is not right" in response.text
    response = await _post_login(client, "lockme", "wrong-password-5")
    assert "locked" in response.text
    # The right password no longer helps.
    response = await _post_login(client, "lockme", staff.password)
    assert response.status_code == 401 and "locked" in response.text
    user = await db.scalar(select(User).where(User.username == "lockme").execution_options(populate_existing=True))
    assert user is not None and user.locked_at is not None and user.failed_attempts == 5

    from safeguard.auth.service import unlock_user

    await unlock_user(db, username="lockme", by="test")
    assert (await sign_in(client, staff)).status_code == 303


async def test_wrong_codes_count_towards_the_lockout(client: httpx.AsyncClient, db: AsyncSession,
                                                     force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst", username="codes")
    page = await client.get("/login")
    await client.post("/login", data={"username": "codes", "password": staff.password,
                                      "csrf_token": csrf_from(page.text)})
    for _ in range(5):
        page = await client.get("/login/code")
        response = await client.post("/login/code", data={"code": "000000", "csrf_token": csrf_from(page.text)})
    assert "locked" in response.text
    assert (await client.get("/")).status_code == 303
    await set_force_context(db, force_a.id)
    locked = (await db.scalars(select(AuditEvent.action).where(AuditEvent.actor_label == "codes"))).all()
    assert "account.locked" in locked


async def test_unknown_user_gets_the_same_message_and_is_audited(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    response = await _post_login(client, "nobody-here", "some-password-123")
    assert response.status_code == 401
    assert "username or password is not right" in response.text
    await db.execute(text("SELECT set_config('app.force_id', '', true)"))
    count = await db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failed"))
    # Unknown-user failures belong to no force, so row-level security hides them from the app;
    # the owner sees them (tests/security/test_audit_chain.py).
    assert count == 0


async def test_sign_in_never_redirects_off_site(client: httpx.AsyncClient, db: AsyncSession,
                                                force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = await _post_login(client, staff.user.username, staff.password, next=target)
        assert response.headers["location"] == "/login/code?next=/"
        client.cookies.clear()


async def test_blank_form_says_what_is_missing(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    response = await client.post("/login", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 400
    assert "Enter your username" in response.text and "Enter your password" in response.text


async def test_session_row_holds_only_a_hash_of_the_cookie(client: httpx.AsyncClient, db: AsyncSession,
                                                           force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    await sign_in(client, staff)
    cookie = client.cookies.get("sg_session")
    assert cookie
    hashes = (await db.scalars(select(UserSession.token_hash))).all()
    assert cookie not in hashes and all(len(h) == 64 for h in hashes)
