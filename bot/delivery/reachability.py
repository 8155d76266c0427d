"""Telegram tells the bot when a resident blocks or unblocks it (`my_chat_member`, telegram.md
§3): a blocked chat gets nothing more from the delivery engine, an unblocked one is written to
again. (Writing to the bot clears the mark too: bot.services.residents.find.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import residents

CHANNEL = "telegram"


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(on_block_or_unblock, F.chat.type == "private")
    return router


async def on_block_or_unblock(
    event: ChatMemberUpdated, db: AsyncSession, clock: Callable[[], datetime]
) -> None:
    blocked = event.new_chat_member.status == ChatMemberStatus.KICKED
    await residents.set_reachable(
        db, CHANNEL, str(event.from_user.id), clock() if blocked else None
    )
