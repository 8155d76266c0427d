"""The one table of how residents spell their answers on text channels (Zalo, console).

Everything the reading of typed replies knows about Vietnamese (and English) spelling lives
here, so a new spelling is one line in one place. Spellings are written with their diacritics:
typed without them (or with only some) they still count, but typed with other marks they do
not ("cô" is not "có", "hài" is not "hai"). See ``bot.conversation.parsing`` for the rules and
``bot.conversation.understanding`` for how a reply is matched against the screen it answers.
"""

from __future__ import annotations

from enum import StrEnum

# --- numbers ----------------------------------------------------------------------------------

NUMBER_WORDS: dict[str, int] = {
    "không": 0,
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

NUMBER_PREFIXES: tuple[str, ...] = ("số", "so", "#")  # "số 1", "so 1", "#1"
LIST_SEPARATORS = ",;/+&"  # besides spaces, between the numbers of a multiple choice
LIST_CONJUNCTIONS: tuple[str, ...] = ("và", "and", "với")  # "1, 3 và 5"

# Units that make a number a score: "4 sao", "5*", "bốn điểm", "5 stars", "⭐⭐⭐⭐".
# They are read only on a scale whose option numbers are the scores themselves (see
# understanding.Screen.scale); elsewhere "3 sao" could mean option 3 or three stars of three.
STAR_UNITS: tuple[str, ...] = ("sao", "điểm", "star", "stars", "point", "points", "đ", "d")
STAR_MARKS = "*★☆⭐✩✪✫✬✭✮✯🌟"
SCORE_PREFIXES: tuple[str, ...] = ("mức", "level")  # "mức 4" = score 4

# --- politeness and lead-ins --------------------------------------------------------------------

# Words around an answer that add politeness, not meaning: "dạ 5 ạ", "vâng, rất hài lòng nhé".
# Removed from either end of a reply (several in a row too) before it is read; a reply made of
# nothing else ("dạ", "vâng") is read as it is.
PARTICLES: tuple[str, ...] = (
    *("ạ", "dạ", "vâng", "vâng ạ", "dạ vâng", "thưa", "nhé", "nhe", "nha", "nhá", "nghen", "hen"),
    *("ah", "à", "a", "ạh", "ak", "á", "nè", "đó", "ơi", "luôn", "thôi"),
    *("ad", "admin", "bot", "bạn", "ad ơi", "bot ơi", "bạn ơi"),
    *("cảm ơn", "cám ơn", "xin cảm ơn", "thanks", "thank you", "tks", "thx", "please", "pls"),
)
# Words before a chosen option: "em chọn 5", "tôi chọn rất hài lòng", "đáp án 2".
LEAD_INS: tuple[str, ...] = (
    *("chọn", "em chọn", "tôi chọn", "mình chọn", "con chọn", "cháu chọn", "bác chọn"),
    *("cô chọn", "chú chọn", "anh chọn", "chị chọn", "ông chọn", "bà chọn", "chọn số"),
    *("đáp án", "phương án", "câu trả lời", "trả lời", "i choose", "option", "answer"),
    # a pronoun alone: "tôi đồng ý", "em không đồng ý" ("cô" is left out: typed "co" is "có")
    *("tôi", "em", "con", "cháu", "mình", "bác", "chú"),
)

# --- short forms of words inside a label ----------------------------------------------------------

# How residents shorten one word when they type a label: "ko hài lòng", "0 hai long",
# "rat k hai long", "bình thg". The canonical word is written as in the labels.
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "không": (
        *("k", "ko", "kô", "kh", "khg", "khog", "khôg", "kg", "hk", "hok", "hông", "hong"),
        *("hổng", "khum", "khom", "0"),  # "0" only inside a longer reply: alone it is zero
    ),
    "được": ("dc", "đc", "dk", "đk", "duoc"),
    "thường": ("thg", "thuog"),
    "hài lòng": ("hl", "hailong"),
    "với": ("vs", "voi"),
    "trực tuyến": ("online", "onl"),
}

