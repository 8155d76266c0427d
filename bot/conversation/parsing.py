"""Lenient reading of what residents type on text channels (Zalo, console): numbers, option
labels and command words, with or without Vietnamese diacritics. Pure functions, no I/O. The
spellings are in ``bot.conversation.spellings``; which option of a screen a reply picks is
decided by ``bot.conversation.understanding``, built on these functions. ``match_label`` serves
the paper forms' spreadsheet cells.

Conventions
-----------
``normalise(text)``, in this order:
  1. zero-width characters (U+200B-U+200D, U+2060, U+FEFF) and soft hyphens are removed;
  2. Unicode NFC, then lower case (then NFC again);
  3. full-width digits ``０-９`` become ASCII ``0-9``;
  4. tone-mark placement is unified to the *new* style, as in the project's own texts:
     in an open syllable ending in ``oa``, ``oe`` or ``uy`` the tone mark sits on the second
     vowel: "hòa" -> "hoà", "khỏe" -> "khoẻ", "thủy" -> "thuỷ", "hủy" -> "huỷ". Closed syllables
     ("hoàn", "huỳnh") are the same in both styles and are left alone;
  5. runs of whitespace (any Unicode space) become one ASCII space;
  6. surrounding whitespace and punctuation (every Unicode ``P*`` character, e.g.
     ``. , ; : ! ? ( ) [ ] " ' “ ” … - / #``, plus `` ` ~ ^``) are stripped. Punctuation inside
     the text is kept: "1,3" stays "1,3".

``fold(text)``: ``normalise`` then every diacritic removed and "đ" -> "d" ("Rất hài lòng" ->
"rat hai long").

Two ways of comparing a typed word with a known spelling:
  * *fold equality* (``fold(a) == fold(b)``), used by ``match_label`` as the fallback after an
    exact match, because labels are a closed set the resident has just been shown;
  * *compatibility*, used for number words and command words, which are checked against any
    text: diacritics may be left out, but those typed must agree with the spelling. "mot" and
    "một" are 1, "bẩy"/"bay" are 7, but "bà" is not "ba" (3), "hài" is not "hai" (2) and "cô" is
    not "có" (yes). A letter may also keep only some of its marks: "đông y" is "đồng ý".

``cores(text)``: the ways to read a reply: as typed (normalised) and without the polite
particles and lead-ins of ``PARTICLES`` and ``LEAD_INS`` around it, the end first ("dạ, em
chọn 5 ạ" -> "5"; "vâng ạ" -> "vâng"). A reply of particles alone is read as typed.

``expand_short_forms(text)``: every word of ``SHORT_FORMS`` written out ("ko hl" -> "không hài
lòng"; "0" counts as "không" only inside a longer reply).

``parse_number(text)``: one whole number, or None, read in each of ``cores`` (which must agree:
"dạ 5 ạ" is 5). Accepted after ``normalise``: ASCII digits
(at most 9, so "01" is 1), optionally after "số", "so" or "#" ("số 1", "so1", "#2"); a number
word from ``NUMBER_WORDS`` (Vietnamese 0-10 with or without diacritics, including "tư" = 4 and
"bẩy" = 7, English "zero"-"ten"). Anything else is None: "12abc", "1 2", "1.5", "câu 1", "".

``parse_numbers(text)``: several numbers for a multiple choice, read like ``parse_number`` in
each of ``cores``. The text is split on spaces and ``, ; / + &``; the words "và"/"and"/"với"
are ignored; every remaining piece must be a number as
above (without the "số" prefix) or the result is None ("1-3" is None). Duplicates are dropped,
first occurrence kept. No number at all is None.

``match_label(text, labels)``: the index of the label the text *is*, never a label it only
contains ("rat hai long" is "Rất hài lòng", not "Hài lòng"). First the labels equal to the text
after ``normalise``; if none, the labels equal after ``fold``. Exactly one candidate is needed:
when several labels fold to the same text, only an exact (diacritic) match counts. If the whole
text matches nothing, a leading option number is removed ("5. Rất hài lòng", "(5) rat hai long",
"5 - rất hài lòng") and the rest is matched the same way; when ``numbers`` (the number shown
before each label) is given, the typed number must be that label's number, otherwise the typed
number is ignored.

``keyword(text)``: one of ``Keyword`` when the whole text, read in each of ``cores`` as typed
and with its short forms written out (after ``normalise``; a leading "/" is stripped as
punctuation), is compatible with a spelling in ``KEYWORDS``; a reply of question marks alone is
``Keyword.HELP``; None otherwise, and None if two keywords would match ("có không"). "không"/"khong" is both ``Keyword.NO`` and the number 0: ``keyword`` returns NO and
``parse_number`` returns 0; the caller decides by context (on a yes/no screen it means no, on a
numbered list "0 = back").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# The spellings live in one table, bot.conversation.spellings; re-exported for the callers.
from bot.conversation.spellings import (
    KEYWORDS,
    LEAD_INS,
    LIST_CONJUNCTIONS,
    LIST_SEPARATORS,
    NUMBER_PREFIXES,
    NUMBER_WORDS,
    PARTICLES,
    SHORT_FORMS,
    Keyword,
)

__all__ = [
    "KEYWORDS",
    "NUMBER_WORDS",
    "Keyword",
    "compatible",
    "cores",
    "expand_short_forms",
    "fold",
    "keyword",
    "match_label",
    "normalise",
    "parse_number",
    "parse_numbers",
]

# --- normalising --------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_EXTRA_STRIP = set("`~^")

_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
_TONES = frozenset((_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT))
_TONED_O = "òóỏõọ"
_TONED_U = "ùúủũụ"
# An old-style mark on the first vowel of a syllable-final "oa", "oe" or "uy".
_OLD_STYLE = re.compile(rf"([{_TONED_O}])([ae])(?![^\W\d_])|([{_TONED_U}])(y)(?![^\W\d_])")


def _tone_of(char: str) -> str:
    return next(m for m in unicodedata.normalize("NFD", char) if m in _TONES)


def _new_style(match: re.Match[str]) -> str:
    toned, vowel = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    base = unicodedata.normalize("NFD", toned)[0]
    return base + unicodedata.normalize("NFC", vowel + _tone_of(toned))


def _strippable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P") or char in _EXTRA_STRIP


def normalise(text: str) -> str:
    """The comparable form of typed text; see the module docstring for the exact steps."""
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE)).lower()
    text = unicodedata.normalize("NFC", text).translate(_FULLWIDTH_DIGITS)
    text = _OLD_STYLE.sub(_new_style, text)
    text = " ".join(text.split())
    start, end = 0, len(text)
    while start < end and _strippable(text[start]):
        start += 1
    while end > start and _strippable(text[end - 1]):
        end -= 1
    return text[start:end]


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d"))


def fold(text: str) -> str:
    """``normalise`` without diacritics: "Rất hài lòng" -> "rat hai long", "đ" -> "d"."""
    return _strip_marks(normalise(text))


def _marks(char: str) -> tuple[str, frozenset[str]]:
    """A letter's base and its set of marks; "đ" counts as "d" with a stroke."""
    if char == "đ":
        return "d", frozenset({"stroke"})
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0], frozenset(decomposed[1:])


