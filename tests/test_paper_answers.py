"""Paper forms typed into the template and uploaded on Telegram, through the real dispatcher:
the template read back with openpyxl, valid forms stored as submitted "paper" responses scored
like chat answers and counted in the figures (against an independent count), files with errors
refused whole with each error named by row and column, re-imports refused, and documents from
anyone else left to the dialogs."""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.exports.paper_template import paper_template
from bot.services import figures, paper_answers
from models import Answer, ResidentQuestion, SurveyResponse
from tests.support.journey import consent_all, write_question
from tests.support.paper import (
    FORMS,
    ITEMS,
    NOT_YOUR_ROLE,
    SESSION,
    TYPED,
    XLSX,
    audit,
    fill,
    paper_rows,
)
from tests.support.questions import make_session
from tests.support.seed import O1_POINTS, Row, assert_stats, counted, reference_scale
from tests.support.staff_chat import admin, person  # noqa: F401

FRONT, OFFICIAL, RESIDENT = 11, 20, 501
HEADERS_VI = [
    "FORM\nSố phiếu",
    "C1\nLĩnh vực",
    "PROC\nThủ tục",
    "C2\nThực hiện trong 12 tháng qua",
    "C3\nHình thức",
    "Q1\nThông tin, hướng dẫn",
    "Q2\nNơi tiếp nhận, trang thiết bị",
    "Q3\nGiấy tờ, phí, thời hạn",
    "Q4\nThái độ công chức",
    "Q5\nHướng dẫn, bổ sung hồ sơ",
    "Q6\nKết quả đúng hẹn",
    "Q7\nGóp ý và phản hồi",
    "O1\nĐánh giá chung",
    "O1b\nLý do không hài lòng",
    "O1c\nLý do khác",
    "M1\nƯu tiên cải thiện",
    "F1\nÝ kiến, kiến nghị",
]

STORED = {"P-001": "tp", "P-002": "tp", "P-003": "dc", "P-004": "dc", "7": "tp"}


def list_values(book, validation) -> list[str]:
    sheet_name, cells = validation.formula1.split("!")
    sheet = book[sheet_name]
    return [str(cell.value) for row in sheet[cells.replace("$", "")] for cell in row]


def validation_of(sheet, column: str):
    found = [v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(column)]
    return found[0] if found else None


async def stored_answers(app, response_id: int) -> dict[str, tuple[str | None, float | None]]:
    async with app.sessionmaker() as db:
        rows = await db.execute(
            select(Answer.question, Answer.value, Answer.score).where(
                Answer.response_id == response_id
            )
        )
        return {code: (value, score) for code, value, score in rows.all()}


@pytest.fixture
async def front(admin, person):
    await admin.send("/staff_add 11 front Chủ tịch MTTQ")
    return person(FRONT)


async def get_template(front) -> bytes:
    await front.send("/paper")
    sheet, form = front.telegram.documents(FRONT)[-2:]
    assert sheet.filename == "nhap-phieu-giay.xlsx" and form.filename == "phieu-khao-sat.docx"
    return sheet.content


# --- the template ---------------------------------------------------------------------------


