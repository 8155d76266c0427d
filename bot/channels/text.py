"""Splitting long replies into messages a text channel accepts (Zalo: 1–2000 characters)."""

from __future__ import annotations

import re
import unicodedata

# Zalo caps a message at 2000 characters without saying whether it counts code points or
# UTF-16 units; 1900 leaves room for the difference (emoji are two UTF-16 units).
DEFAULT_LIMIT = 1900

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE_BREAK = re.compile(r"\n")
_SPACES = re.compile(r"\s+")


def split_text(text: str, limit: int = DEFAULT_LIMIT) -> list[str]:
    """Split `text` into chunks of at most `limit` characters.

    The text is NFC-normalised first (NFD Vietnamese is a fifth to a third longer). Cuts go at the
    last blank line that fits, else the last line break, else the last space; a word longer than
    `limit` is cut hard. Chunks are right-stripped and never empty.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    rest = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    rest = rest.rstrip()
    chunks: list[str] = []
    while len(rest) > limit:
        cut, resume = _find_cut(rest, limit)
        chunk = rest[:cut].rstrip()
        if chunk:  # only a run of leading whitespace longer than the limit gives nothing
            chunks.append(chunk)
        rest = rest[resume:]
    if rest:
        chunks.append(rest)
    return chunks


def _find_cut(text: str, limit: int) -> tuple[int, int]:
    """Where to end this chunk, and where the next one starts (after the separator)."""
    window = text[: limit + 1]  # a separator right after the limit still makes a full chunk
    for pattern in (_BLANK_LINE, _LINE_BREAK, _SPACES):
        cut = _last_separator(pattern, window, limit)
        if cut is not None:
            start, end = cut
            # Skip the rest of the separator, but keep a next line's indentation after a line cut.
            skip = "\n" if pattern is not _SPACES else None
            return start, len(text) - len(text[end:].lstrip(skip))
    return _hard_cut(text, limit)


def _last_separator(pattern: re.Pattern[str], window: str, limit: int) -> tuple[int, int] | None:
    first_visible = len(window) - len(window.lstrip())
    best = None
    for match in pattern.finditer(window):
        # The chunk before the separator must hold something besides whitespace.
        if first_visible < match.start() <= limit:
            best = (match.start(), match.end())
    return best


def _hard_cut(text: str, limit: int) -> tuple[int, int]:
    cut = limit
    # Keep a combining mark with its base letter (NFC leaves a few of them decomposed).
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut, cut
