"""Operations in the API: read (audited, naming the people shown), plan attempts and record outcomes under the
same rules as the pages: 422 naming each field, 404 for another operation's attempt or another force's
operation, 409 for a second recording or a closed operation, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes.models import Arrest, Suspect
from safeguard.db.session import set_force_context
from safeguard.operations import service
from safeguard.operations.models import ArrestAttempt
from tests.conftest import ForceData
from tests.integration.test_operations import add, new_operation, operation_scene, plan

H = timedelta(hours=1)
SCOPES = ["operations:read", "operations:attempts", "arrests:write"]


async def _token(db: AsyncSession, force: ForceData, scopes: list[str]) -> dict[str, str]:
    token = await create_token(db, force_id=force.id, name="phones", scopes=scopes)
    return {"Authorization": f"Bearer {token}"}


async def test_the_api_lists_and_reads_operations_and_audits_the_people_shown(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    added = await add(db, scene, operation, entries=[scene.entries[0].id], suspect_ids=[scene.wanted.suspect.id])
    attempt = await plan(db, scene, operation, added.added[0])
    headers = await _token(db, force_a, ["operations:read"])
    listing = await client.get("/api/v1/operations", headers=headers)
    assert listing.status_code == 200, listing.text
    assert listing.json()["results"] == [{
        "id": operation.id, "name": "Operation Harbour", "starts_on": operation.starts_on.isoformat(),
        "ends_on": operation.ends_on.isoformat(), "status": "active", "lead_name": "DI Lead", "targets": 2,
        "targets_arrested": 0}]
    detail = await client.get(f"/api/v1/operations/{operation.id}", headers=headers)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["name"] == "Operation Harbour" and body["status"] == "active"
    by_name = {t["display_name"]: t for t in body["targets"]}
    assert by_name["Dean Holloway"]["rank"] == 1 and by_name["Dean Holloway"]["source"] == "ranking"
    assert by_name["Dean Holloway"]["flags"] == ["Serial perpetrator", "Victim's latest DASH is high"]
    assert by_name["Gary Holloway"]["suspect_id"] == scene.wanted.suspect.id
    assert {t["status"] for t in body["targets"]} == {"outstanding"}
    assert [a["id"] for a in body["attempts"]] == [attempt.id] and body["attempts"][0]["outcome"] is None
    read = (await db.scalars(select(AuditEvent.details).where(AuditEvent.action == "operation.read")
                             .order_by(AuditEvent.id.desc()))).first()
    assert read is not None and set(read["person_ids"]) == {scene.ranked[0].person.id, scene.wanted.person.id}
    # Another force's token sees none of it.
    outsider = await _token(db, force_b, ["operations:read"])
    assert (await client.get(f"/api/v1/operations/{operation.id}", headers=outsider)).status_code == 404
    assert (await client.get("/api/v1/operations", headers=outsider)).json()["results"] == []
    # Planning needs its own scope.
    refused = await client.post(f"/api/v1/operations/{operation.id}/attempts", headers=headers, json={})
    assert refused.status_code == 403 and "operations:attempts" in refused.json()["detail"]


async def test_the_api_plans_an_attempt_only_for_a_target_of_the_operation(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    other = await new_operation(db, scene, "Operation Other")
    target = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    elsewhere = (await add(db, scene, other, entries=[scene.entries[1].id])).added[0]
    headers = await _token(db, force_a, SCOPES)
    url = f"/api/v1/operations/{operation.id}/attempts"
    at = datetime.now(UTC).replace(microsecond=0)
    team = force_a.teams["local_policing"].id
    outside = await client.post(url, headers=headers, json={
        "target_id": elsewhere.id, "planned_at": at.isoformat(), "address": "", "team_id": team})
    assert outside.status_code == 422
    assert outside.json() == {"detail": "The attempt was not planned.", "errors": [
        {"field": "target_id", "message": f"Target {elsewhere.id} is not a target of Operation Harbour"},
        {"field": "address", "message": "Enter the address to attend"}]}
    late = await client.post(url, headers=headers, json={
        "target_id": target.id, "planned_at": (at + timedelta(days=60)).isoformat(), "address": "1 Road",
        "team_id": 2**61})
    assert late.status_code == 422
    assert {e["field"] for e in late.json()["errors"]} == {"planned_at", "team_id"}
    malformed = await client.post(url, headers=headers, json={"target_id": "x"})
    assert malformed.status_code == 422 and malformed.json()["detail"] == "The request is not valid."
    assert await db.scalar(select(func.count()).select_from(ArrestAttempt)) == 0
    made = await client.post(url, headers=headers, json={
        "target_id": target.id, "planned_at": at.isoformat(), "address": "12 Elm Road", "team_id": team})
    assert made.status_code == 201, made.text
    assert made.json()["target_id"] == target.id and made.json()["outcome"] is None
    assert made.json()["planned_by"].startswith("token:")
    assert (await client.post(f"/api/v1/operations/{2**61}/attempts", headers=headers, json={
        "target_id": target.id, "planned_at": at.isoformat(), "address": "x", "team_id": team})).status_code == 404


async def test_the_api_records_outcomes_an_arrest_once_and_refuses_the_rest(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await operation_scene(db, force_a)
    operation = await new_operation(db, scene)
    other = await new_operation(db, scene, "Operation Other")
    target = (await add(db, scene, operation, suspect_ids=[scene.wanted.suspect.id])).added[0]
    missed = (await add(db, scene, operation, entries=[scene.entries[0].id])).added[0]
    attempt = await plan(db, scene, operation, target)
    first_try = await plan(db, scene, operation, missed)
    headers = await _token(db, force_a, SCOPES)
    at = (datetime.now(UTC) - H).replace(microsecond=0)
    url = f"/api/v1/operations/{operation.id}/attempts/{attempt.id}/outcome"

    fields = await client.post(url, headers=headers, json={"outcome": "other", "attempted_at": at.isoformat()})
    assert fields.status_code == 422
    assert fields.json()["errors"] == [{"field": "notes", "message": "Say what happened"}]
    unknown = await client.post(url, headers=headers, json={"outcome": "escaped"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "outcome"
    no_offence = await client.post(url, headers=headers, json={"outcome": "arrested", "attempted_at": at.isoformat()})
    assert no_offence.status_code == 422
    assert no_offence.json()["errors"] == [{"field": "offence_codes",
                                           "message": "Choose at least one offence the suspect was arrested for"}]
    # The attempt belongs to this operation only.
    mismatch = await client.post(f"/api/v1/operations/{other.id}/attempts/{attempt.id}/outcome", headers=headers,
                                 json={"outcome": "not-present"})
    assert mismatch.status_code == 404
    # Without arrests:write a token records what happened, but not an arrest.
    no_arrests = await _token(db, force_a, ["operations:attempts"])
    refused = await client.post(url, headers=no_arrests, json={"outcome": "arrested", "offence_codes": ["abh"]})
    assert refused.status_code == 422 and "Your role does not record arrests" in refused.json()["errors"][0]["message"]
    assert await db.scalar(select(func.count()).select_from(Arrest)) == 0

    arrested = await client.post(url, headers=headers, json={
        "outcome": "arrested", "attempted_at": at.isoformat(), "offence_codes": ["coercive-control"],
        "place": "Outside the Co-op, Elm Road"})
    assert arrested.status_code == 201, arrested.text
    body = arrested.json()
    assert body["outcome"] == "arrested" and body["arrest_id"] is not None
    arrest = await db.scalar(select(Arrest).where(Arrest.id == body["arrest_id"]))
    assert arrest is not None and arrest.operation_id == operation.id and arrest.suspect_id == scene.wanted.suspect.id
    assert arrest.place == "Outside the Co-op, Elm Road"
    status = await db.scalar(select(Suspect.status).where(Suspect.id == scene.wanted.suspect.id)
                             .execution_options(populate_existing=True))
    assert status == "arrested"
    again = await client.post(url, headers=headers, json={
        "outcome": "arrested", "attempted_at": at.isoformat(), "offence_codes": ["coercive-control"]})
    assert again.status_code == 409
    assert again.json()["detail"].startswith("This attempt was already recorded as Arrested at ")
    assert again.json()["detail"].endswith("by token:phones")
    assert await db.scalar(select(func.count()).select_from(Arrest)) == 1

    not_there = await client.post(f"/api/v1/operations/{operation.id}/attempts/{first_try.id}/outcome",
                                  headers=headers, json={"outcome": "not-present", "notes": "No answer"})
    assert not_there.status_code == 201 and not_there.json()["arrest_id"] is None
    detail = (await client.get(f"/api/v1/operations/{operation.id}", headers=headers)).json()
    assert {t["display_name"]: t["status"] for t in detail["targets"]} == {"Gary Holloway": "arrested",
                                                                           "Dean Holloway": "outstanding"}
    # A closed operation takes nothing more.
    await set_force_context(db, force_a.id, scene.lead.user.id)
    second = await plan(db, scene, operation, missed)
    await service.change_status(db, scene.lead_actor, operation.id, "closed")
    closed = await client.post(f"/api/v1/operations/{operation.id}/attempts/{second.id}/outcome", headers=headers,
                               json={"outcome": "not-present"})
    assert closed.status_code == 409 and closed.json() == {
        "detail": "Operation Harbour is closed: nothing more can be recorded on it"}
    planned = await client.post(f"/api/v1/operations/{operation.id}/attempts", headers=headers, json={
        "target_id": missed.id, "planned_at": datetime.now(UTC).isoformat(), "address": "x",
        "team_id": force_a.teams["local_policing"].id})
    assert planned.status_code == 409
