"""Every generated document printed as a ward clerk prints it: rendered to PDF and PNG by
LibreOffice (tests/support/rendering.py) and checked page by page for what the clerk checks: how many
pages, page 1 filled, nothing beyond the margins or drawn over other text, the ward's name in
the header, the signature block with room for the signature and the signer from the settings.
The pages of the last run are in tests/rendered/ (git-ignored)."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.exports.bundle import run_export
from bot.exports.paper_form import paper_form
from bot.exports.paper_template import paper_template
from bot.services.figures import Scope
from tests.support import seed
from tests.support.rendering import CM, Page, Rendered, needs_libreoffice, render

pytestmark = [needs_libreoffice, pytest.mark.subprocess]  # LibreOffice renders the pages


@pytest.fixture
async def data(app, clock):
    """The survey seed with a third field, as the report's tests use it."""
    return await seed.report_data(app, clock)


A4 = (21 * CM, 29.7 * CM)
# Nghị định 30/2020 margins (left 3 cm, right, top and bottom 2 cm); page numbers sit in the
# top margin, so the top is checked from 1 cm.
MARGINS = {"left": 3 * CM, "right": 2 * CM, "top": 1 * CM, "bottom": 2 * CM}
SIGNER_TITLE, SIGNER_NAME = "KT. CHỦ TỊCH|PHÓ CHỦ TỊCH", "Nguyễn Văn An"


def assert_printable(rendered: Rendered, *, margins: dict | None = None) -> None:
    """Nothing beyond the margins, no text drawn over other text, on any page."""
    for number, page in enumerate(rendered.pages, start=1):
        if margins is not None:
            outside = page.outside(**margins)
            assert not outside, f"page {number}: beyond the margin: {outside[:5]}"
        overlapping = page.overlapping()
        assert not overlapping, f"page {number}: text over text: {overlapping[:3]}"


def assert_a4(page: Page, *, landscape: bool = False) -> None:
    width, height = A4[::-1] if landscape else A4
    assert (round(page.width), round(page.height)) == (round(width), round(height))


