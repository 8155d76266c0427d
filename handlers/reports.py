"""Figures and exports for ward staff on Telegram:

    /stats [ID]                     the live figures of the open session (or session ID)
    /export [ID] [named]            the conference files of a session, as documents
    /export dd/mm/yyyy dd/mm/yyyy   the same for what was submitted between two days

Without an ID both offer the latest sessions as buttons. Who may do what is the services'
(leaders, admins and the Front read figures; admins and leaders export; only admins add the
contacts of named questions, and every export is audited). The files are written in a worker
thread on a connection of their own, so residents' conversations go on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.exports.bundle import authorize, run_export
from bot.exports.choice import Usage, chosen_session, parse_export, recent_sessions
from bot.exports.stats_text import stats_message
from bot.exports.summary import collect
from bot.i18n import _, current_locale
from bot.services import staff
from bot.services.figures import Scope
from bot.services.staff import Permission, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from handlers.staff.permissions import can, staff_router
from models import DialogueSession

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 50 * 1024 * 1024  # what a bot may upload to Telegram


class StatsCb(CallbackData, prefix="st"):
    s: int  # session id


class ExportCb(CallbackData, prefix="ex"):
    s: int  # session id
    n: int = 0  # 1: with the contacts of named questions


def session_buttons(sessions: list[DialogueSession], make: Callable[[int], CallbackData]):
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=f"#{s.id} · {s.title}"[:60], callback_data=make(s.id).pack()
                )
            ]
            for s in sessions
        ]
    )


async def stats_reply(
    db: AsyncSession, survey: Survey, settings: Settings, session: DialogueSession, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    summary = await collect(
        db,
        survey,
        Scope(session_id=session.id),
        now=now,
        neutral_counts_as_satisfied=settings.neutral_satisfied,
    )
    text = stats_message(summary, survey, locale=current_locale(), zone=settings.zone)
    others = [s for s in await recent_sessions(db) if s.id != session.id]
    return text, session_buttons(others, lambda i: StatsCb(s=i))


async def cmd_stats(
    message: Message,
    command: CommandObject,
    db: AsyncSession,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    try:
        session = await chosen_session(db, command.args)
    except Usage as refusal:
        await message.answer(str(refusal))
        return
    if session is None:
        await message.answer(_("There is no dialogue session yet."))
        return
    text, markup = await stats_reply(db, survey, settings, session, now)
    await message.answer(text, reply_markup=markup)


async def on_stats(
    callback: CallbackQuery,
    callback_data: StatsCb,
    db: AsyncSession,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    session = await db.get(DialogueSession, callback_data.s)
    await callback.answer()
    if session is None:
        await callback.message.answer(_("This session was not found."))
        return
    text, markup = await stats_reply(db, survey, settings, session, now)
    await callback.message.answer(text, reply_markup=markup)


async def cmd_export(
    message: Message,
    command: CommandObject,
    me: StaffRef | None,
    db: AsyncSession,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    actor = me or message.from_user.id
    try:
        scope, named = parse_export(command.args, settings.zone)
        if scope is None:
            await staff.require(db, actor, Permission.EXPORT, now=now, action="export")
            sessions = await recent_sessions(db)
            if not sessions:
                await message.answer(_("There is no dialogue session yet."))
                return
            await message.answer(
                _("Which session should be exported?"),
                reply_markup=session_buttons(sessions, lambda i: ExportCb(s=i, n=int(named))),
            )
            return
        if scope.session_id is not None and await db.get(DialogueSession, scope.session_id) is None:
            raise Usage(_("This session was not found."))
        await authorize(db, actor, scope, named=named, now=now)
    except Usage as refusal:
        await message.answer(str(refusal))
        return
    await send_export(message, survey, settings, scope, named=named, now=now)


async def on_export(
    callback: CallbackQuery,
    callback_data: ExportCb,
    me: StaffRef | None,
    db: AsyncSession,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    scope = Scope(session_id=callback_data.s)
    named = bool(callback_data.n)
    try:
        if await db.get(DialogueSession, scope.session_id) is None:
            raise Usage(_("This session was not found."))
        await authorize(db, me or callback.from_user.id, scope, named=named, now=now)
    except Usage as refusal:
        await callback.answer(str(refusal)[:200], show_alert=True)
        return
    await callback.answer()  # commits the audit entry first, as every Bot API request does
    await send_export(callback.message, survey, settings, scope, named=named, now=now)


async def send_export(
    message: Message,
    survey: Survey,
    settings: Settings,
    scope: Scope,
    *,
    named: bool,
    now: datetime,
) -> None:
    """Writes the files in a worker thread, then sends them as documents, the report first."""
    await message.answer(_("⏳ Preparing the files…"))
    locale = current_locale()
    with tempfile.TemporaryDirectory(prefix="doithoai-export-") as directory:
        result = await asyncio.to_thread(
            run_export,
            settings,
            survey,
            scope,
            Path(directory),
            now=now,
            named=named,
            locale=locale,
        )
        sent = 0
        for path in result.files:
            if path.stat().st_size > UPLOAD_LIMIT:
                await message.answer(
                    _(
                        "{name} is larger than Telegram accepts from a bot (50 MB): please "
                        "export on the server with python -m bot export."
                    ).format(name=path.name)
                )
                continue
            try:
                await message.answer_document(FSInputFile(path, filename=path.name))
            except TelegramAPIError as exc:
                log.warning("Export file not sent: %s", type(exc).__name__)
                continue
            sent += 1
    summary = result.summary
    await message.answer(
        _("✅ {files} files sent: {responses} survey responses, {questions} questions.").format(
            files=sent, responses=summary.total_responses, questions=summary.total_questions
        )
        + ("\n" + _("🔐 Contains names and phone numbers: keep it safe.") if named else "")
    )


def create_router() -> Router:
    # /export is checked by `authorize`, which audits the session or period asked for.
    router = staff_router(__name__)
    stats = can(Permission.VIEW_STATS)
    router.message.register(cmd_stats, Command("stats"), flags=stats)
    router.message.register(cmd_export, Command("export"))
    router.callback_query.register(on_stats, StatsCb.filter(), flags=stats)
    router.callback_query.register(on_export, ExportCb.filter())
    return router
