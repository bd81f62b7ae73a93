"""Placeholder: routes arrive with the issue 7 work."""

from fastapi import APIRouter

router = APIRouter()
