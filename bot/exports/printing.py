"""How the ward's spreadsheets print and how tall their wrapped rows are.

Staff print the conference workbook and the paper-form template as they come: A4, landscape
when the sheet is wider than a portrait page, every column on the page width, the header row
repeated on every page, the sheet's name and the page number in the margins. XlsxWriter does not
measure text, and neither Excel nor LibreOffice grows a row written with wrapped text by a
program, so each wrapped row gets the height its longest cell needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

A4 = 9  # XlsxWriter's paper code
PORTRAIT_WIDTH = 95  # characters of column width that a portrait A4 page shows at 100%
LINE_HEIGHT = 15.0  # points per line of 11 pt Calibri (Carlito in LibreOffice)
MAX_HEIGHT = 409.0  # the tallest row Excel allows, in points


def print_setup(
    sheet,
    widths: Sequence[float],
    *,
    title: str,
    last_row: int | None,
    header_rows: int = 1,
) -> None:
    """A4, landscape when wide, fitted to one page across, the header rows on every page,
    the printed area ending at `last_row` (0-based; None: what the sheet holds, for a sheet
    staff fill in) and the last column."""
    sheet.set_paper(A4)
    if sum(widths) > PORTRAIT_WIDTH:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)
    if last_row is not None:
        sheet.print_area(0, 0, max(last_row, header_rows - 1), max(len(widths) - 1, 0))
    sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    sheet.hide_gridlines(0)  # the grid printed: a table reads row by row
    # "&&" is a literal ampersand in a header; the sheet's name on the left, page on the right.
    sheet.set_header(f"&L{title.replace('&', '&&')}&R&P / &N")


def lines_needed(text: str, width: float) -> int:
    """Lines a wrapped cell of `width` characters needs for `text` (a line per paragraph at
    least; words do not fill a line completely, hence the margin)."""
    per_line = max(1, int(width * 1.1))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def row_height(values: Sequence[object], widths: Sequence[float], wrapped=None) -> float | None:
    """The height (points) of a row whose wrapped cells need more than one line; None when
    one line is enough (the default height). `wrapped`: the columns that wrap (all if None)."""
    lines = 1
    for column, value in enumerate(values):
        if type(value) is not str or not value or column >= len(widths):
            continue
        if wrapped is not None and column not in wrapped:
            continue
        lines = max(lines, lines_needed(value, widths[column]))
    if lines == 1:
        return None
    return min(MAX_HEIGHT, lines * LINE_HEIGHT + 3)
