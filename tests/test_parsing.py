"""Lenient reading of typed answers on text channels: numbers, labels and command words."""

from __future__ import annotations

import unicodedata

import pytest

from bot.conversation.parsing import (
    KEYWORDS,
    NUMBER_WORDS,
    Keyword,
    cores,
    expand_short_forms,
    fold,
    keyword,
    match_label,
    normalise,
    parse_number,
    parse_numbers,
)

S5 = ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"]
S5_NA = [*S5, "Không áp dụng"]


# --- normalise and fold ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Rất   hài lòng!  ", "rất hài lòng"),
        ("(2)", "2"),
        ("1.", "1"),
        ("“Có”", "có"),
        ("[ok]?!", "ok"),
        ("１２", "12"),
        ("1,3,5", "1,3,5"),  # punctuation inside is kept
        ("a\u00a0\u3000b\tc\n", "a b c"),  # any Unicode space
        ("c\u200bó", "có"),  # zero-width space
        ("/menu", "menu"),
        (unicodedata.normalize("NFD", "Rất hài lòng"), "rất hài lòng"),
        ("", ""),
        (" .,;:!? ", ""),
    ],
)
def test_normalise(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hòa", "hoà"),
        ("HÒA", "hoà"),
        ("hóa", "hoá"),
        ("tạp hỏa", "tạp hoả"),
        ("lõa", "loã"),
        ("họa", "hoạ"),
        ("khỏe", "khoẻ"),
        ("hòe", "hoè"),
        ("thủy", "thuỷ"),
        ("hủy", "huỷ"),
        ("tùy", "tuỳ"),
        ("úy", "uý"),
        ("lũy", "luỹ"),
        ("lụy", "luỵ"),
        ("tòa nhà", "toà nhà"),
        ("hòa giải.", "hoà giải"),
    ],
)
def test_tone_placement_variants_compare_equal(old: str, new: str) -> None:
    assert normalise(old) == normalise(new) == new
    assert fold(old) == fold(new)


@pytest.mark.parametrize("closed", ["hoàn", "toán", "khoảng", "huỳnh", "thuyết", "quý", "ngoài"])
def test_closed_syllables_keep_their_mark(closed: str) -> None:
    assert normalise(closed) == closed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Rất hài lòng", "rat hai long"),
        ("ĐỒNG Ý", "dong y"),
        ("Không áp dụng", "khong ap dung"),
        ("người", "nguoi"),
        ("huỷ", "huy"),
        ("hủy", "huy"),
        (unicodedata.normalize("NFD", "Tiếng Việt"), "tieng viet"),
    ],
)
def test_fold(typed: str, expected: str) -> None:
    assert fold(typed) == expected


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", 1),
        ("1.", 1),
        (" 1 ", 1),
        ("(2)", 2),
        ("2)", 2),
        ("3!", 3),
        ("0", 0),
        ("10", 10),
        ("01", 1),
        ("１", 1),
        ("（５）", 5),
        ("số 1", 1),
        ("Số 4.", 4),
        ("so 1", 1),
        ("so1", 1),
        ("#2", 2),
        ("# 3", 3),
        ("số một", 1),
        # Vietnamese number words, with and without diacritics
        ("không", 0),
        ("khong", 0),
        ("Không", 0),
        ("một", 1),
        ("mot", 1),
        ("hai", 2),
        ("ba", 3),
        ("bốn", 4),
        ("bon", 4),
        ("tư", 4),
        ("tu", 4),
        ("năm", 5),
        ("nam", 5),
        ("NĂM.", 5),
        ("sáu", 6),
        ("sau", 6),
        ("bảy", 7),
        ("bẩy", 7),
        ("bay", 7),
        ("tám", 8),
        ("tam", 8),
        ("chín", 9),
        ("chin", 9),
        ("mười", 10),
        ("muoi", 10),
        ("mươi", 10),  # some marks left out: still "mười"
        # English
        ("zero", 0),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("Six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
    ],
)
def test_parse_number(typed: str, expected: int) -> None:
    assert parse_number(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "abc",
        "12abc",
        "1abc",
        "1 2",
        "1,2",
        "1.5",
        "câu 1",
        "cau 1",
        "số",
        "so",
        "👍",
        "1 👍",
        "😀😀",
        "rất hài lòng",
        # wrong diacritics are other words, not number words
        "bà",
        "hài",
        "mốt",
        "nằm",
        "tâm",
        "eleven",
        "1234567890",  # more than 9 digits
    ],
)
def test_parse_number_rejects(typed: str) -> None:
    assert parse_number(typed) is None


