"""Errors turned into something a resident can act on."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import _
from bot.settings import Settings
from handlers.common import open_home
from handlers.middlewares import load_resident

log = logging.getLogger(__name__)


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


async def on_unexpected(event: ErrorEvent) -> None:
    """Any other failure: the update's changes were rolled back; tell the resident so, briefly,
    instead of leaving them waiting. Logged by type only: no message text, no personal data."""
    log.error(
        "Update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    apology = _("Sorry, something went wrong and nothing was saved. Please try again.")
    callback = event.update.callback_query
    message = event.update.message
    with contextlib.suppress(TelegramAPIError):
        if callback is not None:
            await callback.answer(apology, show_alert=True)
        elif message is not None:
            await message.answer(apology)


def register(dp: Dispatcher) -> None:
    # Raised by aiogram-dialog's middlewares on the dispatcher itself, so only the
    # dispatcher's error observer sees them.
    dp.errors.register(
        on_stale_button, ExceptionTypeFilter(UnknownIntent, UnknownState, OutdatedIntent)
    )
    dp.errors.register(on_unexpected)  # after the specific ones: the first match handles
