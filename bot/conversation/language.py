"""Which language a resident writes in: "vi", "en", or None when the text cannot tell.

Zalo does not report a user's language, so the text channel guesses it from the first message.
A wrong answer costs more than no answer (the caller then uses the default locale), and
Vietnamese typed without diacritics -- common among older residents -- must never come back as
English. The rules, in order, on the words of the text (runs of letters; words containing a
digit, such as "500k" or "81t", are ignored):

1. No words: None.
2. Vietnamese letters (ă â đ ê ô ơ ư, or a vowel with a tone mark): "vi" when at least half of
   the words carry such a letter or are Vietnamese-only common words (``VI_WORDS`` minus
   ``EN_WORDS``), so
   one accented word ("ạ" at the end of an unaccented message) is enough in Vietnamese text,
   while an English sentence quoting "Lê Lợi" or "Phường Bến Nghé" goes on to rule 4.
3. Unaccented Vietnamese: at least 75 % of the words are possible Vietnamese syllables
   (onset + vowel + final, e.g. "nguoi", "duoc", "khong") or texting abbreviations
   (``VI_ABBREVIATIONS``: k, ko, dc, j, r, ...), Vietnamese-only common words (``VI_WORDS``
   minus ``EN_WORDS``) are at least 20 % of the words and at least twice the English-only ones
   (``EN_WORDS`` minus ``VI_WORDS``): "vi". A short text (rule 4) needs every word to be a
   possible syllable or abbreviation, two Vietnamese-only words and no English-only one.
4. Too short to be reliable (fewer than ``MIN_WORDS`` words or ``MIN_LETTERS`` letters): None.
5. langdetect (seeded, so the answer is repeatable): "en" only with a probability of at least
   ``EN_MIN_PROBABILITY``, at least one English-only common word and fewer than 20 %
   Vietnamese-only words; "vi" if langdetect's best guess is Vietnamese; otherwise None.
"""

from __future__ import annotations

import re
import unicodedata

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0  # langdetect is random otherwise

MIN_WORDS = 4
MIN_LETTERS = 15
EN_MIN_PROBABILITY = 0.9
VI_MIN_SHARE = 0.5  # rule 2
SYLLABLE_MIN_SHARE = 0.75  # rule 3
VI_WORD_MIN_SHARE = 0.2  # rules 3 and 5


def _wordlist(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Very common Vietnamese words as typed without diacritics.
VI_WORDS = _wordlist(
    """
    a ai ak alo anh ba bac bao be bi biet bo bua buoi cac cai cam can cap cau chao chi chieu
    cho chu chua chuyen co con cong cua cuoc cung da dang dap dat day de den di dia dinh do
    doi don dong du dung duoc duong e em gi gia giay gio giup gui hai hang hay hen het hoi
    hoc hom hon hop hot huong khi kho khoan khong kien kinh la lai lam lan len loi luc ma mai
    me minh moi mot muon nam nao nay ne neu nghe nghi nguoi nha nhan nhanh nhe nhieu nhu nhung
    no noi nop nua o oi ong phai phi phuong qua quan quy ra roi sao sau so sua ta tai tam
    thang the thi thoi thu thuc thue tien tinh to toi tot tra tren tro truoc truong tu tuc
    uy va van vao ve vi viec voi vs xa xay xem xin
    """
)
# Very common English words; those also in VI_WORDS count for neither language.
EN_WORDS = _wordlist(
    """
    a about after all also am an and any are as at be because been but by can could day did
    do does for from get got had has have he hello her here hi him his how i if in is it its
    just like may me more much my need no not now of on one or our out please she should so
    some than thank thanks that the their them then there these they this those to up us
    want was way we were what when where which who why will with would yes you your
    """
)
# Texting shorthands that are not syllables: khong -> k/ko/hok, duoc -> dc, gi -> j, roi -> r ...
VI_ABBREVIATIONS = _wordlist(
    "ad ak bt ck cx dc dk gd hk hok j k ko kg mk mn nc ng ns nx r ok sdt tks tp ubnd vk vs"
)

_ONSET = r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnprstvx])?"
_NUCLEUS = (
    r"(?:uye|uya|uyu|uou|uoi|ieu|yeu|oai|oay|uay|ua|uo|ui|uu|uy|ue|ia|ie|iu|ye|oa|oe|oi|oo"
    r"|ai|ao|au|ay|eo|eu|a|e|i|o|u|y)"
)
_CODA = r"(?:ch|ng|nh|c|m|n|p|t)?"
_SYLLABLE = re.compile(_ONSET + _NUCLEUS + _CODA)
_WORD = re.compile(r"\w+")

_VI_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưy"
    for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
) - frozenset("aeiouy") | {"đ"}
_VI_ONLY = VI_WORDS - EN_WORDS
_EN_ONLY = EN_WORDS - VI_WORDS


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).lower()
    return [w for w in _WORD.findall(text) if not any(c.isdigit() or c == "_" for c in w)]


def _plausible(word: str) -> bool:
    return word in VI_ABBREVIATIONS or _SYLLABLE.fullmatch(word) is not None


def _langdetect(text: str) -> tuple[str, float] | None:
    try:
        guesses = detect_langs(text)
    except LangDetectException:
        return None
    return (guesses[0].lang, guesses[0].prob) if guesses else None


def detect_language(text: str) -> str | None:
    """ "vi", "en", or None when the text is too short or unclear; rules in the module docstring."""
    words = _words(text)
    if not words:
        return None
    total = len(words)
    marked = sum(1 for w in words if any(c in _VI_LETTERS for c in w))
    vi_only = sum(1 for w in words if w in _VI_ONLY)
    en_only = sum(1 for w in words if w in _EN_ONLY)
    if marked and (marked + vi_only) / total >= VI_MIN_SHARE:
        return "vi"

    plausible = sum(1 for w in words if _plausible(w))
    short = total < MIN_WORDS or sum(map(len, words)) < MIN_LETTERS
    if short:
        if plausible == total and vi_only >= 2 and en_only == 0:
            return "vi"
        return None
    if (
        plausible / total >= SYLLABLE_MIN_SHARE
        and vi_only / total >= VI_WORD_MIN_SHARE
        and vi_only >= 2 * en_only
    ):
        return "vi"

    guess = _langdetect(text)
    if guess is None:
        return None
    lang, probability = guess
    if lang == "vi":
        return "vi"
    if (
        lang == "en"
        and probability >= EN_MIN_PROBABILITY
        and en_only >= 1
        and vi_only / total < VI_WORD_MIN_SHARE
    ):
        return "en"
    return None
