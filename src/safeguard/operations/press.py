"""The one-page press summary of an operation's results: marked OFFICIAL, with NO personal data.

It holds the operation's name and dates, a headline sentence generated from the exact numbers, charges by the
seed operation's four categories (the rest together), targets arrested of the total, and the comparison with
an ordinary week and the previous operation. No target, officer, lead or victim is named, and the objective
(free text that could name someone) is left out. Building it is audited as an export by the caller.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

from safeguard.crimes import offences as catalogue
from safeguard.crimes.service import uk_time
from safeguard.operations.results import (
    FINISHED,
    RUNNING,
    SEED_CATEGORIES,
    OperationSummary,
    headline,
    long_date,
    ordinary_label,
    plural,
    span_text,
)
from safeguard.risk.marac_pack import plain

MARKING = "OFFICIAL"
WIDTH = 180  # A4 less 15 mm margins


class _PressPdf(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(0, 6, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 5, MARKING, align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 6, plain(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)


def _table(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font("Helvetica", "", 11)
    for label, value in rows:
        pdf.cell(WIDTH - 40, 6, plain(label), border="B")
        pdf.cell(40, 6, plain(value), border="B", align="R", new_x="LMARGIN", new_y="NEXT")


def _percent(part: int, whole: int) -> str:
    return f" ({part * 100 // whole}%)" if whole else ""  # rounded down, never up


def render(found: OperationSummary, *, now: datetime | None = None, compress: bool = True) -> bytes:
    """The summary as the bytes of a one-page PDF."""
    now = now or datetime.now(UTC)
    pdf = _PressPdf(format="A4")
    pdf.set_compression(compress)
    pdf.set_margins(15, 12, 15)
    # One page by design: nothing here grows with the data except the operation's name (at most 120 characters).
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(plain(f"{found.name}: press summary"))
    pdf.set_author("Safeguard")
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, plain(found.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    start, end = found.period.start, found.period.end
    first = f"{start:%A} {start.day} {start:%B}" + (f" {start.year}" if start.year != end.year else "")
    dates = f"{first} to {end:%A} {long_date(end)}" if end != start else f"{end:%A} {long_date(end)}"
    if found.state == RUNNING and found.counted is not None:
        dates += f". Still running: figures to the end of {long_date(found.counted.end)}."
    elif found.state != FINISHED:
        dates += ". Not started yet."
    pdf.multi_cell(0, 6, plain(dates), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, plain(headline(found)), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "Arrests")
    _table(pdf, [("Arrests, force-wide", str(found.arrests_total)),
                 ("Of which for domestic abuse", str(found.arrests_da)),
                 ("Of which of the operation's targeted suspects", str(found.arrests_targeted))])

    _heading(pdf, "Targets")
    pdf.multi_cell(0, 6, plain(
        f"{found.targets_arrested} of {plural(found.targets_total, 'targeted suspect')} arrested"
        f"{_percent(found.targets_arrested, found.targets_total)}; {found.targets_outstanding} still sought."),
        new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, f"Offences charged ({found.charges}), force-wide")
    seed = [(catalogue.category_label(c), str(found.charges_by_category[c])) for c in SEED_CATEGORIES]
    others = found.charges - sum(found.charges_by_category[c] for c in SEED_CATEGORIES)
    _table(pdf, [*seed, ("Other offences", str(others))])

    _heading(pdf, "Compared with")
    lines: list[str] = []
    if found.ordinary is not None:
        o = found.ordinary
        lines.append(f"{ordinary_label(o.period)}: {plural(o.arrests_total, 'arrest')}, {o.arrests_da} for "
                     f"domestic abuse; {plural(o.charges, 'offence')} charged.")
    if found.previous is not None:
        p = found.previous
        lines.append(f"The previous operation, {p.name} ({span_text(p.period)}): {plural(p.arrests_total, 'arrest')}"
                     f", {p.arrests_da} for domestic abuse, {p.arrests_targeted} of its targeted suspects; "
                     f"{plural(p.charges, 'offence')} charged; {p.targets_arrested} of "
                     f"{plural(p.targets_total, 'target')} arrested.")
    else:
        lines.append("No earlier operation is recorded.")
    for line in lines:
        pdf.multi_cell(0, 6, plain(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, plain(
        "Arrests and charges are every one recorded by the force on these days (UK time), in the operation or "
        "not; each offence on a charge counts once. Targeted arrests are arrests made in the operation of people "
        f"it targeted. Produced by Safeguard on {long_date(uk_time(now).date())} at {uk_time(now):%H:%M}. "
        f"{MARKING}: for release only once approved by the force's press office."),
        new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
