"""The control room's rules as data: attendance targets per grade, the AML attach window, grade labels.

There is no single national grading (DOMAIN.md §2.2): the defaults are the common pattern (emergency 15
minutes urban and 20 rural, priority 60 minutes; scheduled and resolution without a timed attendance). A
force overrides any of them in `force.settings["control_room"]`, for example
`{"attendance_minutes": {"emergency": {"urban": 12, "rural": 20}}, "aml_window_minutes": 30}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import GRADES
from safeguard.force.models import Force

GRADE_LABELS = {
    "emergency": "Emergency",
    "priority": "Priority",
    "scheduled": "Scheduled",
    "resolution": "Resolution without deployment",
}
assert set(GRADE_LABELS) == set(GRADES)
# Most urgent first: a suggestion "below" another is further down this list.
GRADE_ORDER = GRADES

DEFAULT_ATTENDANCE: dict[str, dict[str, int | None]] = {
    "emergency": {"urban": 15, "rural": 20},
    "priority": {"urban": 60, "rural": 60},
    "scheduled": {"urban": None, "rural": None},  # by appointment: no timer
    "resolution": {"urban": None, "rural": None},  # no attendance
}


class RulesError(ValueError):
    """A force's control-room settings are not usable; the message says which one and why."""


@dataclass(frozen=True)
class ControlRoomRules:
    attendance_minutes: dict[str, dict[str, int | None]] = field(
        default_factory=lambda: {grade: dict(targets) for grade, targets in DEFAULT_ATTENDANCE.items()})
    # An AML fix attaches to the open contact from the same number received within this long either side.
    aml_window: timedelta = timedelta(minutes=60)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ControlRoomRules:
        chosen = (settings or {}).get("control_room") or {}
        attendance = {grade: dict(targets) for grade, targets in DEFAULT_ATTENDANCE.items()}
        for grade, targets in (chosen.get("attendance_minutes") or {}).items():
            if grade not in attendance:
                raise RulesError(f"control_room.attendance_minutes: '{grade}' is not a grade "
                                 f"({', '.join(GRADES)})")
            for setting, minutes in dict(targets).items():
                if setting not in ("urban", "rural"):
                    raise RulesError(f"control_room.attendance_minutes.{grade}: '{setting}' is not urban or rural")
                if minutes is not None and (not isinstance(minutes, int) or minutes <= 0):
                    raise RulesError(f"control_room.attendance_minutes.{grade}.{setting}: give whole minutes "
                                     "above 0, or null for no timed attendance")
                attendance[grade][setting] = minutes
        window = chosen.get("aml_window_minutes", 60)
        if not isinstance(window, int) or not 1 <= window <= 24 * 60:
            raise RulesError("control_room.aml_window_minutes: give whole minutes from 1 to 1440")
        return cls(attendance_minutes=attendance, aml_window=timedelta(minutes=window))

    def attendance_target(self, grade: str | None, *, rural: bool) -> timedelta | None:
        """How long the force allows from the contact to arrival at this grade; None when no timer runs."""
        if grade is None:
            return None
        minutes = self.attendance_minutes[grade]["rural" if rural else "urban"]
        return timedelta(minutes=minutes) if minutes is not None else None

    def attend_by(self, received_at: datetime, grade: str | None, *, rural: bool) -> datetime | None:
        """The clock runs from when the contact was first received, even after an upgrade (DOMAIN.md §2.2)."""
        target = self.attendance_target(grade, rural=rural)
        return received_at + target if target is not None else None


async def rules_for(db: AsyncSession, force_id: int) -> ControlRoomRules:
    return ControlRoomRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))
