"""Small pieces every text screen uses: numbered lines, the yes/no answers, a choice read from
a numbered list."""

from __future__ import annotations

from bot.conversation import understanding
from bot.conversation.parsing import Keyword
from bot.i18n import _
from bot.services.consent import Purpose
from bot.texts import CONSENT_QUESTIONS, plain


def numbered(lines: list[tuple[int | str, str]]) -> str:
    return "\n".join(f"{key}. {label}" for key, label in lines)


def consent_question(purpose: Purpose) -> str:
    return plain(_(CONSENT_QUESTIONS[purpose]))


def yes_no_hint() -> str:
    return numbered([(1, _("✅ I agree")), (2, _("✖ I do not agree"))])


def yes_or_no(text: str) -> bool:
    """True for 1 or a yes, False for 2 or a no; anything else asks again."""
    meaning = understanding.understood(
        text, understanding.yes_no_screen(), _("Please reply 1 to agree or 2 to decline.")
    )
    return meaning.choices == {0}


def choose(text: str, labels: list[str]) -> int | Keyword:
    """The index of the chosen line, by number or by its words, or ``Keyword.BACK``."""
    meaning = understanding.understood(
        text,
        understanding.numbered_screen(labels),
        _("Please reply with a number from 1 to {last}.").format(last=len(labels)),
    )
    if meaning.navigation is Keyword.BACK:
        return Keyword.BACK
    return min(meaning.choices)
