"""Support-service pages: the directory and its local services, referrals with consent, and safe contact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import forms
from safeguard.crimes.service import uk_time
from safeguard.safeguarding import services
from safeguard.safeguarding import support_referrals as referrals
from safeguard.safeguarding.models import REFERRAL_STATUSES
from safeguard.safeguarding.safe_contact import (
    PersonNotVisible,
    SafeContactInput,
    SafeContactRefused,
    read_safe_contact,
    safe_contact_for,
    save_safe_contact,
    visible_person,
)
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]
Writer = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_WRITE))]
Admin = Annotated[Actor, Depends(Requires(P.SERVICES_ADMIN))]
Filter = Annotated[str, Query(max_length=40)]

SERVICE_NOT_FOUND = "There is no support service with that number in the directory."
REFERRAL_NOT_FOUND = "There is no support referral with that number in your force."
PERSON_NOT_FOUND = "There is no person with that number in your force."
SERVICE_FIELDS = ("name", "description", "eligibility", "referral_route", "phone", "text_number", "email",
                  "website", "hours", "area")
SAFE_TEXT = ("safe_number", "safe_times", "third_party_name", "third_party_number", "third_party_relationship",
             "notes")
SAFE_FLAGS = ("no_voicemail", "no_text_messages", "no_letters_home", "only_through_third_party")
STATUS_FILTERS = {"open": ("made",), "accepted": ("accepted",), "closed": ("rejected", "withdrawn"),
                  "all": REFERRAL_STATUSES}
STATUS_FILTER_LABELS = {"open": "Open (awaiting the service)", "accepted": "Accepted",
                        "closed": "Rejected or withdrawn", "all": "All"}


def _safe_contact_edit(actor: Actor, person_id: int) -> str | None:
    return f"/people/{person_id}/safe-contact" if actor.can(P.SAFEGUARDING_WRITE) else None


# -- the directory ----------------------------------------------------------------------------------------

@router.get("/support-services")
async def directory_page(request: Request, db: DbSession, actor: Reader, group: Filter = "", scope: Filter = "",
                         police: Filter = "") -> Response:
    """National helplines and the force's local services, filtered by who they serve and where they are."""
    chosen = services.DirectoryFilter(group=group.strip() or None, scope=scope.strip() or None,
                                      police_referrals_only=police == "yes")
    errors = services.filter_problems(chosen)
    found = [] if errors else await services.directory(db, chosen)
    specific = [s for s in found if chosen.group in (None, "any") or chosen.group in s.groups]
    general = [s for s in found if s not in specific]
    return render(request, "support/directory.html", {
        "specific": specific, "general": general, "errors": errors, "group": group, "scope": scope,
        "police": police, "groups": list(services.GROUP_LABELS.items()), "group_label":
        services.GROUP_LABELS.get(group, ""), "can_admin": actor.can(P.SERVICES_ADMIN),
        "title": ("Error: " if errors else "") + "Support services"}, status_code=400 if errors else 200)


@router.get("/support-services/manage")
async def manage_page(request: Request, db: DbSession, actor: Admin) -> Response:
    """The force's own local services, active and inactive, for an administrator to keep up to date."""
    rows = await services.directory(db, services.DirectoryFilter(scope="local", include_inactive=True))
    return render(request, "support/manage.html", {"services": rows, "title": "Manage local support services"})


@router.get("/support-services/new")
async def new_service_form(request: Request, actor: Admin) -> Response:
    return _service_form(request, None, {"accepts_police_referrals": "", "active": "yes"}, {})


@router.post("/support-services/new")
async def create_service(request: Request, db: DbSession, actor: Admin) -> Response:
    form, data, errors = await _service_input(request)
    try:
        if errors:
            raise services.ServiceRefused({**services.service_problems(data), **errors})
        row = await services.create_local_service(db, actor, data)
    except services.ServiceRefused as refused:
        return _service_form(request, None, form, _service_anchors(refused.errors), status_code=400)
    response = RedirectResponse(f"/support-services/{row.id}/edit", status_code=303)
    flash(request, response, f"Local service added: {row.name}.")
    return response


@router.get("/support-services/{service_id}")
async def service_page(request: Request, service_id: Id, db: DbSession, actor: Reader) -> Response:
    try:
        service = await services.get_service(db, service_id)
    except services.ServiceNotFound:
        raise HTTPException(404, SERVICE_NOT_FOUND) from None
    return render(request, "support/service.html", {
        "s": service, "can_admin": actor.can(P.SERVICES_ADMIN), "can_refer": actor.can(P.SAFEGUARDING_WRITE),
        "title": service.name})


