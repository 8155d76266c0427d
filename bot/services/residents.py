"""Finding, creating and erasing residents by their chat account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, Resident


@dataclass(frozen=True)
class ResidentRef:
    """What every update needs to know about the resident: a plain value channels may cache."""

    id: str
    locale: str


async def find(db: AsyncSession, channel: str, external_id: str) -> ResidentRef | None:
    """The resident writing from this account. Someone who writes can be written to again:
    a mark left by a refused delivery (403) is cleared, with no extra query when there is none."""
    stmt = (
        select(Resident.id, Resident.locale, Account.unreachable_at)
        .join(Account, Account.resident_id == Resident.id)
        .where(Account.channel == channel, Account.external_id == external_id)
    )
    row = (await db.execute(stmt)).first()
    if row is None:
        return None
    if row.unreachable_at is not None:
        await set_reachable(db, channel, external_id, None)
    return ResidentRef(row.id, row.locale)


async def set_reachable(
    db: AsyncSession, channel: str, external_id: str, unreachable_at: datetime | None
) -> None:
    """Mark the account as one the bot cannot write to (blocked, left), or clear the mark."""
    await db.execute(
        update(Account)
        .where(Account.channel == channel, Account.external_id == external_id)
        .values(unreachable_at=unreachable_at)
    )


async def account_id(db: AsyncSession, channel: str, external_id: str) -> int | None:
    """The chat account's row id: where answers to this resident's questions are relayed."""
    stmt = select(Account.id).where(Account.channel == channel, Account.external_id == external_id)
    return await db.scalar(stmt)


async def get_or_create(
    db: AsyncSession, channel: str, external_id: str, locale: str
) -> ResidentRef:
    found = await find(db, channel, external_id)
    if found is not None:
        return found
    resident = Resident(locale=locale)
    db.add(resident)
    db.add(Account(resident=resident, channel=channel, external_id=external_id))
    await db.flush()
    return ResidentRef(resident.id, resident.locale)


async def set_locale(db: AsyncSession, resident_id: str, locale: str) -> None:
    await db.execute(update(Resident).where(Resident.id == resident_id).values(locale=locale))


async def erase(db: AsyncSession, resident_id: str) -> None:
    """Delete the resident and, through the foreign keys' ON DELETE CASCADE, every account,
    consent, response and answer linked to them, in the caller's transaction."""
    await db.execute(delete(Resident).where(Resident.id == resident_id))
    db.expunge_all()  # objects loaded earlier in this update must not resurrect deleted rows
