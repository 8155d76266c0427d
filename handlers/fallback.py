"""What nobody else handled: typed text or media where buttons are expected, buttons from
forged or unknown data, messages with no dialog open. Each gets a polite hint, never an error."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from bot.i18n import _
from handlers.common import open_home


def hint_for(message: Message) -> str:
    if message.text:
        return _("Please use the buttons under the message to answer.")
    return _("I can only read the buttons here. Please tap one of them.")


async def on_wrong_input(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    await message.answer(hint_for(message))
    # Show the screen again below the hint, so the buttons are at hand.
    manager.show_mode = ShowMode.SEND


def wrong_input() -> MessageInput:
    return MessageInput(on_wrong_input)


async def no_dialog_message(message: Message, dialog_manager: DialogManager) -> None:
    await message.answer(_("Hello! Here is where you can continue."))
    await open_home(dialog_manager)


async def unknown_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await callback.answer(_("This button is no longer valid. Here is the menu again."))
    await open_home(dialog_manager)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(no_dialog_message)
    router.callback_query.register(unknown_button, F.data)
    return router
