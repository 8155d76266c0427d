"""Every screen of the text conversation by the name kept in the conversation state: what it
shows, and what a reply on it does. A screen missing here cannot be reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.conversation.parsing import Keyword
from bot.conversation.screens import ask, consent, data, home, mine, survey

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn

Show = Callable[["TextConversation", "Turn"], Awaitable[str]]
Reply = Callable[["TextConversation", "Turn", str, Keyword | None], Awaitable[None]]


@dataclass(frozen=True)
class Screen:
    show: Show
    # None: a reply there lands the resident as a first message would (consent, draft, menu).
    on_reply: Reply | None = None


SCREENS: dict[str, Screen] = {
    # the notice and consent (handlers/consent.py)
    "notice": Screen(consent.show_notice, consent.on_notice),
    "consent:reminders": Screen(consent.show_reminders, consent.on_reminders),
    "consent:contact": Screen(consent.show_contact, consent.on_contact),
    "declined": Screen(consent.show_declined, consent.on_declined),
    # the menu and the sessions (handlers/menu.py)
    "menu": Screen(home.show_menu, home.on_menu),
    "sessions": Screen(home.show_sessions, home.on_sessions),
    "reminder": Screen(home.show_reminder, home.on_reminder),
    # rating a field (handlers/survey.py)
    "field": Screen(survey.show_field, survey.on_field),
    "replace": Screen(survey.show_replace, survey.on_replace),
    "procedure": Screen(survey.show_procedure, survey.on_procedure),
    "question": Screen(survey.show_question, survey.on_question),
    "contact": Screen(survey.show_contact, survey.on_contact),
    "review": Screen(survey.show_review, survey.on_review),
    "done": Screen(survey.show_done, survey.on_done),
    # a question or recommendation (handlers/question.py)
    "ask:field": Screen(ask.show_field, ask.on_field),
    "ask:text": Screen(ask.show_text, ask.on_text),
    "ask:redirect": Screen(ask.show_redirect, ask.on_redirect),
    "ask:clarify": Screen(ask.show_clarify, ask.on_clarify),
    "ask:attachments": Screen(ask.show_attachments, ask.on_attachments),
    "ask:identity": Screen(ask.show_identity, ask.on_identity),
    "ask:contact": Screen(ask.show_contact, ask.on_contact),
    "ask:name": Screen(ask.show_name, ask.on_name),
    "ask:phone": Screen(ask.show_phone, ask.on_phone),
    "ask:review": Screen(ask.show_review, ask.on_review),
    "ask:sent": Screen(ask.show_sent, ask.on_sent),
    # my questions (handlers/question.py)
    "mine": Screen(mine.show_list, mine.on_list),
    "mine:detail": Screen(mine.show_detail, mine.on_detail),
    # /dulieu (handlers/mydata.py)
    "data": Screen(data.show_overview, data.on_overview),
    "data:delete": Screen(data.show_delete, data.on_delete),
    "deleted": Screen(data.show_deleted),
}
