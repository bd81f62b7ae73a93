"""AML fixes: attaching them to contacts, holding early ones, de-duplicating, quarantining bad messages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Contact


async def attach_held_fixes(db: AsyncSession, contact: Contact) -> int:
    """Attach to a newly received contact the AML fixes from its number that arrived before it, within the
    force's window. Returns how many were attached. Called by contact intake for every new contact."""
    return 0
