"""Writes export tables to one XLSX workbook (a sheet per table) and one CSV file per table in a
single pass over each table's rows, so a streamed table is read from the database once.

XlsxWriter's constant-memory mode flushes every row to disk as soon as the next one starts, and
the CSV rows go straight to their files: memory stays flat whatever the number of rows. CSV is
UTF-8 with a byte-order mark, which is what makes Excel show Vietnamese correctly.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format

from bot.exports.printing import print_setup, row_height
from bot.exports.tables import Cell, Table

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767  # characters in one cell
CSV_ENCODING = "utf-8-sig"  # UTF-8 with BOM
FORMULA_STARTS = frozenset("=+-@")


class Spreadsheets:
    """The workbook and the CSV files of one export; `add` each table, then `close`."""

    def __init__(self, xlsx_path: Path, csv_prefix: Path) -> None:
        self.xlsx_path = xlsx_path
        self.csv_prefix = csv_prefix
        self.csv_paths: list[Path] = []
        self.rows_written: dict[str, int] = {}
        self._book = xlsxwriter.Workbook(
            str(xlsx_path),
            {
                "constant_memory": True,
                # Text stays text on every write path: a resident's "=…" never becomes a
                # formula, "0912…" never a number, "http…" never a link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        # A fixed creation date keeps the file the same for the same data (XlsxWriter takes a
        # naive datetime here).
        self._book.set_properties({"created": datetime(2000, 1, 1)})  # noqa: DTZ001
        self._bold = self._book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self._wrap = self._book.add_format({"text_wrap": True, "valign": "top"})
        self._top = self._book.add_format({"valign": "top"})  # beside a wrapped, taller cell
        self._percent = self._book.add_format({"num_format": "0.0", "valign": "top"})
        self._mean = self._book.add_format({"num_format": "0.00", "valign": "top"})
        self._time = self._book.add_format({"num_format": "dd/mm/yyyy hh:mm", "valign": "top"})

    async def add(self, table: Table) -> int:
        """Writes the table's rows to its sheet and its CSV file; returns how many."""
        sheet = self._book.add_worksheet(table.title[:31])
        sheet.freeze_panes(1, 0)
        widths = _widths(table)
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width)
        # Rows are flushed as they are written: a row's height is set before its cells.
        sheet.set_row(0, row_height(table.header, widths))
        sheet.write_row(0, 0, table.header, self._bold)
        styles = self._styles(table)
        wrapped = table.wrap
        path = self.csv_prefix.with_name(f"{self.csv_prefix.name}-{table.name}.csv")
        self.csv_paths.append(path)
        count = 0
        with path.open("w", encoding=CSV_ENCODING, newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.header)
            async for row in table.rows:
                count += 1
                writer.writerow([_csv_cell(value) for value in row])
                if count < EXCEL_MAX_ROWS:  # the CSV keeps every row beyond Excel's limit
                    if wrapped:
                        height = row_height(row, widths, wrapped)
                        if height is not None:
                            sheet.set_row(count, height)
                    self._write_row(sheet, count, row, styles)
        last_row = min(count, EXCEL_MAX_ROWS - 1)
        if table.header:
            sheet.autofilter(0, 0, last_row, len(table.header) - 1)
        print_setup(sheet, widths, title=table.title, last_row=last_row)
        self.rows_written[table.name] = count
        return count

    def _styles(self, table: Table) -> list[tuple[Format | None, Format | None]]:
        """Per column, the format of a number and of a text there (once per table, not per
        cell: a large export has a million cells)."""
        return [
            (
                self._percent
                if column in table.percent
                else self._mean
                if column in table.decimals
                else None,
                self._wrap if column in table.wrap else self._top if table.wrap else None,
            )
            for column in range(len(table.header))
        ]

    def _write_row(
        self, sheet, row_number: int, row: list[Cell], styles: list[tuple[Format | None, ...]]
    ) -> None:
        for column, value in enumerate(row):
            kind = type(value)
            if kind is int or kind is float:
                sheet.write_number(
                    row_number, column, value, styles[column][0] or styles[column][1]
                )
            elif kind is str:
                if value:
                    # write_string: a resident's "=…" stays text, never a formula.
                    sheet.write_string(
                        row_number, column, value[:EXCEL_MAX_CELL], styles[column][1]
                    )
            elif isinstance(value, datetime):
                sheet.write_datetime(row_number, column, value, self._time)
            elif value is not None:
                sheet.write_string(row_number, column, str(value)[:EXCEL_MAX_CELL])

    def close(self) -> None:
        self._book.close()


def _widths(table: Table) -> list[float]:
    """Every column's width: as the table says, else Excel's default."""
    given = list(table.widths)
    return given + [8.43] * (len(table.header) - len(given))


def _csv_cell(value: Cell) -> str | int | float:
    if type(value) is str:  # the most frequent case first: a million cells go through here
        # Spreadsheet programs would run a resident's "=…" as a formula (CSV injection).
        return "'" + value if value[:1] in FORMULA_STARTS else value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value
