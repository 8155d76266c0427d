"""The trigger table of domain.md §5 and its matching: collisions, diacritics, whole words.

The table no longer decides alone: it is one input of the recogniser (bot.triage, measured in
tests/test_triage.py), which reads what the whole message is for."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.conversation.parsing import fold, normalise
from bot.services.complaints import (
    AMBIGUOUS,
    AMBIGUOUS_STRIPPED,
    EXTRA_AMBIGUOUS,
    EXTRA_STRONG,
    ORDINARY,
    STRONG,
    STRONG_STRIPPED,
    Assessment,
    Signal,
    match_triggers,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
DOMAIN = DATA_DIR / "domain.md"

NONE, AMB, STRONG_ = Signal.NONE, Signal.AMBIGUOUS, Signal.STRONG


# --- the tables are §5's ---------------------------------------------------------------------


def _section_5_tables() -> dict[tuple[str, str], tuple[str, ...]]:
    tables: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in DOMAIN.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] not in ("strong", "ambiguous"):
            continue
        for column, cell in zip(("accented", "stripped"), cells[1:], strict=True):
            cell = re.sub(r"\(.*?\)", "", cell).replace("; **and**", ",")
            tables[cells[0], column] = tuple(p.strip() for p in cell.split(",") if p.strip())
    return tables


def test_tables_are_exactly_those_of_section_5() -> None:
    tables = _section_5_tables()
    assert tables["strong", "accented"] == STRONG
    assert tables["strong", "stripped"] == STRONG_STRIPPED
    assert tables["ambiguous", "accented"] == AMBIGUOUS
    assert tables["ambiguous", "stripped"] == AMBIGUOUS_STRIPPED


def test_stripped_forms_carry_no_diacritics() -> None:
    for entry in (*STRONG_STRIPPED, *AMBIGUOUS_STRIPPED):
        assert fold(entry) == entry


def test_no_extra_or_ordinary_phrase_is_already_a_section_5_trigger() -> None:
    section_5 = {normalise(e) for e in (*STRONG, *STRONG_STRIPPED, *AMBIGUOUS, *AMBIGUOUS_STRIPPED)}
    for entry in (*EXTRA_STRONG, *EXTRA_AMBIGUOUS, *ORDINARY):
        assert normalise(entry) not in section_5, entry


# --- each trigger, with and without diacritics ------------------------------------------------


@pytest.mark.parametrize("trigger", STRONG + STRONG_STRIPPED)
def test_every_strong_trigger_is_strong(trigger: str) -> None:
    assert match_triggers(trigger) == Assessment(STRONG_, (trigger,))
    assert match_triggers(f"Cho tôi hỏi: {trigger.upper()}, làm sao ạ?").signal is STRONG_


@pytest.mark.parametrize("trigger", AMBIGUOUS + AMBIGUOUS_STRIPPED)
def test_every_ambiguous_trigger_is_ambiguous(trigger: str) -> None:
    assert match_triggers(trigger) == Assessment(AMB, (trigger,))
    assert match_triggers(f"cán bộ ... {trigger}!").signal is AMB


@pytest.mark.parametrize(
    "text",
    [
        "Tôi muốn khiếu nại",
        "toi muon khieu nai",
        "TÔI MUỐN KHIẾU NẠI",
        unicodedata.normalize("NFD", "Tôi muốn khiếu nại"),
        "khiếu\u200b nại",
        "Tôi tố cáo cán bộ",
        "don to cao gui dau",
        "to giac",
        "bị đe doạ",  # new tone placement, the table says "đe dọa"
        "bị đe dọa",
        "bi de doa",
        "ra toà án",  # the table says "tòa án"
        "ra tòa án",
        "ra toa an",
        "sẽ kiện ra toà",
        "se kien ra toa",
        "HỐI LỘ",
    ],
)
def test_strong_in_any_case_spelling_and_tone_placement(text: str) -> None:
    assert match_triggers(text).signal is STRONG_


def test_tone_placement_variants_report_the_table_entry() -> None:
    assert match_triggers("toà án").triggers == match_triggers("tòa án").triggers == ("tòa án",)
    assert match_triggers("đe doạ").triggers == match_triggers("đe dọa").triggers == ("đe dọa",)


# --- collisions (§5 "Collisions to remember") -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        # kiến / kiện / kien
        ("kiến nghị", NONE),  # accented: never the stripped "kien"
        ("Kiến nghị phường mở thêm quầy", NONE),
        ("kien nghi phuong mo them quay", NONE),  # ordinary reading "kiến nghị", typed bare
        ("cho em xin y kien", NONE),
        ("du dieu kien huong tro cap khong", NONE),
        ("kien", AMB),  # bare "kien": kiện or kiến, ask
        ("tôi muốn kiện", AMB),
        ("toi muon kien", AMB),
        ("kiện toàn tổ hoà giải", NONE),  # ordinary word, listed in ORDINARY
        ("kien toan to hoa giai", NONE),
        ("điều kiện", NONE),
        ("sự kiện trung thu", NONE),
        # hơi lo / hối lộ / hoi lo
        ("em hơi lo", NONE),  # accented "hơi lo" is no trigger at all
        ("hoi lo", AMB),  # stripped: hơi lo or hối lộ
        ("em hoi lo vi gia dat tang", NONE),  # "hơi lo vì": ordinary
        ("can bo nhan hoi lo", STRONG_),  # context rules out "hơi lo"
        ("cán bộ nhận hối lộ", STRONG_),
        ("hỏi lộ trình xe buýt", NONE),
        ("hoi lo trinh xe buyt", NONE),
        # to cao / tố cáo
        ("to cao", AMB),  # stripped: tố cáo or big and tall
        ("tố cáo", STRONG_),
        ("truong moi to cao hon", NONE),  # "to cao hơn": big and tall
        ("toi muon to cao", STRONG_),  # "muốn tố cáo": nobody wants to be tall here
        # tòa nhà / tòa án
        ("tòa nhà chung cư", NONE),
        ("toà nhà chung cư", NONE),
        ("toa nha chung cu", NONE),
        # nhận tiền
        ("chưa nhận tiền trợ cấp", NONE),  # ordinary: the resident is the payee
        ("chua nhan tien tro cap thang 7", NONE),
        ("cán bộ bảo cứ nhận tiền rồi ký đi", AMB),
        ("nhận tiền", AMB),
        # thái độ in praise is not a complaint; any other use is ambiguous
        ("cán bộ thái độ rất nhiệt tình", NONE),
        ("can bo thai do tot", NONE),
        ("cán bộ thái độ không tốt", AMB),
        ("thái độ hách dịch", AMB),
        # land and compensation stay ambiguous (§5: frequent ordinary questions)
        ("khi nào có phương án bồi thường", AMB),
        ("thu hồi đất làm công viên", AMB),
    ],
)
def test_collisions(text: str, signal: Signal) -> None:
    assert match_triggers(text).signal is signal


@pytest.mark.parametrize(
    "text",
    [
        "kienthuc",  # a stripped trigger inside a longer word
        "tocao",
        "khieunai",
        "thaido",
        "hoilo",
        "kiệnn",
        "phong bìa",
        "trommel",
        "",
        "   ",
        "Xin chào phường ạ",
        "alo",
        "Hello, is this the ward office?",
    ],
)
def test_whole_words_only(text: str) -> None:
    assert match_triggers(text) == Assessment(NONE)


def test_diacritics_must_agree_with_the_column() -> None:
    # An accented word never matches a stripped form, and a stripped form only stripped words.
    assert match_triggers("kiến").signal is NONE
    assert match_triggers("kiên").signal is NONE
    assert match_triggers("tơ cao").signal is NONE
    assert match_triggers("hối lộ").signal is STRONG_
    assert match_triggers("hoi lo").signal is AMB


def test_strong_beats_ambiguous_and_reports_longest_matches_in_order() -> None:
    result = match_triggers("Hồ sơ trễ hẹn 2 tháng, tôi sẽ khởi kiện")
    assert result.signal is STRONG_
    assert result.triggers == ("trễ hẹn", "khởi kiện")  # not also "kiện" inside "khởi kiện"
    assert match_triggers("don khieu nai").triggers == ("don khieu nai",)
    assert match_triggers("tranh chấp đất đai").triggers == ("tranh chấp đất đai",)


def test_ordinary_phrases_never_hide_a_section_5_strong_trigger() -> None:
    assert match_triggers("theo bản án của tòa án năm 2019").signal is STRONG_
    assert match_triggers("kiến nghị, không phải khiếu nại").signal is STRONG_


# --- additions beyond §5 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "có nhóm thanh niên đánh nhau đầu hẻm",
        "co nhom thanh nien cam dao danh nhau",
        "nhà tôi bị mất trộm xe máy",
        "bi cuop giat dien thoai",
        "nhà bên cạnh đang cháy",
        "có người cần cấp cứu",
        "yêu cầu phường huỷ quyết định xử phạt",
        "yeu cau huy lenh goi nhap ngu",
        "gia đình không chấp nhận quyết định này",
        "gia dinh ko chap nhan quyet dinh nay",  # "ko" is "không"
        "I'd like to file a complaint.",
        "The officer asked me for a bribe",
        "My motorbike was stolen",
    ],
)
def test_extra_strong_phrases(text: str) -> None:
    assert match_triggers(text).signal is STRONG_


@pytest.mark.parametrize(
    "text",
    [
        "cán bộ hách dịch",
        "co nguoi co tinh lam kho",
        "truong thu them khoan ngoai quy dinh",
        "thu tiền mà không có biên lai",
        "thu tien ma ko co bien lai",
        "nhà bên cạnh lấn chiếm vỉa hè",
        "hai nha dang tranh chap loi di",
        "The officer was really rude",
        "I want to complain about the queue",
    ],
)
def test_extra_ambiguous_phrases(text: str) -> None:
    assert match_triggers(text).signal is AMB


@pytest.mark.parametrize(
    "text",
    [
        "trộm vía con em khoẻ",  # a set phrase, not a theft
        "con toi chay ve ko kip",  # "chay" is chạy: no stripped form for "cháy"
        "xe cấp cứu không vào được hẻm, đề nghị mở rộng",
        "cháy vé xe Tết",
        "hôm nay dang chay bo",  # đang chạy bộ
        "giá vàng SJC hôm nay bao nhiêu",
    ],
)
def test_extra_phrases_avoid_everyday_words(text: str) -> None:
    assert match_triggers(text).signal is NONE