def test_template_headers_dropdowns_and_codes(app):
    book = load_workbook(io.BytesIO(paper_template(app.survey, session_title=SESSION)))
    assert book.sheetnames[:3] == ["Phiếu", "Mã trả lời", "Hướng dẫn"]
    assert book["lists"].sheet_state == "hidden"
    forms = book["Phiếu"]
    assert [cell.value for cell in forms[1]] == HEADERS_VI  # F2 (name and phone) is not there
    assert forms.max_row == 1  # the example is in the instructions, not among the forms

    field = validation_of(forms, "B2")
    assert (field.type, str(field.sqref)) == ("list", "B2:B5001")
    assert list_values(book, field) == [f.id for f in app.survey.fields]
    assert list_values(book, validation_of(forms, "D2")) == ["có", "không"]  # C2
    assert list_values(book, validation_of(forms, "H2")) == ["5", "4", "3", "2", "1", "na"]  # Q3
    assert list_values(book, validation_of(forms, "M2")) == ["vs", "s", "ns"]  # O1
    assert validation_of(forms, "N2").type is None  # O1b, several codes: no dropdown
    f1 = validation_of(forms, "Q2")
    assert (f1.type, f1.operator, f1.formula1) == ("textLength", "lessThanOrEqual", "2000")

    codes = [row for row in book["Mã trả lời"].iter_rows(values_only=True)]
    assert codes[0] == ("Mã", "Câu hỏi", "Cách ghi", "Giá trị", "Ý nghĩa")
    q3 = codes.index(next(r for r in codes if r[0] == "Q3"))
    assert codes[q3][1].startswith("Giấy tờ phải nộp, phí/lệ phí")
    assert codes[q3][2] == "Một mã\nChỉ ghi khi C2 là “có”"
    assert [r[3:] for r in codes[q3 : q3 + 6]] == [
        ("5", "Rất hài lòng"),
        ("4", "Hài lòng"),
        ("3", "Bình thường"),
        ("2", "Không hài lòng"),
        ("1", "Rất không hài lòng"),
        ("na", "Không áp dụng"),
    ]
    m1 = next(r for r in codes if r[0] == "M1")
    assert m1[2].endswith("tối đa 3")
    assert ("ks", "tp · Tư pháp – Hộ tịch: Đăng ký khai sinh") in [r[3:] for r in codes]
    assert not any(r[0] == "F2" for r in codes)

    help_rows = [r for r in book["Hướng dẫn"].iter_rows(values_only=True) if any(r)]
    assert help_rows[1][0] == f"Kỳ đối thoại: {SESSION}"
    assert list(help_rows[-2]) == HEADERS_VI
    example = dict(zip([h.split()[0] for h in HEADERS_VI], help_rows[-1], strict=True))
    assert example["C1"] == "dc" and example["C2"] == "có" and example["Q1"] == "4"
    assert example["O1b"] is None  # O1 is "s": the reasons are skipped, as the form says
    # The example, typed into the data sheet, is a valid form.
    reading = paper_answers.read_forms(app.survey, fill(paper_template(app.survey), [example]))
    assert reading.problems == [] and len(reading.forms) == 1


def test_english_template(app):
    book = load_workbook(io.BytesIO(paper_template(app.survey, locale="en")))
    assert book.sheetnames[:3] == ["Forms", "Answer codes", "Instructions"]
    forms = book["Forms"]
    assert (
        forms["A1"].value == "FORM\nForm no."
        and forms["D1"].value == "C2\nDone in the last 12 months"
    )
    assert list_values(book, validation_of(forms, "D2")) == ["yes", "no"]
    codes = list(book["Answer codes"].iter_rows(values_only=True))
    assert ("ns", "Not satisfied") in [r[3:] for r in codes]


# --- uploading ------------------------------------------------------------------------------


