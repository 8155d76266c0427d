"""Which option (or navigation) of a screen a typed reply picks: the one matcher of every text
channel (Zalo, console). Pure functions, no I/O; the spellings it knows are in
``bot.conversation.spellings``.

The caller describes the screen the resident is answering (``Screen``: its numbered options,
whether several may be chosen, whether it is a yes/no question, which navigation it offers)
and gets a ``Reading`` back. A reply is read in every reasonable way:

* as a command word (``parsing.keyword``): back, skip, start over; yes or no on a yes/no screen;
* as the number shown before an option ("5", "số 5", "năm", "five", "dạ 5 ạ"); "0" goes back;
* as a score with its unit ("4 sao", "bốn điểm", "5*", "⭐⭐⭐⭐", "4/5", "mức 4"), but only on a
  *score scale*, a screen whose option numbers are the scores themselves (``Screen.scale``).
  Anywhere else such a reply is not understood: on the 3-level rating, "3 sao" could be option
  3 ("not satisfied") or three stars of three ("very satisfied");
* as an option's label in either language, in any case, with or without diacritics: whole
  ("rat hai long"), with short forms of its words ("ko hài lòng", "0 hai long", "bình thg"),
  without spaces ("rathailong"), or shortened to the first letters or syllables of each of
  its words ("rhl", "bt", "kad", "rất hl"; only labels of two words or more);
* as a number and a label together ("5. Rất hài lòng", "hài lòng (4)");
* as several options ("1 3", "1, 3 và 5", "123" when each digit is an option, "thông tin, thái
  độ phục vụ"); on a one-answer screen, several options are a conflict.

Polite particles and lead-ins around the reply ("dạ", "ạ", "nhé", "em chọn") are ignored
(``parsing.cores``). Every way that yields a meaning adds it: the reply is understood when they
agree on exactly one; two or more meanings are a conflict and the resident is asked which,
naming them (``clarification``); none: asked again. Nothing is ever guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from bot.conversation import parsing
from bot.conversation.errors import Retry
from bot.conversation.parsing import Keyword, fold, normalise
from bot.conversation.spellings import (
    LABEL_ALIASES,
    SCORE_PREFIXES,
    SHORT_FORMS,
    STAR_MARKS,
    STAR_UNITS,
    WORDS_NEVER_LEFT_OUT,
)
from bot.i18n import N_, _

# --- what the caller describes ------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: int  # the number shown before it
    label: str  # as shown, in the resident's language
    aliases: tuple[str, ...] = ()  # its label in the other languages
    score: float | None = None


@dataclass(frozen=True)
class Screen:
    options: tuple[Option, ...]
    multi: bool = False
    yes_no: bool = False  # options[0] means yes, options[1] no
    navigation: frozenset[Keyword] = frozenset({Keyword.BACK})

    @property
    def scale(self) -> bool:
        """Whether the option numbers are the scores ("5" = 5 points), so that "4 sao" is 4."""
        scored = [o for o in self.options if o.score is not None]
        return bool(scored) and all(o.key == o.score for o in scored)

    def index_of_key(self, key: int) -> int | None:
        return next((i for i, o in enumerate(self.options) if o.key == key), None)


@dataclass(frozen=True)
class Meaning:
    choices: frozenset[int] = frozenset()  # indices into Screen.options
    navigation: Keyword | None = None


@dataclass(frozen=True)
class Reading:
    meanings: frozenset[Meaning] = field(default_factory=frozenset)

    @property
    def meaning(self) -> Meaning | None:
        """The one meaning of an understood reply; None when unknown or in conflict."""
        return next(iter(self.meanings)) if len(self.meanings) == 1 else None

    @property
    def conflict(self) -> bool:
        return len(self.meanings) > 1


def numbered_screen(labels: Iterable[str], **kinds: object) -> Screen:
    """A screen of labels numbered 1, 2, 3 in order (fields, procedures)."""
    return Screen(tuple(Option(i, label) for i, label in enumerate(labels, start=1)), **kinds)


def yes_no_screen() -> Screen:
    """The consent and confirmation screens: 1 (yes) or 2 (no), nowhere to go back to."""
    return Screen(
        (Option(1, _("Yes"), ("Có", "Yes")), Option(2, _("No"), ("Không", "No"))),
        yes_no=True,
        navigation=frozenset(),
    )


def understood(text: str, screen: Screen, hint: str) -> Meaning:
    """The one meaning of the reply; otherwise ``Retry`` asks again: naming the options in
    conflict, or with ``hint`` when the reply means nothing here."""
    reading = understand(text, screen)
    if reading.conflict:
        raise Retry(clarification(reading, screen))
    if reading.meaning is None:
        raise Retry(hint)
    return reading.meaning


# --- the matcher ----------------------------------------------------------------------------------


# Longer than any option's label, or three of them in a list: a message, not an answer (a
# question pasted on a rating screen is asked again, and read no further).
MAX_ANSWER_LENGTH = 200


def understand(text: str, screen: Screen) -> Reading:
    """Every meaning the reply can have on this screen; see the module docstring."""
    meanings: set[Meaning] = set()
    if len(normalise(text)) > MAX_ANSWER_LENGTH:
        return Reading(frozenset(meanings))
    word = parsing.keyword(text)
    if word in screen.navigation:
        meanings.add(Meaning(navigation=word))
    zero = parsing.parse_number(text) == 0 and word is not Keyword.NO  # "không" is no, not 0
    if zero and Keyword.BACK in screen.navigation and screen.index_of_key(0) is None:
        meanings.add(Meaning(navigation=Keyword.BACK))
    score = _score(text, screen)
    if score is not None:  # a score with its unit is read as a score and nothing else
        index = _index_of_score(score, screen) if screen.scale else None
        if index is not None:
            meanings.add(Meaning(frozenset({index})))
        return Reading(frozenset(meanings))
    for chosen in _option_sets(text, screen):
        if screen.multi or len(chosen) == 1:
            meanings.add(Meaning(chosen))
        else:  # two options typed on a one-answer screen: ask which
            meanings.update(Meaning(frozenset({i})) for i in chosen)
    return Reading(frozenset(meanings))


# --- scores ---------------------------------------------------------------------------------------

_STAR_MARK = re.compile("[" + re.escape(STAR_MARKS) + "]")
_UNITS = [normalise(u) for u in STAR_UNITS]
_SCORE_PREFIXES = [normalise(p) for p in SCORE_PREFIXES]
_GLUED_UNIT = re.compile(r"([0-9]{1,2})([^\W\d_]+)")  # "5sao", "4d"
_OUT_OF = re.compile(r"([0-9]{1,2})\s*/\s*([0-9]{1,2})")  # "4/5"


def _is_unit(token: str) -> bool:
    return any(parsing.compatible(token, unit) for unit in _UNITS)


def _score_of_core(core: str, screen: Screen) -> int | None:
    out_of = _OUT_OF.fullmatch(core)
    top = max((o.key for o in screen.options if o.score is not None), default=None)
    if out_of and top is not None:  # without scores, "1/3" is a list of options
        return int(out_of.group(1)) if int(out_of.group(2)) == top else -1
    tokens = _GLUED_UNIT.sub(r"\1 \2", core).split()
    if len(tokens) == 2 and _is_unit(tokens[1]):
        number = parsing.parse_number(tokens[0])
    elif len(tokens) == 2 and any(parsing.compatible(tokens[0], p) for p in _SCORE_PREFIXES):
        number = parsing.parse_number(tokens[1])
    else:
        return None
    return -1 if number is None else number  # -1: a score, but not one that can be read


def _score(text: str, screen: Screen) -> int | None:
    """The score of "4 sao", "bốn điểm", "5*", "⭐⭐⭐", "4/5", "mức 4"; -1 for a reply that
    gives a score that cannot be read ("nhiều sao"); None when the reply is no score."""
    bare = "".join(text.split())
    if bare and all(_STAR_MARK.fullmatch(c) for c in bare):
        return len(bare)  # stars alone: their count
    marked = _STAR_MARK.sub(" sao ", text)  # "5*" -> "5 sao" (normalise would drop the "*")
    scores = {
        s for core in parsing.cores(marked) if (s := _score_of_core(core, screen)) is not None
    }
    if not scores:
        return None
    return scores.pop() if len(scores) == 1 else -1


def _index_of_score(score: int, screen: Screen) -> int | None:
    return next((i for i, o in enumerate(screen.options) if o.score == score), None)


# --- options: numbers, labels, lists ---------------------------------------------------------------

# Between the options of a list: punctuation, "và"/"and"/"với", a "/" between two numbers.
_LIST_SPLIT = re.compile(
    r"(\s*[,;+&\n]\s*|(?<=[0-9])\s*/\s*(?=[0-9])|\s+(?:và|va|and|với|voi|vs)\s+)"
)
_MAX_GROUP = 3  # pieces of one label that itself holds commas ("Trụ sở, thiết bị")


def _option_sets(text: str, screen: Screen) -> set[frozenset[int]]:
    found: set[frozenset[int]] = set()
    for core in parsing.cores(text):
        parts = _LIST_SPLIT.split(core)
        found |= _segmentations(tuple(parts), screen)
    return {chosen for chosen in found if chosen}


def _segmentations(parts: tuple[str, ...], screen: Screen) -> set[frozenset[int]]:
    """The option sets of a reply split at its separators (parts alternate text, separator),
    each run of up to ``_MAX_GROUP`` pieces read as one piece."""
    pieces = len(parts) // 2 + 1
    if pieces > _MAX_GROUP * len(screen.options):
        return set()  # more pieces than options could have: not a list of them

    @cache
    def from_piece(i: int) -> frozenset[frozenset[int]]:
        if i == pieces:
            return frozenset({frozenset()})
        out: set[frozenset[int]] = set()
        for j in range(i + 1, min(pieces, i + _MAX_GROUP) + 1):
            group = "".join(parts[2 * i : 2 * j - 1])
            for chosen in _piece(group, screen):
                out.update(chosen | rest for rest in from_piece(j))
        return frozenset(out)

    return set(from_piece(0))


def _piece(text: str, screen: Screen) -> set[frozenset[int]]:
    """The options one piece of a reply can be: a number, numbers, yes/no, a label, or a
    number with a label."""
    piece = normalise(text)
    if not piece:
        return set()
    found: set[frozenset[int]] = {frozenset({i}) for i in _numbered(piece, screen)}
    found |= _number_lists(piece, screen)
    if screen.yes_no:
        word = parsing.keyword(piece)
        if word in (Keyword.YES, Keyword.NO):
            found.add(frozenset({0 if word is Keyword.YES else 1}))
    labelled = _labelled(piece, screen)
    found |= {frozenset({i}) for i in labelled}
    if not labelled:
        found |= {frozenset({i}) for i in _number_and_label(piece, screen)}
    return found


def _numbered(piece: str, screen: Screen) -> set[int]:
    number = parsing.parse_number(piece)
    index = screen.index_of_key(number) if number is not None else None
    return set() if index is None else {index}


def _number_lists(piece: str, screen: Screen) -> set[frozenset[int]]:
    """ "1 3 5", "mot ba", and "123" when each digit (once) is an option."""
    found: set[frozenset[int]] = set()
    numbers = parsing.parse_numbers(piece) if " " in piece else None
    if numbers and len(numbers) > 1:
        indices = [screen.index_of_key(n) for n in numbers]
        if all(i is not None for i in indices):
            found.add(frozenset(indices))
    if piece.isdigit() and 1 < len(piece) == len(set(piece)):
        indices = [screen.index_of_key(int(d)) for d in piece]
        if all(i is not None for i in indices):
            found.add(frozenset(indices))
    return found


_LEADING_NUMBER = re.compile(
    r"(?:số\s*|so\s*|#\s*)?([0-9]{1,3})\s*[.):\]\-\u2013\u2014]*\s*(?=[^\W\d_])"
)
_TRAILING_NUMBER = re.compile(r"(?<=[^\W\d_])\s*[(\[\-\u2013\u2014:,.]*\s*([0-9]{1,3})$")


def _number_and_label(piece: str, screen: Screen) -> set[int]:
    """ "5. Rất hài lòng", "hài lòng (4)": the number's option and the label's, which must agree
    or the reply is in conflict. Only when the number is one of the screen's."""
    found: set[int] = set()
    for match, rest in (
        (m := _LEADING_NUMBER.match(piece), piece[m.end() :] if m else ""),
        (m2 := _TRAILING_NUMBER.search(piece), piece[: m2.start()] if m2 else ""),
    ):
        if match is None:
            continue
        index = screen.index_of_key(int(match.group(1)))
        labelled = _labelled(rest, screen)
        if index is not None and labelled:
            found |= {index, *labelled}
    return found


