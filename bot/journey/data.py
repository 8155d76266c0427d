"""/dulieu: erasing everything the bot stores about a resident."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import data_rights
from bot.settings import Settings


async def erase(db: AsyncSession, resident_id: str, settings: Settings) -> list[int]:
    """Erases the resident; the sessions whose conference files held them (to be written
    again once this is committed). Staff told of it read it in the ward's language."""
    erased = await data_rights.erase_everything(
        db, resident_id, staff_locale=settings.default_locale
    )
    return sorted(erased.sessions)
