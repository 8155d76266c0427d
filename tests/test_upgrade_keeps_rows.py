"""Upgrading a ward's database keeps what residents entrusted to it.

On SQLite, Alembic alters a table by copying it and dropping the old one; with foreign keys
enforced, that drop used to cascade and delete every survey answer (0004 rebuilds the
responses table) and every attachment (0006 rebuilds the questions table)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot import db as database

NOW = "2026-05-20 03:00:00+00:00"

ROWS_AT_0003 = [
    "INSERT INTO dialogue_sessions (id, title, status, created_at)"
    f" VALUES (1, 'Hội nghị tháng 6', 'open', '{NOW}')",
    f"INSERT INTO residents (id, locale, created_at) VALUES ('r1', 'vi', '{NOW}')",
    "INSERT INTO accounts (id, resident_id, channel, external_id, created_at)"
    f" VALUES (1, 'r1', 'telegram', '501', '{NOW}')",
    "INSERT INTO survey_responses (id, resident_id, session_id, field, status, channel,"
    " reviewed, created_at, updated_at, submitted_at)"
    f" VALUES (1, 'r1', 1, 'dc', 'submitted', 'telegram', 1, '{NOW}', '{NOW}', '{NOW}')",
    "INSERT INTO survey_answers (response_id, question, value, score, answered_at)"
    f" VALUES (1, 'O1', 'very', 5, '{NOW}'), (1, 'T1', '4', 4, '{NOW}')",
    "INSERT INTO resident_questions (id, code, resident_id, account_id, session_id, field,"
    " text, language, named, channel, status, complaint_flag, hidden, created_at, updated_at)"
    " VALUES (1, 'KN-26-0001', 'r1', 1, 1, 'dc', 'Bao giờ có sổ đỏ?', 'vi', 0, 'telegram',"
    f" 'received', 0, 0, '{NOW}', '{NOW}')",
    "INSERT INTO question_attachments (question_id, kind, content, mime, filename, size)"
    " VALUES (1, 'photo', x'FFD8FF', 'image/jpeg', 'giay-to.jpg', 3)",
]


async def count(engine, table: str) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def test_upgrading_an_sqlite_database_keeps_answers_and_attachments(tmp_path: Path):
    engine = database.create_engine(f"sqlite+doithoai:///{tmp_path / 'ward.sqlite3'}")
    try:
        await database.upgrade_schema(engine, "0003")
        async with engine.begin() as connection:
            for statement in ROWS_AT_0003:
                await connection.execute(text(statement))

        await database.upgrade_schema(engine)

        assert await count(engine, "survey_responses") == 1
        assert await count(engine, "survey_answers") == 2
        assert await count(engine, "resident_questions") == 1
        assert await count(engine, "question_attachments") == 1
        # The migration leaves foreign keys enforced for the bot's own transactions.
        async with engine.connect() as connection:
            enforced = await connection.exec_driver_sql("PRAGMA foreign_keys")
            assert enforced.scalar_one() == 1
    finally:
        await engine.dispose()
