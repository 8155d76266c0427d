"""The form of a resident's message the recogniser reads: folded (no diacritics, so typed
with or without them reads the same), texting abbreviations spelt out, digits unified, and the
trigger table's verdict (bot.services.complaints.match_triggers) as one leading token, so the
classifier learns how far a trigger word can be trusted in context."""

from __future__ import annotations

import re

from bot.conversation.parsing import fold
from bot.triage.cues import cues

# Texting abbreviations as residents type them (domain.md §6), by their full folded word.
# Only whole words are replaced; "dk" is left alone (đăng ký or được).
ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(("ko", "k", "kh", "hok", "kg", "khg", "hong", "hem", "khum", "khong"), "khong"),
    **dict.fromkeys(("dc", "dk0", "duoc", "dx"), "duoc"),
    **dict.fromkeys(("j", "ji", "gi"), "gi"),
    **dict.fromkeys(("r", "roi"), "roi"),
    **dict.fromkeys(("vs", "voi"), "voi"),
    **dict.fromkeys(("e", "em"), "em"),
    **dict.fromkeys(("mk", "mik", "mjk", "minh"), "minh"),
    **dict.fromkeys(("ad", "admin"), "admin"),
    **dict.fromkeys(("bt", "binh"), "binh"),
    **dict.fromkeys(("ng", "nguoi"), "nguoi"),
    **dict.fromkeys(("bik", "bit", "biet"), "biet"),
    **dict.fromkeys(("cx", "cung"), "cung"),
    **dict.fromkeys(("ns", "noi"), "noi"),
    **dict.fromkeys(("v", "z", "vay"), "vay"),
    **dict.fromkeys(("tr", "trieu"), "trieu"),
    **dict.fromkeys(("ds", "danh"), "danh"),
    **dict.fromkeys(("sdt", "dt"), "dien thoai"),
    **dict.fromkeys(("tk",), "tai khoan"),
    **dict.fromkeys(("tui", "toi"), "toi"),
}

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


def prepare(text: str, marker: str = "") -> str:
    """The classifier's input: the marker token, then the folded words with abbreviations
    spelt out and every number written as "0" (amounts and house numbers say nothing of the
    message's purpose)."""
    words = [ABBREVIATIONS.get(word, word) for word in _WORD.findall(fold(text))]
    body = _DIGITS.sub("0", " ".join(words))
    return " ".join([marker, *cues(body), body]).strip()
