"""Paper survey forms typed into the template workbook: the forms, filling the data sheet, and
the rows and audit entries an import stores."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEntry, SurveyResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION = "Hội nghị tháng 12"  # the open session of the `data` fixture
NOT_YOUR_ROLE = (
    "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này. Vui lòng liên hệ "
    "Văn phòng HĐND và UBND phường nếu cần."
)
ITEMS = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"]
OPINION = "Đề nghị niêm yết rõ lệ phí chứng thực tại Trung tâm Phục vụ hành chính công."
OTHER_REASON = "Phải chờ rất lâu ở quầy tiếp nhận."


# What the clerk types (as Excel hands it over: numbers as int or float), and what must be stored.
FORMS = [
    (
        {
            "FORM": "P-001",
            "C1": "tp",
            "PROC": "ks",
            "C2": "có",
            "C3": "tt",
            "Q1": 5,
            "Q2": 4.0,
            "Q3": "3",
            "Q4": "na",
            "Q5": 2,
            "Q6": 1,
            "Q7": 4,
            "O1": "ns",
            "O1b": "late, attit",
            "M1": "info; time",
            "F1": OPINION,
        },
        {
            "C2": "yes",
            "C3": "tt",
            "Q1": "5",
            "Q2": "4",
            "Q3": "3",
            "Q4": "na",
            "Q5": "2",
            "Q6": "1",
            "Q7": "4",
            "O1": "ns",
            "O1b": "late attit",
            "M1": "info time",
            "F1": OPINION,
        },
    ),
    (
        {"FORM": "P-002", "C1": "TP", "C2": "Có", **dict.fromkeys(ITEMS, 5), "O1": "vs"},
        {"C2": "yes", **dict.fromkeys(ITEMS, "5"), "O1": "vs"},
    ),
    (
        {"FORM": "P-003", "C1": "dc", "PROC": "gcn", "C2": "không", "M1": "prem skill attit"},
        {"C2": "no", "M1": "prem skill attit"},
    ),
    None,  # an empty row: skipped
    (
        {"FORM": "P-004", "C1": "dc", "PROC": "hdnd", "C2": "yes", "C3": "tuyen", "Q1": 4},
        {"C2": "yes", "C3": "tuyen", "Q1": "4"},
    ),
    (
        {"FORM": 7, "C1": "tp", "C2": "co", "Q1": "3", "O1": "ns", "O1b": "other"}
        | {"O1c": OTHER_REASON},
        {"C2": "yes", "Q1": "3", "O1": "ns", "O1b": "other", "O1c": OTHER_REASON},
    ),
]
TYPED = [form[0] if form else None for form in FORMS]


def fill(template: bytes, rows: list[dict | None]) -> bytes:
    """The template's data sheet with `rows` typed in from row 2 (None leaves a row empty)."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    codes = [cell.value.split()[0] for cell in sheet[1]]
    for number, row in enumerate(rows, start=2):
        for column, code in enumerate(codes, start=1):
            if row and code in row:
                sheet.cell(number, column, row[code])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def paper_rows(app) -> list[SurveyResponse]:
    async with app.sessionmaker() as db:
        stmt = (
            select(SurveyResponse)
            .where(SurveyResponse.form_no.is_not(None))
            .order_by(SurveyResponse.id)
        )
        return list((await db.execute(stmt)).scalars())


async def audit(app, action: str) -> list[AuditEntry]:
    async with app.sessionmaker() as db:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await db.execute(stmt)).scalars())
