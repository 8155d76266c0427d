"""Errors turned into something a resident can act on."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import _
from bot.settings import Settings
from handlers.common import open_home
from handlers.middlewares import load_resident


async def on_stale_button(
    event: ErrorEvent,
    dialog_manager: DialogManager,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """A tap on a message from a dialog that no longer exists (after a restart, or an old
    message): say so briefly and show where the resident can go on."""
    callback = event.update.callback_query
    if callback is not None:
        await callback.answer(_("This button is out of date. Here is where you can continue."))
    # The update's own transaction was rolled back with the error: work in a fresh one.
    async with sessionmaker() as db, db.begin():
        data = dialog_manager.middleware_data
        data["db"] = db
        await load_resident(db, data, settings.default_locale)
        await open_home(dialog_manager, show_mode=ShowMode.SEND)


def register(dp: Dispatcher) -> None:
    # Raised by aiogram-dialog's middlewares on the dispatcher itself, so only the
    # dispatcher's error observer sees them.
    dp.errors.register(
        on_stale_button, ExceptionTypeFilter(UnknownIntent, UnknownState, OutdatedIntent)
    )
