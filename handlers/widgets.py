"""Small widgets shared by the dialogs."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.kbd import Column, Select
from aiogram_dialog.widgets.text import Format, Text

from bot.i18n import gettext


class Tr(Text):
    """A gettext message in the resident's language, with `{names}` filled from the window's
    data. Getters escape what they put in data, since messages are sent as HTML."""

    def __init__(self, msgid: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        text = gettext(self.msgid)
        return text.format_map(data) if "{" in text else text


def choice_list(widget_id: str, items: str, on_click: Any) -> Column:
    """One button per row for a list of {id, label} items from the getter: the shape of every
    list residents choose from (fields, procedures, answers, consents)."""
    return Column(
        Select(
            Format("{item[label]}"),
            id=widget_id,
            item_id_getter=itemgetter("id"),
            items=items,
            on_click=on_click,
        )
    )
