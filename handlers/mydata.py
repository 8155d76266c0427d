"""/dulieu: see what is stored, give or withdraw each consent, delete everything at once."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import data as journey_data
from bot.services import data_rights
from bot.services.consent import PURPOSES, Purpose
from bot.storage import forget_user
from bot.texts import consent_action, data_report
from handlers.common import CHANNEL, deps, open_home, to_menu
from handlers.fallback import wrong_input
from handlers.middlewares import AFTER_UPDATE
from handlers.states import DataV1
from handlers.widgets import Tr, choice_list
from scheduler.digests import refresh_exports

# The button under "all deleted": plain callback data, since no dialog is left to own it.
START_AGAIN = "erased:start"


async def overview_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    if d.resident is None:
        return {"stored": False, "report": "", "purposes": []}
    data = await data_rights.stored_data(d.db, d.resident)
    purposes = [{"id": p.value, "label": consent_action(data, p)} for p in PURPOSES]
    report = "\n".join(data_report(data, d.settings, markup=True))
    return {"stored": True, "report": report, "purposes": purposes}


async def on_toggle(_cb: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    d = deps(manager)
    if d.resident is None or item not in Purpose.__members__.values():
        return
    await journey_consent.toggle(
        d.db, d.resident.id, Purpose(item), channel=CHANNEL, settings=d.settings, now=d.now
    )


async def on_delete(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    """Erase, then, once that is committed, the chat's conversation state (dialogs, a question
    being written) and the resident's rows in the day-before files: nothing is left."""
    d = deps(manager)
    data = manager.middleware_data
    after = data[AFTER_UPDATE]
    if d.resident is not None:
        erased_sessions = await journey_data.erase(d.db, d.resident.id, d.settings)
        after.append(
            partial(
                refresh_exports,
                data["sessionmaker"],
                d.settings,
                d.survey,
                data["export_dir"],
                erased_sessions,
            )
        )
    await manager.reset_stack()
    after.append(partial(forget_user, data["fsm_storage"], callback.from_user.id))
    again = InlineKeyboardButton(text=_("Start again"), callback_data=START_AGAIN)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("All your data has been deleted. Thank you for taking part."),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[again]]),
        )


async def on_start_again(_callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await open_home(dialog_manager)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_start_again, F.data == START_AGAIN)
    return router


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{report}", when="stored"),
            Tr("The ward's bot stores nothing about you.", when=~F["stored"]),
            choice_list("c", "purposes", on_toggle),
            SwitchTo(
                Tr("🗑 Delete all my data"), id="del", state=DataV1.confirm_delete, when="stored"
            ),
            Button(Tr("🏠 Main menu"), id="menu", on_click=to_menu),
            wrong_input(),
            state=DataV1.overview,
            getter=overview_getter,
        ),
        Window(
            Tr(
                "Delete everything the ward's bot stores about you: your chat account, consents, "
                "all your survey answers and your questions? This cannot be undone."
            ),
            Button(Tr("🗑 Yes, delete everything"), id="yes", on_click=on_delete),
            SwitchTo(Tr("No, keep my data"), id="no", state=DataV1.overview),
            wrong_input(),
            state=DataV1.confirm_delete,
        ),
    )
