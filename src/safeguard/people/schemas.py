"""The person record as the API returns it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class AddressOut(BaseModel):
    address: str
    from_date: date | None
    to_date: date | None


class MarkerOut(BaseModel):
    id: int
    kind: str
    label: str
    note: str | None
    starts_on: date
    ends_on: date | None = Field(description="The first day the marker no longer applies, when one is set")
    set_by: str


class RelationshipOut(BaseModel):
    person_id: int | None = Field(description="None when the connected person is withheld from you")
    display_name: str = Field(description='"Restricted person" when the connected person is withheld from you')
    date_of_birth: str | None
    kind: str
    kind_label: str
    detail: str | None
    since: date | None
    withheld: bool = Field(description="The connected person is restricted and you have no grant to see them")


class PersonOut(BaseModel):
    id: int
    display_name: str
    date_of_birth: str | None
    gender: str
    restricted: bool
    aliases: list[str]
    phones: list[str]
    addresses: list[AddressOut]
    markers: list[MarkerOut] = Field(default_factory=list, description="Warning markers active today")
    relationships: list[RelationshipOut] = Field(default_factory=list,
                                                 description="People personally connected (DA Act 2021 s2)")


class PersonNotFoundOut(BaseModel):
    detail: str
    merged_into: int | None = Field(default=None, description="When the record was merged into another that you "
                                                              "may see: the surviving record's id")


class SearchHit(BaseModel):
    id: int
    display_name: str
    date_of_birth: str | None
    score: float
    why: list[str]


class SearchOut(BaseModel):
    results: list[SearchHit]
