"""The page and header of the ward's Word documents (the paper form, the conference report),
laid out as Nghị định 30/2020/NĐ-CP asks of an administrative document: A4, Times New Roman 13,
margins 2/2/3/2 cm, and the two-column national header (agency left, national name and motto
right). Texts come in already translated; this module only places them.
"""

from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
SIZE = Pt(13)
SMALL = Pt(11)
GREY = RGBColor(0x80, 0x80, 0x80)
PAGE_WIDTH, PAGE_HEIGHT = Cm(21), Cm(29.7)  # A4
MARGIN_TOP = MARGIN_BOTTOM = Cm(2)
MARGIN_LEFT, MARGIN_RIGHT = Cm(3), Cm(2)  # Nghị định 30/2020: left 3-3.5 cm, right 1.5-2 cm
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
AGENCY_WIDTH = Cm(6)
CENTER = WD_ALIGN_PARAGRAPH.CENTER


def setup(doc) -> None:
    """A4 page, margins and the Normal style (every East Asian/complex-script slot too, so Word
    never substitutes another font for Vietnamese letters)."""
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = SIZE
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.line_spacing = 1.1


def para(
    container,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size=None,
    align=None,
    left=None,
) -> Paragraph:
    """A paragraph with one run (none when `text` is empty) in the container (document, cell)."""
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        if size:
            run.font.size = size
    if align is not None:
        paragraph.alignment = align
    if left is not None:
        paragraph.paragraph_format.left_indent = left
    return paragraph


def ward_short(ward_name: str) -> str:
    """ "Phường Bến Nghé" and "Bến Nghé" both give "Bến Nghé": the texts add "phường" themselves."""
    ward = ward_name.strip()
    if ward.lower().startswith("phường "):
        ward = ward[len("phường ") :].strip()
    return ward


def national_header(
    doc,
    *,
    agency: str,
    nation: str,
    motto: str,
    agency_rule: str = "————",
    motto_rule: str = "—————————",
    left_below: tuple[str, ...] = (),
    right_below: str | None = None,
) -> None:
    """The borderless two-column header: agency (bold, a short rule under it, then e.g. the
    document number) on the left; national name, motto and rule on the right, then the italic
    place-and-date line if given."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (AGENCY_WIDTH, TEXT_WIDTH - AGENCY_WIDTH)
    for column, cell, width in zip(table.columns, table.rows[0].cells, widths, strict=True):
        column.width = cell.width = width  # the grid (LibreOffice) and the cell (Word)
    left, right = table.rows[0].cells
    left.paragraphs[0].alignment = CENTER
    left.paragraphs[0].add_run(agency).bold = True
    para(left, agency_rule, align=CENTER)
    for line in left_below:
        para(left, line, align=CENTER)
    right.paragraphs[0].alignment = CENTER
    right.paragraphs[0].add_run(nation).bold = True
    para(right, motto, bold=True, align=CENTER)
    para(right, motto_rule, align=CENTER)
    if right_below:
        para(right, right_below, italic=True, align=CENTER)


def page_numbers(section) -> None:
    """The page number centred at the top from the second page on (Nghị định 30/2020)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = CENTER
    run = paragraph.add_run()
    for tag, attrs, text in (
        ("w:fldChar", {"w:fldCharType": "begin"}, None),
        ("w:instrText", {"xml:space": "preserve"}, " PAGE "),
        ("w:fldChar", {"w:fldCharType": "end"}, None),
    ):
        element = OxmlElement(tag)
        for key, value in attrs.items():
            element.set(qn(key), value)
        if text:
            element.text = text
        run._r.append(element)


def repeat_as_header(row) -> None:
    """The table's row is repeated at the top of every page a long table runs over."""
    _row_flag(row, "w:tblHeader")


def keep_whole(row) -> None:
    """The row is never split across two pages."""
    _row_flag(row, "w:cantSplit")


def _row_flag(row, tag: str) -> None:
    flag = OxmlElement(tag)
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)