async def test_front_uploads_paper_forms_counted_like_chat_answers(app, front, data, clock):
    rows, ids, _ = data
    template = await get_template(front)
    caption = front.telegram.documents(FRONT)[-2].text
    assert f"kỳ đối thoại “{SESSION}” (mã {ids['main']})" in caption

    await front.send_document(fill(template, TYPED), "phieu-thang-12.xlsx", XLSX)
    assert front.last().text == (
        f"✅ Đã lưu 5 phiếu giấy cho kỳ đối thoại “{SESSION}”:\n"
        "• Tư pháp – Hộ tịch: 3\n• Địa chính (đất đai): 2"
    )

    stored = await paper_rows(app)
    assert {r.form_no: r.field for r in stored} == STORED
    assert {r.form_no: r.procedure for r in stored} == {
        "P-001": "ks",
        "P-002": None,
        "P-003": "gcn",
        "P-004": "hdnd",
        "7": None,
    }
    for response in stored:
        assert (response.resident_id, response.status, response.channel) == (
            None,
            "submitted",
            "paper",
        )
        assert response.session_id == ids["main"] and response.submitted_at == clock()
    for response, (_typed, expected) in zip(stored, [f for f in FORMS if f], strict=True):
        answers = await stored_answers(app, response.id)
        assert {code: value for code, (value, _score) in answers.items()} == expected
        for code, (value, score) in answers.items():  # scored as chat answers are
            want = int(value) if code in ITEMS and value != "na" else O1_POINTS.get(value)
            assert score == (want if code in [*ITEMS, "O1"] else None), (code, value)

    # Every figure now counts them, exactly like the chat answers already there.
    everything = rows + [
        Row(None, "main", field, "submitted", "paper", expected)
        for (typed, expected), field in zip([f for f in FORMS if f], STORED.values(), strict=True)
    ]
    async with app.sessionmaker() as db:
        per_channel = await figures.responses_by_field_channel(db, ids["main"])
        items = await figures.item_figures(db, app.survey, ids["main"])
        overall = await figures.overall_rating(db, app.survey, ids["main"], by_field=False)
        paper_only = await figures.item_figures(
            db, app.survey, ids["main"], by_field=False, channel="paper"
        )
    expected_counts: dict[str, Counter] = {}
    for row in counted(everything):
        expected_counts.setdefault(row.field, Counter())[row.channel] += 1
    assert per_channel == {field: dict(c) for field, c in expected_counts.items()}
    assert per_channel["tp"]["paper"] == 1 + 3
    for figure in items:
        assert_stats(figure, reference_scale(counted(everything, figure.field), [figure.code], 4))
    for figure in paper_only:
        want = reference_scale(counted(everything, channel="paper"), [figure.code], 4)
        assert_stats(figure, want)
    o1 = Counter(r.answers.get("O1") for r in counted(everything))
    assert overall[0].counts == {code: o1[code] for code in O1_POINTS}

    [entry] = await audit(app, "paper_import")
    assert (entry.actor_telegram_id, entry.actor_role, entry.allowed) == (FRONT, "front", True)
    assert entry.detail == {
        "session_id": ids["main"],
        "forms": 5,
        "by_field": {"tp": 3, "dc": 2},
    }

    # The same file again: refused, each form named; nothing more is stored.
    await front.send_document(fill(template, TYPED), "phieu-thang-12.xlsx", XLSX)
    reply = front.last().text
    assert reply.startswith("❌ Chưa lưu phiếu nào: tệp có 5 lỗi.")
    assert "• Dòng 2, cột FORM: phiếu số “P-001” đã được nhập cho kỳ đối thoại này." in reply
    assert "• Dòng 7, cột FORM: phiếu số “7” đã được nhập cho kỳ đối thoại này." in reply
    assert len(await paper_rows(app)) == 5
    # For another session (the caption says which), the same numbers are new.
    await front.send_document(
        fill(template, TYPED[:1]), "phieu.xlsx", XLSX, caption=f"session={ids['other']}"
    )
    assert front.last().text.startswith(
        "✅ Đã lưu 1 phiếu giấy cho kỳ đối thoại “Hội nghị tháng 6”"
    )
    assert [r.session_id for r in await paper_rows(app)][-1] == ids["other"]


