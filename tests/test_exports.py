"""The conference export read back from the files (openpyxl, csv, python-docx), its numbers
checked against an independent computation over the rows the test stored (tests/support/seed.py),
on SQLite and PostgreSQL: the workbook and CSVs, pseudonyms, named exports, an empty session,
a session with only paper forms, a date range, and the command line."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.__main__ import main
from bot.exports.bundle import run_export
from bot.services.figures import Scope
from models import Account, AuditEntry, DialogueSession, ResidentQuestion, SurveyResponse
from tests.support.db_helpers import rows_of
from tests.support.exports import export_files
from tests.support.seed import ITEMS, O1_POINTS, counted, reference_scale

SHEETS = [
    "Tổng hợp",
    "Đánh giá chung",
    "Số phiếu",
    "Phân bố câu trả lời",
    "Câu hỏi",
    "Dữ liệu thô",
]
DC = "Địa chính (đất đai)"
TP = "Tư pháp – Hộ tịch"
ALL = "Tất cả lĩnh vực"


async def export(settings, app, scope: Scope, out: Path, clock, **options):
    """As the bot does it: in a worker thread, on a connection of its own."""
    return await asyncio.to_thread(
        run_export, settings, app.survey, scope, out, now=clock(), **options
    )


def sheet_rows(path: Path, sheet: str) -> list[list]:
    book = load_workbook(path, read_only=True)
    rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
    book.close()
    return rows


def cell_of(path: Path, sheet: str, first: str, column: int):
    """The cell in `column` of the row whose first cell is `first`, with its type and format."""
    book = load_workbook(path)
    try:
        return next(row for row in book[sheet].iter_rows() if row[0].value == first)[column]
    finally:
        book.close()


def csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def by_name(files: list[Path], suffix: str) -> Path:
    [found] = [f for f in files if f.name.endswith(suffix)]
    return found


@pytest.fixture
async def named_question(app, data, clock):
    """A named question (with contact) and a question whose text looks like a formula."""
    _, ids, _ = data
    async with app.sessionmaker() as db, db.begin():
        source = (await db.execute(ResidentQuestion.__table__.select().limit(1))).first()
        for n, (named, text) in enumerate(
            [(True, "Xin hỏi lệ phí cấp sổ đỏ?"), (False, '=HYPERLINK("http://x")')]
        ):
            db.add(
                ResidentQuestion(
                    code=f"KN-26-09{n}0",
                    resident_id=source.resident_id,
                    account_id=source.account_id,
                    session_id=ids["main"],
                    field="dc",
                    text=text,
                    language="vi",
                    named=named,
                    contact_name="Nguyễn Thị Bình" if named else None,
                    contact_phone="0912345678" if named else None,
                    channel="zalo",
                    status="answered" if named else "received",
                    answer_text="Lệ phí theo Nghị quyết của HĐND tỉnh." if named else None,
                    answered_at=clock() if named else None,
                    answered_role="official" if named else None,
                    created_at=clock(),
                )
            )
    return ids


async def test_workbook_and_csv_match_the_stored_rows(app, settings, data, clock, tmp_path):
    rows, ids, questions = data
    result = await export(settings, app, Scope(session_id=ids["main"]), tmp_path / "out", clock)
    names = sorted(f.name for f in result.files)
    stem = f"doithoai-s{ids['main']}-20261126"
    assert names == sorted(export_files(stem))
    xlsx = by_name(result.files, ".xlsx")
    assert load_workbook(xlsx, read_only=True).sheetnames == SHEETS

    # Summary: every criterion per field and for all fields, as computed over the rows.
    summary = sheet_rows(xlsx, "Tổng hợp")
    assert summary[0][:7] == [
        "Lĩnh vực",
        "Loại",
        "Mã",
        "Tiêu chí",
        "N",
        "Điểm trung bình (1–5)",
        "% hài lòng",
    ]
    found = {(r[0], r[2]): r for r in summary[1:] if r[1] == "câu hỏi"}
    for label, field in ((DC, "dc"), (TP, "tp"), (ALL, None)):
        for code in ITEMS:
            want = reference_scale(counted(rows, field), [code], 4)
            row = found[(label, code)]
            assert row[4] == want["n"]
            if want["n"]:
                assert row[5] == pytest.approx(want["mean"], abs=0.005)
                assert row[6] == pytest.approx(want["satisfied_pct"], abs=0.05)
                assert row[8] == pytest.approx(want["dissatisfied_pct"], abs=0.05)
            assert (row[9] == "có") == want["small"]
    elements = [r for r in summary[1:] if r[1] == "yếu tố" and r[0] == ALL]
    assert [r[2] for r in elements] == ["Q1+Q2", "Q3", "Q4+Q5", "Q6", "Q7"]
    assert elements[0][4] == reference_scale(counted(rows), ["Q1", "Q2"], 4)["n"]

    # Responses per field and channel, paper included.
    per_channel = {r[0]: r for r in sheet_rows(xlsx, "Số phiếu")}
    assert per_channel["Lĩnh vực"] == [
        "Lĩnh vực",
        "Telegram",
        "Zalo",
        "Trang web",
        "Phiếu giấy",
        "Dùng thử trên máy tính",
        "Tổng",
    ]
    for label, field in ((DC, "dc"), (TP, "tp"), (ALL, None)):
        channels = Counter(r.channel for r in counted(rows, field))
        assert per_channel[label][1:] == [
            channels["telegram"],
            channels["zalo"],
            channels["web"],
            channels["paper"],
            channels["console"],
            len(counted(rows, field)),
        ]

    # The 3-level overall rating.
    overall = {r[0]: r for r in sheet_rows(xlsx, "Đánh giá chung")}
    o1 = Counter(r.answers.get("O1") for r in counted(rows))
    n = sum(o1[c] for c in O1_POINTS)
    assert overall[ALL][1] == n
    assert overall[ALL][2] == pytest.approx(100 * (o1["vs"] + o1["s"]) / n, abs=0.05)
    assert overall[ALL][4:7] == [o1["vs"], o1["s"], o1["ns"]]

    # The distribution of a question, per option.
    distribution = sheet_rows(xlsx, "Phân bố câu trả lời")
    o1_rows = {r[3]: r for r in distribution if r[0] == ALL and r[1] == "O1"}
    assert {code: r[5] for code, r in o1_rows.items()} == {c: o1[c] for c in O1_POINTS}
    assert o1_rows["vs"][4] == "Rất hài lòng"

    # Raw responses: one row per submitted response, residents under pseudonyms only.
    raw = sheet_rows(xlsx, "Dữ liệu thô")
    assert len(raw) - 1 == len(counted(rows))
    pseudonyms = {r[1] for r in raw[1:] if r[4] != "Phiếu giấy"}
    assert all(p.startswith("R-") and len(p) == 12 for p in pseudonyms)
    assert {r[1] for r in raw[1:] if r[4] == "Phiếu giấy"} == {None}
    q1 = raw[0].index("Q1")
    # Scale answers are numbers a spreadsheet can average; "na" stays a code.
    assert Counter(r[q1] for r in raw[1:]) == Counter(
        int(v) if v and v.isdigit() else v for v in (r.answers.get("Q1") for r in counted(rows))
    )
    assert {type(r[q1]) for r in raw[1:] if r[q1] is not None} <= {int, str}

    # Every CSV holds the rows of its sheet.
    for sheet, table in zip(
        SHEETS,
        ["summary", "overall", "responses", "distribution", "questions", "responses_raw"],
        strict=True,
    ):
        from_csv = csv_rows(by_name(result.files, f"-{table}.csv"))
        assert len(from_csv) == len(sheet_rows(xlsx, sheet)), table
        assert from_csv[0] == [str(c) for c in sheet_rows(xlsx, sheet)[0]]
    assert result.rows["questions"] == sum(not hidden for *_, hidden in questions)


async def test_no_resident_id_name_or_phone_leaves_without_a_named_export(
    app, settings, named_question, clock, tmp_path
):
    ids = named_question
    result = await export(settings, app, Scope(session_id=ids["main"]), tmp_path / "out", clock)
    xlsx = by_name(result.files, ".xlsx")
    questions = sheet_rows(xlsx, "Câu hỏi")
    assert "Họ tên" not in questions[0] and "Điện thoại" not in questions[0]
    async with app.sessionmaker() as db:
        resident_ids = {r.resident_id for r in await rows_of(db, ResidentQuestion)}
    for path in result.files:
        if path.suffix == ".csv":
            content = path.read_text(encoding="utf-8-sig")
            assert "0912345678" not in content and "Nguyễn Thị Bình" not in content
            assert not any(rid in content for rid in resident_ids)
    # A resident's text that looks like a formula stays text.
    formula = next(r for r in questions if r[0] == "KN-26-0910")
    assert formula[5] == '=HYPERLINK("http://x")'
    assert cell_of(xlsx, "Câu hỏi", formula[0], 5).data_type == "s"  # not "f", a formula
    assert "'=HYPERLINK" in by_name(result.files, "-questions.csv").read_text(encoding="utf-8-sig")
    # Status and answer as staff read them, the time in the ward's zone.
    answered = next(r for r in questions if r[0] == "KN-26-0900")
    assert answered[1:3] == [DC, "đã trả lời"]
    assert answered[6] == "Lệ phí theo Nghị quyết của HĐND tỉnh."
    assert answered[3] == clock().astimezone(settings.zone).replace(tzinfo=None)
    assert cell_of(xlsx, "Câu hỏi", answered[0], 3).number_format == "dd/mm/yyyy hh:mm"


async def test_a_named_export_shows_the_contacts_residents_gave(
    app, settings, named_question, clock, tmp_path
):
    ids = named_question
    result = await export(
        settings, app, Scope(session_id=ids["main"]), tmp_path / "out", clock, named=True
    )
    questions = sheet_rows(by_name(result.files, ".xlsx"), "Câu hỏi")
    assert questions[0][-2:] == ["Họ tên", "Điện thoại"]
    named = next(r for r in questions if r[0] == "KN-26-0900")
    anonymous = next(r for r in questions if r[0] == "KN-26-0910")
    assert named[-2:] == ["Nguyễn Thị Bình", "0912345678"]
    assert anonymous[-2:] == [None, None]


@pytest.fixture
async def kept_apart(app, data, clock):
    """One resident who answered the survey, asked one question by name and one anonymously,
    and whose third message looked like a denunciation (sent anyway); plus a hidden question."""
    _, ids, _ = data
    async with app.sessionmaker() as db, db.begin():
        response = (
            await db.execute(
                SurveyResponse.__table__.select().where(
                    SurveyResponse.session_id == ids["main"],
                    SurveyResponse.status == "submitted",
                    SurveyResponse.channel != "paper",
                )
            )
        ).first()
        account_id = await db.scalar(
            select(Account.id).where(Account.resident_id == response.resident_id).limit(1)
        )
        for code, named, flagged, hidden, text in [
            ("KN-26-0950", True, False, False, "Xin hỏi lệ phí cấp sổ đỏ là bao nhiêu?"),
            ("KN-26-0951", False, False, False, "Đề nghị niêm yết thủ tục tách thửa."),
            ("KN-26-0952", False, True, False, "Cán bộ Nguyễn Văn Tèo đòi tiền mới làm hồ sơ."),
            ("KN-26-0953", False, False, True, "Nội dung bị ẩn vì xúc phạm."),
        ]:
            db.add(
                ResidentQuestion(
                    code=code,
                    resident_id=response.resident_id,
                    account_id=account_id,
                    session_id=ids["main"],
                    field="dc",
                    text=text,
                    language="vi",
                    named=named,
                    contact_name="Trần Văn An" if named else None,
                    contact_phone="0987654321" if named else None,
                    channel=response.channel,
                    status="received",
                    complaint_flag=flagged,
                    hidden=hidden,
                    hidden_reason="xúc phạm" if hidden else None,
                    created_at=clock(),
                )
            )
    return ids, response


@pytest.mark.parametrize("named", [False, True], ids=["pseudonymised", "named"])
async def test_what_a_resident_kept_apart_stays_apart_in_every_file(
    app, settings, kept_apart, clock, tmp_path, named
):
    ids, response = kept_apart
    result = await export(
        settings, app, Scope(session_id=ids["main"]), tmp_path / "out", clock, named=named
    )
    xlsx = by_name(result.files, ".xlsx")
    questions = {r[0]: r for r in sheet_rows(xlsx, "Câu hỏi")[1:]}
    raw = {r[0]: r for r in sheet_rows(xlsx, "Dữ liệu thô")[1:]}
    by_name_asked, anonymous = questions["KN-26-0950"], questions["KN-26-0951"]
    pseudonym = sheet_rows(xlsx, "Câu hỏi")[0].index("Người dân (mã ẩn danh)")
    survey_pseudonym = raw[response.id][1]
    # The anonymous question and the survey response read together; the named question is
    # somebody else as far as the file can tell.
    assert anonymous[pseudonym] == survey_pseudonym
    assert by_name_asked[pseudonym] not in {anonymous[pseudonym], survey_pseudonym}
    if named:
        assert by_name_asked[-2:] == ["Trần Văn An", "0987654321"]
        assert anonymous[-2:] == [None, None]
    # Possible denunciations and hidden questions never leave the office, in any file.
    everything = []
    for path in result.files:
        if path.suffix == ".csv":
            everything.append(path.read_text(encoding="utf-8-sig"))
        elif path.suffix == ".docx":
            doc = Document(path)
            everything += [p.text for p in doc.paragraphs]
            everything += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    book = load_workbook(xlsx, read_only=True)
    for sheet in book.sheetnames:
        everything += [str(v) for row in book[sheet].iter_rows(values_only=True) for v in row]
    book.close()
    text = "\n".join(everything)
    for code, words in [("KN-26-0952", "Nguyễn Văn Tèo"), ("KN-26-0953", "xúc phạm")]:
        assert code not in text and words not in text
    assert "KN-26-0950" in text and "KN-26-0951" in text
    if not named:
        assert "Trần Văn An" not in text and "0987654321" not in text


async def test_an_empty_session_exports_valid_files(app, settings, data, clock, tmp_path):
    _, ids, _ = data
    result = await export(settings, app, Scope(session_id=ids["empty"]), tmp_path / "out", clock)
    xlsx = by_name(result.files, ".xlsx")
    summary = sheet_rows(xlsx, "Tổng hợp")
    assert {r[0] for r in summary[1:]} == {ALL}
    assert all(r[4] == 0 and r[5] is None for r in summary[1:])
    assert sheet_rows(xlsx, "Dữ liệu thô")[1:] == []
    assert sheet_rows(xlsx, "Câu hỏi")[1:] == []
    report = Document(str(by_name(result.files, "-report.docx")))
    assert any("Hội nghị chưa có ai" in p.text for p in report.paragraphs)
    assert by_name(result.files, "-chart.png").read_bytes().startswith(b"\x89PNG")


async def test_a_session_with_only_paper_forms(app, settings, data, clock, tmp_path):
    rows, ids, _ = data
    async with app.sessionmaker() as db, db.begin():
        paper_only = DialogueSession(title="Hội nghị giấy", status="closed")
        db.add(paper_only)
        await db.flush()
        from models import SurveyResponse

        await db.execute(
            SurveyResponse.__table__.update()
            .where(
                SurveyResponse.session_id == ids["main"],
                SurveyResponse.channel == "paper",
                SurveyResponse.status == "submitted",
            )
            .values(session_id=paper_only.id)
        )
    result = await export(settings, app, Scope(session_id=paper_only.id), tmp_path / "o", clock)
    xlsx = by_name(result.files, ".xlsx")
    per_channel = {r[0]: r for r in sheet_rows(xlsx, "Số phiếu")}
    paper = [r for r in counted(rows) if r.channel == "paper"]
    assert per_channel[ALL][1:] == [0, 0, 0, len(paper), 0, len(paper)]
    found = {(r[0], r[2]): r for r in sheet_rows(xlsx, "Tổng hợp")[1:] if r[1] == "câu hỏi"}
    assert found[(ALL, "Q3")][4] == reference_scale(paper, ["Q3"], 4)["n"]


async def test_a_date_range_counts_what_was_submitted_in_it(
    app,
    settings,
    data,
    clock,
    tmp_path,
):
    moment = clock()
    inside = Scope(since=moment - timedelta(days=1), until=moment + timedelta(days=1))
    before = Scope(until=moment - timedelta(days=1))
    result = await export(settings, app, inside, tmp_path / "in", clock)
    raw = sheet_rows(by_name(result.files, ".xlsx"), "Dữ liệu thô")
    async with app.sessionmaker() as db:
        from models import SurveyResponse

        submitted = [r for r in await rows_of(db, SurveyResponse) if r.status == "submitted"]
    assert len(raw) - 1 == len(submitted)  # both sessions' responses
    empty = await export(settings, app, before, tmp_path / "before", clock)
    assert sheet_rows(by_name(empty.files, ".xlsx"), "Dữ liệu thô")[1:] == []
    assert by_name(result.files, ".xlsx").name.startswith("doithoai-2026")


async def test_the_command_line_writes_the_files_and_audits(
    app,
    settings,
    data,
    tmp_path,
    monkeypatch,
    capsys,
):
    _, ids, _ = data
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    out = tmp_path / "cli"
    code = await asyncio.to_thread(
        main, ["export", "--session", str(ids["main"]), "--out", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == 9 and sorted(printed) == sorted(str(p) for p in out.iterdir())
    assert any(p.endswith(".xlsx") for p in printed)
    async with app.sessionmaker() as db:
        [entry] = [e for e in await rows_of(db, AuditEntry) if e.action == "export"]
    assert entry.target == f"session:{ids['main']}" and entry.detail["via"] == "command line"

    assert await asyncio.to_thread(main, ["export", "--session", "999", "--out", str(out)]) == 2
    assert "There is no session 999" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--out", str(out)])  # neither a session nor dates
