"""Routes for this part of risk and safeguarding (being built; see issue 5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
