"""What arrives beside a text conversation (Zalo, console): an answer to the resident's
question, a reminder, an announcement. Such a message never moves the conversation: the
resident's next reply is read against the screen they were on, and their drafts stay. The
message says which word opens what it brings:

- "xem" / "view": the latest answer not yet rated, with its rating; the reply after that
  returns to the screen the resident left (and is read there if it is not a rating);
- "hỏi" / "ask": send a question (a question left half-way is taken up);
- "đánh giá" / "rate": rate a field (a rating left half-way is taken up).

The words work on every screen once consent was asked, like "menu". None is a number, so none
collides with a numbered option, and none is an answer option of the survey.
"""

from __future__ import annotations

import enum

from bot.conversation import parsing


class Aside(enum.StrEnum):
    VIEW_ANSWER = "view"
    ASK = "ask"
    RATE = "rate"


WORDS: dict[Aside, tuple[str, ...]] = {
    Aside.VIEW_ANSWER: ("xem", "view"),
    Aside.ASK: ("hỏi", "ask"),
    Aside.RATE: ("đánh giá", "rate"),
}
_FOLDED = {parsing.fold(word): aside for aside, words in WORDS.items() for word in words}

# The screens "xem" opens; leaving them (other than by a rating) returns to the one before.
ANSWER_SCREENS = ("mine", "mine:detail")
BACK_TO = "back_to"  # state: the screen the resident was on when they typed "xem"


def read(text: str) -> Aside | None:
    """The aside the whole message asks for, typed with or without diacritics, with or
    without polite words around it ("xem ạ", "dạ hỏi")."""
    for core in parsing.cores(text):
        found = _FOLDED.get(parsing.fold(core))
        if found is not None:
            return found
    return None
