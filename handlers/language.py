"""Switching between Vietnamese and English from any screen that offers it."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Button

from bot import i18n
from bot.services import residents
from bot.services.residents import ResidentRef
from handlers.common import deps
from handlers.middlewares import LOCALE_KEY, remember_resident
from handlers.widgets import Tr


async def switch_language(
    _callback: CallbackQuery, _button: Button, manager: DialogManager
) -> None:
    d = deps(manager)
    new_locale = "en" if d.locale == "vi" else "vi"
    if d.resident is not None:
        await residents.set_locale(d.db, d.resident.id, new_locale)
        await remember_resident(manager.middleware_data, ResidentRef(d.resident.id, new_locale))
    else:
        # Nobody is stored before consent: keep the choice in the conversation state only.
        state = manager.middleware_data["state"]
        await state.update_data({LOCALE_KEY: new_locale})
    manager.middleware_data["locale"] = new_locale
    i18n.set_locale(new_locale)


def language_button() -> Button:
    # The label names the language it switches to: "English" in Vietnamese, and vice versa.
    return Button(Tr("🌐 Switch to the other language"), id="lang", on_click=switch_language)
