"""A resident's rating of an answer the bot relayed to their chat (👍 / 👎 under the answer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Router
from aiogram.types import (
    CallbackQuery,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import RateCb
from bot.services import questions
from bot.services.questions import QuestionError
from bot.services.residents import ResidentRef
from bot.texts import (
    clipped,
)


async def on_rate(
    callback: CallbackQuery,
    callback_data: RateCb,
    resident: ResidentRef | None,
    db: AsyncSession,
    clock: Callable[[], datetime],
) -> None:
    if resident is None:
        await callback.answer(_("This question was not found."))
        return
    try:
        await questions.rate_answer(
            db, resident.id, callback_data.q, callback_data.v == 1, None, clock()
        )
    except QuestionError as problem:
        await callback.answer(clipped(str(problem), 200))
        return
    await callback.answer(_("Thank you for rating the answer."))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_rate, RateCb.filter())
    return router
