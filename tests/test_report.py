"""The conference report (DOCX) and the satisfaction chart (PNG), read back and checked against
an independent computation in plain Python over the inserted rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import warnings
from collections import Counter
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.shared import Cm, Pt
from PIL import Image

from bot.exports.chart import satisfaction_chart
from bot.exports.report import conference_report, conference_report_streamed
from bot.exports.rows import Pseudonyms, question_rows
from bot.exports.summary import collect
from bot.services.figures import Scope
from tests.conftest import DEFAULT_NOW
from tests.support import seed
from tests.support.seed import (
    ELEMENTS,
    M1_OPTIONS,
    O1_POINTS,
    PLACE,
    REPORT_QUESTIONS,
    SESSION_TITLE,
    Question,
    Row,
    counted,
)

# Written out from domain.md and the default survey, not read from the code under test.
FIELDS = {"dc": "Địa chính (đất đai)", "tp": "Tư pháp – Hộ tịch", "ca": "Công an"}
FIELDS_EN = {"dc": "Land administration", "tp": "Justice and civil status", "ca": "Police"}
ELEMENT_LABELS = [
    "Tiếp cận dịch vụ",
    "Thủ tục hành chính",
    "Công chức",
    "Kết quả",
    "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
]
M1_LABELS = {
    "info": "Thông tin",
    "prem": "Trụ sở, thiết bị",
    "skill": "Năng lực công chức",
    "attit": "Thái độ phục vụ",
    "online": "Dịch vụ công trực tuyến",
    "time": "Rút ngắn thời gian",
    "fb": "Tiếp nhận, xử lý kiến nghị",
}
STATUS_VI = {
    "received": "Đã tiếp nhận",
    "assigned": "Đã giao công chức xử lý",
    "answered": "Đã trả lời",
    "conference": "Sẽ trả lời tại Hội nghị",
    "closed": "Đã đóng",
}
CHANNELS_VI = {
    "zalo": "Zalo",
    "telegram": "Telegram",
    "web": "Trang web",
    "paper": "Phiếu giấy",
    "console": "Dùng thử trên máy tính",
}
SCORES = {"1", "2", "3", "4", "5"}


@pytest.fixture
async def data(app, clock):
    """The survey seed with a third field and the questions of REPORT_QUESTIONS."""
    return await seed.report_data(app, clock)


async def build(app, scope: Scope, *, locale: str = "vi", neutral: bool = False):
    async with app.sessionmaker() as db:
        summary = await collect(
            db, app.survey, scope, now=DEFAULT_NOW, neutral_counts_as_satisfied=neutral
        )
        report = await conference_report_streamed(
            summary,
            app.survey,
            question_rows(db, scope, Pseudonyms()),
            ward_name=app.settings.ward_name,
            locale=locale,
            zone=app.settings.zone,
        )
    return summary, report


def read(data: bytes):
    return Document(io.BytesIO(data))


def lines(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def table_starting(doc, first: str, second: str | None = None):
    for table in doc.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[0] == first and (second is None or header[1] == second):
            return table
    raise AssertionError(f"no table starting with {first!r}")


def cells(row) -> list[str]:
    return [c.text for c in row.cells]


def value(text: str, locale: str = "vi") -> float:
    """ "82,5%*" → 82.5 (Vietnamese: decimal comma, thousands dot)."""
    text = text.rstrip("*").rstrip("%")
    if locale == "vi":
        text = text.replace(".", "").replace(",", ".")
    return float(text.replace(",", ""))


def reference(rows: list[Row], codes, satisfied_from: int) -> dict:
    scores = [int(r.answers[c]) for r in rows for c in codes if r.answers.get(c) in SCORES]
    n = len(scores)
    return {
        "n": n,
        "mean": sum(scores) / n if n else None,
        "pct": 100 * sum(s >= satisfied_from for s in scores) / n if n else None,
    }


def assert_cell(cell, expected: dict, locale: str = "vi") -> None:
    pct, detail = cell.paragraphs[0].text, cell.paragraphs[1].text
    n = expected["n"]
    mean_word = "TB" if locale == "vi" else "mean"
    if n == 0:
        assert (pct, detail) == ("–", f"{mean_word} – · N = 0")
        return
    decimal = "," if locale == "vi" else r"\."
    assert re.fullmatch(rf"\d+{decimal}\d%\*?", pct), pct
    assert pct.endswith("*") == (n < 5), (pct, n)
    assert value(pct, locale) == pytest.approx(expected["pct"], abs=0.05 + 1e-9)
    match = re.fullmatch(rf"{mean_word} (\d{decimal}\d\d) · N = (\d+)", detail)
    assert match, detail
    assert value(match[1], locale) == pytest.approx(expected["mean"], abs=0.005 + 1e-9)
    assert int(match[2]) == n


# --- the report ------------------------------------------------------------------------------


async def test_header_title_period_and_page(app, data):
    _, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]))
    doc = read(report)
    left, right = (c.text for c in doc.tables[0].rows[0].cells)
    assert left.startswith("ỦY BAN NHÂN DÂN\nPHƯỜNG BÌNH AN")
    assert "Số:" in left and "/BC-UBND" in left
    assert right.splitlines()[:2] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert right.splitlines()[-1] == "Phường Bình An, ngày 26 tháng 11 năm 2026"
    # The agency column is 6 cm in the table's grid too: LibreOffice lays tables out by the
    # grid, and with even columns the national name wrapped onto a second line.
    assert [round(c.width.cm, 1) for c in doc.tables[0].columns] == [6.0, 10.0]
    text = lines(doc)
    title = text.index("BÁO CÁO")
    assert text[title + 1].startswith("Tổng hợp ý kiến")
    assert text[title + 2] == SESSION_TITLE
    assert text[title + 3] == f"Thời gian: 08:30 ngày 01/12/2026; địa điểm: {PLACE}"
    assert text[title + 4] == "Số liệu tính đến 09:00 ngày 26/11/2026"
    headings = [t for t in text if re.match(r"^I{1,3}V?\. ", t)]
    assert [h.split(".")[0] for h in headings] == ["I", "II", "III", "IV"]
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == 3.0
    normal = doc.styles["Normal"].font
    assert (normal.name, normal.size) == ("Times New Roman", Pt(13))
    closing = "\n".join(cells(doc.tables[-1].rows[0]))
    assert "Nơi nhận:" in closing and "- Lưu: VT." in closing
    assert "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH" in closing
    assert "Trên đây là báo cáo tổng hợp ý kiến" in "\n".join(text)


async def test_date_range_period(app, data):
    scope = Scope(
        since=datetime(2026, 11, 19, 17, tzinfo=UTC), until=datetime(2026, 11, 30, 17, tzinfo=UTC)
    )
    _, report = await build(app, scope)
    assert "Ý kiến nhận từ ngày 20/11/2026 đến ngày 30/11/2026" in lines(read(report))


async def test_overview_counts_responses_by_field_and_channel(app, data):
    rows, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]))
    doc = read(report)
    table = table_starting(doc, "Lĩnh vực", "Telegram")
    channels = ["telegram", "zalo", "web", "paper", "console"]
    assert cells(table.rows[0]) == ["Lĩnh vực", *(CHANNELS_VI[c] for c in channels), "Tổng"]
    expected = {}
    for field in ("dc", "tp", "ca"):
        by_channel = Counter(r.channel for r in counted(rows, field))
        expected[FIELDS[field]] = [
            *(str(by_channel[c]) for c in channels),
            str(len(counted(rows, field))),
        ]
    everything = Counter(r.channel for r in counted(rows))
    expected["Tất cả lĩnh vực"] = [*(str(everything[c]) for c in channels), str(len(counted(rows)))]
    assert {cells(r)[0]: cells(r)[1:] for r in table.rows[1:]} == expected
    text = "\n".join(lines(doc))
    assert f"Tổng số phiếu khảo sát đã nhận: {len(counted(rows))} (" in text
    assert f"Phiếu giấy: {everything['paper']}" in text
    visible = [q for q in REPORT_QUESTIONS if q.session == "main" and not q.hidden]
    assert f"Tổng số ý kiến, kiến nghị đã nhận: {len(visible)} (" in text


@pytest.mark.parametrize("neutral", [False, True])
async def test_satisfaction_table_equals_independent_computation(app, data, neutral):
    rows, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]), neutral=neutral)
    doc = read(report)
    table = table_starting(doc, "Lĩnh vực", ELEMENT_LABELS[0])
    assert cells(table.rows[0]) == ["Lĩnh vực", *ELEMENT_LABELS]
    threshold = 3 if neutral else 4
    expected_rows = [(FIELDS[f], counted(rows, f)) for f in ("dc", "tp", "ca")]
    expected_rows.append(("Tất cả lĩnh vực", counted(rows)))
    assert len(table.rows) == 1 + len(expected_rows)
    for row, (label, selected) in zip(table.rows[1:], expected_rows, strict=True):
        first = row.cells[0].paragraphs
        assert first[0].text == label
        assert first[1].text == f"{len(selected)} phiếu"
        for cell, codes in zip(row.cells[1:], ELEMENTS, strict=True):
            assert_cell(cell, reference(selected, codes, threshold))
    # The data has small cells (tp), a large one (dc) and an element with no valid answer (ca Q7).
    texts = [c.text for r in table.rows[1:] for c in r.cells[1:]]
    assert any("*" in t for t in texts) and any("*" not in t and "%" in t for t in texts)
    assert any(t.startswith("–") for t in texts)
    notes = "\n".join(lines(doc))
    if neutral:
        assert "mức “Bình thường” được tính là hài lòng" in notes
    else:
        assert "mức “Bình thường” được tính là chưa hài lòng" in notes
    assert "“Không áp dụng”" in notes and "dưới 5 câu trả lời" in notes
    assert "Kết quả khảo sát bổ sung qua chatbot" in notes
    (chart,) = doc.inline_shapes  # the chart, within the text width and a page
    assert chart.width <= Cm(16) + 1 and chart.height <= Cm(21) + 1


async def test_overall_rating_and_priorities(app, data):
    rows, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]))
    doc = read(report)
    text = lines(doc)
    heading = text.index("2. Đánh giá chung (thang 3 mức)")
    assert text[heading + 1].startswith("Nhìn chung, Ông/Bà đánh giá thế nào")
    table = table_starting(doc, "Lĩnh vực", "N")
    header = ["Lĩnh vực", "N", "Rất hài lòng", "Hài lòng", "Không hài lòng", "% hài lòng"]
    assert cells(table.rows[0]) == [*header, "Điểm bình quân"]
    expected_rows = [(FIELDS[f], counted(rows, f)) for f in ("dc", "tp", "ca")]
    expected_rows.append(("Tất cả lĩnh vực", counted(rows)))
    for row, (label, selected) in zip(table.rows[1:], expected_rows, strict=True):
        counts = Counter(r.answers.get("O1") for r in selected)
        n = sum(counts[c] for c in O1_POINTS)
        label_, n_, vs, s, ns, pct, points = cells(row)
        assert (label_, n_, vs, s, ns) == (
            label,
            str(n),
            str(counts["vs"]),
            str(counts["s"]),
            str(counts["ns"]),
        )
        assert value(pct) == pytest.approx(100 * (counts["vs"] + counts["s"]) / n, abs=0.05 + 1e-9)
        assert pct.endswith("*") == (n < 5)
        mean = sum(O1_POINTS[c] * counts[c] for c in O1_POINTS) / n
        assert value(points) == pytest.approx(mean, abs=0.005 + 1e-9)

    table = table_starting(doc, "STT", "Ưu tiên cải thiện")
    answered = [r.answers["M1"].split() for r in counted(rows) if r.answers.get("M1")]
    chosen = {o: sum(o in a for a in answered) for o in M1_OPTIONS}
    ranked = sorted(M1_OPTIONS, key=lambda o: (-chosen[o], M1_OPTIONS.index(o)))
    got = [cells(r) for r in table.rows[1:]]
    assert [g[:3] for g in got] == [
        [str(i), M1_LABELS[o], str(chosen[o])] for i, o in enumerate(ranked, start=1)
    ]
    for g, o in zip(got, ranked, strict=True):
        assert value(g[3]) == pytest.approx(100 * chosen[o] / len(answered), abs=0.05 + 1e-9)
    # Nobody gave reasons (O1b) in these rows: said in words, no empty table.
    assert "Lý do không hài lòng: chưa có câu trả lời." in lines(doc)


async def test_questions_grouped_by_field_with_status_and_answer(app, data):
    _, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]))
    text = lines(read(report))
    part = text[
        next(i for i, t in enumerate(text) if t.startswith("III. ")) + 1 : next(
            i for i, t in enumerate(text) if t.startswith("IV. ")
        )
    ]
    shown = sorted(
        (q for q in REPORT_QUESTIONS if q.session == "main" and not q.hidden and not q.flagged),
        key=lambda q: (q.field, q.code),
    )
    grouped: dict[str, list[Question]] = {}
    for q in shown:
        grouped.setdefault(q.field, []).append(q)
    # Headings and the questions under each, in stream order (field, then code).
    found: dict[str, list[str]] = {}
    current = None
    for line in part:
        if re.match(r"^\d+\. ", line):
            current = line
            found[current] = []
        elif line.startswith("KN-"):
            found[current].append(line)
    expected_headings = [
        f"{i}. {FIELDS[field]} ({len(qs)} ý kiến)"
        for i, (field, qs) in enumerate(grouped.items(), 1)
    ]
    assert list(found) == expected_headings
    for heading, (_field, qs) in zip(expected_headings, grouped.items(), strict=True):
        assert [line.split(" – ")[0] for line in found[heading]] == [q.code for q in qs]
        for line, q in zip(found[heading], qs, strict=True):
            assert line.split(" – ")[1:3] == ["26/11/2026", STATUS_VI[q.status]]
    body = "\n".join(part)
    for q in shown:
        assert q.text.replace("\x0c", "") in body
    assert "Trả lời (Công chức phụ trách, 25/11/2026): Tối đa 30 ngày làm việc" in body
    assert "Trả lời (Lãnh đạo UBND phường, 25/11/2026): Công an phường hỗ trợ" in body
    assert "Người dân đánh giá câu trả lời: hài lòng." in body
    assert "Người dân đánh giá câu trả lời: chưa hài lòng." in body
    assert "Nội dung đã bị ẩn" not in body and "Câu hỏi của kỳ trước" not in body


async def test_possible_complaints_and_hidden_questions_are_counted_by_field_never_quoted(
    app, data
):
    _, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]))
    doc = read(report)
    everything = "\n".join(
        [*lines(doc), *(c.text for t in doc.tables for row in t.rows for c in row.cells)]
    )
    # KN-26-0003 was sent anyway although it looked like a denunciation; KN-26-0005 was hidden.
    for q in REPORT_QUESTIONS:
        if q.flagged or q.hidden:
            assert q.code not in everything
            assert q.text.replace("\x0c", "") not in everything
    assert (
        "Trong đó, 1 ý kiến có dấu hiệu khiếu nại, tố cáo chỉ được đếm, không trích dẫn; "
        "ngoài ra, 1 câu hỏi đã được Văn phòng ẩn."
    ) in lines(doc)
    table = table_starting(doc, "Lĩnh vực", "Có dấu hiệu khiếu nại, tố cáo")
    assert [cells(row) for row in table.rows] == [
        ["Lĩnh vực", "Có dấu hiệu khiếu nại, tố cáo", "Văn phòng đã ẩn"],
        [FIELDS["dc"], "1", "0"],
        [FIELDS["tp"], "0", "1"],
        ["Tất cả lĩnh vực", "1", "1"],
    ]


async def test_a_list_of_rows_gives_the_same_report(app, data):
    _, ids = data
    scope = Scope(session_id=ids["main"])
    summary, streamed = await build(app, scope)
    async with app.sessionmaker() as db:
        listed = [row async for row in question_rows(db, scope, Pseudonyms())]
    from_list = conference_report(
        summary,
        app.survey,
        iter(listed),
        ward_name="Phường Bình An",
        locale="vi",
        zone=app.settings.zone,
        chart=satisfaction_chart(summary, app.survey, locale="vi"),
    )
    assert lines(read(from_list)) == lines(read(streamed))


async def test_empty_session_report_says_there_is_no_data(app, data):
    _, ids = data
    summary, report = await build(app, Scope(session_id=ids["empty"]))
    assert summary.total_responses == 0
    doc = read(report)
    text = lines(doc)
    assert "Hội nghị chưa có ai" in text
    assert "Thời gian: sẽ thông báo sau" in text
    assert "Chưa có phiếu khảo sát nào." in text
    assert "Chưa có ý kiến, kiến nghị nào." in text
    assert (
        "Tổng số phiếu khảo sát đã nhận: 0 (Telegram: 0; Zalo: 0; Trang web: 0; Phiếu giấy: 0)."
        in text
    )
    assert len(doc.tables) == 2  # the header and the closing: no empty figure tables
    assert len(doc.inline_shapes) == 0


async def test_english_report(app, data):
    rows, ids = data
    _, report = await build(app, Scope(session_id=ids["main"]), locale="en")
    doc = read(report)
    left, right = (c.text for c in doc.tables[0].rows[0].cells)
    assert left.startswith("PEOPLE'S COMMITTEE\nOF BÌNH AN WARD")
    assert "SOCIALIST REPUBLIC OF VIET NAM" in right
    assert right.splitlines()[-1] == "Bình An Ward, 26/11/2026"
    text = lines(doc)
    assert "REPORT" in text and "Time: 08:30 on 01/12/2026; place: " + PLACE in text
    table = table_starting(doc, "Field", "Access to the service")
    assert cells(table.rows[1])[0].startswith(FIELDS_EN["dc"])
    for cell, codes in zip(table.rows[1].cells[1:], ELEMENTS, strict=True):
        assert_cell(cell, reference(counted(rows, "dc"), codes, 4), locale="en")
    assert any(t.startswith("1. Police (questions: 1)") for t in text)
    assert any(" – Received" in t for t in text)
    everything = "\n".join(text) + "".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert "Lĩnh vực" not in everything and "phiếu" not in everything


# --- the chart -------------------------------------------------------------------------------


def draw(summary, survey, locale="vi") -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = satisfaction_chart(summary, survey, locale=locale)
    return png, [str(w.message) for w in caught]


def assert_png(png: bytes, min_height: int) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    width, height = image.size
    assert width == 1260  # 16 cm of A4 text width at 200 dpi: sharp in print, fine on a phone
    assert min_height <= height <= 4000


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_chart_is_a_png_without_missing_glyphs(app, data, locale, caplog):
    _, ids = data
    async with app.sessionmaker() as db:
        summary = await collect(db, app.survey, Scope(session_id=ids["main"]), now=DEFAULT_NOW)
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        png, messages = draw(summary, app.survey, locale)
    assert messages == []
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    assert_png(png, min_height=1000)
    assert draw(summary, app.survey, locale)[0] == png  # no time stamp: same figures, same bytes


async def test_empty_chart_says_there_is_no_data(app, data):
    _, ids = data
    async with app.sessionmaker() as db:
        summary = await collect(db, app.survey, Scope(session_id=ids["empty"]), now=DEFAULT_NOW)
    png, messages = draw(summary, app.survey)
    assert messages == []
    assert_png(png, min_height=300)
    assert png != draw(dataclasses.replace(summary, session=None), app.survey)[0]


async def test_missing_glyphs_would_be_caught(app, data):
    """The check above can fail: a letter DejaVu Sans lacks makes matplotlib warn."""
    _, ids = data
    async with app.sessionmaker() as db:
        summary = await collect(db, app.survey, Scope(session_id=ids["main"]), now=DEFAULT_NOW)
    odd = dataclasses.replace(summary, session=dataclasses.replace(summary.session, title="漢字"))
    _, messages = draw(odd, app.survey)
    assert any("missing from font" in m for m in messages)