# --- labels -------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_LABEL_ALIASES = {fold(label): aliases for label, aliases in LABEL_ALIASES.items()}
# Short forms of one label word, folded ("khong": "k", "ko", "0", ...), for abbreviations.
_WORD_SHORT_FORMS: dict[str, tuple[str, ...]] = {}
for _word, _shorts in SHORT_FORMS.items():
    if " " not in _word:
        _WORD_SHORT_FORMS[fold(_word)] = tuple(fold(s) for s in _shorts)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(normalise(text)))


def _spellings(labels: Iterable[str]) -> list[str]:
    spellings = list(labels)
    for label in list(spellings):
        spellings.extend(_LABEL_ALIASES.get(" ".join(fold(w) for w in _words(label)), ()))
    return spellings


def _labelled(piece: str, screen: Screen) -> set[int]:
    """The options whose label the piece is. The first of these ways that finds any counts:
    the same words (diacritics may be left out, but those typed must agree: "cô" is not "Có");
    the same letters without spaces; an abbreviation of the label shown; a run of two or more
    of a label's words."""
    typed = [t for t in {_words(piece), _words(parsing.expand_short_forms(piece))} if t]
    every, shown = _label_words(screen)
    ways = (
        lambda: {i for i, words in every for t in typed if _same_words(t, words)},
        lambda: {i for i, words in every for t in typed if _compatible("".join(t), "".join(words))},
        lambda: _abbreviated([_fold_words(t) for t in typed], shown),
        lambda: {i for i, words in every for t in typed if _part_of(t, words)},
    )
    for way in ways:
        found = way()
        if found:
            return found
    return set()