@router.get("/support-services/{service_id}/edit")
async def edit_service_form(request: Request, service_id: Id, db: DbSession, actor: Admin) -> Response:
    try:
        service = await services.get_service(db, service_id)
    except services.ServiceNotFound:
        raise HTTPException(404, SERVICE_NOT_FOUND) from None
    if service.national:
        return _service_form(request, service, {}, {"service": services.READ_ONLY.format(name=service.name)})
    values: dict[str, Any] = {name: getattr(service, name) or "" for name in SERVICE_FIELDS}
    values["groups"] = service.groups
    values["accepts_police_referrals"] = "yes" if service.accepts_police_referrals else "no"
    values["active"] = "yes" if service.active else "no"
    values.update(forms.date_values("checked_on", service.checked_on))
    return _service_form(request, service, values, {})


@router.post("/support-services/{service_id}/edit")
async def update_service(request: Request, service_id: Id, db: DbSession, actor: Admin) -> Response:
    try:
        service = await services.get_service(db, service_id)
    except services.ServiceNotFound:
        raise HTTPException(404, SERVICE_NOT_FOUND) from None
    form, data, errors = await _service_input(request)
    try:
        if service.national:
            raise services.ServiceRefused({"service": services.READ_ONLY.format(name=service.name)})
        if errors:
            raise services.ServiceRefused({**services.service_problems(data), **errors})
        row = await services.update_local_service(db, actor, service_id, data)
    except services.ServiceNotFound:
        raise HTTPException(404, SERVICE_NOT_FOUND) from None
    except services.ServiceRefused as refused:
        return _service_form(request, service, form, _service_anchors(refused.errors), status_code=400)
    response = RedirectResponse(f"/support-services/{row.id}/edit", status_code=303)
    flash(request, response, f"Saved: {row.name}{'' if row.active else ' (inactive: not offered for referrals)'}.")
    return response


async def _service_input(request: Request) -> tuple[dict[str, Any], services.ServiceInput, dict[str, str]]:
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    groups = [g for g in raw.getlist("groups") if isinstance(g, str)][:20]
    form["groups"] = groups
    errors: dict[str, str] = {}
    checked_on = forms.form_date(form, errors, "checked_on", "the details were checked", required=False)
    accepts = {"yes": True, "no": False}.get(forms.text(form, "accepts_police_referrals", 5))
    data = services.ServiceInput(
        **{name: forms.text(form, name, 5000) for name in SERVICE_FIELDS}, groups=groups,
        accepts_police_referrals=accepts, checked_on=checked_on, active=form.get("active", "yes") != "no")
    return form, data, errors


def _service_anchors(errors: dict[str, str]) -> dict[str, str]:
    anchors = {"checked_on": "checked_on_day", "accepts_police_referrals": "accepts_police_referrals"}
    return {anchors.get(k, k): v for k, v in errors.items()}


def _service_form(request: Request, service: services.ServiceView | None, values: dict[str, Any],
                  errors: dict[str, str], *, status_code: int = 200) -> Response:
    heading = f"Edit {service.name}" if service else "Add a local support service"
    return render(request, "support/service_form.html", {
        "s": service, "values": values, "errors": errors, "groups": list(services.GROUP_LABELS.items()),
        "heading": heading, "title": ("Error: " if errors else "") + heading,
        "read_only": bool(service and service.national)}, status_code=status_code)


# -- referrals --------------------------------------------------------------------------------------------

@router.get("/support-referrals")
async def referrals_page(request: Request, db: DbSession, actor: Reader, status: Filter = "open") -> Response:
    """Referrals to support services, newest first: the open ones unless another state is chosen."""
    chosen = status if status in STATUS_FILTERS else "open"
    items = await referrals.list_referrals(db, actor, statuses=STATUS_FILTERS[chosen])
    return render(request, "support/referrals.html", {
        "items": items, "status": chosen, "filters": list(STATUS_FILTER_LABELS.items()), "uk_time": uk_time,
        "limit": referrals.LIST_LIMIT, "title": "Support referrals"})


