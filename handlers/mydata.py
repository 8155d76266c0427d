"""/dulieu: see what is stored, give or withdraw each consent, delete everything at once."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.services import consent, data_rights
from bot.services.consent import PURPOSES, Purpose
from bot.texts import consent_action, data_report
from handlers.common import deps, open_home, record_consent, to_menu
from handlers.fallback import wrong_input
from handlers.middlewares import remember_resident
from handlers.states import DataV1
from handlers.widgets import Tr, choice_list


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
    purpose = Purpose(item)
    decisions = await consent.decisions(d.db, d.resident.id)
    await record_consent(d, purpose, not consent.granted(decisions, purpose))


async def on_delete(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    if d.resident is not None:
        await data_rights.erase_everything(d.db, d.resident.id)
        await remember_resident(manager.middleware_data, None)
    await manager.switch_to(DataV1.deleted)


async def on_restart(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await open_home(manager)


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
        Window(
            Tr("All your data has been deleted. Thank you for taking part."),
            Button(Tr("Start again"), id="again", on_click=on_restart),
            wrong_input(),
            state=DataV1.deleted,
        ),
    )
