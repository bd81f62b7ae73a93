"""Routes for this part of the control room (being built; see issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
