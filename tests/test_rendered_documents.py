"""Every generated document printed as a ward clerk prints it: rendered to PDF and PNG by
LibreOffice (tests/rendering.py) and checked page by page for what the clerk checks: how many
pages, page 1 filled, nothing beyond the margins or drawn over other text, the ward's name in
the header, the signature block with room for the signature and the signer from the settings.
The pages of the last run are in tests/rendered/ (git-ignored)."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.exports.bundle import run_export
from bot.exports.paper_form import paper_form
from bot.services.figures import Scope
from tests.rendering import CM, Page, Rendered, needs_libreoffice, render
from tests.test_report import data  # noqa: F401 (the stored rows of three fields, a fixture)

pytestmark = needs_libreoffice

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
        )
    )
    rendered = render(path, f"paper-form-{locale}")
    assert len(rendered.pages) <= 2, len(rendered.pages)
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