async def test_errors_are_named_by_row_and_column_and_nothing_is_stored(app, front, data):
    template = await get_template(front)
    bad = [
        {"FORM": "E-1", "C1": "xx"},
        {"FORM": "E-2", "C1": "tp", "PROC": "gcn", "C2": "có", "Q3": 6, "Q4": "4 5"},
        {"FORM": "E-3", "C1": "dc", "C2": "không", "Q1": "4", "M1": "info time prem skill"},
        {"C1": "tp", "C2": "có"},
        {"FORM": "E-2", "C1": "tp"},
        {"FORM": "E-7", "C1": "tp", "F1": "x" * 2001},
        {"FORM": "E-8", "C1": "tp", "C2": "có", "O1": "s", "O1b": "late"},
        {"FORM": "E-9", "C1": "ca", "C2": "có", "M1": "info, xyz"},
        {"FORM": "E-10", "C1": "tp", "C2": "có", "O1": "vs"},  # valid, but not stored either
    ]
    await front.send_document(fill(template, bad), "phieu.xlsx", XLSX)
    assert front.last().text == "\n".join(
        [
            "❌ Chưa lưu phiếu nào: tệp có 11 lỗi. Đồng chí vui lòng sửa rồi gửi lại tệp.",
            "• Dòng 2, cột C1: “xx” không phải là lĩnh vực của phiếu khảo sát "
            "(dc, tp, ld, vh, gd, ca, qs, kd, xd, kh).",
            "• Dòng 3, cột PROC: “gcn” không phải là thủ tục thuộc lĩnh vực tp "
            "(ks, kh, kt, ccht, ct).",
            "• Dòng 3, cột Q3: “6” không phải là lựa chọn hợp lệ (1, 2, 3, 4, 5, na).",
            "• Dòng 3, cột Q4: câu này chỉ chọn một (1, 2, 3, 4, 5, na).",
            "• Dòng 4, cột Q1: chỉ trả lời khi C2 là “có”; vui lòng để trống ô này.",
            "• Dòng 4, cột M1: chọn 4 mục; tối đa được chọn 3.",
            "• Dòng 5, cột FORM: chưa ghi số phiếu.",
            "• Dòng 6, cột FORM: số phiếu “E-2” trùng với dòng 3.",
            "• Dòng 7, cột F1: nội dung dài 2001 ký tự; tối đa 2000 ký tự.",
            "• Dòng 8, cột O1b: chỉ trả lời khi O1 là “ns” (Không hài lòng); vui lòng để trống ô này.",
            "• Dòng 9, cột M1: “xyz” không phải là lựa chọn hợp lệ "
            "(info, prem, skill, attit, online, time, fb).",
        ]
    )
    assert await paper_rows(app) == []
    [entry] = await audit(app, "paper_import")
    assert entry.detail == {"session_id": data[1]["main"], "problems": 11}  # counts, no content


async def test_long_error_lists_are_capped(app, front, data):
    template = await get_template(front)
    await front.send_document(
        fill(template, [{"FORM": str(n), "C1": "zz"} for n in range(25)]), "p.xlsx", XLSX
    )
    lines = front.last().text.split("\n")
    assert lines[0].startswith("❌ Chưa lưu phiếu nào: tệp có 25 lỗi.")
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "… và 5 lỗi khác."
    assert lines[20].startswith("• Dòng 21, cột C1: “zz”")


