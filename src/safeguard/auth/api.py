"""The API's view of who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from safeguard.auth.actor import Actor
from safeguard.web.deps import Requires

router = APIRouter(prefix="/api/v1", tags=["identity"])


class WhoAmI(BaseModel):
    kind: str
    label: str
    force_id: int
    permissions: list[str]


@router.get("/whoami", response_model=WhoAmI)
async def whoami(actor: Annotated[Actor, Depends(Requires())]) -> WhoAmI:
    """Who this request is made as, and what it may do: a quick check for an integration's token."""
    return WhoAmI(kind=actor.kind, label=actor.label, force_id=actor.force_id,
                  permissions=sorted(p.value for p in actor.permissions))