@router.get("/people/{person_id}/support-referrals/new")
async def new_referral_form(request: Request, person_id: Id, db: DbSession, actor: Writer,
                            group: Filter = "") -> Response:
    return await _referral_form(request, db, actor, person_id, group=group)


@router.post("/people/{person_id}/support-referrals/new")
async def create_referral(request: Request, person_id: Id, db: DbSession, actor: Writer) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    errors: dict[str, str] = {}
    consent = {"yes": True, "no": False}.get(forms.text(form, "consent_given", 5))
    consent_at = (forms.form_when(form, errors, "consent_at", "the victim gave consent") if consent else None)
    service_text = forms.text(form, "service", 20)
    service_id = int(service_text) if service_text.isdigit() and int(service_text) <= 2**62 else None
    new = referrals.NewReferral(
        person_id=person_id, service_id=service_id, reason=forms.text(form, "reason", 5000), consent_given=consent,
        consent_method=forms.text(form, "consent_method", 20), consent_at=consent_at,
        consent_recorded_by=forms.text(form, "consent_recorded_by", 200))
    try:
        if await _visible(db, actor, person_id) is None:
            raise HTTPException(404, PERSON_NOT_FOUND)
        if errors:
            raise referrals.ReferralRefused({**await referrals.referral_problems(db, actor, new), **errors})
        referral = await referrals.make_referral(db, actor, new)
    except referrals.ReferralRefused as refused:
        anchors = {"consent_at": "consent_at_day", "service": "service", "consent_given": "consent_given"}
        return await _referral_form(request, db, actor, person_id, group=forms.text(form, "group", 40),
                                    values=form, errors={anchors.get(k, k): v for k, v in refused.errors.items()},
                                    status_code=400)
    response = RedirectResponse(f"/support-referrals/{referral.id}", status_code=303)
    flash(request, response, "Referral made with the victim's consent.")
    return response


@router.get("/support-referrals/{support_referral_id}")
async def referral_page(request: Request, support_referral_id: Id, db: DbSession, actor: Reader) -> Response:
    return await _referral_page(request, db, actor, support_referral_id)


@router.post("/support-referrals/{support_referral_id}/decision")
async def decide_referral(request: Request, support_referral_id: Id, db: DbSession, actor: Writer) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    to = forms.text(form, "to", 20)
    try:
        await referrals.decide(db, actor, support_referral_id, to=to, note=forms.text(form, "note", 5000))
    except referrals.ReferralNotFound:
        raise HTTPException(404, REFERRAL_NOT_FOUND) from None
    except referrals.ReferralRefused as refused:
        return await _referral_page(request, db, actor, support_referral_id, errors=refused.errors, values=form,
                                    status_code=400)
    response = RedirectResponse(f"/support-referrals/{support_referral_id}", status_code=303)
    flash(request, response, f"Referral {referrals.STATUS_LABELS[to].lower()}.")
    return response


async def _visible(db: DbSession, actor: Actor, person_id: int) -> Any:
    try:
        return await visible_person(db, actor, person_id)
    except PersonNotVisible:
        return None


async def _referral_page(request: Request, db: DbSession, actor: Actor, referral_id: int, *,
                         errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                         status_code: int = 200) -> Response:
    try:
        referral = await referrals.read_referral(db, actor, referral_id)
    except referrals.ReferralNotFound:
        raise HTTPException(404, REFERRAL_NOT_FOUND) from None
    return render(request, "support/referral.html", {
        "r": referral, "safe_contact": await safe_contact_for(db, referral.person_id),
        "safe_contact_name": referral.person_name,
        "safe_contact_edit": _safe_contact_edit(actor, referral.person_id),
        "can_write": actor.can(P.SAFEGUARDING_WRITE), "errors": errors or {}, "values": values or {},
        "consent_labels": referrals.CONSENT_LABELS, "uk_time": uk_time,
        "title": ("Error: " if errors else "") + f"Support referral {referral.id}"}, status_code=status_code)


