"""Rows to start a test or a benchmark from, built in one place instead of copied between files."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.consent import Purpose
from models import Account, Consent, Resident
from models.residents import new_resident_key


async def opted_in_residents(db: AsyncSession, count: int, first_chat: int) -> None:
    """`count` residents on Telegram (chats first_chat, first_chat + 1, …) who agreed to
    reminders and announcements, inserted in three statements."""
    keys = [new_resident_key() for _ in range(count)]
    await db.execute(insert(Resident), [{"id": k, "locale": "vi"} for k in keys])
    await db.execute(
        insert(Account),
        [
            {"resident_id": k, "channel": "telegram", "external_id": str(first_chat + n)}
            for n, k in enumerate(keys)
        ],
    )
    await db.execute(
        insert(Consent),
        [
            {
                "resident_id": k,
                "purpose": Purpose.REMINDERS,
                "given": True,
                "notice_version": "2026-01",
                "channel": "telegram",
            }
            for k in keys
        ],
    )
