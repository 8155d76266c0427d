"""Telegram: aiogram routers and aiogram-dialog dialogs for residents."""

from aiogram import Dispatcher

from handlers import consent, errors, fallback, menu, mydata, question, staff, start, survey


def include_routers(dp: Dispatcher) -> None:
    # Commands first (residents', then staff's: a staff router cannot shadow /start), then the
    # dialogs; the catch-all fallback must stay last, or it would swallow updates meant for the
    # dialogs.
    dp.include_routers(
        start.create_router(),
        staff.create_router(),
        consent.create_dialog(),
        menu.create_dialog(),
        survey.create_dialog(),
        mydata.create_dialog(),
        *question.create_dialogs(),
        fallback.create_router(),
    )
    errors.register(dp)
