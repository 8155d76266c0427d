"""Finding, creating and erasing residents by their chat account."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Resident
from models.residents import find_resident


async def find(db: AsyncSession, channel: str, external_id: str) -> Resident | None:
    return await find_resident(db, channel, external_id)


async def get_or_create(db: AsyncSession, channel: str, external_id: str, locale: str) -> Resident:
    resident = await find_resident(db, channel, external_id)
    if resident is None:
        resident = Resident(locale=locale)
        db.add(resident)
        db.add(Account(resident=resident, channel=channel, external_id=external_id))
        await db.flush()
    return resident


async def set_locale(db: AsyncSession, resident: Resident, locale: str) -> None:
    resident.locale = locale
    await db.flush()


async def erase(db: AsyncSession, resident_id: str) -> None:
    """Delete the resident and, through the foreign keys' ON DELETE CASCADE, every account,
    consent, response and answer linked to them, in the caller's transaction."""
    await db.execute(delete(Resident).where(Resident.id == resident_id))
    db.expunge_all()  # objects loaded earlier in this update must not resurrect deleted rows
