"""What nobody else handled: typed text or media where buttons are expected, buttons from
forged or unknown data, messages with no dialog open. Each gets a polite hint, never an error.

It also keeps the order of the routers from mattering. Every typed button (aiogram
`CallbackData`) has its prefix: `button_types` finds which router handles each, and
`command_owners` which router handles each command; two routers claiming one prefix or one
command are refused at start, since then the first included would win.
A dialog takes only its own buttons, which carry its intent id (`dialog_buttons_only`): no
typed button, forged data or leftover of another bot version reaches the open screen. What no
router took, a known type (e.g. malformed data) or an unknown one, ends here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode
from aiogram_dialog.utils import CB_SEP
from aiogram_dialog.widgets.input import MessageInput

from bot.i18n import _
from handlers.common import open_home

log = logging.getLogger(__name__)


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


def _routers(routers: Iterable[Router]) -> Iterable[Router]:
    for router in routers:
        yield router
        yield from _routers(router.sub_routers)


def button_types(routers: Iterable[Router]) -> dict[str, str]:
    """The prefix of every typed button the routers handle, with the router handling it."""
    owners: dict[str, str] = {}
    for router in _routers(routers):
        for handler in router.callback_query.handlers:
            for check in handler.filters or ():
                if not isinstance(check.callback, CallbackQueryFilter):
                    continue
                prefix = check.callback.callback_data.__prefix__
                if owners.setdefault(prefix, router.name) != router.name:
                    raise ValueError(
                        f"Buttons {prefix!r} are handled by {owners[prefix]} and {router.name}"
                    )
    return owners


def command_owners(routers: Iterable[Router]) -> dict[str, str]:
    """Every command the routers handle, with the router handling it."""
    owners: dict[str, str] = {}
    for router in _routers(routers):
        for handler in router.message.handlers:
            for check in handler.filters or ():
                if not isinstance(check.callback, Command):
                    continue
                for command in check.callback.commands:
                    name = command if isinstance(command, str) else str(command)
                    if owners.setdefault(name, router.name) != router.name:
                        raise ValueError(f"/{name} is handled by {owners[name]} and {router.name}")
    return owners


def from_a_dialog(callback: CallbackQuery) -> bool:
    return CB_SEP in (callback.data or "")


def dialog_buttons_only(dialog: Dialog) -> Dialog:
    """Without this, the open dialog would take any button, its own or not."""
    dialog.callback_query.filter(from_a_dialog)
    return dialog


async def no_dialog_message(message: Message, dialog_manager: DialogManager) -> None:
    await message.answer(_("Hello! Here is where you can continue."))
    await open_home(dialog_manager)


async def unknown_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await callback.answer(_("This button is no longer valid. Here is the menu again."))
    await open_home(dialog_manager)


def create_router(known: Iterable[str] = ()) -> Router:
    """Included last. `known`: the typed buttons' prefixes, to tell a malformed or unhandled
    button of ours from foreign data in the log."""
    known = frozenset(known)

    async def on_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
        prefix = (callback.data or "").split(":", 1)[0]
        if prefix in known:
            log.warning("A %r button no handler took", prefix)
        else:
            log.info("A button with foreign data")
        await unknown_button(callback, dialog_manager)

    router = Router(name=__name__)
    router.message.register(no_dialog_message)
    router.callback_query.register(on_button, F.data)
    return router
