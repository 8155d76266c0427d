"""Update-level middlewares: one database session per update, and the resident with their
language known before any handler runs, for every update type (dialog background updates too).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.fsm.context import FSMContext
from aiogram.methods import TelegramMethod
from aiogram.types import Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import i18n
from bot.i18n import _
from bot.services import residents
from bot.services.questions import clean_text
from bot.services.residents import ResidentRef

log = logging.getLogger(__name__)

CHANNEL = "telegram"
LOCALE_KEY = "locale"  # FSM data: the language chosen by someone not yet stored as a resident
RESIDENT_KEY = "resident"  # FSM data: the resident's id and language, to skip a query per update
AFTER_UPDATE = "after_update"  # handler data: jobs to run once the update was committed

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_update_db: ContextVar[AsyncSession | None] = ContextVar("doithoai_update_db", default=None)


class DbSessionMiddleware(BaseMiddleware):
    """One session per update; what it changed is committed when the update ends, or earlier,
    just before the bot talks to Telegram (see `commit_before_request`)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as db:  # closing rolls back whatever was not committed
            token = _update_db.set(db)
            try:
                data["db"] = db
                result = await handler(event, data)
                await db.commit()
                return result
            finally:
                _update_db.reset(token)


class AfterUpdateMiddleware(BaseMiddleware):
    """Runs the jobs handlers queued in `data[AFTER_UPDATE]` once the update ended well: after
    its transaction was committed and the dialogs saved their state (e.g. forgetting an erased
    resident's conversation state, which the dialogs would otherwise save again). Registered
    outside the session middleware."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        jobs: list[Callable[[], Awaitable[Any]]] = []
        data[AFTER_UPDATE] = jobs
        result = await handler(event, data)
        for job in jobs:
            try:
                await job()
            except Exception as exc:  # what was committed stays; the resident had the reply
                log.warning("After-update job failed: %s", type(exc).__name__)
        return result


async def commit_before_request(
    make_request: Callable[[Bot, TelegramMethod[Any]], Awaitable[Any]],
    bot: Bot,
    method: TelegramMethod[Any],
) -> Any:
    """A Bot API session middleware. Committing before each request means no database
    connection waits on the network (SQLite has one writer), and what the resident is shown
    next is already stored."""
    db = _update_db.get()
    if db is not None and db.in_transaction():
        await db.commit()
    return await make_request(bot, method)


# A reply Telegram refuses with 429 is sent again after the wait it asks for, this many times,
# if that wait is short; beyond that it is given up like any failed request.
REPLY_RETRIES = 3
MAX_REPLY_WAIT = 30  # seconds


async def retry_replies_after_429(
    make_request: Callable[[Bot, TelegramMethod[Any]], Awaitable[Any]],
    bot: Bot,
    method: TelegramMethod[Any],
) -> Any:
    """A Bot API session middleware, inside `commit_before_request` (nothing is held while it
    waits). Only requests made while an update is handled are retried: a resident who wrote
    must get the answer. The delivery engine's own sends are left alone: it pauses the whole
    channel on a 429 and retries from the outbox."""
    attempt = 0
    while True:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as refused:
            attempt += 1
            if (
                _update_db.get() is None
                or attempt > REPLY_RETRIES
                or refused.retry_after > MAX_REPLY_WAIT
            ):
                raise
            log.info("Telegram asked to wait %s s before a reply", refused.retry_after)
            await asyncio.sleep(refused.retry_after)


async def remember_resident(data: dict[str, Any], resident: ResidentRef | None) -> None:
    data["resident"] = resident
    state: FSMContext | None = data.get("state")
    if state is not None:
        cached = {"id": resident.id, "locale": resident.locale} if resident else None
        await state.update_data({RESIDENT_KEY: cached})


async def load_resident(db: AsyncSession, data: dict[str, Any], default_locale: str) -> None:
    """Put `resident` (or None) and `locale` into the handler data and make that locale
    current for this task. Also used by error handlers, which run outside the transaction."""
    user: User | None = data.get("event_from_user")
    state: FSMContext | None = data.get("state")
    stored = await state.get_data() if state else {}
    cached = stored.get(RESIDENT_KEY)
    if cached:
        resident: ResidentRef | None = ResidentRef(cached["id"], cached["locale"])
    else:
        resident = await residents.find(db, CHANNEL, str(user.id)) if user else None
        if resident is not None:
            await remember_resident(data, resident)
    if resident is not None:
        locale = resident.locale
    else:
        language_code = user.language_code if user else None
        locale = stored.get(LOCALE_KEY) or i18n.normalise_locale(language_code, default_locale)
    data["resident"] = resident
    data["locale"] = locale
    i18n.set_locale(locale)


class ResidentMiddleware(BaseMiddleware):
    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        await load_resident(data["db"], data, self.default_locale)
        return await handler(event, data)


async def refuse_invisible_text(
    handler: Handler, event: TelegramObject, data: dict[str, Any]
) -> Any:
    """A message of blanks and invisible characters only (zero-width spaces and joiners, byte-
    order marks, fillers) is no answer: ask again, whatever screen the resident is on. Checked
    before aiogram-dialog, which would read some of these characters as a tap on a keyboard."""
    if isinstance(event, Message) and event.text is not None and not clean_text(event.text):
        await event.answer(_("Please type your answer as a text message."))
        return None
    return await handler(event, data)
