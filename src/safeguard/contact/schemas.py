"""Contacts as the API takes and returns them (the telephony contract: docs/integrations.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(max_length=20, description="999, 999-silent, 101, online or in-person")
    caller_number: str | None = Field(default=None, max_length=40,
                                      description="Any UK or international format; stored as E.164. Required "
                                                  "for 999 and 999-silent")
    received_at: datetime = Field(description="When the call was answered, ISO 8601 with a time zone; not in "
                                              "the future (two minutes' clock skew allowed)")
    pressed_55: bool = Field(default=False, description="The BT operator reported 55 detected; 999-silent only")
    note: str | None = Field(default=None, max_length=4000)
    location_text: str | None = Field(default=None, max_length=300, description="Where, as the caller gave it")
    da_flag: bool = Field(default=False, description="The sender believes this is domestic abuse. Safeguard also "
                                                     "sets it from DA markers and orders on the number")


class ContactCreatedOut(BaseModel):
    id: int
    url: str = Field(description="The contact's page for the handler")


class LocationOut(BaseModel):
    latitude: float
    longitude: float
    radius_m: float | None
    confidence_pct: float | None
    method: str
    fixed_at: datetime


class AlertOut(BaseModel):
    kind: str = Field(description="silent-55, marker, breach or wanted")
    message: str


class ContactOut(BaseModel):
    id: int
    channel: str
    caller_number: str | None
    received_at: datetime
    pressed_55: bool
    da_flag: bool
    status: str
    grade: str | None = Field(description="Null until graded")
    location: LocationOut | None = Field(description="The latest AML fix attached to the contact")
    alerts: list[AlertOut]
    url: str
