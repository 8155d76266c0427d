"""What a resident's message is for (domain.md §5), before it is filed.

- *accept*: a question on how a procedure works, a recommendation or feedback: the
  dialogue's business (ND 20/2008 phản ánh, kiến nghị);
- *redirect*: a complaint (khiếu nại: contesting a decision or act that affects the writer and
  asking for it to be reviewed), a denunciation (tố cáo: someone's violation, above all an
  official's) or a crime report (tố giác, for the police); a *mix* of a recommendation with
  one of these is split: the recommendation part can be filed, the rest is redirected;
- *clarify*: feedback that cannot be told from a complaint: one clarifying question;
- *reject*: a greeting, an advert, abuse or an unrelated message.

A classifier trained from ``corpus.jsonl`` (bot.triage.model) reads the message as a whole,
with the trigger table's verdict as one of its inputs; explicit rules then settle what the
law names outright (``EXPLICIT``). Pure functions, no I/O; the text is never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.conversation.parsing import fold
from bot.triage.model import probabilities, shipped_model, warm_up
from bot.triage.text import prepare


class Handling(StrEnum):
    ACCEPT = "accept"
    CLARIFY = "clarify"
    REDIRECT = "redirect"
    REJECT = "reject"


@dataclass(frozen=True)
class Triage:
    handling: Handling
    # For a mix: the sentences that can go to the conference as a recommendation.
    recommendation: str | None = None

    @property
    def mixed(self) -> bool:
        return self.recommendation is not None


# Words that by themselves say the writer wants the complaint or denunciation track, even
# when asked as a question ("where do I file a complaint?" is answered by the redirect text).
# Folded, whole words.
EXPLICIT: tuple[str, ...] = (
    "khieu nai",
    "khieu kien",
    "khoi kien",
    "kien ra toa",
    "to giac",
    "tin bao toi pham",
    "don to cao",
    "muon to cao",
    "toi to cao",
    "xem xet lai quyet dinh",
    "file a complaint",
    "lodge a complaint",
    "formal complaint",
    "denounce",
    "report a crime",
)
# "tố cáo" typed with its marks cannot be "to cao" (big and tall).
_EXPLICIT_ACCENTED = ("tố cáo",)

_EXPLICIT_RE = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, EXPLICIT)) + r")(?![^\W_])")
# Sentence ends, and the words residents use to start a second matter.
_SPLIT = re.compile(
    r"(?<=[.!?;\n])\s+|\s+(?=(?:thứ hai|thu hai|hai là|hai la|ngoài ra|ngoai ra|nhân tiện|"
    r"nhan tien|riêng|rieng|còn việc|con viec|và tôi|va toi|also|separately)\b)",
    re.IGNORECASE,
)
# A part is kept as the recommendation when it proposes something and the classifier is this
# sure it is the dialogue's business.
_PART_CONFIDENCE = 0.6


def _explicit(text: str) -> bool:
    return bool(_EXPLICIT_RE.search(fold(text))) or any(
        word in text.lower() for word in _EXPLICIT_ACCENTED
    )


def _parts(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part and part.strip()]


def _split(text: str) -> str | None:
    """The recommendation part of a message that mixes one with a complaint or report."""
    parts = _parts(text)
    if len(parts) < 2:
        return None
    scores = probabilities(shipped_model(), parts)
    kept = [
        p
        for p, s in zip(parts, scores, strict=True)
        if s["accept"] >= _PART_CONFIDENCE and "cuepropose" in prepare(p).split()
    ]
    # The rest must hold what made the whole a complaint or report: a part that alone
    # would be redirected or asked about.
    redirected = [
        p
        for p, s in zip(parts, scores, strict=True)
        if p not in kept and max(s, key=s.__getitem__) in ("redirect", "clarify")
    ]
    if not kept or not redirected:
        return None
    return " ".join(kept)


def triage(text: str) -> Triage:
    """How the message must be handled; see the module docstring."""
    if not text.strip():
        return Triage(Handling.REJECT)
    (scores,) = probabilities(shipped_model(), [text])
    handling = Handling(max(scores, key=scores.__getitem__))
    if _explicit(text):
        handling = Handling.REDIRECT
    if handling is Handling.REDIRECT:
        return Triage(handling, _split(text))
    return Triage(handling)


__all__ = ["EXPLICIT", "Handling", "Triage", "triage", "warm_up"]
