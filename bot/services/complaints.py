"""Tell feedback from complaints and denunciations before a message is filed (domain.md §5).

The bot takes phản ánh, kiến nghị (ND 20/2008) for the dialogue conference. Khiếu nại, tố cáo
and tố giác tội phạm are another track: the bot recognises them and redirects. Pure functions,
no I/O. Never log the resident's text; ``Assessment.triggers`` holds only table entries.

Matching (domain.md §5 "Trigger words")
----------------------------------------
1. The text goes through ``parsing.normalise``: NFC, lower case, tone marks in the new
   placement ("tòa" -> "toà", "dọa" -> "doạ"). The table entries go through the same function,
   so "tòa án" in the table matches "tòa án" and "toà án" typed.
2. The text is cut into words: runs of letters and digits; spaces and punctuation separate them.
   A phrase matches a run of whole words, never part of a word: "kien" is not in "kienthuc".
3. A phrase matches when its words *equal* the typed words. A form without diacritics (the
   stripped column, đ -> d) can therefore only equal words typed without diacritics: "kiến
   nghị" never matches the stripped "kien", and "hơi lo" never matches the stripped "hoi lo".
   A partly accented phrase ("khiếu nai") matches neither column.
4. Words typed without diacritics that abbreviate "không" ("ko", "k", "kh", "hok", "kg", "khg")
   count as "khong", so an extra phrase containing "khong" need be listed once.
5. Ordinary readings (``ORDINARY``) withdraw an ambiguous or extra match whose words they
   overlap: "kiện toàn" is not "kiện", "to cao hơn" is "big and tall". They never withdraw a
   trigger of the §5 strong lists: those are specific legal terms, and the strong path lets the
   resident send the text anyway (so "tòa án" in a plain civil-status question is STRONG).
6. Strong beats ambiguous. ``triggers`` lists every phrase kept, longest match only ("khởi
   kiện" is reported, not also "kiện"), in the order they occur in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from bot.conversation.parsing import fold, normalise

# --- tables: domain.md §5, exactly as listed ----------------------------------------------------

STRONG: tuple[str, ...] = (
    "khiếu nại",
    "khiếu kiện",
    "đơn khiếu nại",
    "tố cáo",
    "đơn tố cáo",
    "tố giác",
    "tin báo tội phạm",
    "khởi kiện",
    "kiện ra tòa",
    "tòa án",
    "xem xét lại quyết định",
    "quyết định hành chính trái pháp luật",
    "tham nhũng",
    "hối lộ",
    "lót tay",
    "lừa đảo",
    "đe dọa",
    "hành hung",
    "tranh chấp đất đai",
    "đơn thư",
)
STRONG_STRIPPED: tuple[str, ...] = (
    "khieu nai",
    "khieu kien",
    "don khieu nai",
    "don to cao",
    "to giac",
    "tin bao toi pham",
    "khoi kien",
    "kien ra toa",
    "toa an",
    "xem xet lai quyet dinh",
    "quyet dinh hanh chinh trai phap luat",
    "tham nhung",
    "lot tay",
    "lua dao",
    "de doa",
    "hanh hung",
    "tranh chap dat dai",
    "don thu",
)
AMBIGUOUS: tuple[str, ...] = (
    "nhũng nhiễu",
    "sách nhiễu",
    "gây phiền hà",
    "cửa quyền",
    "chậm trễ",
    "trễ hẹn",
    "bắt bổ sung giấy tờ",
    "thu phí ngoài quy định",
    "thái độ",
    "nhận tiền",
    "phong bì",
    "bôi trơn",
    "kiện",
    "thu hồi đất",
    "bồi thường",
)
AMBIGUOUS_STRIPPED: tuple[str, ...] = (
    "nhung nhieu",
    "sach nhieu",
    "gay phien ha",
    "cua quyen",
    "cham tre",
    "tre hen",
    "bat bo sung giay to",
    "thu phi ngoai quy dinh",
    "thai do",
    "nhan tien",
    "phong bi",
    "boi tron",
    "thu hoi dat",
    "boi thuong",
    # Stripped forms that collide with ordinary words: kiến/kiên, "to cao" (big and tall),
    # "hơi lo" (a bit worried). Ambiguous although "tố cáo" and "hối lộ" are strong.
    "to cao",
    "hoi lo",
    "kien",
)

# --- tables: additions beyond §5, each with its reason ------------------------------------------
# Only language that by itself says complaint, denunciation, crime or emergency. Where a
# stripped form would collide with an everyday word it is left out (noted per line).

EXTRA_STRONG: tuple[str, ...] = (
    # Crime and emergencies: §5 sends tố giác tội phạm to the ward police and emergencies to
    # 113/114/115; a resident reporting one must see that at once, not a survey of feedback.
    "cướp",  # robbery, snatch theft (cướp giật)
    "cuop",
    "trộm",  # theft (mất trộm, ăn trộm, trộm cắp); "trộm vía" is in ORDINARY
    "trom",
    "đánh nhau",  # a fight
    "danh nhau",
    "đánh người",  # assault in plain words (§5 has the formal "hành hung")
    "danh nguoi",
    "đâm chém",  # knife violence
    "dam chem",
    "giết người",  # homicide
    "giet nguoi",
    "bốc cháy",  # fire (114); bare "cháy" is also "sold out" (cháy hàng, cháy vé)
    "boc chay",
    "cháy nhà",  # no stripped form: "chay" is also chạy (run) and chay (vegetarian)
    "đang cháy",  # no stripped form: "dang chay" is đang chạy (is running)
    "hoả hoạn",  # no stripped form: "hoa hoan" is also hoà hoãn (truce)
    "cần cấp cứu",  # ambulance (115); bare "cấp cứu" also in "xe cấp cứu không vào được hẻm"
    "can cap cuu",
    "gọi cấp cứu",
    "goi cap cuu",
    # Contesting an individual decision or order is what Luật Khiếu nại calls khiếu nại, even
    # when the word is not used (§5 already lists "xem xét lại quyết định").
    "huỷ quyết định",
    "huy quyet dinh",
    "huỷ bỏ quyết định",
    "huy bo quyet dinh",
    "huỷ lệnh",
    "huy lenh",
    "không chấp nhận quyết định",
    "khong chap nhan quyet dinh",
    "không chấp nhận lệnh",
    "khong chap nhan lenh",
    # Stripped collisions whose context rules out the ordinary reading take the class of the
    # accented form, which is strong: one cannot "want to be tall" or "take a bit worried".
    "muon to cao",  # muốn tố cáo
    "to cao can bo",  # tố cáo cán bộ
    "nhan hoi lo",  # nhận hối lộ
    "dua hoi lo",  # đưa hối lộ
    "doi hoi lo",  # đòi hối lộ
    "an hoi lo",  # ăn hối lộ
    "tien hoi lo",  # tiền hối lộ
    # English, for the bot's English-speaking residents: the same legal acts as the §5 strong list.
    "file a complaint",  # khiếu nại
    "lodge a complaint",
    "make a complaint",
    "formal complaint",
    "denounce",  # tố cáo
    "bribe",  # hối lộ
    "bribes",
    "bribed",
    "bribery",
    "corruption",  # tham nhũng
    "fraud",  # lừa đảo
    "scam",
    "scammed",
    "lawsuit",  # khởi kiện
    "threatened",  # đe dọa
    "assaulted",  # hành hung
    "robbery",  # cướp
    "robbed",
    "theft",  # trộm
    "stolen",
)

EXTRA_AMBIGUOUS: tuple[str, ...] = (
    # Officials' conduct, synonyms of §5 "cửa quyền", "sách nhiễu", "gây phiền hà".
    "hách dịch",  # overbearing
    "hach dich",
    "làm khó",  # making things hard on purpose (làm khó dân)
    "lam kho",  # also làm khổ (torment): the same meaning here
    # Collecting money: the general form of §5 "thu phí ngoài quy định", and money taken without
    # a receipt. Either may be a question about fees or a report of misconduct.
    "ngoài quy định",
    "ngoai quy dinh",
    "không biên lai",
    "khong bien lai",
    "không có biên lai",
    "khong co bien lai",
    "không đưa biên lai",
    "khong dua bien lai",
    "không cấp biên lai",
    "khong cap bien lai",
    # Disputes and encroachment: the general forms of §5 "tranh chấp đất đai". A question about
    # a dispute procedure is possible, so one clarifying question decides.
    "tranh chấp",
    "tranh chap",
    "lấn chiếm",
    "lan chiem",
    # English equivalents of the §5 ambiguous list ("thái độ", "sách nhiễu") and of a complaint
    # in the everyday sense, which may be feedback.
    "complaint",
    "complaints",
    "complain",
    "rude",
    "harassment",
    "harassed",
)

# Ordinary words that contain a trigger. Written with their diacritics; each also matches when
# typed without any, word by word ("kien nghi", "to cao hon"). See rule 5 of the module docstring.
_POSITIVE_ATTITUDE = (
    "tốt",
    "nhiệt tình",
    "tận tình",
    "niềm nở",
    "vui vẻ",
    "lịch sự",
    "thân thiện",
    "chu đáo",
)
ORDINARY: tuple[str, ...] = (
    # kiện / kien
    "kiện toàn",  # strengthen (kiện toàn tổ hoà giải)
    "điều kiện",  # condition
    "sự kiện",  # event
    "bưu kiện",  # parcel
    "linh kiện",  # component
    "phụ kiện",  # accessory
    "văn kiện",  # document
    "kiện hàng",  # package
    "kiến nghị",  # recommendation: the very thing the bot takes
    "ý kiến",  # opinion
    "kiến thức",  # knowledge
    "sáng kiến",  # initiative
    "kiến trúc",  # architecture
    "kiên nhẫn",  # patient
    "kiên quyết",  # resolute
    "kiên trì",  # persevering
    # to cao = big and tall
    "to cao hơn",
    "to cao nhất",
    # hoi lo = hơi lo (a bit worried); lộ trình (route, roadmap): "hỏi lộ trình"
    "hơi lo lắng",
    "hơi lo ngại",
    "hơi lo vì",
    "hơi lo là",
    "lộ trình",
    # nhận tiền: a resident receiving a payment due to them (§5 "chưa nhận tiền trợ cấp")
    "nhận tiền trợ cấp",
    "nhận tiền hỗ trợ",
    "nhận tiền lương",
    "nhận tiền hưu",
    # trộm vía: a set phrase ("touch wood"), not a theft
    "trộm vía",
    # thái độ in praise: "thái độ nhiệt tình", "thái độ rất tốt" (not "thái độ không tốt")
    *(f"thái độ {word}" for word in _POSITIVE_ATTITUDE),
    *(f"thái độ rất {word}" for word in _POSITIVE_ATTITUDE),
)

# Typed abbreviations of "không"; only words typed without diacritics are rewritten.
NEGATIONS: tuple[str, ...] = ("ko", "k", "kh", "hok", "kg", "khg")


class Signal(StrEnum):
    NONE = "none"
    AMBIGUOUS = "ambiguous"
    STRONG = "strong"


@dataclass(frozen=True)
class Assessment:
    signal: Signal
    triggers: tuple[str, ...] = ()  # table entries as listed, never the resident's text


# --- compiled tables ------------------------------------------------------------------------------

_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def _words(normalised: str) -> list[str]:
    return _WORD.findall(normalised)


@dataclass(frozen=True)
class _Trigger:
    entry: str  # as listed
    words: tuple[str, ...]  # normalised
    signal: Signal
    literal_strong: bool  # from the §5 strong lists: never withdrawn by ORDINARY


def _compile(
    entries: Iterable[str], signal: Signal, *, literal_strong: bool = False
) -> Iterator[_Trigger]:
    for entry in entries:
        words = tuple(_words(normalise(entry)))
        if not words or " ".join(words) != normalise(entry):
            raise ValueError(f"trigger {entry!r} must be whole words")
        yield _Trigger(entry, words, signal, literal_strong)


for _entry in (*STRONG_STRIPPED, *AMBIGUOUS_STRIPPED):
    if fold(_entry) != normalise(_entry):
        raise ValueError(f"stripped trigger {_entry!r} has diacritics")

_TRIGGERS: tuple[_Trigger, ...] = (
    *_compile((*STRONG, *STRONG_STRIPPED), Signal.STRONG, literal_strong=True),
    *_compile(EXTRA_STRONG, Signal.STRONG),
    *_compile((*AMBIGUOUS, *AMBIGUOUS_STRIPPED, *EXTRA_AMBIGUOUS), Signal.AMBIGUOUS),
)
_BY_FIRST_WORD: dict[str, list[_Trigger]] = {}
for _trigger in _TRIGGERS:
    _BY_FIRST_WORD.setdefault(_trigger.words[0], []).append(_trigger)

# Each ordinary phrase as (accented words, the same words folded).
_ORDINARY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (tuple(_words(normalise(p))), tuple(_words(fold(p)))) for p in ORDINARY
)
_ORDINARY_BY_FIRST: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
_ORDINARY_BY_FIRST_FOLDED: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
for _phrase in _ORDINARY:
    _ORDINARY_BY_FIRST.setdefault(_phrase[0][0], []).append(_phrase)
    if _phrase[1][0] != _phrase[0][0]:
        _ORDINARY_BY_FIRST_FOLDED.setdefault(_phrase[1][0], []).append(_phrase)
_NEGATIONS = frozenset(NEGATIONS)
_RANK = {Signal.NONE: 0, Signal.AMBIGUOUS: 1, Signal.STRONG: 2}


# --- matching -------------------------------------------------------------------------------------


def _plain(word: str) -> bool:
    """Typed without diacritics (and without đ)."""
    return fold(word) == word


def _spans(words: list[str]) -> Iterator[tuple[int, int, _Trigger]]:
    for start, word in enumerate(words):
        for trigger in _BY_FIRST_WORD.get(word, ()):
            end = start + len(trigger.words)
            if tuple(words[start:end]) == trigger.words:
                yield start, end, trigger


def _ordinary_words(words: list[str]) -> set[int]:
    """Indices of words that belong to an ordinary phrase, typed with or without diacritics."""
    plain = [_plain(word) for word in words]  # folding is the costly part: once per word
    covered: set[int] = set()
    for start, word in enumerate(words):
        candidates = (
            _ORDINARY_BY_FIRST.get(word, ())
            if not plain[start]
            else (
                *_ORDINARY_BY_FIRST.get(word, ()),
                *_ORDINARY_BY_FIRST_FOLDED.get(word, ()),
            )
        )
        for accented, folded in candidates:
            end = start + len(accented)
            if end <= len(words) and all(
                words[i] == a or (plain[i] and words[i] == f)
                for i, a, f in zip(range(start, end), accented, folded, strict=True)
            ):
                covered.update(range(start, end))
    return covered


def match_triggers(text: str) -> Assessment:
    """The trigger words of the text (domain.md §5): STRONG, AMBIGUOUS or NONE."""
    typed = _words(normalise(text))
    ordinary = _ordinary_words(typed)
    words = ["khong" if w in _NEGATIONS else w for w in typed]  # negations are all plain
    found = [
        (start, end, trigger)
        for start, end, trigger in _spans(words)
        if trigger.literal_strong or ordinary.isdisjoint(range(start, end))
    ]
    # Longest match only: drop a match lying inside a longer one that is at least as strong.
    kept = [
        (start, end, trigger)
        for start, end, trigger in found
        if not any(
            s <= start
            and end <= e
            and e - s > end - start
            and _RANK[t.signal] >= _RANK[trigger.signal]
            for s, e, t in found
        )
    ]
    if not kept:
        return Assessment(Signal.NONE)
    signal = (
        Signal.STRONG if any(t.signal is Signal.STRONG for _, _, t in kept) else Signal.AMBIGUOUS
    )
    triggers = tuple(dict.fromkeys(t.entry for _, _, t in sorted(kept, key=lambda m: m[:2])))
    return Assessment(signal, triggers)


_SIGNAL_OF_HANDLING = {"redirect": Signal.STRONG, "clarify": Signal.AMBIGUOUS}


def assess(text: str) -> Assessment:
    """What the message is for, as a signal (bot.triage): STRONG to redirect, AMBIGUOUS to ask
    the one clarifying question, NONE to file; ``triggers`` are the table entries it holds."""
    from bot.triage import triage  # the recogniser reads this module's tables

    signal = _SIGNAL_OF_HANDLING.get(triage(text).handling, Signal.NONE)
    return Assessment(signal, match_triggers(text).triggers)
