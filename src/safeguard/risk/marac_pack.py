"""The MARAC meeting pack: a PDF with a cover page and one section per case listed for the meeting.

Marked OFFICIAL-SENSITIVE on every page. A restricted victim's name, date of birth, reason and safe-contact
preferences never leave Safeguard in a pack, even for a reader granted that person: the section names the
referral and says the details are withheld. Building the pack is audited as an export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes.service import uk_time
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.risk import marac
from safeguard.risk.models import MaracAction, MaracReferral
from safeguard.safeguarding.safe_contact import SafeContactView, safe_contact_for

MARKING = "OFFICIAL-SENSITIVE"
WITHHELD = "Restricted person: details withheld from the pack. See the referral in Safeguard."
# The core PDF fonts cover Latin-1 only; these common characters are given their nearest plain form.
PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                       "\u2026": "...", "\u2022": "-", "\u00a0": " "})


def plain(value: object) -> str:
    """Text the core fonts can draw: Latin-1, anything else replaced by '?'."""
    return str(value).translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class PackCase:
    reference: str
    status: str
    withheld: bool
    victim_name: str
    date_of_birth: str | None
    routes: list[str]
    dash: str | None
    reason: str | None
    consent: str
    consent_note: str | None
    safe_contact: SafeContactView | None
    actions: list[marac.ActionView]


@dataclass(frozen=True)
class Pack:
    meeting: marac.MeetingSummary
    cases: list[PackCase]
    generated_at: datetime
    generated_by: str


async def gather(db: AsyncSession, actor: Actor, meeting_id: int, *, now: datetime | None = None) -> Pack:
    """What the pack holds: the referrals listed for the meeting that the reader may see."""
    now = now or datetime.now(UTC)
    today = marac.uk_today(now)
    meeting = await marac.load_meeting(db, meeting_id)
    cases: list[PackCase] = []
    referrals = await db.scalars(select(MaracReferral).where(MaracReferral.meeting_id == meeting_id)
                                 .order_by(MaracReferral.reference))
    for referral in list(referrals):
        person = (await db.scalars(select(Person).where(Person.id == referral.victim_id)
                                     .execution_options(populate_existing=True))).first()
        if person is None or (person.restricted and not await may_see(db, actor, person_id=person.id)):
            continue  # not visible to this reader at all: not in their pack
        routes = [marac.ROUTE_LABELS.get(r, r) for r in referral.routes]
        latest = await marac.latest_assessment(db, referral.victim_id)
        dash = None
        if latest is not None:
            dash = (f"{latest.score} ticks on {latest.form}, {marac.LEVEL_LABELS.get(marac.assessment_level(latest))} "
                    f"risk ({latest.reference}, {uk_time(latest.assessed_at):%d %B %Y})")
        actions = [marac._action_view(a, today) for a in await db.scalars(
            select(MaracAction).where(MaracAction.referral_id == referral.id, MaracAction.status == "open")
            .order_by(MaracAction.due_on.nulls_last(), MaracAction.id))]
        withheld = person.restricted
        cases.append(PackCase(
            reference=referral.reference, status=marac.status_label(referral.status), withheld=withheld,
            victim_name=marac.RESTRICTED_PERSON if withheld else person.display_name,
            date_of_birth=None if withheld else person.date_of_birth, routes=routes, dash=dash,
            reason=None if withheld else referral.reason, consent=marac.CONSENT_LABELS[referral.consent],
            consent_note=None if withheld else referral.consent_note,
            safe_contact=None if withheld else await safe_contact_for(db, person.id), actions=actions))
    pack = Pack(await marac._meeting_summary(db, meeting), cases, now, actor.label)
    await audit.record(db, action="marac_meeting.pack", actor=actor, object_type="marac_meeting",
                       object_id=meeting_id, details={"cases": len(cases), "format": "pdf",
                                                      "withheld": sum(1 for c in cases if c.withheld)})
    return pack


class _PackPdf(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(0, 6, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 5, f"{MARKING}  -  page {self.page_no()}/{{nb}}", align="C")


def _row(pdf: FPDF, label: str, value: str | None) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, plain(label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, plain(value or "Not recorded"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _safe_contact_text(view: SafeContactView | None) -> str:
    if view is None:
        return "None recorded: ask the victim how and when it is safe to contact them before any contact."
    parts = list(view.warnings)
    parts.append(f"Safe number: {view.safe_number or 'none given'}")
    parts.append(f"Safe times: {view.safe_times or 'none given'}")
    if view.third_party_name:
        third = view.third_party_name
        if view.third_party_relationship:
            third += f" ({view.third_party_relationship})"
        if view.third_party_number:
            third += f", {view.third_party_number}"
        parts.append(f"Third party: {third}")
    if view.notes:
        parts.append(f"Notes: {view.notes}")
    return "\n".join(parts)


def render(pack: Pack, *, compress: bool = True) -> bytes:
    """The pack as PDF bytes."""
    pdf = _PackPdf(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(plain(f"MARAC meeting pack {pack.meeting.held_on:%d %B %Y}"))
    pdf.set_author("Safeguard")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=20)
    meeting = pack.meeting
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.ln(20)
    pdf.multi_cell(0, 10, "MARAC meeting pack", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13)
    pdf.multi_cell(0, 7, plain(f"{meeting.held_on:%A %d %B %Y}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    _row(pdf, "Venue", meeting.venue)
    _row(pdf, "Chair", meeting.chair)
    _row(pdf, "Area", meeting.area or "Force-wide")
    _row(pdf, "Cases", str(len(pack.cases)))
    if pack.cases:
        _row(pdf, "Case list", "\n".join(f"{i}. {c.reference}: {c.victim_name}" for i, c in enumerate(pack.cases, 1)))
    _row(pdf, "Produced", f"{uk_time(pack.generated_at):%d %B %Y %H:%M} by {pack.generated_by}")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, plain(
        f"{MARKING}. Shared with MARAC partner agencies for this meeting only. Do not copy or forward. Contact "
        "victims only as their safe-contact preferences allow."), new_x="LMARGIN", new_y="NEXT")
    for number, case in enumerate(pack.cases, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 15)
        pdf.multi_cell(0, 8, plain(f"Case {number}: {case.reference}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        if case.withheld:
            _row(pdf, "Victim", WITHHELD)
        else:
            _row(pdf, "Victim", case.victim_name)
            _row(pdf, "Date of birth", case.date_of_birth)
            _row(pdf, "Safe contact", _safe_contact_text(case.safe_contact))
        _row(pdf, "Status", case.status)
        _row(pdf, "Routes", "\n".join(case.routes))
        _row(pdf, "Latest DASH", case.dash or "No DASH assessment on record")
        if not case.withheld:
            _row(pdf, "Reason for referral", case.reason or "Visible high risk on the DASH count")
        consent = case.consent + (f": {case.consent_note}" if case.consent_note else "")
        _row(pdf, "Consent", consent)
        if case.actions:
            lines = [f"- {a.agency}: {a.description}" + (f" (owner {a.owner})" if a.owner else "")
                     + (f", due {a.due_on:%d %B %Y}" if a.due_on else "") + (" OVERDUE" if a.overdue else "")
                     for a in case.actions]
            _row(pdf, "Open actions", "\n".join(lines))
        else:
            _row(pdf, "Open actions", "None")
    return bytes(pdf.output())
