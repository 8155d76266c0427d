"""Commands a resident can type at any time."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from bot.services import staff
from bot.settings import Settings
from bot.survey.definition import Survey
from handlers import hall
from handlers import staff as staff_handlers
from handlers.common import open_home
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


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(hall.cmd_start_hall, hall.deep_link_filter())  # the hall's poster
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_my_data, Command("dulieu", "data"))
    router.message.register(cmd_sessions, Command("lich"))
    router.message.register(cmd_help, Command("help", "giupdo"))
    return router
