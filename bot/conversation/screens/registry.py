"""Every screen of the text conversation by the name kept in the conversation state: what it
shows, and what a reply on it does. A screen missing here cannot be reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.conversation.parsing import Keyword
from bot.conversation.screens import ask, consent, data, home, mine, survey
from bot.journey.steps import Step

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


# Keyed by the name kept in the conversation state (a `Step`, or "reminder": where an
# earlier version left a conversation).
SCREENS: dict[str, Screen] = {
    # the notice and consent (handlers/consent.py)
    Step.NOTICE: Screen(consent.show_notice, consent.on_notice),
    Step.CONSENT_REMINDERS: Screen(consent.show_reminders, consent.on_reminders),
    Step.CONSENT_CONTACT: Screen(consent.show_contact, consent.on_contact),
    Step.DECLINED: Screen(consent.show_declined, consent.on_declined),
    # the menu and the sessions (handlers/menu.py)
    Step.MENU: Screen(home.show_menu, home.on_menu),
    Step.SESSIONS: Screen(home.show_sessions, home.on_sessions),
    "reminder": Screen(home.show_reminder, home.on_reminder),
    # rating a field (handlers/survey.py)
    Step.FIELD: Screen(survey.show_field, survey.on_field),
    Step.REPLACE: Screen(survey.show_replace, survey.on_replace),
    Step.PROCEDURE: Screen(survey.show_procedure, survey.on_procedure),
    Step.QUESTION: Screen(survey.show_question, survey.on_question),
    Step.CONTACT: Screen(survey.show_contact, survey.on_contact),
    Step.REVIEW: Screen(survey.show_review, survey.on_review),
    Step.DONE: Screen(survey.show_done, survey.on_done),
    # a question or recommendation (handlers/question.py)
    Step.ASK_FIELD: Screen(ask.show_field, ask.on_field),
    Step.ASK_TEXT: Screen(ask.show_text, ask.on_text),
    Step.ASK_REDIRECT: Screen(ask.show_redirect, ask.on_redirect),
    Step.ASK_CLARIFY: Screen(ask.show_clarify, ask.on_clarify),
    Step.ASK_ATTACHMENTS: Screen(ask.show_attachments, ask.on_attachments),
    Step.ASK_IDENTITY: Screen(ask.show_identity, ask.on_identity),
    Step.ASK_CONTACT: Screen(ask.show_contact, ask.on_contact),
    Step.ASK_NAME: Screen(ask.show_name, ask.on_name),
    Step.ASK_PHONE: Screen(ask.show_phone, ask.on_phone),
    Step.ASK_REVIEW: Screen(ask.show_review, ask.on_review),
    Step.ASK_SENT: Screen(ask.show_sent, ask.on_sent),
    # my questions (handlers/question.py)
    Step.MINE: Screen(mine.show_list, mine.on_list),
    Step.MINE_DETAIL: Screen(mine.show_detail, mine.on_detail),
    # /dulieu (handlers/mydata.py)
    Step.DATA: Screen(data.show_overview, data.on_overview),
    Step.DATA_DELETE: Screen(data.show_delete, data.on_delete),
    Step.DELETED: Screen(data.show_deleted),
}