# Spellings of a whole label that share no words with it.
# Words a reply may not leave out when it names an option by part of its label: "áp dụng" is
# not "Không áp dụng", "hài lòng" is not "Rất hài lòng".
WORDS_NEVER_LEFT_OUT: tuple[str, ...] = ("không", "chưa", "rất", "not", "very", "no")

LABEL_ALIASES: dict[str, tuple[str, ...]] = {
    "không áp dụng": ("n/a", "na"),
    "not applicable": ("n/a", "na"),
}

# --- command words -----------------------------------------------------------------------------


class Keyword(StrEnum):
    MENU = "menu"
    BACK = "back"
    RESTART = "restart"
    CANCEL = "cancel"
    HELP = "help"
    SKIP = "skip"
    DATA = "data"
    LANGUAGE = "language"
    YES = "yes"
    NO = "no"
    START = "start"
    SUBMIT = "submit"


# A leading "/" is punctuation and is stripped: "/menu" is "menu". A reply of question marks
# alone ("?", "??") asks for help. Short forms above apply: "ko co" is "không có".
KEYWORDS: dict[Keyword, tuple[str, ...]] = {
    Keyword.MENU: ("menu", "trang chủ"),
    Keyword.BACK: (
        *("quay lại", "trở lại", "lui", "lùi", "lùi lại", "quay về", "trở về", "câu trước"),
        *("back", "go back", "previous"),
    ),
    Keyword.RESTART: (
        *("làm lại", "bắt đầu lại", "từ đầu", "làm lại từ đầu", "bắt đầu lại từ đầu"),
        *("lại từ đầu", "start over", "restart", "start again"),
    ),
    Keyword.CANCEL: ("huỷ", "cancel", "thoát"),
    Keyword.HELP: (
        *("help", "giúp", "giúp đỡ", "trợ giúp", "hướng dẫn", "giúp tôi", "giúp với", "giúp em"),
        *("giúp tôi với", "giúp em với", "giúp mình với"),
        *("không hiểu", "là sao", "làm sao", "sao"),
    ),
    Keyword.SKIP: ("bỏ qua", "skip"),
    Keyword.DATA: ("dulieu", "dữ liệu", "data", "my data"),
    Keyword.LANGUAGE: ("english", "tiếng việt", "ngôn ngữ", "language"),
    Keyword.YES: (
        *("có", "đồng ý", "có chứ", "có rồi", "rồi", "có làm", "vâng", "dạ", "dạ có", "đúng"),
        *("đúng rồi", "phải", "phải rồi", "chắc chắn", "ừ", "ừm", "ừ ừ", "uh", "uhm", "um"),
        *("ờ", "ok", "oke", "okê", "okie", "oki", "okay", "được", "yes", "yep", "yeah", "yup"),
        *("sure", "agree", "i agree", "đồng ý hết", "đồng ý tất cả", "muốn", "có muốn"),
    ),
    Keyword.NO: (
        *("không", "không đồng ý", "không có", "không làm", "không muốn", "không cần"),
        *("chưa", "chưa có", "chưa làm", "chưa từng", "chưa bao giờ", "khỏi", "no", "nope"),
        *("nah", "disagree", "i do not agree", "i don't agree"),
    ),
    Keyword.START: ("start", "bắt đầu"),
    Keyword.SUBMIT: ("gửi", "submit", "send"),
}

# --- the conference hall -------------------------------------------------------------------------

# Supporting a question of the live queue by its number: "ủng hộ 12", "ung ho so 12",
# "support KN-26-0012" (bot.conversation.screens.ask.support_in_hall).
SUPPORT_WORDS: tuple[str, ...] = ("ủng hộ", "support", "vote")
SUPPORT_NUMBER_PREFIXES: tuple[str, ...] = ("câu", "câu hỏi", "question", "số", "#")
