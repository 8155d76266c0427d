"""What a value typed by a resident must be, with the one message that says why not."""

from __future__ import annotations

from bot.conversation import parsing
from bot.i18n import _
from bot.services import questions as question_service


class Invalid(Exception):
    """The value does not fit the step: `str()` is the polite message to show, in the current
    locale; the resident stays on the same screen."""


def question_text(raw: str | None) -> str:
    """A question's text, cleaned: something visible, within the length limit."""
    text = question_service.clean_text(raw)
    if not text:  # no text, or only blanks and invisible characters
        raise Invalid(_("Please write your question or recommendation as a text message."))
    if len(text) > question_service.MAX_TEXT:
        raise Invalid(
            _("Your text has {count} characters; the limit is {limit}. Please shorten it.").format(
                count=len(text), limit=question_service.MAX_TEXT
            )
        )
    return text


def full_name(raw: str | None) -> str:
    """A name to answer by: visible, not too long, and not a number (a "1" typed on the
    name screen was meant for another screen, not a name)."""
    name = question_service.clean_text(raw or "")
    if not name or len(name) > question_service.MAX_NAME or parsing.parse_number(name) is not None:
        raise Invalid(_("Please type your full name."))
    return name


def phone(raw: str | None) -> str:
    """A Vietnamese phone number, normalised to its stored form."""
    number = question_service.normalise_phone(raw or "")
    if number is None:
        raise Invalid(_("Please type a Vietnamese phone number, for example 0912 345 678."))
    return number
