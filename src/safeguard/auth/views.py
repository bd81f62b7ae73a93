"""Sign-in, second factor, sign-out, and the account and user pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from safeguard.auth import service, totp
from safeguard.auth.actor import Actor
from safeguard.auth.models import Team, User, UserSession
from safeguard.auth.permissions import ROLES, P
from safeguard.web.deps import (
    SESSION_COOKIE,
    DbSession,
    Public,
    Requires,
    client_addr,
    optional_actor,
    pending_session,
    settings_of,
)
from safeguard.web.templating import flash, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only ever redirect within Safeguard after sign-in."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = settings_of(request)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=settings.safeguard_secure_cookies,
                        max_age=settings.safeguard_session_absolute_hours * 3600)


@router.get("/login", dependencies=[Depends(Public())])
async def login_page(request: Request, actor: Annotated[Actor | None, Depends(optional_actor)],
                     next: str = "/") -> Response:
    if actor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": _safe_next(next), "errors": {}, "username": ""})


@router.post("/login", dependencies=[Depends(Public())])
async def login_submit(request: Request, db: DbSession, username: Annotated[str, Form(max_length=200)] = "",
                       password: Annotated[str, Form(max_length=1000)] = "",
                       next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 - a message, not a secret
    if errors:
        return render(request, "auth/login.html", {"errors": errors, "username": username, "next": _safe_next(next)},
                      status_code=400)
    result = await service.sign_in_password(db, settings_of(request), username=username, password=password,
                                            client_addr=client_addr(request))
    if not result.ok or result.session_token is None:
        return render(request, "auth/login.html",
                      {"errors": {"username": result.message}, "username": username, "next": _safe_next(next)},
                      status_code=401)
    response = RedirectResponse(f"/login/code?next={_safe_next(next)}", status_code=303)
    _set_session_cookie(request, response, result.session_token)
    return response


async def _code_page(request: Request, db: DbSession, session: UserSession, next: str,
                     errors: dict[str, str], status_code: int = 200) -> Response:
    user = await service.pending_user(db, session)
    if user is None or user.totp_secret is None:
        return RedirectResponse("/login", status_code=303)
    if user.totp_enrolled:
        return render(request, "auth/code.html", {"errors": errors, "next": next}, status_code=status_code)
    force_name = settings_of(request).safeguard_force_name
    uri = totp.provisioning_uri(user.totp_secret, user.username, force_name)
    return render(request, "auth/enrol.html", {"errors": errors, "next": next, "qr_svg": totp.qr_svg(uri),
                                               "secret": user.totp_secret}, status_code=status_code)


@router.get("/login/code", dependencies=[Depends(Public())])
async def code_page(request: Request, db: DbSession,
                    session: Annotated[UserSession | None, Depends(pending_session)], next: str = "/") -> Response:
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if session.mfa_passed:
        return RedirectResponse(_safe_next(next), status_code=303)
    return await _code_page(request, db, session, _safe_next(next), {})


@router.post("/login/code", dependencies=[Depends(Public())])
async def code_submit(request: Request, db: DbSession,
                      session: Annotated[UserSession | None, Depends(pending_session)],
                      code: Annotated[str, Form(max_length=20)] = "",
                      next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    if session is None or session.mfa_passed:
        return RedirectResponse("/login", status_code=303)
    if not code.strip():
        return await _code_page(request, db, session, _safe_next(next),
                                {"code": "Enter the 6-digit code from your authenticator app"}, 400)
    result = await service.sign_in_code(db, settings_of(request), session=session, code=code,
                                        client_addr=client_addr(request))
    if not result.ok or result.session_token is None:
        if session.ended_at is not None:  # locked out
            response: Response = render(request, "auth/login.html",
                              {"errors": {"username": result.message}, "username": "", "next": "/"}, status_code=401)
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        return await _code_page(request, db, session, _safe_next(next), {"code": result.message}, 401)
    done = RedirectResponse(_safe_next(next), status_code=303)
    _set_session_cookie(request, done, result.session_token)
    return done


@router.post("/logout", dependencies=[Depends(Public())])
async def logout(request: Request, db: DbSession, actor: Annotated[Actor | None, Depends(optional_actor)],
                 session: Annotated[UserSession | None, Depends(pending_session)]) -> Response:
    if session is not None:
        await service.sign_out(db, session, actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash(request, response, "You have signed out.")
    return response


@router.get("/account")
async def account(request: Request, db: DbSession, actor: Annotated[Actor, Depends(Requires(P.ACCOUNT_VIEW))]
                  ) -> Response:
    team_name = await db.scalar(select(Team.name).where(Team.id == actor.team_id)) if actor.team_id else None
    return render(request, "auth/account.html",
                  {"team_name": team_name, "permissions": sorted(p.value for p in actor.permissions)})


@router.get("/admin/users")
async def users(request: Request, db: DbSession, actor: Annotated[Actor, Depends(Requires(P.USER_ADMIN))]
                ) -> Response:
    rows = (await db.execute(
        select(User, Team.name).outerjoin(Team, Team.id == User.team_id)
        .where(User.force_id == actor.force_id).order_by(User.username)
    )).all()
    return render(request, "auth/users.html", {"users": rows, "roles": ROLES})
