"""Ward staff on Telegram, one module per job:

    permissions      the gate every staff router passes: `me`, the ward's language, refusals
    questions_list   /questions, page by page
    card             one question's card and its actions (assign, close, hide, …)
    answering        the answer (or hiding reason) as the next message, or a reply to a card
    commands         /staff, /staff_add, /staff_set, /staff_remove (admins)
    live             /live NUMBER on|off: the conference's live switch (admins)
    agenda           /agenda [NUMBER]: the questions an official is to answer at the conference
    help             the staff part of /help

Staff read these screens in the ward's language (DEFAULT_LOCALE). Authorisation is the
services' (bot.services.staff, bot.services.questions): buttons are shown only when allowed
and every action is checked again there. Plain aiogram handlers with typed callback data: each
button carries the question id, so staff screens survive a restart.
"""

from __future__ import annotations

from aiogram import Router

from handlers.staff import agenda, answering, card, commands, live, questions_list
from handlers.staff.common import field_label
from handlers.staff.help import staff_help


def create_router() -> Router:
    """Staff commands and buttons."""
    router = Router(name=__name__)
    router.include_routers(
        questions_list.create_router(),
        card.create_router(),
        commands.create_router(),
        live.create_router(),
        agenda.create_router(),
        answering.create_router(),
    )
    return router


__all__ = [
    "create_router",
    "field_label",
    "staff_help",
]
