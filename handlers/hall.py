"""The conference hall on Telegram (issue 15): the poster's deep link `/start hall_<session>`
opens the question form bound to that session (the question then goes into its live queue,
tagged "from the hall": bot/services/drafts.py), and `/hall` lists the live queue with a
"👍 Support" button under each question (one support per resident and question)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey.steps import Step
from bot.services import conference, residents
from bot.services.residents import ResidentRef
from bot.texts import clipped
from handlers.common import CHANNEL, esc
from handlers.question import DRAFT_KEY
from handlers.states import STATE_OF

HALL_LINK = re.compile(r"^hall_(\d{1,9})$")
LISTED = 10  # questions with a button under /hall


class SupportCb(CallbackData, prefix="hs"):
    """A resident's support of a question in the live queue: q = question id."""

    q: int


async def cmd_start_hall(
    message: Message,
    command: CommandObject,
    dialog_manager: DialogManager,
    db: AsyncSession,
    resident: ResidentRef | None,
) -> None:
    """The poster's link: the question form, bound to the session while it is live (consent
    first for someone new; the binding waits in the draft)."""
    session_id = int(HALL_LINK.match(command.args or "").group(1))  # type: ignore[union-attr]
    live = await conference.live_state(db, session_id)
    state = dialog_manager.middleware_data["state"]
    draft = dict((await state.get_data()).get(DRAFT_KEY) or {})
    if live is None or not live.live:
        draft.pop("hall", None)
        await message.answer(
            _(
                "The conference is not live now. You can still send your question: it goes "
                "to the ward office as usual."
            )
        )
    else:
        draft["hall"] = session_id
        await message.answer(
            _(
                "Welcome to the dialogue conference! Your question goes into the hall's "
                "queue. Type /hall to see the questions and support them."
            )
        )
    await state.update_data({DRAFT_KEY: draft})
    step = await journey_consent.menu_entry(db, resident.id if resident else None, Step.ASK_FIELD)
    await dialog_manager.start(STATE_OF[step], mode=StartMode.RESET_STACK)


def queue_text(board: conference.Board) -> str:
    lines = [_("<b>Questions in the hall</b>")]
    if board.current is not None:
        lines.append(
            _("Now answering: <b>{code}</b> {text}").format(
                code=board.current.code, text=esc(clipped(board.current.text, 200))
            )
        )
    for item in board.waiting[:LISTED]:
        lines.append(f"<b>{item.code}</b> · 👍 {item.supporters}\n{esc(clipped(item.text, 200))}")
    if not board.waiting:
        lines.append(_("No question is waiting."))
    else:
        lines.append(_("Tap 👍 under a question you want answered too."))
    return "\n\n".join(lines)


def queue_keyboard(board: conference.Board) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(
                text=_("👍 Support {code}").format(code=item.code),
                callback_data=SupportCb(q=item.question_id).pack(),
            )
        ]
        for item in board.waiting[:LISTED]
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def cmd_hall(message: Message, db: AsyncSession) -> None:
    session_id = await conference.live_session_id(db)
    if session_id is None:
        await message.answer(_("No conference is live now."))
        return
    board = await conference.board(db, session_id, limit=LISTED)
    await message.answer(queue_text(board), reply_markup=queue_keyboard(board))


async def on_support(
    callback: CallbackQuery,
    callback_data: SupportCb,
    resident: ResidentRef | None,
    db: AsyncSession,
    clock: Callable[[], datetime],
) -> None:
    if resident is None:
        await callback.answer(_("Please press /start first."), show_alert=True)
        return
    account = await residents.account_id(db, CHANNEL, str(callback.from_user.id))
    try:
        added = await conference.support(
            db, callback_data.q, resident_id=resident.id, account_id=account, now=clock()
        )
    except conference.ConferenceError as problem:
        await callback.answer(clipped(str(problem), 200), show_alert=True)
        return
    if added:
        await callback.answer(_("👍 Thank you: your support is counted."))
    else:
        await callback.answer(_("You have already supported this question."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_hall, Command("hall", "hoitruong"))
    router.callback_query.register(on_support, SupportCb.filter())
    return router


def deep_link_filter() -> CommandStart:
    """For handlers/start.py, which owns /start: only `hall_<number>` arguments."""
    return CommandStart(deep_link=True, magic=F.args.regexp(HALL_LINK.pattern))