async def test_wrong_files(app, front, data, monkeypatch):
    template = await get_template(front)
    await front.send_document(b"PK not really a workbook", "phieu.xlsx", XLSX)
    assert front.last().text.endswith(
        "• Không đọc được tệp này dưới dạng bảng tính Excel (.xlsx). Đồng chí vui lòng điền vào "
        "mẫu và lưu dưới dạng .xlsx."
    )
    await front.send_document(b"%PDF-1.4", "phieu.pdf", "application/pdf")
    assert front.last().text.startswith("Để lưu phiếu giấy, đồng chí vui lòng gửi mẫu đã điền")

    # A column removed, another added: both named.
    book = load_workbook(io.BytesIO(fill(template, TYPED[:1])))
    sheet = book.worksheets[0]
    sheet.delete_cols(12)  # Q7
    sheet.cell(1, 17, "Ghi chú")
    out = io.BytesIO()
    book.save(out)
    await front.send_document(out.getvalue(), "phieu.xlsx", XLSX)
    assert front.last().text.split("\n")[1:] == [
        "• Dòng 1, cột Q: “Ghi chú” không phải là cột của mẫu.",
        "• Thiếu các cột Q7 của mẫu. Đồng chí vui lòng dùng mẫu hiện hành và không xóa cột.",
    ]

    # Some other spreadsheet.
    other = Workbook()
    other.active.append(["Họ tên", "Điểm"])
    other.active.append(["Nguyễn Văn An", 5])
    out = io.BytesIO()
    other.save(out)
    await front.send_document(out.getvalue(), "bang-diem.xlsx", XLSX)
    assert "Đây không phải mẫu nhập phiếu giấy: dòng đầu tiên phải là mã các cột FORM" in (
        front.last().text
    )

    # Too many forms, too large a file (the limits made small for the test).
    monkeypatch.setattr(paper_answers, "MAX_ROWS", 2)
    await front.send_document(fill(template, TYPED), "phieu.xlsx", XLSX)
    assert "• Tệp có hơn 2 phiếu. Đồng chí vui lòng chia thành nhiều tệp." in front.last().text
    monkeypatch.setattr("handlers.paper.MAX_BYTES", 100)  # checked before downloading
    await front.send_document(fill(template, TYPED), "phieu.xlsx", XLSX)
    assert front.last().text == "Tệp lớn hơn 5 MB. Đồng chí vui lòng chia thành nhiều tệp."
    assert await paper_rows(app) == []


# --- who may --------------------------------------------------------------------------------


async def test_others_cannot_use_paper_forms(app, admin, front, person):
    await make_session(app)  # open, so the answers go there
    template = await get_template(front)
    filled = fill(template, TYPED)
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    official, resident = person(OFFICIAL), person(RESIDENT)

    await official.send("/paper")
    assert official.last().text == NOT_YOUR_ROLE
    assert front.telegram.documents(OFFICIAL) == []
    [refusal] = await audit(app, "paper")
    assert (refusal.actor_telegram_id, refusal.actor_role, refusal.allowed) == (
        OFFICIAL,
        "official",
        False,
    )

    await official.send_document(filled, "phieu.xlsx", XLSX)
    await resident.send_document(filled, "phieu.xlsx", XLSX)
    assert "Đã lưu" not in official.last().text and "Đã lưu" not in resident.last().text
    assert await paper_rows(app) == []

    # The Front asking a question of its own attaches the file; it is not imported.
    await consent_all(front)
    await write_question(front, "Tư pháp – Hộ tịch", "Xin hỏi lịch tiếp công dân tháng 12?")
    await front.send_document(filled, "phieu.xlsx", XLSX)
    await front.tap("Tiếp tục ➡️")
    await front.tap("🕶 Gửi ẩn danh")
    await front.tap("📨 Gửi")
    assert await paper_rows(app) == []
    async with app.sessionmaker() as db:
        question = await db.scalar(select(ResidentQuestion).order_by(ResidentQuestion.id.desc()))
        await db.refresh(question, ["attachments"])
        assert [a.filename for a in question.attachments] == ["phieu.xlsx"]

    # The admin may.
    await admin.send_document(filled, "phieu.xlsx", XLSX)
    assert admin.last().text.startswith("✅ Đã lưu 5 phiếu giấy")


# --- the command line -----------------------------------------------------------------------