async def _referral_form(request: Request, db: DbSession, actor: Actor, person_id: int, *, group: str = "",
                         values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                         status_code: int = 200) -> Response:
    person = await _visible(db, actor, person_id)
    if person is None:
        raise HTTPException(404, PERSON_NOT_FOUND)
    suggested = referrals.suggested_groups(person.gender, referrals.age_on(person, uk_time(datetime.now(UTC)).date()))
    chosen = group if group in services.GROUP_LABELS else ""
    everything = await services.directory(db, services.DirectoryFilter())
    wanted = {chosen} if chosen else set(suggested)
    victim_services = [s for s in everything if "perpetrators" not in s.groups or len(s.groups) > 1]
    if wanted:
        matching = [s for s in victim_services if wanted & set(s.groups) or "any" in s.groups]
        matching.sort(key=lambda s: (0 if wanted & set(s.groups) else 1, s.national, s.name.lower()))
    else:
        matching = sorted(victim_services, key=lambda s: (s.national, s.name.lower()))
    referable = [s for s in matching if s.accepts_police_referrals]
    self_only = [s for s in matching if not s.accepts_police_referrals]
    if values is None:
        values = {"consent_recorded_by": actor.label, **forms.when_values("consent_at", datetime.now(UTC))}
    earlier = await referrals.list_referrals(db, actor, statuses=REFERRAL_STATUSES, person_id=person_id, limit=20)
    await _audit_person_read(db, actor, person_id)
    return render(request, "support/referral_new.html", {
        "person": person, "referable": referable, "self_only": self_only, "suggested": suggested,
        "suggested_labels": [services.GROUP_LABELS[g] for g in suggested], "group": chosen,
        "groups": [(g, label) for g, label in services.GROUP_LABELS.items() if g != "perpetrators"],
        "values": values, "errors": errors or {}, "earlier": earlier, "uk_time": uk_time,
        "consent_methods": list(referrals.CONSENT_LABELS.items()),
        "safe_contact": await safe_contact_for(db, person_id), "safe_contact_name": person.display_name,
        "safe_contact_edit": _safe_contact_edit(actor, person_id),
        "title": ("Error: " if errors else "") + f"Refer {person.display_name} to a support service"},
        status_code=status_code)


async def _audit_person_read(db: DbSession, actor: Actor, person_id: int) -> None:
    await audit.record_read(db, actor, "safe_contact", person_id, reason="making a support referral")


# -- safe contact -----------------------------------------------------------------------------------------

@router.get("/people/{person_id}/safe-contact")
async def safe_contact_page(request: Request, person_id: Id, db: DbSession, actor: Writer) -> Response:
    return await _safe_contact_page(request, db, actor, person_id)


@router.post("/people/{person_id}/safe-contact")
async def save_safe_contact_form(request: Request, person_id: Id, db: DbSession, actor: Writer) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    text = {name: forms.text(form, name, 5000) for name in SAFE_TEXT}
    flag = {name: form.get(name) == "yes" for name in SAFE_FLAGS}
    data = SafeContactInput(
        safe_number=text["safe_number"], safe_times=text["safe_times"], no_voicemail=flag["no_voicemail"],
        no_text_messages=flag["no_text_messages"], no_letters_home=flag["no_letters_home"],
        third_party_name=text["third_party_name"], third_party_number=text["third_party_number"],
        third_party_relationship=text["third_party_relationship"],
        only_through_third_party=flag["only_through_third_party"], notes=text["notes"])
    try:
        await save_safe_contact(db, actor, person_id, data)
    except PersonNotVisible:
        raise HTTPException(404, PERSON_NOT_FOUND) from None
    except SafeContactRefused as refused:
        return await _safe_contact_page(request, db, actor, person_id, errors=refused.errors, values=form,
                                        status_code=400)
    response = RedirectResponse(f"/people/{person_id}/safe-contact", status_code=303)
    flash(request, response, "Safe-contact preferences saved.")
    return response


async def _safe_contact_page(request: Request, db: DbSession, actor: Actor, person_id: int, *,
                             errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                             status_code: int = 200) -> Response:
    try:
        person, current = await read_safe_contact(db, actor, person_id)
    except PersonNotVisible:
        raise HTTPException(404, PERSON_NOT_FOUND) from None
    if values is None:
        values = {}
        if current is not None:
            values = {name: getattr(current, name) or "" for name in SAFE_TEXT}
            values.update({name: "yes" if getattr(current, name) else "" for name in SAFE_FLAGS})
    can_write = actor.can(P.SAFEGUARDING_WRITE)
    return render(request, "support/safe_contact.html", {
        "person": person, "safe_contact": current, "safe_contact_name": person.display_name,
        "safe_contact_edit": None, "can_write": can_write, "values": values, "errors": errors or {},
        "title": ("Error: " if errors else "") + f"Safe contact: {person.display_name}"}, status_code=status_code)
