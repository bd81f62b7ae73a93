"""POST /api/v1/risk-assessments/score: an officer or a risk:write token scores a DASH form; nothing is saved."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.tokens import create_token
from tests.conftest import ForceData, csrf_from, make_user, sign_in

URL = "/api/v1/risk-assessments/score"


def _answers(n: int, yes: int) -> dict[str, str]:
    return {f"q{i}": "yes" if i <= yes else ("dont-know" if i % 2 else "no") for i in range(1, n + 1)}


async def _bearer(db: AsyncSession, force: ForceData, scope: str) -> dict[str, str]:
    token = await create_token(db, force_id=force.id, name=f"risk {scope}", scopes=[scope])
    return {"Authorization": f"Bearer {token}"}


async def test_a_risk_write_token_gets_the_score(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    headers = await _bearer(db, force_a, "risk:write")
    body = {"form": "DASH-27", "answers": _answers(27, 15), "professional_judgement": None, "rationale": None}
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"score": 15, "suggested_level": "high", "final_level": "high",
                               "marac_routes": ["visible-high-risk"], "not_asked": [],
                               "supplements_due": ["S-DASH-11"]}


async def test_professional_judgement_raises_and_routes_to_marac(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    headers = await _bearer(db, force_a, "risk:write")
    body = {"form": "DASH-24", "answers": _answers(24, 11), "professional_judgement": "high",
            "rationale": "Threats to kill and a cluster of separation, control and violence"}
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"score": 11, "suggested_level": "medium", "final_level": "high",
                               "marac_routes": ["professional-judgement"], "not_asked": [],
                               "supplements_due": ["S-DASH-11"]}


@pytest.mark.parametrize("scope", ["risk:read", "people:read"])
async def test_a_token_without_risk_write_is_refused(scope: str, client: httpx.AsyncClient, db: AsyncSession,
                                                     force_a: ForceData) -> None:
    headers = await _bearer(db, force_a, scope)
    response = await client.post(URL, json={"form": "DASH-27", "answers": _answers(27, 1)}, headers=headers)
    assert response.status_code == 403
    assert "risk:write" in response.json()["detail"]


async def test_a_signed_in_officer_scores_a_form(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    officer = await make_user(db, force_a, "response_officer")
    assert (await sign_in(client, officer)).status_code == 303
    csrf = csrf_from((await client.get("/account")).text)
    response = await client.post(URL, json={"form": "S-DASH-11", "answers": _answers(11, 4)},
                                 headers={"x-csrf-token": csrf})
    assert response.status_code == 200, response.text
    assert response.json() == {"score": 4, "suggested_level": "standard", "final_level": "standard",
                               "marac_routes": [], "not_asked": [], "supplements_due": []}


async def test_a_role_without_risk_write_is_refused(client: httpx.AsyncClient, db: AsyncSession,
                                                    force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    assert (await sign_in(client, handler)).status_code == 303
    csrf = csrf_from((await client.get("/account")).text)
    response = await client.post(URL, json={"form": "DASH-27", "answers": _answers(27, 1)},
                                 headers={"x-csrf-token": csrf})
    assert response.status_code == 403


async def test_no_one_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json={"form": "DASH-27", "answers": {}},
                                 headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


async def test_every_bad_field_is_named_at_once(client: httpx.AsyncClient, db: AsyncSession,
                                                force_a: ForceData) -> None:
    headers = await _bearer(db, force_a, "risk:write")
    answers = _answers(27, 3)
    del answers["q27"]
    answers |= {"q4": "perhaps", "q28": "yes", "stalking": "no"}
    response = await client.post(URL, json={"form": "DASH-27", "answers": answers,
                                             "professional_judgement": "severe"}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The assessment could not be scored."
    fields = {problem["field"]: problem["message"] for problem in body["errors"]}
    assert set(fields) == {"answers.q4", "answers.q28", "answers.stalking", "professional_judgement"}
    assert "perhaps" in fields["answers.q4"] and "q28" in fields["answers.q28"]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"form": "DASH-30", "answers": {"q1": "yes"}}, "form", "DASH-30"),
    ({"form": "DASH-27", "answers": _answers(27, 16), "professional_judgement": "standard",
      "rationale": "She said it was nothing"}, "professional_judgement", "only raise"),
    ({"form": "DASH-27", "answers": _answers(27, 2), "professional_judgement": "medium"}, "rationale", "rationale"),
    ({"form": "DASH-27", "answers": ["yes"]}, "answers", "dictionary"),
    ({"answers": {}}, "form", "required"),
])
async def test_bad_input_is_refused_naming_the_field(body: dict, field: str, words: str,  # type: ignore[type-arg]
                                                     client: httpx.AsyncClient, db: AsyncSession,
                                                     force_a: ForceData) -> None:
    headers = await _bearer(db, force_a, "risk:write")
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert [p["field"] for p in problems] == [field]
    assert words in problems[0]["message"]


async def test_an_incomplete_form_is_scored_with_the_rest_not_asked(client: httpx.AsyncClient, db: AsyncSession,
                                                                    force_a: ForceData) -> None:
    headers = await _bearer(db, force_a, "risk:write")
    body = {"form": "DASH-27", "answers": {"q1": "yes", "q8": "yes", "q18": "yes", "q2": "dont-know"}}
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["score"], result["suggested_level"]) == (3, "standard")
    assert result["supplements_due"] == ["S-DASH-11"]
    assert result["not_asked"] == [f"q{n}" for n in range(3, 28) if n not in (8, 18)]


async def test_scoring_is_the_same_every_time(client: httpx.AsyncClient, db: AsyncSession,
                                              force_a: ForceData) -> None:
    """A pure call: the same answers give the same result, and a refused one leaves the next unaffected."""
    headers = await _bearer(db, force_a, "risk:write")
    body = {"form": "DASH-27", "answers": _answers(27, 12)}
    first = await client.post(URL, json=body, headers=headers)
    refused = await client.post(URL, json=body | {"professional_judgement": "standard"}, headers=headers)
    again = await client.post(URL, json=body, headers=headers)
    assert refused.status_code == 422
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["suggested_level"] == "medium"
