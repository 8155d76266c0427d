"""Answering a question: the next text message after the card's ✍️ Answer (or 🙈 Hide, for the
reason), or a reply to the question's card or new-question notice. The answer is stored first,
then relayed to the resident's chat, signed with the field and role; /cancel stops waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import QuestionCb, esc
from bot.services import questions
from bot.services.questions import QuestionError
from bot.services.staff import StaffRef
from handlers.staff.permissions import staff_router
from handlers.states import StaffV1
from models import ResidentQuestion

PENDING_KEY = "staff_pending"  # FSM data: {"q": id, "code": code} while an answer is awaited


async def await_text(state: FSMContext, awaited: State, question: ResidentQuestion) -> None:
    """The staff member's next text message is the answer to `question` (or the reason to
    hide it)."""
    await state.set_state(awaited)
    await state.update_data({PENDING_KEY: {"q": question.id, "code": question.code}})


async def clear_pending(state: FSMContext) -> None:
    # Only this module's part: the FSM data also holds the resident's cached id and drafts.
    await state.set_state(None)
    await state.update_data({PENDING_KEY: None})


async def submit_answer(
    message: Message,
    question_id: int,
    me: StaffRef | None,
    db: AsyncSession,
    state: FSMContext,
    now: datetime,
    notifier: Any,
) -> None:
    text = questions.clean_text(message.text or "")
    if len(text) > questions.MAX_TEXT:
        await message.answer(  # the pending answer stays: they can send a shorter one
            _("Your text has {count} characters; the limit is {limit}. Please shorten it.").format(
                count=len(text), limit=questions.MAX_TEXT
            )
        )
        return
    await clear_pending(state)
    try:
        relay = await questions.answer(db, me or message.from_user.id, question_id, text, now)
    except QuestionError as refused:
        await message.answer(str(refused))
        return
    await db.commit()  # the answer is stored whatever happens to its delivery
    if not relay.named:
        await message.answer(
            _(
                "✅ The answer to {code} is stored. The question was anonymous: the answer goes "
                "into the conference digest, and the resident can read it under My questions."
            ).format(code=esc(relay.code))
        )
        return
    delivered = await notifier.deliver(relay) if notifier is not None else False
    if delivered:
        reply = _("✅ The answer to {code} is stored and was sent to the resident.")
    else:
        reply = _(
            "✅ The answer to {code} is stored. It could not be sent to the resident's chat; "
            "they can read it under My questions."
        )
    await message.answer(reply.format(code=esc(relay.code)))


async def on_pending_text(
    message: Message,
    me: StaffRef | None,
    db: AsyncSession,
    state: FSMContext,
    clock: Callable[[], datetime],
    **data: Any,
) -> None:
    pending = (await state.get_data()).get(PENDING_KEY) or {}
    if not pending.get("q"):
        await clear_pending(state)
        raise SkipHandler()  # nothing awaited after all: let the resident side read it
    now = clock()
    if await state.get_state() == StaffV1.answer.state:
        await submit_answer(message, pending["q"], me, db, state, now, data.get("notifier"))
        return
    await clear_pending(state)
    try:
        await questions.hide(db, me or message.from_user.id, pending["q"], message.text, now)
    except QuestionError as refused:
        await message.answer(str(refused))
        return
    await message.answer(_("🙈 {code} is hidden.").format(code=esc(pending.get("code", ""))))


async def on_pending_other(message: Message, state: FSMContext) -> None:
    if await state.get_state() == StaffV1.answer.state:
        await message.answer(_("Please write the answer as a text message."))
    else:
        await message.answer(_("Please give a reason for hiding this question."))


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await clear_pending(state)
    await message.answer(_("Cancelled."))


def replied_question(message: Message) -> dict[str, int] | bool:
    """A reply to one of the bot's messages about a question (its card or the new-question
    notice, both carrying the question's buttons): {"replied_q": id}."""
    reply = message.reply_to_message
    if reply is None or reply.from_user is None or not reply.from_user.is_bot:
        return False
    markup = reply.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for key in row:
            if key.callback_data and key.callback_data.startswith(QuestionCb.__prefix__ + ":"):
                try:
                    return {"replied_q": QuestionCb.unpack(key.callback_data).q}
                except (TypeError, ValueError):
                    continue
    return False


async def on_reply(
    message: Message,
    replied_q: int,
    me: StaffRef | None,
    db: AsyncSession,
    state: FSMContext,
    clock: Callable[[], datetime],
    **data: Any,
) -> None:
    if me is None:
        raise SkipHandler()  # not staff: an ordinary message for the resident side
    await submit_answer(message, replied_q, me, db, state, clock(), data.get("notifier"))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(cmd_cancel, Command("cancel"), StateFilter(StaffV1))
    # A reply to a question's message answers it, whatever is pending.
    router.message.register(on_reply, F.text, ~F.text.startswith("/"), replied_question)
    router.message.register(on_pending_text, StateFilter(StaffV1), F.text, ~F.text.startswith("/"))
    router.message.register(on_pending_other, StateFilter(StaffV1), ~F.text)
    return router