@pytest.mark.parametrize(("word", "value"), NUMBER_WORDS.items())
def test_every_number_word_with_and_without_diacritics(word: str, value: int) -> None:
    assert parse_number(word) == value
    assert parse_number(fold(word)) == value
    assert parse_number(word.upper() + ".") == value


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", [1]),
        ("1 3 5", [1, 3, 5]),
        ("1,3,5", [1, 3, 5]),
        ("1, 3, 5.", [1, 3, 5]),
        ("1, 3 và 5", [1, 3, 5]),
        ("1 va 3", [1, 3]),
        ("1 and 3", [1, 3]),
        ("1;3", [1, 3]),
        ("1/3", [1, 3]),
        ("1+3", [1, 3]),
        ("1 / 3 + 5", [1, 3, 5]),
        ("mot ba", [1, 3]),
        ("một, ba và năm", [1, 3, 5]),
        ("１ ３", [1, 3]),
        ("3 1 3 1", [3, 1]),  # duplicates dropped, first order kept
        ("(1, 2)", [1, 2]),
        ("1 & 3", [1, 3]),
        ("1 với 3", [1, 3]),
        ("dạ 1 3 ạ", [1, 3]),  # polite particles around the list
    ],
)
def test_parse_numbers(typed: str, expected: list[int]) -> None:
    assert parse_numbers(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "và", "1-3-5", "1 3 x", "1 abc", "12abc", "1.3", "👍", "1 👍", "hài ba", "1 hoặc 3"],
)
def test_parse_numbers_rejects(typed: str) -> None:
    assert parse_numbers(typed) is None


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Rất hài lòng", 0),
        ("rất hài lòng", 0),
        ("RẤT HÀI LÒNG!", 0),
        ("rat hai long", 0),
        ("Rat hai long.", 0),
        ("rất hai long", 0),
        ("hài lòng", 1),
        ("hai long", 1),
        ("binh thuong", 2),
        ("Bình thường", 2),
        ("khong hai long", 3),
        ("Không hài lòng", 3),
        ("rat khong hai long", 4),
        ("Không áp dụng", 5),
        ("khong ap dung", 5),
        ("KHONG AP DUNG", 5),
        (unicodedata.normalize("NFD", "Không áp dụng"), 5),
        ("5. Rất hài lòng", 0),
        ("(2) khong hai long", 3),
        ("1 - rat khong hai long", 4),
    ],
)
def test_match_label(typed: str, expected: int) -> None:
    assert match_label(typed, S5_NA) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "long", "hài", "lòng", "rat", "rất hài lòng lắm", "khong", "1", "👍", "hai long 2"],
)
def test_match_label_needs_the_whole_label(typed: str) -> None:
    assert match_label(typed, S5_NA) is None


def test_match_label_tone_placement() -> None:
    labels = ["Hoà giải", "Tạp hoá", "Huỷ"]
    assert match_label("hòa giải", labels) == 0
    assert match_label("tạp hóa", labels) == 1
    assert match_label("hủy", labels) == 2


def test_match_label_ambiguous_fold_needs_the_exact_label() -> None:
    labels = ["Bán", "Bạn", "Khác"]  # "sell", "friend": both fold to "ban"
    assert match_label("ban", labels) is None
    assert match_label("bàn", labels) is None  # neither exactly
    assert match_label("bán", labels) == 0
    assert match_label("BẠN", labels) == 1
    assert match_label("khac", labels) == 2  # unique after folding


def test_match_label_leading_number_must_agree_when_numbers_are_given() -> None:
    numbers = [5, 4, 3, 2, 1, 9]
    assert match_label("5. Rất hài lòng", S5_NA, numbers=numbers) == 0
    assert match_label("4 hai long", S5_NA, numbers=numbers) == 1
    assert match_label("3. Rất hài lòng", S5_NA, numbers=numbers) is None
    assert match_label("rat hai long", S5_NA, numbers=numbers) == 0  # no number typed


def test_match_label_english_labels() -> None:
    labels = ["Very satisfied", "Satisfied", "Dissatisfied"]
    assert match_label("satisfied", labels) == 1
    assert match_label("Very satisfied!", labels) == 0


# --- keywords -------------------------------------------------------------------------------

