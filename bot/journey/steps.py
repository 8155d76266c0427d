"""The screens of the journey by name. The text conversation keeps these names in its state;
the Telegram dialogs map each one to a dialog state (`handlers.states.STATE_OF`)."""

from __future__ import annotations

import enum


class Step(enum.StrEnum):
    # the notice and the consent for each purpose
    NOTICE = "notice"
    CONSENT_REMINDERS = "consent:reminders"
    CONSENT_CONTACT = "consent:contact"
    DECLINED = "declined"
    # landing: the unfinished rating if there is one, else the menu (`survey.landing`)
    HOME = "home"
    MENU = "menu"
    SESSIONS = "sessions"
    # rating a field
    FIELD = "field"
    REPLACE = "replace"
    PROCEDURE = "procedure"
    QUESTION = "question"
    CONTACT = "contact"
    REVIEW = "review"
    DONE = "done"
    # a question or recommendation
    ASK_FIELD = "ask:field"
    ASK_TEXT = "ask:text"
    ASK_REDIRECT = "ask:redirect"
    ASK_CLARIFY = "ask:clarify"
    ASK_ATTACHMENTS = "ask:attachments"
    ASK_IDENTITY = "ask:identity"
    ASK_CONTACT = "ask:contact"
    ASK_NAME = "ask:name"
    ASK_PHONE = "ask:phone"
    ASK_REVIEW = "ask:review"
    ASK_SENT = "ask:sent"
    # my questions
    MINE = "mine"
    MINE_DETAIL = "mine:detail"
    # /dulieu
    DATA = "data"
    DATA_DELETE = "data:delete"
    DELETED = "deleted"
