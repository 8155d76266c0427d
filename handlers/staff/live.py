"""The conference's live switch on Telegram (admins, as in the web console):

    /live NUMBER on|off

NUMBER is the session's number (as /stats and /export take it). The switch is
bot.services.conference.set_live: a refusal is the gate's, audited; a session that does not
exist is said so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import esc
from bot.services import conference
from bot.services.conference import ConferenceError
from bot.services.staff import Permission, StaffRef
from handlers.staff.permissions import can, staff_router

SWITCH = {"on": True, "off": False, "bat": True, "tat": False, "bật": True, "tắt": False}


def live_usage() -> str:
    return _("/live number on|off: switch the conference of session number live, or end it.")


async def cmd_live(
    message: Message,
    command: CommandObject,
    me: StaffRef,
    db: AsyncSession,
    clock: Callable[[], datetime],
) -> None:
    tokens = (command.args or "").split()
    if len(tokens) != 2 or not tokens[0].isdigit() or len(tokens[0]) > 9:
        await message.answer(esc(live_usage()))
        return
    on = SWITCH.get(tokens[1].lower())
    if on is None:
        await message.answer(esc(live_usage()))
        return
    try:
        state = await conference.set_live(db, me, int(tokens[0]), on, now=clock())
    except ConferenceError as problem:
        await message.answer(esc(problem))
        return
    await db.commit()
    if state.live:
        text = _("🔴 The conference of session {number} is live.")
    else:
        text = _("The conference of session {number} is no longer live.")
    await message.answer(text.format(number=state.session_id))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(
        cmd_live, Command("live"), flags=can(Permission.LIVE_SWITCH, "conference_live")
    )
    return router
