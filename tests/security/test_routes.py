"""Every route declares who may use it, and the declarations hold for every role and every kind of caller.

The expectations here are derived from the routes themselves (their `Requires(...)` declarations) and from
`ROLES`, so a new route is checked as soon as it is registered, without anyone editing a table.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from datetime import timedelta
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import Mount, Route

from safeguard.app import FRAMEWORK_PUBLIC_PATHS, api_routes, check_routes_declare_access, create_app, declared_access
from safeguard.auth.actor import Actor
from safeguard.auth.models import ApiToken
from safeguard.auth.permissions import ROLES, TOKEN_SCOPES, P
from safeguard.auth.tokens import create_token
from safeguard.contact.models import Contact, Incident
from safeguard.crimes.models import Arrest, Crime, Suspect
from safeguard.db.session import set_force_context
from safeguard.operations.models import ArrestAttempt, Operation, OperationTarget
from safeguard.people.models import DuplicateCandidate, Person, PersonMerge
from safeguard.risk.models import MaracAction, MaracMeeting, MaracReferral, RiskAssessment
from safeguard.safeguarding.models import (
    DisclosureRequest,
    ProtectiveOrder,
    SupportReferral,
    SupportService,
    VictimEntitlement,
)
from safeguard.targeting.models import HarmRanking, HarmRankingEntry, HarmWeightSet
from safeguard.web.deps import Public, Requires
from tests.conftest import ForceData, csrf_from, make_settings, make_user, sign_in

# The only routes anyone may use without signing in. Adding to this list is a security decision.
PUBLIC_ROUTES = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("POST", "/logout"),
    ("GET", "/healthz"),
    # The public online report and help pages (issue 6 §7): no sign-in, by design.
    ("GET", "/report"),
    ("POST", "/report"),
    ("GET", "/report/sent"),
    ("GET", "/help"),
}
# Served by FastAPI itself (not an APIRoute): the API description, deliberately public.
FRAMEWORK_PUBLIC = {("GET", "/api/openapi.json")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
LINK = re.compile(r'<a [^>]*href="(/[^"]*)"')


def _app() -> FastAPI:
    return create_app(make_settings())


def _requires(route: APIRoute) -> list[Requires]:
    return [d for d in declared_access(route) if isinstance(d, Requires)]


def _is_public(route: APIRoute) -> bool:
    return any(isinstance(d, Public) for d in declared_access(route))


def _pairs(route: APIRoute) -> set[tuple[str, str]]:
    return {(method, route.path) for method in route.methods or set()}


def _protected(app: FastAPI) -> list[tuple[str, APIRoute]]:
    return sorted(((method, route) for route in api_routes(app.routes) if not _is_public(route)
                   for method in route.methods or set()), key=lambda pair: (pair[1].path, pair[0]))


def _fill(path: str, values: dict[str, object]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, (f"No sample value for the path parameter '{name}' in {path}: add one to the "
                                "test's sample values so that every route is tried.")
        return str(values[name])

    return PARAM.sub(value, path)


# -- every route declares its access ----------------------------------------------------------------------

def test_every_route_declares_requires_or_public() -> None:
    app = _app()
    routes = list(api_routes(app.routes))
    assert len(routes) >= 10, "the walk found too few routes to be walking them all"
    for route in routes:
        declared = declared_access(route)
        assert declared, f"{sorted(route.methods or [])} {route.path} declares neither Requires nor Public"
        kinds = {type(d) for d in declared}
        assert not (Public in kinds and Requires in kinds), f"{route.path} is declared both public and protected"
        for requirement in _requires(route):
            assert requirement.permission is None or isinstance(requirement.permission, P)


def test_the_public_routes_are_exactly_the_allow_list() -> None:
    app = _app()
    public: set[tuple[str, str]] = set()
    for route in api_routes(app.routes):
        if _is_public(route):
            public |= _pairs(route)
    assert public == PUBLIC_ROUTES
    assert {path for _, path in FRAMEWORK_PUBLIC} == FRAMEWORK_PUBLIC_PATHS


def test_nothing_is_served_outside_the_declared_routes() -> None:
    """A plain Starlette route or mount would bypass the declaration check, so only these two may exist."""
    app = _app()
    others = []
    for route in app.routes:
        if isinstance(route, APIRoute) or getattr(route, "original_router", None) is not None:
            continue
        if isinstance(route, Route):
            others.append(("route", route.path, frozenset(route.methods or set()) - {"HEAD"}))
        elif isinstance(route, Mount):
            others.append(("mount", route.path, frozenset()))
        else:
            others.append((type(route).__name__, getattr(route, "path", "?"), frozenset()))
    assert sorted(others, key=str) == sorted([("route", "/api/openapi.json", frozenset({"GET"})),
                                              ("mount", "/static", frozenset())], key=str)


def test_an_undeclared_route_stops_the_app_starting() -> None:
    app = _app()
    check_routes_declare_access(app)  # the real app passes

    router = APIRouter()

    @router.get("/reports/secret-undeclared")
    async def undeclared() -> dict[str, str]:
        return {"leak": "yes"}

    app.include_router(router)
    with pytest.raises(RuntimeError, match=r"declare no permission.*\['GET'\] /reports/secret-undeclared"):
        check_routes_declare_access(app)


def test_an_undeclared_route_added_directly_stops_the_app_starting() -> None:
    app = _app()

    async def undeclared() -> dict[str, str]:
        return {"leak": "yes"}

    app.add_api_route("/direct-undeclared", undeclared, methods=["POST"])
    with pytest.raises(RuntimeError, match=r"\['POST'\] /direct-undeclared"):
        check_routes_declare_access(app)


def test_create_app_runs_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """`create_app` itself refuses to build an app with an undeclared route in one of its routers."""
    from safeguard.web import views

    async def undeclared() -> dict[str, str]:
        return {"leak": "yes"}

    extra = APIRouter()
    extra.add_api_route("/sneaky", undeclared, methods=["GET"])
    monkeypatch.setattr(views, "router", _with_extra(views.router, extra))
    with pytest.raises(RuntimeError, match="/sneaky"):
        create_app(make_settings())


def _with_extra(original: APIRouter, extra: APIRouter) -> APIRouter:
    combined = APIRouter()
    combined.include_router(original)
    combined.include_router(extra)
    return combined


def test_the_route_walk_reports_the_path_a_route_is_served_at() -> None:
    """A router included with a prefix must be reported (and so checked) at the address it is served on.

    Otherwise the public allow-list and the sign-in checks below look at the wrong path.
    """
    router = APIRouter()

    @router.get("/login", dependencies=[Depends(Public())])
    async def looks_like_login() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router, prefix="/admin")
    assert [(sorted(r.methods or []), r.path) for r in api_routes(app.routes)] == [(["GET"], "/admin/login")]


# -- refused without signing in ---------------------------------------------------------------------------

async def test_every_protected_route_refuses_an_anonymous_caller(client: httpx.AsyncClient) -> None:
    app = _app()
    protected = _protected(app)
    assert protected, "no protected routes found"
    login = await client.get("/login")
    csrf = csrf_from(login.text)  # so that unsafe methods reach the sign-in check rather than the CSRF check
    anonymous_cookie = dict(client.cookies)
    assert "sg_session" not in anonymous_cookie
    for method, route in protected:
        path = PARAM.sub("1", route.path)
        headers = {"x-csrf-token": csrf} if method in UNSAFE else {}
        response = await client.request(method, path, headers=headers)
        where = f"{method} {path}"
        if path.startswith("/api/"):
            assert response.status_code == 401, where
            assert response.headers["content-type"].startswith("application/json"), where
            assert "Sign in" in response.json()["detail"], where
            assert response.headers.get("www-authenticate") == "Bearer", where
        else:
            assert response.status_code == 303, where
            assert response.headers["location"] == f"/login?next={path}", where


async def test_a_protected_page_remembers_its_query_in_next(client: httpx.AsyncClient) -> None:
    response = await client.get("/audit?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/audit?page=2"


async def test_a_half_signed_in_session_is_not_signed_in(client: httpx.AsyncClient, db: AsyncSession,
                                                         force_a: ForceData) -> None:
    """After the password but before the code, every protected route still refuses."""
    staff = await make_user(db, force_a, "administrator")
    page = await client.get("/login")
    response = await client.post("/login", data={"username": staff.user.username, "password": staff.password,
                                                 "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303 and client.cookies.get("sg_session")
    for method, route in _protected(_app()):
        if method != "GET":
            continue
        path = PARAM.sub("1", route.path)
        refused = await client.get(path)
        assert refused.status_code == (401 if path.startswith("/api/") else 303), path


# -- every page as every role -----------------------------------------------------------------------------

# Pages that need a query string to mean anything (a download of search results needs the search).
REQUIRED_QUERY = {"/people/export.csv": "?q=Sample"}


def _page_routes(app: FastAPI) -> list[APIRoute]:
    return sorted((route for route in api_routes(app.routes)
                   if "GET" in (route.methods or set()) and not route.path.startswith("/api/")
                   and not _is_public(route)), key=lambda r: r.path)


def _role_may(role: str, route: APIRoute) -> bool:
    needed = {r.permission for r in _requires(route) if r.permission is not None}
    return needed <= ROLES[role].permissions


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_every_page_as_every_role(role: str, client: httpx.AsyncClient, db: AsyncSession,
                                        force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    person = Person(force_id=force_a.id, forename="Sample", surname="Person")
    other = Person(force_id=force_a.id, forename="Sample", surname="Persson")
    db.add_all([person, other])
    await db.flush()
    pair = DuplicateCandidate(force_id=force_a.id, person_a_id=person.id, person_b_id=other.id,
                              match_probability=0.9, found_by="sample")
    db.add(pair)
    await db.flush()
    merge = PersonMerge(force_id=force_a.id, survivor_id=person.id, merged_id=other.id, candidate_id=pair.id,
                        moved={}, created={}, decided_by="sample", reason="sample")
    db.add(merge)
    await db.flush()
    incident = Incident(force_id=force_a.id, reference="INC-SAMPLE", occurred_at=func.now())
    db.add(incident)
    await db.flush()
    crime = Crime(force_id=force_a.id, reference="CR-SAMPLE", incident_id=incident.id, occurred_at=func.now(),
                  recorded_at=func.now(), recorded_by="sample")
    db.add(crime)
    await db.flush()
    suspect = Suspect(force_id=force_a.id, crime_id=crime.id, person_id=person.id)
    db.add(suspect)
    await db.flush()
    arrest = Arrest(force_id=force_a.id, person_id=person.id, suspect_id=suspect.id, arrested_at=func.now(),
                    arrested_by="sample")
    db.add(arrest)
    await db.flush()
    samples: dict[str, object] = {"person_id": person.id, "candidate_id": pair.id, "merge_id": merge.id,
                                  "incident_id": incident.id, "crime_id": crime.id, "suspect_id": suspect.id,
                                  "arrest_id": arrest.id}
    samples.update(await _safeguarding_samples(db, force_a, person, other, incident, crime))
    contact = Contact(force_id=force_a.id, channel="999", received_at=func.now(), caller_number="+447700900123",
                      da_flag=True)
    db.add(contact)
    await db.flush()
    samples["contact_id"] = contact.id
    samples.update(await _operation_samples(db, force_a, person, suspect))
    staff = await make_user(db, force_a, role)
    assert (await sign_in(client, staff)).status_code == 303
    pages = _page_routes(_app())
    assert any(_role_may(role, page) for page in pages), "every role has at least its home page"
    outcomes = {}
    for page in pages:
        path = _fill(page.path, samples) + REQUIRED_QUERY.get(page.path, "")
        response = await client.get(path)
        outcomes[path] = response.status_code
        expected = 200 if _role_may(role, page) else 403
        assert response.status_code == expected, (role, path, response.status_code, response.text[:300])
        if expected == 403:
            assert "You do not have access to this page" in response.text
    # The derivation really did produce both outcomes for roles that lack something.
    if any(not _role_may(role, page) for page in pages):
        assert 403 in outcomes.values()
    # No page offers this role a link that would refuse it.
    offered: dict[str, str] = {}
    for path, status in outcomes.items():
        if status == 200:
            for href in LINK.findall((await client.get(path)).text):
                offered.setdefault(html.unescape(href), path)
    followed = [href for href in offered if not href.startswith(("/static/", "/logout"))]
    assert any(href.startswith("/people/") for href in followed) or role in ("administrator", "da_specialist")
    refused = {}
    for href in followed:
        response = await client.get(href)
        if response.status_code == 403:
            refused[href] = offered[href]
    assert not refused, f"links offered to {role} that refuse them (link: page): {refused}"


async def _safeguarding_samples(db: AsyncSession, force: ForceData, victim: Person, subject: Person,
                                incident: Incident, crime: Crime) -> dict[str, object]:
    """One of each risk and safeguarding record, for the pages that show one."""
    assessment = RiskAssessment(force_id=force.id, reference="RA-SAMPLE", victim_id=victim.id,
                                incident_id=incident.id, form="DASH-27", answers={"q1": "yes"}, score=1,
                                suggested_level="standard", final_level="standard", marac_routes=[],
                                assessed_at=func.now(), assessed_by="sample")
    meeting = MaracMeeting(force_id=force.id, held_on=func.current_date(), venue="Sample room", chair="Sample chair",
                           created_by="sample")
    service = SupportService(force_id=force.id, code="sample", name="Sample service", scope="local",
                             description="Sample", eligibility="Anyone", groups=["any"], referral_route="Phone")
    order = ProtectiveOrder(force_id=force.id, reference="PO-SAMPLE", kind="dvpn", subject_id=subject.id,
                            starts_at=func.now(), recorded_by="sample")
    disclosure = DisclosureRequest(force_id=force.id, reference="DV-SAMPLE", route="right-to-ask",
                                   person_at_risk_id=victim.id, subject_id=subject.id, applicant_name="Sample",
                                   applicant_relationship="self", received_at=func.now(),
                                   due_by=func.now() + timedelta(days=28), created_by="sample", history=[])
    entitlement = VictimEntitlement(force_id=force.id, person_id=victim.id, crime_id=crime.id, right_number=4,
                                    what="Needs assessment", due_at=func.now())
    db.add_all([assessment, meeting, service, order, disclosure, entitlement])
    await db.flush()
    referral = MaracReferral(force_id=force.id, reference="MR-SAMPLE", victim_id=victim.id,
                             assessment_id=assessment.id, routes=["visible-high-risk"], consent="given",
                             referred_by="sample", referred_at=func.now())
    support = SupportReferral(force_id=force.id, person_id=victim.id, service_id=service.id, reason="Sample",
                              consent_given=True, consent_method="verbal", consent_at=func.now(),
                              consent_recorded_by="sample", made_at=func.now(), made_by="sample", history=[])
    db.add_all([referral, support])
    await db.flush()
    action = MaracAction(force_id=force.id, referral_id=referral.id, meeting_id=meeting.id, agency="Police",
                         description="Sample action", created_by="sample")
    db.add(action)
    await db.flush()
    return {"assessment_id": assessment.id, "referral_id": referral.id, "meeting_id": meeting.id,
            "action_id": action.id, "service_id": service.id, "support_referral_id": support.id,
            "order_id": order.id, "disclosure_id": disclosure.id, "entitlement_id": entitlement.id}


async def _operation_samples(db: AsyncSession, force: ForceData, target: Person,
                             suspect: Suspect) -> dict[str, object]:
    """A weight version, a ranked list with one entry, and an operation with a target and a planned attempt."""
    weights = HarmWeightSet(force_id=force.id, version=1, weights={}, created_by="sample")
    operation = Operation(force_id=force.id, name="Operation Sample", objective="Sample",
                          starts_on=func.current_date(), ends_on=func.current_date() + 6, lead_name="Sample lead",
                          created_by="sample")
    db.add_all([weights, operation])
    await db.flush()
    ranking = HarmRanking(force_id=force.id, weight_set_id=weights.id, weight_version=1, as_of=func.current_date(),
                          window_days=1095, engine="duckdb", perpetrators=1, computed_by="sample")
    db.add(ranking)
    await db.flush()
    entry = HarmRankingEntry(force_id=force.id, ranking_id=ranking.id, rank=1, person_id=target.id, score=1,
                             recency=1, frequency=0, gravity=0, victims=0, total_harm=0, incidents=1,
                             victim_count=1, last_incident_on=func.current_date(), flags=[])
    db.add(entry)
    await db.flush()
    chosen = OperationTarget(force_id=force.id, operation_id=operation.id, person_id=target.id, source="ranking",
                             ranking_entry_id=entry.id, suspect_id=suspect.id, team_kind="local_policing",
                             added_by="sample")
    db.add(chosen)
    await db.flush()
    attempt = ArrestAttempt(force_id=force.id, operation_id=operation.id, target_id=chosen.id,
                            planned_at=func.now(), address="1 Sample Street", planned_by="sample")
    db.add(attempt)
    await db.flush()
    return {"weight_version": 1, "ranking_id": ranking.id, "entry_id": entry.id, "operation_id": operation.id,
            "target_id": chosen.id, "attempt_id": attempt.id}


# -- API tokens -------------------------------------------------------------------------------------------

async def _token(db: AsyncSession, force: ForceData, scopes: list[str]) -> str:
    return await create_token(db, force_id=force.id, name=f"integration {secrets.token_hex(2)}", scopes=scopes)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_scoped_token_can_say_who_it_is(client: httpx.AsyncClient, db: AsyncSession,
                                                force_a: ForceData) -> None:
    token = await _token(db, force_a, ["contacts:read"])
    response = await client.get("/api/v1/whoami", headers=_bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "token" and body["force_id"] == force_a.id
    assert body["permissions"] == ["contacts:read"]
    assert body["label"].startswith("token:integration")


async def test_a_token_holds_only_its_scopes(client: httpx.AsyncClient, db: AsyncSession,
                                             force_a: ForceData) -> None:
    token = await _token(db, force_a, ["contacts:read"])
    assert P.PERSON_READ in TOKEN_SCOPES  # a token could be given it, but this one was not
    response = await client.get("/api/v1/people/1", headers=_bearer(token))
    assert response.status_code == 403
    assert "people:read" in response.json()["detail"]
    # Nor does a token open the staff pages.
    assert (await client.get("/", headers=_bearer(token))).status_code == 403


@pytest.mark.parametrize("kind", ["garbage", "revoked", "wrong_secret", "truncated", "no_prefix", "overlong"])
async def test_bad_tokens_are_refused(kind: str, client: httpx.AsyncClient, db: AsyncSession,
                                      force_a: ForceData) -> None:
    token = await _token(db, force_a, ["contacts:read"])
    assert (await client.get("/api/v1/whoami", headers=_bearer(token))).status_code == 200  # control
    prefix = token.split("_")[1]
    if kind == "garbage":
        presented = "not-a-token-at-all"
    elif kind == "revoked":
        await db.execute(update(ApiToken).where(ApiToken.prefix == prefix).values(revoked_at=func.now()))
        presented = token
    elif kind == "wrong_secret":
        presented = f"sg_{prefix}_{secrets.token_urlsafe(32)}"
    elif kind == "truncated":
        presented = token[:-1]
    elif kind == "no_prefix":
        presented = f"sg__{token.split('_', 2)[2]}"
    else:
        presented = token + "x" * 200
    response = await client.get("/api/v1/whoami", headers=_bearer(presented))
    assert response.status_code == 401, (kind, response.text)
    assert response.json()["detail"].startswith("Sign in")


async def test_the_raw_token_is_stored_nowhere(client: httpx.AsyncClient, db: AsyncSession,
                                               force_a: ForceData) -> None:
    token = await _token(db, force_a, ["contacts:read"])
    secret = token.split("_", 2)[2]
    assert (await client.get("/api/v1/whoami", headers=_bearer(token))).status_code == 200
    rows = (await db.execute(text("SELECT t::text, t.token_hash FROM api_token t"))).all()
    assert rows, "the token row is visible to the test"
    assert any(row.token_hash == hashlib.sha256(token.encode()).hexdigest() for row in rows)
    for row in rows:
        assert token not in row[0] and secret not in row[0]
    await set_force_context(db, force_a.id)
    events = (await db.execute(text("SELECT e::text FROM audit_event e WHERE action = 'token.created'"))).all()
    assert events and all(secret not in event[0] for event in events)


# -- what the declarations mean at run time ---------------------------------------------------------------

async def test_requires_without_a_permission_admits_any_signed_in_actor(
        sessionmaker: async_sessionmaker[AsyncSession], db: AsyncSession, force_a: ForceData) -> None:
    app = create_app(make_settings(), sessionmaker)

    async def any_actor(actor: Annotated[Actor, Depends(Requires())]) -> dict[str, str]:
        return {"label": actor.label}

    async def audit_only(actor: Annotated[Actor, Depends(Requires(P.AUDIT_READ))]) -> dict[str, str]:
        return {"label": actor.label}

    app.add_api_route("/api/v1/test-any", any_actor, methods=["GET"])
    app.add_api_route("/api/v1/test-audit", audit_only, methods=["GET"])
    check_routes_declare_access(app)
    token = await _token(db, force_a, ["contacts:read"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/api/v1/test-any")).status_code == 401
        assert (await http.get("/api/v1/test-any", headers=_bearer(token))).status_code == 200
        assert (await http.get("/api/v1/test-audit", headers=_bearer(token))).status_code == 403


# -- every route, any method, refused to each role without its permission ----------------------------------

@pytest.mark.parametrize("role", sorted(ROLES))
async def test_every_route_refuses_a_role_without_its_permission(role: str, client: httpx.AsyncClient,
                                                                 db: AsyncSession, force_a: ForceData) -> None:
    """Pages, form posts and API calls alike: a signed-in role lacking the permission gets 403, and the
    refusal comes before anything is read or written (the ids here need not exist)."""
    staff = await make_user(db, force_a, role)
    assert (await sign_in(client, staff)).status_code == 303
    csrf = csrf_from((await client.get("/account")).text)
    refused = 0
    for method, route in _protected(_app()):
        if _role_may(role, route):
            continue
        path = PARAM.sub("1", route.path)
        headers = {"x-csrf-token": csrf} if method in UNSAFE else {}
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 403, (role, method, path, response.status_code, response.text[:200])
        if path.startswith("/api/"):
            needed = [r.permission.value for r in _requires(route) if r.permission is not None]
            assert any(p in response.json()["detail"] for p in needed), (method, path, response.text)
        else:
            assert "You do not have access to this page" in response.text, (method, path)
        refused += 1
    lacking = {p for route in _page_routes(_app()) for r in _requires(route) if (p := r.permission) is not None}
    if lacking - ROLES[role].permissions:
        assert refused, f"{role} lacks permissions yet no route refused it"
