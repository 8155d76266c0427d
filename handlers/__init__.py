"""Telegram: aiogram routers and aiogram-dialog dialogs, residents' and staff's."""

from aiogram import Dispatcher, Router
from aiogram_dialog import Dialog

from handlers import (
    answer_rating,
    broadcasts,
    consent,
    delegates,
    errors,
    fallback,
    hall,
    menu,
    mydata,
    paper,
    question,
    reminders,
    reports,
    sessions,
    staff,
    start,
    survey,
)


def feature_routers() -> list[Router]:
    """Every router and dialog of the bot, in no particular order."""
    return [
        sessions.create_router(),
        broadcasts.create_router(),
        reminders.create_router(),
        mydata.create_router(),
        start.create_router(),
        answer_rating.create_router(),
        hall.create_router(),
        delegates.create_router(),
        staff.create_router(),
        paper.create_router(),
        reports.create_router(),
        broadcasts.create_dialog(),
        consent.create_dialog(),
        menu.create_dialog(),
        survey.create_dialog(),
        mydata.create_dialog(),
        *question.create_dialogs(),
        sessions.create_dialog(),
    ]


def include_routers(dp: Dispatcher) -> None:
    # The routers may come in any order. Commands and typed buttons come first: an open dialog
    # reads any message as its input, so a command or a staff member's answer must be tried
    # before it. Between routers of one kind, order does not matter: commands and button types
    # are each handled by one router (checked here), a dialog takes only
    # its own buttons, and each dialog only the updates of its open screen. The fallback takes
    # what is left, so it comes last.
    routers = feature_routers()
    known = fallback.button_types(routers)
    fallback.command_owners(routers)  # raises if two routers take one command
    dialogs = [fallback.dialog_buttons_only(r) for r in routers if isinstance(r, Dialog)]
    others = [r for r in routers if not isinstance(r, Dialog)]
    dp.include_routers(*others, *dialogs, fallback.create_router(known))
    errors.register(dp)
