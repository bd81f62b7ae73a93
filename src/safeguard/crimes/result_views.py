"""The results page for any period, and its CSV download. Counts only; reports:read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import forms, results
from safeguard.crimes.service import CrimeRefused, uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.downloads import csv_attachment
from safeguard.web.templating import render

router = APIRouter()

Reporter = Annotated[Actor, Depends(Requires(P.REPORT_READ))]
Part = Annotated[str, Query(max_length=12)]


def _iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.get("/crimes/results")
async def results_page(request: Request, db: DbSession, actor: Reporter, from_day: Part = "", from_month: Part = "",
                       from_year: Part = "", to_day: Part = "", to_month: Part = "", to_year: Part = "",
                       da: Part = "") -> Response:
    """The period is chosen by its first and last days (both included); the default is the last seven days."""
    errors: dict[str, str] = {}
    given = any(v.strip() for v in (from_day, from_month, from_year, to_day, to_month, to_year))
    if given:
        start = forms.parse_date(errors, "from_day", "the period starts", from_day, from_month, from_year)
        last = forms.parse_date(errors, "to_day", "the period ends", to_day, to_month, to_year)
    else:
        start, end = results.default_period(uk_time(datetime.now(UTC)).date())
        last = end - timedelta(days=1)
    found = None
    if start is not None and last is not None and not errors:
        if last < start:
            errors["to_day"] = "The last day must be on or after the first day"
        else:
            try:
                found = await results.results(db, actor, start, last + timedelta(days=1), da_only=da == "yes")
            except CrimeRefused as refused:
                errors.update({"to_day" if k == "to" else "from_day": v for k, v in refused.errors.items()})
    values = {"from_day": from_day, "from_month": from_month, "from_year": from_year, "to_day": to_day,
              "to_month": to_month, "to_year": to_year, "da": da}
    if not given and start is not None and last is not None:
        values.update(forms.date_values("from", start))
        values.update(forms.date_values("to", last))
    return render(request, "crimes/results.html", {
        "r": found, "errors": errors, "values": values, "last": last if found else None,
        "title": ("Error: " if errors else "") + "Crime results"}, status_code=400 if errors else 200)


@router.get("/crimes/results.csv")
async def results_csv(db: DbSession, actor: Reporter, start: Annotated[str, Query(alias="from", max_length=12)] = "",
                      end: Annotated[str, Query(alias="to", max_length=12)] = "", da: Part = "") -> Response:
    """The same figures as CSV, for [from, to): `to` is the day after the period, as in the API. With neither,
    the last seven days, as on the page."""
    first, after = _iso(start), _iso(end)
    if not start.strip() and not end.strip():
        first, after = results.default_period(uk_time(datetime.now(UTC)).date())
    try:
        found = await results.results(db, actor, first, after, da_only=da == "yes", via="csv")
    except CrimeRefused as refused:
        raise HTTPException(400, "; ".join(refused.errors.values())) from None
    name = f"crime-results-{found.start.isoformat()}-to-{found.end.isoformat()}.csv"
    return csv_attachment(results.to_csv(found), name)
