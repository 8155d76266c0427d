"""Small pieces every text screen uses: numbered lines, the yes/no answers, a choice read from
a numbered list."""

from __future__ import annotations

import re

from bot.conversation import understanding
from bot.conversation.parsing import Keyword
from bot.i18n import _
from bot.services.consent import Purpose
from bot.texts import CONSENT_QUESTIONS, plain


def numbered(lines: list[tuple[int | str, str]]) -> str:
    return "\n".join(f"{key}. {label}" for key, label in lines)


# A line `numbered` wrote ("3. Label"); and lines made only of what a number or a word does,
# joined by " · " ("0 = back", "9 = read the full notice", '0 = back · "menu" = save and
# exit'), not prose that mentions one ("Reply with a number; 0 = back.").
_NUMBERED_LINE = re.compile(r"^(\d{1,3})\. (\S.*)$")
_USE = re.compile(r'^(\d|"[^"]{1,20}") = ([^=]+)$')
_SEPARATOR = " · "


def _uses(line: str) -> list[tuple[str, str]]:
    found = [_USE.match(part.strip()) for part in line.strip().split(_SEPARATOR)]
    if not all(found):
        return []
    return [(m.group(1).strip('"'), m.group(2).strip()) for m in found if m]


def options_of(reply: str) -> list[tuple[str, str]]:
    """What a tap may send for this reply, as (what is sent, label): its numbered lines, then
    the lines that say what a number or a word does. The web chat shows them as buttons."""
    lines = reply.splitlines()
    listed = [m.groups() for m in (_NUMBERED_LINE.match(line.strip()) for line in lines) if m]
    seen = {sent for sent, _label in listed}
    uses = [use for line in lines for use in _uses(line) if use[0] not in seen]
    return [*listed, *uses]


def without_options(reply: str) -> str:
    """The reply without the lines `options_of` reads (shown as buttons instead)."""
    kept = [
        line
        for line in reply.splitlines()
        if not (_NUMBERED_LINE.match(line.strip()) or _uses(line))
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


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