@lru_cache(maxsize=256)
def _label_words(screen: Screen) -> tuple[list, list]:
    """The words of every spelling of each option, and the folded words of the labels shown
    (for abbreviations); once per screen."""
    every = [
        (i, words)
        for i, option in enumerate(screen.options)
        for spelling in _spellings((option.label, *option.aliases))
        if (words := _words(spelling))
    ]
    shown = [
        (i, _fold_words(words))
        for i, option in enumerate(screen.options)
        for spelling in _spellings((option.label,))
        if (words := _words(spelling))
    ]
    return every, shown


def _compatible(typed: str, spelling: str) -> bool:
    return parsing.compatible(typed, normalise(spelling))


def _same_words(typed: tuple[str, ...], words: tuple[str, ...]) -> bool:
    return len(typed) == len(words) and all(map(_compatible, typed, words))


def _fold_words(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(fold(w) for w in words)


_ABBREVIATION = re.compile(r"[a-z0-9]{2,12}")


def _abbreviated(
    typed: list[tuple[str, ...]], labels: list[tuple[int, tuple[str, ...]]]
) -> set[int]:
    """Options whose whole label the reply abbreviates; with them, to ask rather than guess,
    those whose first words it abbreviates ("tt": "Trực tuyến", but also "Trực tiếp tại …")."""
    letters = {"".join(t) for t in typed}
    whole = {i for i, words in labels for t in letters if _abbreviates(t, words)}
    if not whole:
        return whole
    leading = {
        i
        for i, words in labels
        for t in letters
        for n in range(2, len(words))
        if _abbreviates(t, words[:n])
    }
    return whole | leading


def _abbreviates(typed: str, words: tuple[str, ...]) -> bool:
    """Whether ``typed`` is each of two or more words shortened to its first letters or to a
    listed short form, in order: "rhl", "bt", "kad", "rathl", "khl", "0hl"."""
    if len(words) < 2 or not _ABBREVIATION.fullmatch(typed):
        return False

    @cache
    def fits(start: int, word: int) -> bool:
        if word == len(words):
            return start == len(typed)
        target = words[word]
        forms = {target[:n] for n in range(1, len(target) + 1)}
        forms.update(_WORD_SHORT_FORMS.get(target, ()))
        return any(
            typed.startswith(form, start) and fits(start + len(form), word + 1) for form in forms
        )

    return fits(0, 0)


_KEPT_WORDS = frozenset(fold(w) for w in WORDS_NEVER_LEFT_OUT)


def _part_of(typed: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Whether the reply is two or more consecutive words of the label, leaving out no word of
    ``WORDS_NEVER_LEFT_OUT``: "bưu chính" for "Qua bưu chính", "hộ tịch" for "Tư pháp – Hộ
    tịch", but not "áp dụng" for "Không áp dụng"."""
    size = len(typed)
    if size < 2 or size >= len(words):
        return False
    for start in range(len(words) - size + 1):
        if _same_words(typed, words[start : start + size]):
            left_out = words[:start] + words[start + size :]
            return not _KEPT_WORDS.intersection(_fold_words(left_out))
    return False


# --- asking when the reply is in conflict -------------------------------------------------------

NAVIGATION_NAMES: dict[Keyword, str] = {
    Keyword.BACK: N_("go back"),
    Keyword.SKIP: N_("skip this question"),
    Keyword.RESTART: N_("start again from the first question"),
}


def describe(meaning: Meaning, screen: Screen) -> str:
    """A meaning as the resident saw it: "5. Rất hài lòng", or the navigation's name."""
    if meaning.navigation is not None:
        return _(NAVIGATION_NAMES.get(meaning.navigation, meaning.navigation.value))
    options = [screen.options[i] for i in sorted(meaning.choices)]
    return ", ".join(f"{o.key}. {o.label}" for o in options)


def clarification(reading: Reading, screen: Screen) -> str:
    """The question asked back when a reply has several meanings, naming each of them."""
    ordered = sorted(
        reading.meanings,
        key=lambda m: (m.navigation is not None, sorted(m.choices), m.navigation or ""),
    )
    names = [f"“{describe(m, screen)}”" for m in ordered]
    if len(names) == 2:
        return _("Did you mean {first} or {second}? Please reply with just the number.").format(
            first=names[0], second=names[1]
        )
    return _("Did you mean one of these: {choices}? Please reply with just the number.").format(
        choices="; ".join(names)
    )