KEYWORD_SPELLINGS = {
    Keyword.MENU: ["menu", "/menu", "trang chủ", "trang chu", "Trang Chủ", "MENU", "menu please"],
    Keyword.BACK: ["quay lại", "quay lai", "trở lại", "tro lai", "back", "Quay lại."],
    Keyword.CANCEL: ["huỷ", "hủy", "huy", "HỦY!", "cancel", "thoát", "thoat"],
    Keyword.HELP: [
        *("help", "giúp", "giup", "giúp đỡ", "giup do", "trợ giúp", "tro giup"),
        *("hướng dẫn", "huong dan", "/help", "Help?"),
    ],
    Keyword.SKIP: ["bỏ qua", "bo qua", "skip", "Bỏ qua."],
    Keyword.DATA: ["/dulieu", "dulieu", "dữ liệu", "du lieu", "/data", "my data", "data"],
    Keyword.LANGUAGE: [
        *("english", "English", "tiếng việt", "tieng viet", "Tiếng Việt"),
        *("ngôn ngữ", "ngon ngu", "language"),
    ],
    Keyword.YES: ["có", "co", "Có!", "đồng ý", "dong y", "yes", "ok", "OK", "ừ", "có ạ"],
    Keyword.NO: [
        *("không", "khong", "ko", "k", "no", "K.", "không đồng ý", "khong dong y"),
        "không ạ",
    ],
    Keyword.START: ["/start", "start", "bắt đầu", "bat dau"],
    Keyword.SUBMIT: ["gửi", "gui", "submit", "send", "Gửi!"],
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(spelling, kw) for kw, spellings in KEYWORD_SPELLINGS.items() for spelling in spellings],
)
def test_keyword(typed: str, expected: Keyword) -> None:
    assert keyword(typed) is expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "👍",
        "1",
        "cô",  # not "có"
        "gùi",  # not "gửi"
        "quay",
        "không biết",
        "có lẽ",
        "hello",
    ],
)
def test_not_a_keyword(typed: str) -> None:
    assert keyword(typed) is None


def test_khong_is_both_no_and_zero() -> None:
    for typed in ("không", "khong", "Không."):
        assert keyword(typed) is Keyword.NO
        assert parse_number(typed) == 0


def test_keyword_table_has_no_collisions() -> None:
    """No two keywords may share a spelling once diacritics are removed."""
    owners: dict[str, Keyword] = {}
    for kw, spellings in KEYWORDS.items():
        for spelling in spellings:
            folded = fold(spelling)
            assert owners.setdefault(folded, kw) is kw, (spelling, owners[folded], kw)


# --- politeness, short forms, the words residents use ---------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5 ạ", 5),
        ("dạ 5", 5),
        ("Dạ, em chọn 5 ạ", 5),
        ("số 4 nhé", 4),
        ("tôi chọn số 4", 4),
        ("2 nha, cảm ơn ad", 2),
        ("vâng, ba ạ", 3),
    ],
)
def test_parse_number_ignores_polite_words_around_it(typed: str, expected: int) -> None:
    assert parse_number(typed) == expected


@pytest.mark.parametrize("typed", ["dạ", "ạ", "vâng ạ", "5 6 ạ", "câu 1 ạ"])
def test_parse_number_needs_a_number_after_the_polite_words(typed: str) -> None:
    assert parse_number(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("dạ 5 ạ", ["dạ 5 ạ", "5"]),
        ("vâng ạ", ["vâng ạ", "vâng"]),  # the end first: "vâng" (yes) stays
        ("dạ", ["dạ"]),  # nothing but a particle: read as typed
        ("5", ["5"]),
        ("Rất hài lòng nhé, cảm ơn", ["rất hài lòng nhé, cảm ơn", "rất hài lòng"]),
    ],
)
def test_cores(typed: str, expected: list[str]) -> None:
    assert cores(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ko hài lòng", "không hài lòng"),
        ("k hai long", "không hai long"),
        ("0 hài lòng", "không hài lòng"),
        ("rat khg hai long", "rat không hai long"),
        ("ko hl", "không hài lòng"),
        ("bình thg", "bình thường"),
        ("0", "0"),  # alone, zero stays a number
        ("không", "không"),
    ],
)
def test_expand_short_forms(typed: str, expected: str) -> None:
    assert expand_short_forms(typed) == expected


RESIDENTS_WORDS = {
    Keyword.YES: [
        *("uh", "ừ", "ừm", "ok", "oke", "okie", "dc", "đc", "được", "có ạ", "dạ có", "yes", "yep"),
        *("vâng", "vâng ạ", "dạ", "có nhé", "có rồi", "đúng rồi", "tôi đồng ý", "đồng ý ạ"),
    ],
    Keyword.NO: [
        *("k", "ko", "kh", "khg", "hok", "hông", "khum", "ko có", "không ạ", "dạ không"),
        *("chưa", "chua", "chưa có", "chưa ạ", "nope", "ko đồng ý", "0 đồng ý", "k cần"),
    ],
    Keyword.BACK: ["quay lại", "quay lai", "lui", "lùi lại", "trở lại", "back", "câu trước"],
    Keyword.RESTART: ["làm lại", "lam lai", "bắt đầu lại", "từ đầu", "làm lại từ đầu"],
    Keyword.HELP: ["giúp", "help", "hướng dẫn", "?", "??", "？", "giúp tôi với", "không hiểu"],
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(spelling, kw) for kw, spellings in RESIDENTS_WORDS.items() for spelling in spellings],
)
def test_residents_words(typed: str, expected: Keyword) -> None:
    assert keyword(typed) is expected


@pytest.mark.parametrize("typed", ["có không", "cô", "co khong", "có lẽ", "? 5", "1?"])
def test_residents_words_that_are_no_command(typed: str) -> None:
    assert keyword(typed) is None