@pytest.fixture
async def export_files(app, settings, data, clock, tmp_path):
    _, ids = data
    signed = settings.model_copy(update={"signer_title": SIGNER_TITLE, "signer_name": SIGNER_NAME})
    result = await asyncio.to_thread(
        run_export,
        signed,
        app.survey,
        Scope(session_id=ids["main"]),
        tmp_path / "out",
        now=clock(),
    )
    return {path.suffix: path for path in result.files if path.suffix in (".docx", ".xlsx")}


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_the_report_prints_with_page_one_filled_and_a_signature_block(
    app, settings, data, clock, tmp_path, locale
):
    _, ids = data
    signed = settings.model_copy(update={"signer_title": SIGNER_TITLE, "signer_name": SIGNER_NAME})
    result = await asyncio.to_thread(
        run_export,
        signed,
        app.survey,
        Scope(session_id=ids["main"]),
        tmp_path / "out",
        now=clock(),
        locale=locale,
    )
    [docx] = [path for path in result.files if path.suffix == ".docx"]
    rendered = render(docx, f"report-{locale}")
    pages = rendered.pages
    assert 3 <= len(pages) <= 6, len(pages)
    for page in pages:
        assert_a4(page)
    assert_printable(rendered, margins=MARGINS)
    # Page 1 runs to the bottom margin: no picture pushed to page 2 leaving half of it empty.
    first = pages[0]
    assert first.lowest() > first.height - 5 * CM, first.lowest() / CM
    if locale == "vi":
        assert "ỦY BAN NHÂN DÂN PHƯỜNG BÌNH AN" in first.text
        assert "Phường Bình An, ngày 26 tháng 11 năm 2026" in first.text
        assert "Thời gian: 08:30 ngày 01/12/2026" in first.text
        heads = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", SIGNER_NAME]
    else:
        assert "PEOPLE'S COMMITTEE OF BÌNH AN WARD" in first.text
        heads = ["ON BEHALF OF THE PEOPLE'S COMMITTEE", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
        heads.append(SIGNER_NAME)
    assert "……" not in rendered.text
    # No table row is split over two pages: each "N =" has its count on the same page.
    for page in pages:
        assert not re.search(r"N = (?![\d–])", page.text), page.text
    # The signature block on one page: title lines, then at least 2.5 cm for the signature
    # and the seal, then the signer's name.
    [signed_page] = [p for p in pages if heads[0] in p.text and SIGNER_NAME in p.text]
    lines = {}
    for head in heads:
        first_word = head.split()[0]
        line_words = [w for w in signed_page.words if w.text == first_word]
        lines[head] = max(w.y0 for w in line_words)
    assert lines[heads[0]] < lines[heads[1]] < lines[heads[2]] < lines[SIGNER_NAME]
    assert lines[SIGNER_NAME] - lines[heads[2]] >= 2.5 * CM
    # The chart is an appendix of its own after the signature: its title on the last page.
    appendix = "PHỤ LỤC" if locale == "vi" else "APPENDIX"
    assert appendix in pages[-1].text and SIGNER_NAME not in pages[-1].text


async def test_a_report_without_a_ward_name_prints_no_dotted_blanks(
    app, settings, data, clock, tmp_path
):
    _, ids = data
    unnamed = settings.model_copy(update={"ward_name": ""})
    result = await asyncio.to_thread(
        run_export, unnamed, app.survey, Scope(session_id=ids["main"]), tmp_path, now=clock()
    )
    [docx] = [path for path in result.files if path.suffix == ".docx"]
    rendered = render(docx, "report-no-ward")
    assert "……" not in rendered.text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG" in rendered.pages[0].text
    assert "Ngày 26 tháng 11 năm 2026" in rendered.pages[0].text
    assert "CHỦ TỊCH" in rendered.text  # the default signer title


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_paper_form_fits_two_pages_with_the_ward_in_its_header(app, tmp_path, locale):
    path = tmp_path / "phieu.docx"
    path.write_bytes(
        paper_form(
            app.survey,
            ward_name="Phường Bình An",
            locale=locale,
            session_title="Hội nghị đối thoại cuối năm 2026",
            chat_url="https://phuongbinhan.example/chat",
        )
    )
    rendered = render(path, f"paper-form-{locale}")
    assert len(rendered.pages) <= 2, len(rendered.pages)  # with the web chat's QR code
    assert "https://phuongbinhan.example/chat" in rendered.pages[-1].text
    for page in rendered.pages:
        assert_a4(page)
    assert_printable(rendered, margins=MARGINS)
    ward = "UBND PHƯỜNG BÌNH AN" if locale == "vi" else "BÌNH AN WARD PEOPLE'S COMMITTEE"
    assert ward in rendered.pages[0].text
    text = rendered.text
    if locale == "vi":
        assert "không ghi tên" in text
        assert "Phần không bắt buộc" in text and "để nhận trả lời" in text
    else:
        assert "anonymous" in text
        assert "Optional" in text and "to receive a reply" in text
    # Name and phone are asked only in the optional part, after everything else.
    words = [w.text for p in rendered.pages for w in p.words]
    optional = words.index("Phần" if locale == "vi" else "Optional")
    name_label = "Họ" if locale == "vi" else "Name:"
    assert name_label not in words[:optional]


def sheet_pages(rendered: Rendered, title: str) -> list[Page]:
    """The pages printed from one sheet: its name heads each of them (the page header)."""
    return [page for page in rendered.pages if page.words and page_title(page) == title]


def page_title(page: Page) -> str:
    top = min(w.y0 for w in page.words)
    return " ".join(w.text for w in page.words if w.y0 < top + 2 and w.x0 < page.width / 2)


LONG_QUESTION = (
    "Đề nghị phường niêm yết công khai, đầy đủ và dễ hiểu các thủ tục đăng ký đất đai tại bộ "
    "phận một cửa, kèm phí, lệ phí và thời hạn giải quyết từng loại hồ sơ; đồng thời hướng dẫn "
    "người cao tuổi nộp hồ sơ trực tuyến, vì nhiều người không biết dùng điện thoại thông minh "
    "và phải đi lại nhiều lần mới hoàn thành được hồ sơ. "
) * 3


@pytest.fixture
async def busy_session(app, data, clock):
    """The stored rows, 120 more responses (several printed pages) and a long question."""
    from models import Answer, ResidentQuestion, SurveyResponse

    _, ids = data
    async with app.sessionmaker() as db, db.begin():
        source = (await db.execute(ResidentQuestion.__table__.select().limit(1))).first()
        for n in range(120):
            response = SurveyResponse(
                session_id=ids["main"],
                field=("dc", "tp", "ca")[n % 3],
                status="submitted",
                channel="paper",
                form_no=f"P{n:03d}",
                created_at=clock(),
                submitted_at=clock(),
            )
            response.answers = [
                Answer(question="C2", value="yes", answered_at=clock()),
                Answer(question="Q1", value=str(1 + n % 5), score=1 + n % 5, answered_at=clock()),
                Answer(question="O1", value=("vs", "s", "ns")[n % 3], answered_at=clock()),
            ]
            db.add(response)
        db.add(
            ResidentQuestion(
                code="KN-26-0100",
                resident_id=source.resident_id,
                account_id=source.account_id,
                session_id=ids["main"],
                field="dc",
                text=LONG_QUESTION,
                language="vi",
                named=False,
                channel="zalo",
                status="received",
                created_at=clock(),
            )
        )
    return ids


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_the_workbook_prints_fitted_to_the_page_with_its_header_on_every_page(
    app, settings, busy_session, clock, tmp_path, locale
):
    result = await asyncio.to_thread(
        run_export,
        settings,
        app.survey,
        Scope(session_id=busy_session["main"]),
        tmp_path,
        now=clock(),
        locale=locale,
    )
    [xlsx] = [path for path in result.files if path.suffix == ".xlsx"]
    rendered = render(xlsx, f"workbook-{locale}")
    # Six sheets of three fields and 142 responses: the distribution of every option takes
    # most of them (it printed on 26 portrait pages, most of them columns cut off the rest).
    assert len(rendered.pages) <= 18, len(rendered.pages)
    assert_printable(rendered, margins={"left": 0, "right": 0, "top": 0, "bottom": 0})
    raw = "Dữ liệu thô" if locale == "vi" else "Raw responses"
    summary = "Tổng hợp" if locale == "vi" else "Summary"
    titles = {page_title(page) for page in rendered.pages}
    assert {raw, summary} <= titles, titles
    for page in sheet_pages(rendered, summary):
        assert_a4(page, landscape=True)  # ten columns: wider than a portrait page
    raw_pages = sheet_pages(rendered, raw)
    assert len(raw_pages) >= 2
    for page in raw_pages:
        assert_a4(page, landscape=True)
        # The header row on every page: its first column's title under the page header.
        assert ("Phiếu" if locale == "vi" else "Response") in page.text
    # Every column on the page width: the last question's code is printed on each page.
    assert all("F2" in page.text for page in raw_pages)
    # The long question wraps inside its cell: its last words are printed, over nothing else.
    questions = "Câu hỏi" if locale == "vi" else "Questions"
    assert "thành được hồ sơ." in " ".join(p.text for p in sheet_pages(rendered, questions))


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_paper_template_prints_its_codes_and_instructions_readably(app, tmp_path, locale):
    path = tmp_path / "mau-nhap-phieu.xlsx"
    path.write_bytes(paper_template(app.survey, locale=locale, session_title="Hội nghị 2026"))
    rendered = render(path, f"paper-template-{locale}")
    assert len(rendered.pages) <= 8, len(rendered.pages)
    assert_printable(rendered, margins={"left": 0, "right": 0, "top": 0, "bottom": 0})
    codes = "Mã trả lời" if locale == "vi" else "Answer codes"
    code_pages = sheet_pages(rendered, codes)
    assert code_pages
    for page in code_pages:
        assert_a4(page, landscape=True)
        assert ("Ý nghĩa" if locale == "vi" else "Meaning") in page.text  # header repeated
    text = rendered.text
    # Long cells wrapped in full: the last words of the longest question and instruction.
    assert "Ông/Bà có thể bỏ qua câu này." in text or "You may skip this question." in text
    assert ("Mỗi tệp tối đa" if locale == "vi" else "per file") in text
