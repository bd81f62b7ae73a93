"""Page rendering: Jinja2 with autoescaping, the navigation a role may see, and flash messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.responses import HTMLResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.web import exit_early
from safeguard.web.deps import ANON_COOKIE, csrf_token, settings_of

FLASH_COOKIE = "sg_flash"
PACKAGE = Path(__file__).resolve().parents[1]


def _template_dirs() -> list[str]:
    """The shared templates, then each domain's own templates folder."""
    dirs = [str(PACKAGE / "web" / "templates")]
    dirs += sorted(str(p) for p in PACKAGE.glob("*/templates") if p.parent.name != "web")
    return dirs


templates = Jinja2Templates(directory=_template_dirs())


def percent(probability: float) -> str:
    """A probability for people to read: 0.9634 is "96.3%", and 0.99996 is ">99.9%", never "100.0%"."""
    value = probability * 100
    if value >= 99.95:
        return ">99.9%"
    return f"{value:.1f}%"


templates.env.filters["percent"] = percent
templates.env.globals["exit_early_script"] = exit_early.SCRIPT


@dataclass(frozen=True)
class LinkRule:
    path: re.Pattern[str]
    permissions: frozenset[P]
    public: bool


@pass_context
def may_follow(context: Any, href: str) -> bool:
    """May the signed-in reader of this page open `href`? The first route that matches decides, as in routing;
    a path no page serves is not offered."""
    request = context.get("request")
    actor = context.get("actor")
    path = href.split("?", 1)[0].split("#", 1)[0]
    for rule in getattr(request.app.state, "link_rules", ()) if request is not None else ():
        if rule.path.match(path):
            return rule.public or (actor is not None and all(actor.can(p) for p in rule.permissions))
    return False


templates.env.globals["may_follow"] = may_follow


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    permission: P


# The whole navigation; each user sees only the items their role grants.
NAVIGATION: list[NavItem] = [
    NavItem("Home", "/", P.HOME_VIEW),
    NavItem("DA calls for review", "/specialist", P.SAFEGUARDING_WRITE),
    NavItem("Contacts", "/contacts", P.CONTACT_READ),
    NavItem("Live board", "/board", P.CONTACT_READ),
    NavItem("People", "/people", P.PERSON_READ),
    NavItem("Caller history", "/people/history", P.PERSON_READ),
    NavItem("Duplicates", "/people/duplicates", P.PERSON_MERGE),
    NavItem("Crimes", "/crimes", P.CRIME_READ),
    NavItem("Wanted", "/crimes/wanted", P.CRIME_READ),
    NavItem("Custody", "/crimes/custody", P.CRIME_READ),
    NavItem("Crime results", "/crimes/results", P.REPORT_READ),
    NavItem("Harm ranking", "/targets", P.TARGETS_READ),
    NavItem("Operations", "/operations", P.OPERATION_READ),
    NavItem("DASH assessment", "/risk-assessments/new", P.RISK_WRITE),
    NavItem("DASH reviews", "/risk-assessments/reviews", P.RISK_REVIEW),
    NavItem("MARAC", "/marac", P.RISK_READ),
    NavItem("Orders", "/orders", P.SAFEGUARDING_READ),
    NavItem("Support services", "/support-services", P.SAFEGUARDING_READ),
    NavItem("Clare's Law", "/disclosures", P.DISCLOSURE_READ),
    NavItem("Victims' Code", "/victims-code", P.SAFEGUARDING_READ),
    NavItem("AML quarantine", "/aml/quarantine", P.CONTACT_READ),
    NavItem("Audit", "/audit", P.AUDIT_READ),
    NavItem("Users", "/admin/users", P.USER_ADMIN),
    NavItem("Manage support services", "/support-services/manage", P.SERVICES_ADMIN),
    NavItem("Account", "/account", P.ACCOUNT_VIEW),
]


def navigation_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [item for item in NAVIGATION if actor.can(item.permission)]


def active_item(nav: list[NavItem], path: str) -> str | None:
    """The menu item to highlight: the longest one the path is at or under (People, or Caller history)."""
    matches = [item.href for item in nav
               if path == item.href or (item.href != "/" and path.startswith(item.href.rstrip("/") + "/"))]
    return max(matches, key=len, default=None)


def _sign(payload: str, key: str) -> str:
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]


def flash(request: Request, response: Response, message: str, kind: str = "success") -> None:
    """Show `message` on the next page this browser loads."""
    key = settings_of(request).safeguard_secret_key
    payload = base64.urlsafe_b64encode(json.dumps([kind, message]).encode()).decode()
    response.set_cookie(FLASH_COOKIE, f"{payload}.{_sign(payload, key)}", httponly=True, samesite="lax",
                        secure=settings_of(request).safeguard_secure_cookies, path="/")


def _take_flash(request: Request) -> tuple[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    payload, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(payload, settings_of(request).safeguard_secret_key)):
        return None
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return str(kind), str(message)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, actor: Actor | None = None) -> HTMLResponse:
    settings = settings_of(request)
    if actor is None:
        actor = getattr(request.state, "actor", None)
    flashed = _take_flash(request)
    page: dict[str, Any] = {
        "actor": actor,
        "nav": (nav := navigation_for(actor)),
        "nav_active": active_item(nav, request.url.path),
        "demo_mode": settings.demo_mode,
        "force_name": actor.force_name if actor else settings.safeguard_force_name,
        "csrf_token": csrf_token(request),
        "flash": flashed,
        "current_path": request.url.path,
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    if flashed:
        response.delete_cookie(FLASH_COOKIE, path="/")
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:
        response.set_cookie(ANON_COOKIE, new_anon, httponly=True, samesite="lax", path="/",
                            secure=settings.safeguard_secure_cookies)
    return response
