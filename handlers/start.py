"""Commands a resident can type at any time."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.utils import CB_SEP as DIALOG_SEPARATOR
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from bot.services import staff
from bot.settings import Settings
from bot.survey.definition import Survey
from handlers import reports
from handlers import staff as staff_handlers
from handlers.common import open_home
from handlers.fallback import unknown_button
from handlers.states import DataV1, MenuV1


async def cmd_start(_message: Message, dialog_manager: DialogManager) -> None:
    await open_home(dialog_manager)


async def cmd_menu(_message: Message, dialog_manager: DialogManager) -> None:
    await open_home(dialog_manager, resume=False)


async def cmd_my_data(_message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(DataV1.overview, mode=StartMode.RESET_STACK)


async def cmd_sessions(_message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MenuV1.sessions, mode=StartMode.RESET_STACK)


async def cmd_help(message: Message, db: AsyncSession, settings: Settings, survey: Survey) -> None:
    text = _(
        "This bot collects your rating of the ward's administrative procedures and your "
        "opinions for the dialogue conference.\n\n"
        "/start: begin or continue\n/menu: main menu\n/lich: upcoming dialogue sessions\n"
        "/dulieu: your data and consents\n/help: this help\n\n"
        "Complaints and denunciations are not handled here: please go to the ward's citizen "
        "reception."
    )
    me = await staff.find(db, message.from_user.id) if message.from_user else None
    if me is not None:  # staff read their part in the ward's language, as their screens
        with use_locale(settings.default_locale):
            text += "\n\n" + staff_handlers.staff_help(me, survey)
    await message.answer(text)


def foreign_button(callback: CallbackQuery) -> bool:
    """Data neither from a dialog (intent id + separator) nor from the staff tools' typed
    buttons: forged, or from another bot version."""
    data = callback.data or ""
    return DIALOG_SEPARATOR not in data and not staff_handlers.owns(data) and not reports.owns(data)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_my_data, Command("dulieu", "data"))
    router.message.register(cmd_sessions, Command("lich"))
    router.message.register(cmd_help, Command("help", "giupdo"))
    # Dialog buttons carry an intent id before a separator, and the staff router's buttons a
    # prefix of their own; other data was never sent by this bot (forged, or from another bot
    # version) and must not reach the open dialog.
    router.callback_query.register(unknown_button, foreign_button)
    return router
