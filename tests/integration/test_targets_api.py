"""The harm-ranking API: the newest or a chosen list with its breakdown (audited), the weight versions, and
"rank now"; another force's list is not found, bad input is named, a token needs targets:read."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.db.session import set_force_context
from safeguard.targeting.models import HarmRanking, HarmWeightSet
from tests.conftest import ForceData, csrf_from
from tests.integration.test_targets_pages import AS_OF, scene, signed_in


async def _token(db: AsyncSession, force: ForceData, scopes: list[str]) -> dict[str, str]:
    token = await create_token(db, force_id=force.id, name="rankings reader", scopes=scopes)
    return {"Authorization": f"Bearer {token}"}


async def test_the_newest_list_with_its_breakdown_for_a_token_with_targets_read(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    headers = await _token(db, force_a, ["targets:read"])
    response = await client.get("/api/v1/targets/ranking", params={"top": 2}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    ranking = body["ranking"]
    assert ranking["id"] == s.ranking.id and ranking["weight_version"] == 1 and ranking["window_days"] == 1095
    assert ranking["as_of"] == AS_OF.isoformat() and ranking["engine"] == "duckdb" and ranking["perpetrators"] == 3
    assert ranking["computed_by"] == "Ana Analyst" and ranking["computed_at"]
    assert [e["rank"] for e in body["entries"]] == [1, 2]
    adam = body["entries"][0]
    assert adam == {"entry_id": s.entries["Adam"].id, "rank": 1, "person_id": s.people["Adam"].id,
                    "display_name": "Adam Tester", "score": 18.5099,
                    "breakdown": {"recency": 5.0, "frequency": 2.0, "gravity": 7.5099, "victims": 4.0},
                    "flags": ["serial", "wanted"], "total_harm": 1826.0, "incidents": 2, "victim_count": 2,
                    "last_incident_on": s.entries["Adam"].last_incident_on.isoformat()}
    await set_force_context(db, force_a.id)
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "harm_ranking.read")))
    assert [(e.object_id, e.details) for e in events] == [(str(s.ranking.id), {"via": "api", "top": 2})]
    assert events[0].actor_label.startswith("token:")
    # A chosen list, whole.
    chosen = await client.get("/api/v1/targets/ranking", params={"ranking_id": s.ranking.id}, headers=headers)
    assert [e["display_name"] for e in chosen.json()["entries"]] == ["Adam Tester", "Beth Tester", "Carl Tester"]


async def test_lists_are_not_found_across_forces_and_bad_queries_are_named(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    theirs = await scene(db, force_b)
    headers = await _token(db, force_a, ["targets:read"])
    none_yet = await client.get("/api/v1/targets/ranking", headers=headers)
    assert none_yet.status_code == 404
    assert none_yet.json() == {"detail": "No ranked list yet: make one with POST /api/v1/targets/rankings."}
    other = await client.get("/api/v1/targets/ranking", params={"ranking_id": theirs.ranking.id}, headers=headers)
    assert other.status_code == 404 and other.json() == {"detail": f"No ranked list {theirs.ranking.id}."}
    bad = await client.get("/api/v1/targets/ranking", params={"top": 0}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "top"
    missing = await client.get("/api/v1/targets/weights/1", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Weight version 1 does not exist for this force (versions: none yet)."}


async def test_a_token_without_targets_read_is_refused(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData) -> None:
    await scene(db, force_a)
    headers = await _token(db, force_a, ["crimes:read"])
    for path in ("/api/v1/targets/ranking", "/api/v1/targets/weights", "/api/v1/targets/weights/1"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert "targets:read" in response.json()["detail"]


async def test_weight_versions_newest_first_and_one_by_number(client: httpx.AsyncClient, db: AsyncSession,
                                                              force_a: ForceData) -> None:
    s = await scene(db, force_a)
    db.add(HarmWeightSet(force_id=force_a.id, version=2, weights={**s.weights.weights, "victims": 3.0},
                         note="More weight on victims", created_by="analyst"))
    await db.flush()
    headers = await _token(db, force_a, ["targets:read"])
    listing = await client.get("/api/v1/targets/weights", headers=headers)
    assert listing.status_code == 200
    versions = listing.json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["note"] == "More weight on victims" and versions[0]["weights"]["victims"] == 3.0
    one = await client.get("/api/v1/targets/weights/1", headers=headers)
    assert one.status_code == 200
    assert one.json()["weights"]["recency_bands"][0] == [3, 5.0] and one.json()["created_by"] == "analyst"
    missing = await client.get("/api/v1/targets/weights/5", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Weight version 5 does not exist for this force (versions: 1, 2)."}


async def test_rank_now_through_the_api(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    await scene(db, force_a)
    staff = await signed_in(client, db, force_a, "operation_lead")
    csrf = {"x-csrf-token": csrf_from((await client.get("/targets")).text)}
    made = await client.post("/api/v1/targets/rankings", json={"window_days": 1095, "weight_version": 1},
                             headers=csrf)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["ranking"]["perpetrators"] == 4 and body["ranking"]["weight_version"] == 1
    assert body["ranking"]["computed_by"] == staff.user.username
    assert {e["display_name"] for e in body["entries"]} == {"Adam Tester", "Beth Tester", "Carl Tester",
                                                            "Dan Tester"}
    assert all(set(e["breakdown"]) == {"recency", "frequency", "gravity", "victims"} for e in body["entries"])
    assert [e["rank"] for e in body["entries"]] == [1, 2, 3, 4]
    await set_force_context(db, force_a.id)
    before = await db.scalar(select(func.count()).select_from(HarmRanking))
    unknown = await client.post("/api/v1/targets/rankings", json={"weight_version": 9}, headers=csrf)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Weight version 9 does not exist for this force (versions: 1)."}
    too_long = await client.post("/api/v1/targets/rankings", json={"window_days": 4000}, headers=csrf)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "window_days"
    extra = await client.post("/api/v1/targets/rankings", json={"window": 3}, headers=csrf)
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "window"
    assert await db.scalar(select(func.count()).select_from(HarmRanking)) == before  # nothing was made


async def test_rank_now_needs_targets_write(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    await scene(db, force_a)
    await signed_in(client, db, force_a, "ppu_investigator")
    csrf = {"x-csrf-token": csrf_from((await client.get("/targets")).text)}
    refused = await client.post("/api/v1/targets/rankings", json={}, headers=csrf)
    assert refused.status_code == 403 and "targets:write" in refused.json()["detail"]
