"""Exactly one scheduler leader among workers sharing a database, taken over within seconds
when the leader goes away (PostgreSQL advisory lock); SQLite's single process always leads."""

from __future__ import annotations

import asyncio

import pytest

from bot import db as database
from bot.leader import Leadership


class Worker:
    def __init__(self, url: str, name: str, log: list[str]) -> None:
        self.leadership = Leadership(url, self.elected, self.deposed, retry=0.05, check=0.05)
        self.name, self.log = name, log
        self.task: asyncio.Task | None = None

    async def elected(self) -> None:
        self.log.append(f"{self.name} leads")

    async def deposed(self) -> None:
        self.log.append(f"{self.name} stops")

    def start(self) -> None:
        self.task = asyncio.create_task(self.leadership.run())

    async def kill(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(condition, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


async def test_one_leader_and_a_takeover(database_url):
    log: list[str] = []
    first, second = Worker(database_url, "A", log), Worker(database_url, "B", log)
    first.start()
    await until(lambda: log == ["A leads"])
    second.start()
    if database.is_sqlite(database_url):
        # One process per SQLite database: each worker leads its own (documented).
        await until(lambda: "B leads" in log)
    else:
        await asyncio.sleep(0.5)  # B keeps trying, and keeps failing while A holds the lock
        assert log == ["A leads"] and not second.leadership.leading
        await first.kill()
        await until(lambda: log == ["A leads", "A stops", "B leads"])
    await first.kill()
    await second.kill()
    assert log[-1] in ("A stops", "B stops")


@pytest.mark.skipif("not __import__('os').environ.get('TEST_DATABASE_URL')")
async def test_a_lost_connection_deposes_the_leader(database_url):
    """The server drops the leader's connection: it stops leading, and leads again once it
    gets the lock back."""
    from sqlalchemy import text

    log: list[str] = []
    worker = Worker(database_url, "A", log)
    worker.start()
    await until(lambda: log == ["A leads"])
    engine = database.create_engine(database_url)
    async with engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :key"
            ),
            {"key": 0x646F6974},
        )
    await engine.dispose()
    await until(lambda: log[:3] == ["A leads", "A stops", "A leads"])
    await worker.kill()
