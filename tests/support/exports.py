"""The files a conference export hands out."""

from __future__ import annotations


def export_files(stem: str) -> set[str]:
    """The names of the nine files every export hands out."""
    tables = ("summary", "overall", "responses", "distribution", "questions", "responses_raw")
    return {
        f"{stem}.xlsx",
        f"{stem}-report.docx",
        f"{stem}-chart.png",
        *(f"{stem}-{table}.csv" for table in tables),
    }
