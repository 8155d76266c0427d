"""A second baseline: the smallest aiogram-dialog bot, one window with a six-option Select
that re-renders on every tap, with in-memory storage and no database. It shows what the
dialog library alone costs per tap on this machine, so the survey app's figures can be read
against both a bare echo bot and a bare dialog."""

from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.filters import CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.kbd import Column, Select
from aiogram_dialog.widgets.text import Format

OPTIONS = [{"id": str(score), "label": f"Option {score}"} for score in range(1, 7)]


class BareV1(StatesGroup):
    question = State()


async def options_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"options": OPTIONS, "chosen": dialog_manager.dialog_data.get("chosen", "-")}


async def on_option(_cb: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    manager.dialog_data["chosen"] = item


async def start(_message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(BareV1.question, mode=StartMode.RESET_STACK)


def bare_dispatcher() -> Dispatcher:
    router = Router(name="bare")
    router.message.register(start, CommandStart())
    dialog = Dialog(
        Window(
            Format("Question · chosen {chosen}"),
            Column(
                Select(
                    Format("{item[label]}"),
                    id="o",
                    item_id_getter=itemgetter("id"),
                    items="options",
                    on_click=on_option,
                )
            ),
            state=BareV1.question,
            getter=options_getter,
        )
    )
    dp = Dispatcher()
    dp.include_routers(router, dialog)
    setup_dialogs(dp)
    return dp


async def tap_chat(user: Any, count: int) -> None:
    """/start once, then taps cycling through the options: `count` updates in all."""
    await user.send("/start", "start")
    for index in range(count - 1):
        await user.tap(f"o:{OPTIONS[index % len(OPTIONS)]['id']}", "option")


def jobs_for(make_user: Any, updates_per_user: list[int]) -> list[Any]:
    return [
        partial(tap_chat, make_user(index), count)
        for index, count in enumerate(updates_per_user)
        if count > 0
    ]
