"""Who is acting: a signed-in member of staff, or a machine holding an API token."""

from __future__ import annotations

from dataclasses import dataclass, field

from safeguard.auth.permissions import ROLES, P


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" or "token"
    force_id: int
    label: str
    permissions: frozenset[P]
    user_id: int | None = None
    token_id: int | None = None
    role: str | None = None
    display_name: str = ""
    force_name: str = ""
    team_id: int | None = None
    client_addr: str | None = None
    session_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def can(self, permission: P) -> bool:
        return permission in self.permissions

    @property
    def role_name(self) -> str:
        role = ROLES.get(self.role or "")
        return role.name if role else ""