def compatible(typed: str, spelling: str) -> bool:
    """Whether ``typed`` is ``spelling`` with some diacritics left out (both normalised)."""
    if len(typed) != len(spelling):
        return False
    for t, s in zip(typed, spelling, strict=True):
        if t == s:
            continue
        t_base, t_marks = _marks(t)
        s_base, s_marks = _marks(s)
        if t_base != s_base or not t_marks < s_marks:
            return False
    return True


# --- politeness, lead-ins and short forms -------------------------------------------------------


def _phrases(spellings: Sequence[str]) -> list[tuple[str, ...]]:
    """Normalised multi-word spellings, longest first (so "dạ vâng" goes before "dạ")."""
    return sorted({tuple(normalise(s).split()) for s in spellings}, key=len, reverse=True)


_PARTICLE_PHRASES = _phrases(PARTICLES)
_LEAD_IN_PHRASES = _phrases(LEAD_INS)


def _bare(token: str) -> str:
    """A token without the punctuation around it ("dạ," -> "dạ")."""
    return normalise(token)


def _starts_with(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return len(tokens) > len(phrase) and all(
        compatible(_bare(t), p) for t, p in zip(tokens, phrase, strict=False)
    )


def _ends_with(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return _starts_with(tokens[::-1], phrase[::-1])


def _strip_politeness(tokens: list[str]) -> list[str]:
    while True:
        # The end first: "vâng ạ" keeps "vâng" (yes), not "ạ".
        end = next((p for p in _PARTICLE_PHRASES if _ends_with(tokens, p)), None)
        if end is not None:
            tokens = tokens[: -len(end)]
            continue
        start = next(
            (p for p in _PARTICLE_PHRASES + _LEAD_IN_PHRASES if _starts_with(tokens, p)), None
        )
        if start is None:
            return tokens
        tokens = tokens[len(start) :]


def cores(text: str) -> list[str]:
    """The ways to read a reply: as typed (normalised) and, when different, without the
    polite particles and lead-ins around it ("Dạ, em chọn 5 ạ" -> ["dạ, em chọn 5 ạ", "5"]).
    A reply made only of particles ("dạ", "vâng ạ") is read as typed."""
    normalised = normalise(text)
    core = normalise(" ".join(_strip_politeness(normalised.split())))
    return [normalised, core] if core and core != normalised else [normalised]


_SHORT_FORMS = [
    (normalise(short), normalise(word)) for word, shorts in SHORT_FORMS.items() for short in shorts
]


def _long_form(token: str, alone: bool) -> str | None:
    words = {word for short, word in _SHORT_FORMS if compatible(token, short)}
    if len(words) != 1 or (alone and token.isdigit()):
        return None  # unknown, ambiguous, or a lone "0" (zero, not "không")
    word = words.pop()
    return None if compatible(token, word) else word


def expand_short_forms(text: str) -> str:
    """Every short form of ``SHORT_FORMS`` written out: "ko hl" -> "không hài lòng", "0 hai
    long" -> "không hai long"; a lone "0" stays a number."""
    tokens = [_bare(t) for t in normalise(text).split()]
    alone = len(tokens) == 1
    return " ".join(_long_form(t, alone) or t for t in tokens)


# --- numbers -------------------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]{1,9}")
_NUMBER_WORDS = [(normalise(word), value) for word, value in NUMBER_WORDS.items()]
_PREFIX = re.compile(
    r"(?:" + "|".join(re.escape(normalise(p)) for p in NUMBER_PREFIXES) + r")\s*(?=\S)"
)
_SEPARATORS = re.compile(r"[\s" + re.escape(LIST_SEPARATORS) + r"]+")
_CONJUNCTIONS = [normalise(word) for word in LIST_CONJUNCTIONS]


def _word_number(token: str) -> int | None:
    """One normalised token as a number: digits or a number word."""
    if _DIGITS.fullmatch(token):
        return int(token)
    values = {value for word, value in _NUMBER_WORDS if compatible(token, word)}
    return values.pop() if len(values) == 1 else None


def _one_number(normalised: str) -> int | None:
    prefix = _PREFIX.match(normalised)
    if prefix is not None:
        normalised = normalised[prefix.end() :]
    return _word_number(normalised) if normalised else None


def _only_value(values: list) -> object | None:
    found = [v for v in values if v is not None]
    return found[0] if found and all(v == found[0] for v in found) else None


def parse_number(text: str) -> int | None:
    """The one number the text is ("1.", "(2)", "１", "số 3", "bon", "năm", "five", "dạ 5 ạ"),
    else None."""
    return _only_value([_one_number(core) for core in cores(text)])


def _number_list(normalised: str) -> list[int] | None:
    numbers: list[int] = []
    for token in _SEPARATORS.split(normalised):
        if not token or any(compatible(token, word) for word in _CONJUNCTIONS):
            continue
        number = _word_number(token)
        if number is None:
            return None
        if number not in numbers:
            numbers.append(number)
    return numbers or None


def parse_numbers(text: str) -> list[int] | None:
    """The numbers of a multiple choice ("1 3 5", "1,3,5", "1, 3 và 5", "mot ba", "1 3 nhé"),
    else None."""
    return _only_value([_number_list(core) for core in cores(text)])


# --- option labels ------------------------------------------------------------------------------

_LEADING_NUMBER = re.compile(r"([0-9]{1,3})\s*[.):\]\-\u2013\u2014]*\s*(?=[^\W\d_])")


def _only(indices: list[int]) -> int | None:
    return indices[0] if len(indices) == 1 else None


def _match_whole(normalised: str, labels: Sequence[str]) -> int | None:
    if not normalised:
        return None
    exact = [i for i, label in enumerate(labels) if normalise(label) == normalised]
    if exact:
        return _only(exact)
    folded = _strip_marks(normalised)
    return _only([i for i, label in enumerate(labels) if fold(label) == folded])


def match_label(
    text: str, labels: Sequence[str], *, numbers: Sequence[int | None] | None = None
) -> int | None:
    """The index of the label the whole text is ("rat hai long" -> "Rất hài lòng"), else None.

    ``numbers``, if given, is the number shown before each label; a number typed before the
    label ("5. Rất hài lòng") must then agree with it.
    """
    normalised = normalise(text)
    index = _match_whole(normalised, labels)
    if index is not None:
        return index
    leading = _LEADING_NUMBER.match(normalised)
    if leading is None:
        return None
    index = _match_whole(normalise(normalised[leading.end() :]), labels)
    if index is None or numbers is None:
        return index
    return index if numbers[index] == int(leading.group(1)) else None


# --- command words ------------------------------------------------------------------------------

_KEYWORD_SPELLINGS = [
    (keyword, normalise(spelling))
    for keyword, spellings in KEYWORDS.items()
    for spelling in spellings
]


def _asks_for_help(text: str) -> bool:
    """A reply of question marks alone ("?", "??", "？")."""
    bare = "".join(text.split())
    return bool(bare) and set(bare) <= {"?", "\uff1f"}


def keyword(text: str) -> Keyword | None:
    """The command word the whole text is ("Quay lai", "/menu", "HỦY!", "có ạ", "dạ không",
    "ko co", "?"), else None; None too when two keywords would match.

    "không"/"khong" gives ``Keyword.NO`` although ``parse_number`` reads it as 0: the caller
    decides by context.
    """
    if _asks_for_help(text):
        return Keyword.HELP
    found: set[Keyword] = set()
    for core in cores(text):
        for candidate in {core, expand_short_forms(core)}:
            found |= {kw for kw, spelling in _KEYWORD_SPELLINGS if compatible(candidate, spelling)}
    return found.pop() if len(found) == 1 else None