async def test_import_from_the_command_line(app, data, tmp_path, clock):
    _rows, ids, _ = data
    path = tmp_path / "phieu.xlsx"
    path.write_bytes(fill(paper_template(app.survey), TYPED))
    result = await paper_answers.import_paper_file(
        app.sessionmaker, app.survey, path, ids["main"], clock(), locale="vi"
    )
    assert (result.ok, result.stored, result.by_field) == (True, 5, {"tp": 3, "dc": 2})
    assert result.session_title == SESSION
    again = await paper_answers.import_paper_file(
        app.sessionmaker, app.survey, path, ids["main"], clock(), locale="en"
    )
    assert not again.ok
    assert str(again.problems[0]) == (
        "Row 2, column FORM: form number “P-001” was already imported for this session."
    )
    missing = await paper_answers.import_paper_file(
        app.sessionmaker, app.survey, path, 999, clock(), locale="en"
    )
    assert [str(p) for p in missing.problems] == ["There is no dialogue session with id 999."]
    async with app.sessionmaker() as db:
        assert (
            await db.scalar(
                select(func.count())
                .select_from(SurveyResponse)
                .where(SurveyResponse.form_no.is_not(None))
            )
            == 5
        )
    entries = await audit(app, "paper_import")
    assert [(e.actor_role, e.detail.get("forms"), e.detail.get("problems")) for e in entries] == [
        ("system", 5, None),
        ("system", None, 5),
        ("system", None, 1),
    ]


# --- files that would be slow or misleading to read -------------------------------------------


def rewrite_member(workbook: bytes, name: str, change) -> bytes:
    """The workbook with the zip member `name` passed through `change` (bytes -> bytes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            content = source.read(member.filename)
            target.writestr(member, change(content) if member.filename == name else content)
    return out.getvalue()


async def test_a_file_that_unpacks_to_too_much_is_refused_with_nothing_stored(app, front, data):
    template = await get_template(front)
    filled = fill(template, TYPED)
    # A valid workbook whose sheet XML is padded with 40 MB of blanks: a 100 KB upload.
    sheet = "xl/worksheets/sheet1.xml"
    bomb = rewrite_member(
        filled,
        sheet,
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * 40_000_000, 1),
    )
    assert len(bomb) < 200_000
    await front.send_document(bomb, "phieu.xlsx", XLSX)
    assert front.last().text == "\n".join(
        [
            "❌ Chưa lưu phiếu nào: tệp có 1 lỗi. Đồng chí vui lòng sửa rồi gửi lại tệp.",
            "• Tệp sau khi giải nén chứa hơn 25 MB dữ liệu, nhiều hơn mức cần cho phiếu giấy. "
            "Đồng chí vui lòng nhập phiếu vào mẫu do bot gửi, hoặc chia thành nhiều tệp.",
        ]
    )
    assert await paper_rows(app) == []
    # The same forms without the padding are stored.
    await front.send_document(filled, "phieu.xlsx", XLSX)
    assert front.last().text.startswith("✅ Đã lưu 5 phiếu giấy")


async def test_formula_cells_without_a_value_are_errors(app, front, data):
    template = await get_template(front)
    forms = [
        {"FORM": "F-1", "C1": "tp", "C2": "có", "Q1": "=2+3"},  # openpyxl stores no result
        {"FORM": "F-2", "C1": "tp", "C2": "có", "Q1": 4},
    ]
    written = fill(template, forms)
    await front.send_document(written, "phieu.xlsx", XLSX)
    assert front.last().text == "\n".join(
        [
            "❌ Chưa lưu phiếu nào: tệp có 1 lỗi. Đồng chí vui lòng sửa rồi gửi lại tệp.",
            "• Dòng 2, cột Q1: ô này chứa công thức nhưng chưa có giá trị tính sẵn. Đồng chí "
            "vui lòng gõ trực tiếp giá trị, hoặc mở tệp bằng Excel rồi lưu lại.",
        ]
    )
    assert await paper_rows(app) == []

    # Saved by Excel, the formula keeps its result: that value is read.
    calculated = rewrite_member(
        written,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<f>2+3</f><v></v>", b"<f>2+3</f><v>5</v>"),
    )
    await front.send_document(calculated, "phieu.xlsx", XLSX)
    assert front.last().text.startswith("✅ Đã lưu 2 phiếu giấy")
    first = (await paper_rows(app))[0]
    assert (await stored_answers(app, first.id))["Q1"] == ("5", 5.0)
