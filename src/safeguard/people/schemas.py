"""The person record as the API returns it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class AddressOut(BaseModel):
    address: str
    from_date: date | None
    to_date: date | None


class PersonOut(BaseModel):
    id: int
    display_name: str
    date_of_birth: str | None
    gender: str
    restricted: bool
    aliases: list[str]
    phones: list[str]
    addresses: list[AddressOut]


class SearchHit(BaseModel):
    id: int
    display_name: str
    date_of_birth: str | None
    score: float
    why: list[str]


class SearchOut(BaseModel):
    results: list[SearchHit]
