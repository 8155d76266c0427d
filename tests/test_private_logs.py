"""Logs never carry a resident's text, name or phone, whatever fails: a database that refuses
a write (its error quoting the row) is logged with the statement, never the values."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import text

from bot.logs import JsonLines, Redacting, format_exception
from tests.support.journey import consent_all, write_question

QUESTION = "Đề nghị phường sửa đèn đường hẻm 42 Lê Lợi trước Tết"
NAME = "Trần Thị Bích Ngọc"
PHONE = "0912345678"


@pytest.fixture
async def refuse_questions(app):
    """Makes the database itself refuse every new question, as a full disk or a constraint
    would; undone afterwards, since on PostgreSQL the schema serves the whole run."""
    postgres = app.engine.dialect.name == "postgresql"

    async def refuse() -> None:
        async with app.engine.begin() as connection:
            if postgres:
                # PostgreSQL's error then quotes the whole refused row in its DETAIL.
                await connection.execute(
                    text(
                        "ALTER TABLE resident_questions ADD CONSTRAINT ck_refused "
                        "CHECK (length(text) < 5) NOT VALID"
                    )
                )
            else:
                await connection.execute(
                    text(
                        "CREATE TRIGGER refused BEFORE INSERT ON resident_questions "
                        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                    )
                )

    yield refuse
    async with app.engine.begin() as connection:
        if postgres:
            await connection.execute(
                text("ALTER TABLE resident_questions DROP CONSTRAINT IF EXISTS ck_refused")
            )
        else:
            await connection.execute(text("DROP TRIGGER IF EXISTS refused"))


@pytest.fixture
def log_lines():
    """What the bot's own handlers write, in both formats, from the root logger."""
    streams = {"text": io.StringIO(), "json": io.StringIO()}
    handlers = []
    for name, formatter in (
        ("text", Redacting("%(levelname)s %(name)s: %(message)s")),
        ("json", JsonLines()),
    ):
        handler = logging.StreamHandler(streams[name])
        handler.setFormatter(formatter)
        handlers.append(handler)
    root = logging.getLogger()
    root.handlers += handlers
    yield streams
    for handler in handlers:
        root.removeHandler(handler)


async def test_a_refused_write_is_logged_without_the_residents_text_name_or_phone(
    app, resident, log_lines, refuse_questions
):
    await consent_all(resident, contact=True)
    await write_question(resident, "Địa chính (đất đai)", QUESTION)
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("👤 Trả lời tôi theo tên")
    await resident.send(NAME)
    await resident.send("0912 345 678")
    await refuse_questions()
    await resident.tap("📨 Gửi")
    # The resident is told nothing was saved; the log says what failed, and where.
    assert "Xin lỗi, đã có lỗi" in (resident.last_alert or "")
    plain = log_lines["text"].getvalue()
    lines = [json.loads(line) for line in log_lines["json"].getvalue().splitlines()]
    [failure] = [line for line in lines if "exception" in line]
    assert "IntegrityError" in failure["exception"] and "resident_questions" in failure["exception"]
    assert "IntegrityError" in plain and "INSERT INTO resident_questions" in plain
    for written in (plain, log_lines["json"].getvalue()):
        assert "parameters hidden" in written.lower() or "[hidden]" in written
        for private in (QUESTION, "Lê Lợi", NAME, "Bích Ngọc", PHONE, "345 678"):
            assert private not in written


def test_what_drivers_quote_is_cut_from_database_errors():
    """PostgreSQL's DETAIL and asyncpg's quoted argument, as they read in a chained traceback."""
    from sqlalchemy.exc import DataError, IntegrityError

    class CheckViolationError(Exception):
        __module__ = "asyncpg.exceptions"

    row = f"Failing row contains (7, KN-26-0007, {QUESTION}\nsecond line, {NAME}, {PHONE})."
    driver = CheckViolationError(f'new row violates check constraint "ck_x"\nDETAIL:  {row}')
    wrapped = IntegrityError(
        "INSERT INTO resident_questions (text) VALUES ($1)", (QUESTION,), driver
    )
    try:
        try:
            raise driver
        except CheckViolationError as exc:
            raise wrapped from exc
    except IntegrityError as exc:
        written = format_exception(exc)
    assert 'violates check constraint "ck_x"' in written
    assert "[SQL: INSERT INTO resident_questions (text) VALUES ($1)]" in written
    assert "The above exception was the direct cause" in written
    assert QUESTION not in written and NAME not in written and PHONE not in written

    argument = DataError(
        "UPDATE residents SET locale=$1",
        None,
        Exception(f"invalid input for query argument $1: '{NAME}' (expected str)"),
    )
    assert NAME not in format_exception(argument)
    assert "query argument $1: [hidden]" in format_exception(argument)
