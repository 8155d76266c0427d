"""Delegates' replies to their conference invitation on Telegram: the two buttons under the
invitation and the reminder (bot/services/conference/ `invite`) record whether they come."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import conference
from handlers.common import CHANNEL


class DelegateReplyCb(CallbackData, prefix=conference.REPLY_CALLBACK):
    """s = the session, c = 1 coming, 0 not coming."""

    s: int
    c: int


async def on_reply(
    callback: CallbackQuery,
    callback_data: DelegateReplyCb,
    db: AsyncSession,
    clock: Callable[[], datetime],
) -> None:
    coming = callback_data.c == 1
    delegate = await conference.reply_from_chat(
        db, callback_data.s, CHANNEL, str(callback.from_user.id), coming, now=clock()
    )
    if delegate is None:
        await callback.answer(
            _("You are not on this conference's list of delegates."), show_alert=True
        )
    elif coming:
        await callback.answer(_("✅ Thank you: the ward office knows you will attend."))
    else:
        await callback.answer(_("Noted: the ward office knows you will not attend."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_reply, DelegateReplyCb.filter())
    return router
