"""Tracking codes where they can race: on PostgreSQL, 200 questions filed at once on several
connections of one process, and by two processes, get 200 distinct consecutive codes. (SQLite
serialises every filing on its one connection, so it cannot show a race.) Needs
TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from sqlalchemy import insert, select, text

from bot.services import questions
from models import Account, DialogueSession, Resident, ResidentQuestion
from models.residents import new_resident_key
from tests.support.filing_worker import FILED_AT, file_one

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL: set TEST_DATABASE_URL"
    ),
    pytest.mark.timeout(120),
]

FILINGS = 200
FIRST_ACCOUNT = 900_000
EXPECTED = [f"KN-26-{n:04d}" for n in range(1, FILINGS + 1)]


async def residents_and_session(app) -> int:
    """FILINGS residents on Telegram (external ids FIRST_ACCOUNT…) and an open session; its id."""
    keys = [new_resident_key() for _ in range(FILINGS)]
    async with app.sessionmaker() as db, db.begin():
        await db.execute(insert(Resident), [{"id": key, "locale": "vi"} for key in keys])
        await db.execute(
            insert(Account),
            [
                {"resident_id": key, "channel": "telegram", "external_id": str(FIRST_ACCOUNT + n)}
                for n, key in enumerate(keys)
            ],
        )
        session = DialogueSession(title="Hội nghị tháng 12", status="open")
        db.add(session)
        await db.flush()
        return session.id


async def stored_codes(app) -> list[str]:
    async with app.sessionmaker() as db:
        return sorted((await db.execute(select(ResidentQuestion.code))).scalars())


async def test_200_filings_at_once_on_several_connections_get_consecutive_codes(app):
    session_id = await residents_and_session(app)
    connections: set[int] = set()

    async def one(n: int) -> str:
        async with app.sessionmaker() as db:
            connections.add(await db.scalar(text("SELECT pg_backend_pid()")))
            await db.rollback()
        return await file_one(app.sessionmaker, session_id, str(FIRST_ACCOUNT + n))

    codes = await asyncio.gather(*(one(n) for n in range(FILINGS)))

    assert sorted(codes) == EXPECTED
    assert await stored_codes(app) == EXPECTED
    assert len(connections) > 1  # the filings ran side by side, not one after the other


@pytest.mark.subprocess
async def test_200_filings_from_two_processes_get_consecutive_codes(app, database_url):
    session_id = await residents_and_session(app)
    half = FILINGS // 2
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.filing_worker",
            database_url,
            str(session_id),
            str(FIRST_ACCOUNT + first),
            str(half),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for first in (0, half)
    ]
    for process in processes:  # both ready, then both file at once
        assert await process.stdout.readline() == b"ready\n"
    outputs = await asyncio.gather(*(process.communicate(b"go\n") for process in processes))

    assert [process.returncode for process in processes] == [0, 0]
    codes = [code for stdout, _stderr in outputs for code in stdout.decode().split()]
    assert sorted(codes) == EXPECTED
    assert await stored_codes(app) == EXPECTED
    # Filed in the year of FILED_AT, numbered from one.
    assert questions.code_for(FILED_AT.year, 1) == EXPECTED[0]
