"""The support-services directory: national helplines (shipped with Safeguard, read-only) and a force's own
local services, which its administrators add, edit and mark inactive (never delete: referrals point at them).

Row-level security shows each force the national rows and its own local ones, and lets it change only its own;
the code refuses a change to a national row before the database has to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.safeguarding.models import SupportService
from safeguard.safeguarding.safe_contact import parse_number

# Who a service is for, as the directory filters them. The order is the order shown.
GROUP_LABELS: dict[str, str] = {
    "women": "Women",
    "men": "Men",
    "lgbt": "LGBT+ people",
    "older-people": "Older people",
    "children": "Children",
    "young-people": "Young people",
    "stalking": "Stalking and harassment",
    "honour-based-abuse": "Honour-based abuse and forced marriage",
    "sexual-violence": "Sexual violence",
    "deaf": "Deaf people",
    "perpetrators": "People who harm (perpetrators)",
    "any": "Anyone",
}
GROUPS = tuple(GROUP_LABELS)
SCOPE_LABELS = {"national": "National", "local": "Local"}
READ_ONLY = ("{name} is a national service shipped with Safeguard: it cannot be changed here. If its details are "
             "wrong, tell the Safeguard maintainers so the national list is corrected for every force.")
SHORT_CODE = re.compile(r"\d{5,6}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LIMITS = {"name": 200, "description": 4000, "eligibility": 2000, "phone": 40, "text_number": 40, "email": 200,
          "website": 300, "hours": 200, "referral_route": 200, "area": 200}


class ServiceRefused(ValueError):
    """The service cannot be saved; `errors` maps each field at fault to what to fix. Nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class ServiceNotFound(LookupError):
    """No such service in the national list or this force's own."""


@dataclass(frozen=True)
class ServiceView:
    id: int
    code: str
    name: str
    scope: str
    national: bool
    description: str
    eligibility: str
    groups: list[str]
    phone: str | None
    text_number: str | None
    email: str | None
    website: str | None
    hours: str | None
    referral_route: str
    accepts_police_referrals: bool
    area: str | None
    checked_on: date | None
    active: bool

    @property
    def group_labels(self) -> list[str]:
        return [GROUP_LABELS.get(g, g) for g in self.groups]

    @property
    def unchecked(self) -> bool:
        """No one has checked the contact details against the service's own published details."""
        return self.checked_on is None

    @property
    def dial(self) -> str | None:
        """The phone number as a tel: link target."""
        return "tel:" + re.sub(r"[^\d+]", "", self.phone) if self.phone else None


def view_of(row: SupportService) -> ServiceView:
    return ServiceView(row.id, row.code, row.name, row.scope, row.force_id is None, row.description, row.eligibility,
                       list(row.groups or []), row.phone, row.text_number, row.email, row.website, row.hours,
                       row.referral_route, row.accepts_police_referrals, row.area, row.checked_on, row.active)


@dataclass(frozen=True)
class DirectoryFilter:
    group: str | None = None  # one of GROUPS
    scope: str | None = None  # national or local
    police_referrals_only: bool = False
    include_inactive: bool = False


def filter_problems(chosen: DirectoryFilter) -> dict[str, str]:
    errors = {}
    if chosen.group is not None and chosen.group not in GROUP_LABELS:
        errors["group"] = f"'{chosen.group}' is not a group the directory knows: choose one from the list"
    if chosen.scope is not None and chosen.scope not in SCOPE_LABELS:
        errors["scope"] = "Choose national or local services, or both"
    return errors


def _order_key(view: ServiceView, group: str | None) -> tuple[int, int, str]:
    # Services for exactly that group first, then those open to anyone; local before national within each.
    specific = 0 if group is None or group in view.groups else 1
    return (specific, 0 if not view.national else 1, view.name.lower())


async def directory(db: AsyncSession, chosen: DirectoryFilter) -> list[ServiceView]:
    """Services matching the filter. A group filter also finds services open to anyone, listed after."""
    query = select(SupportService)
    if not chosen.include_inactive:
        query = query.where(SupportService.active.is_(True))
    if chosen.scope is not None:
        query = query.where(SupportService.scope == chosen.scope)
    if chosen.police_referrals_only:
        query = query.where(SupportService.accepts_police_referrals.is_(True))
    rows = [view_of(row) for row in await db.scalars(query.order_by(SupportService.name, SupportService.id))]
    if chosen.group is not None:
        wanted = {chosen.group} if chosen.group == "any" else {chosen.group, "any"}
        rows = [row for row in rows if wanted & set(row.groups)]
    return sorted(rows, key=lambda view: _order_key(view, chosen.group))


async def get_service(db: AsyncSession, service_id: int) -> ServiceView:
    # A query, not the identity map, so row-level security decides.
    row = (await db.scalars(select(SupportService).where(SupportService.id == service_id))).first()
    if row is None:
        raise ServiceNotFound(service_id)
    return view_of(row)


# -- validating and saving a local service ---------------------------------------------------------------

@dataclass(frozen=True)
class ServiceInput:
    """What an administrator typed for a local service."""

    name: str
    description: str
    eligibility: str
    groups: Sequence[str]
    referral_route: str
    accepts_police_referrals: bool | None
    phone: str = ""
    text_number: str = ""
    email: str = ""
    website: str = ""
    hours: str = ""
    area: str = ""
    checked_on: date | None = None
    active: bool = True


