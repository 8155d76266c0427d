"""Update-level middlewares: one database transaction per update, and the resident with their
language loaded once, for every update type (dialog background updates included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import i18n
from bot.services import residents

CHANNEL = "telegram"
LOCALE_KEY = "locale"  # FSM data: the language chosen by someone not yet stored as a resident

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as db, db.begin():  # commit on success, roll back on error
            data["db"] = db
            return await handler(event, data)


async def load_resident(db: AsyncSession, data: dict[str, Any], default_locale: str) -> None:
    """Put `resident` (or None) and `locale` into the handler data and make that locale
    current for this task. Also used by error handlers, which run outside the transaction."""
    user: User | None = data.get("event_from_user")
    resident = await residents.find(db, CHANNEL, str(user.id)) if user else None
    if resident is not None:
        locale = resident.locale
    else:
        state: FSMContext | None = data.get("state")
        chosen = (await state.get_data()).get(LOCALE_KEY) if state else None
        language_code = user.language_code if user else None
        locale = chosen or i18n.normalise_locale(language_code, default_locale)
    data["resident"] = resident
    data["locale"] = locale
    i18n.set_locale(locale)


class ResidentMiddleware(BaseMiddleware):
    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        await load_resident(data["db"], data, self.default_locale)
        return await handler(event, data)
