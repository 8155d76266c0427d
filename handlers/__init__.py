"""Telegram: aiogram routers and aiogram-dialog dialogs for residents."""

from aiogram import Dispatcher

from handlers import (
    broadcasts,
    consent,
    errors,
    fallback,
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


def include_routers(dp: Dispatcher) -> None:
    # Commands first (residents', then staff's: a staff router cannot shadow /start), then the
    # dialogs; the catch-all fallback must stay last, or it would swallow updates meant for the
    # dialogs. /sessions (admins) comes before the residents' commands, which once read it as
    # an alias of /lich; it handles nothing else. /broadcast's router comes first too: the
    # residents' router would take its typed buttons for foreign ones. The announcement wizard
    # comes before /paper, which reads any document an admin sends as paper forms. The buttons
    # under reminders and drafted-session notices (handlers.reminders) come before the residents'
    # router for the same reason, and so does the button under "all your data deleted", which no
    # dialog owns any more.
    dp.include_routers(
        sessions.create_router(),
        broadcasts.create_router(),
        reminders.create_router(),
        mydata.create_router(),
        start.create_router(),
        staff.create_router(),
        broadcasts.create_dialog(),
        paper.create_router(),
        reports.create_router(),
        consent.create_dialog(),
        menu.create_dialog(),
        survey.create_dialog(),
        mydata.create_dialog(),
        *question.create_dialogs(),
        sessions.create_dialog(),
        fallback.create_router(),
    )
    errors.register(dp)