def normalise_phone(raw: str) -> str | None:
    """A UK (or international, with +) phone number in its national written form; None if it is not valid."""
    number = parse_number(raw)
    if number is None:
        return None
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 44
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return str(phonenumbers.format_number(number, fmt))


def valid_url(raw: str) -> bool:
    parts = urlsplit(raw.strip())
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and "." in host and " " not in raw.strip()


def service_problems(data: ServiceInput, *, today: date | None = None) -> dict[str, str]:
    """Everything wrong with `data`, by field, in words an administrator can act on. Pure: no database."""
    today = today or datetime.now(UTC).date()
    errors: dict[str, str] = {}
    for name, message in (("name", "Enter the service's name"),
                          ("description", "Describe what the service offers"),
                          ("eligibility", "Say who the service is for (its eligibility)"),
                          ("referral_route", "Say how a referral reaches the service, for example \"Police "
                                             "referral form by secure email\"")):
        if not str(getattr(data, name)).strip():
            errors[name] = message
    for name, limit in LIMITS.items():
        if name not in errors and len(str(getattr(data, name)).strip()) > limit:
            errors[name] = f"Keep the {name.replace('_', ' ')} to {limit} characters or fewer"
    groups = [g for g in data.groups if g]
    unknown = [g for g in groups if g not in GROUP_LABELS]
    if not groups:
        errors["groups"] = "Choose who the service is for (at least one group; choose Anyone if it is open to all)"
    elif unknown:
        errors["groups"] = f"'{unknown[0]}' is not a group the directory knows"
    if data.accepts_police_referrals is None:
        errors["accepts_police_referrals"] = "Say whether the service takes referrals from the police"
    if data.phone.strip() and "phone" not in errors and normalise_phone(data.phone) is None:
        errors["phone"] = "Enter a real phone number, like 0121 496 0000 or 0808 808 0000"
    text_number = data.text_number.strip()
    if (text_number and "text_number" not in errors and not SHORT_CODE.fullmatch(text_number)
            and normalise_phone(text_number) is None):
        errors["text_number"] = "Enter a real number to text, like 07700 900123, or a 5-digit short code"
    if data.email.strip() and "email" not in errors and not EMAIL.fullmatch(data.email.strip()):
        errors["email"] = "Enter an email address in the right form, like referrals@example.org.uk"
    if data.website.strip() and "website" not in errors and not valid_url(data.website):
        errors["website"] = "Enter the website's full address, starting https://"
    if not any(str(v).strip() for v in (data.phone, data.text_number, data.email, data.website)):
        errors.setdefault("phone", "Give at least one way to contact the service: phone, text, email or website")
    if data.checked_on is not None and data.checked_on > today:
        errors["checked_on"] = "The date the details were checked must be today or earlier"
    return errors


def _values(data: ServiceInput) -> dict[str, object]:
    text_number = data.text_number.strip()
    return {
        "name": data.name.strip(), "description": data.description.strip(), "eligibility": data.eligibility.strip(),
        "groups": [g for g in GROUPS if g in set(data.groups)], "referral_route": data.referral_route.strip(),
        "accepts_police_referrals": bool(data.accepts_police_referrals),
        "phone": normalise_phone(data.phone) if data.phone.strip() else None,
        "text_number": (text_number if SHORT_CODE.fullmatch(text_number) else normalise_phone(text_number))
        if text_number else None,
        "email": data.email.strip() or None, "website": data.website.strip() or None,
        "hours": data.hours.strip() or None, "area": data.area.strip() or None, "checked_on": data.checked_on,
        "active": data.active,
    }


def slug(name: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "service")[:32]


async def _free_code(db: AsyncSession, force_id: int, name: str) -> str:
    base = slug(name)
    taken = set(await db.scalars(select(SupportService.code).where(SupportService.force_id == force_id)))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


async def create_local_service(db: AsyncSession, actor: Actor, data: ServiceInput) -> SupportService:
    """Add a local service for the actor's force. Raises ServiceRefused (nothing written). Audited."""
    errors = service_problems(data)
    if errors:
        raise ServiceRefused(errors)
    row = SupportService(force_id=actor.force_id, scope="local", code=await _free_code(db, actor.force_id, data.name),
                         **_values(data))
    db.add(row)
    await db.flush()
    await audit.record(db, action="support_service.create", actor=actor, object_type="support_service",
                       object_id=row.id, details={"code": row.code})
    return row


async def update_local_service(db: AsyncSession, actor: Actor, service_id: int, data: ServiceInput) -> SupportService:
    """Change one of the force's local services (or mark it inactive). A national service is refused."""
    row = (await db.scalars(select(SupportService).where(SupportService.id == service_id))).first()
    if row is None:
        raise ServiceNotFound(service_id)
    if row.force_id is None:
        raise ServiceRefused({"service": READ_ONLY.format(name=row.name)})
    errors = service_problems(data)
    if errors:
        raise ServiceRefused(errors)
    values = _values(data)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    await db.flush()
    await audit.record(db, action="support_service.update", actor=actor, object_type="support_service",
                       object_id=row.id, details={"changed": changed})
    return row
