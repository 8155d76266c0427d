"""Two web workers as processes, and which of them leads the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.conftest import TEST_TOKEN
from tests.support.fake_bot_api import FakeBotApi
from tests.support.processes import bot_env, free_port, running_bot

WORKERS_LOG = "workers.log"  # in the directory the workers run in


@contextlib.asynccontextmanager
async def workers(
    api: FakeBotApi, database_url: str, directory: Path, **settings: str
) -> AsyncIterator[int]:
    """`python -m bot --workers 2` by webhook against the fake Bot API, with these settings on
    top; yields the port they share, stops them (SIGTERM to the supervisor) on the way out.
    Their log is written to `directory / WORKERS_LOG`."""
    port = free_port()
    env = bot_env(
        directory,
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        WEBHOOK_BASE_URL="https://bot.phuong.example.gov.vn",
        WEBHOOK_SECRET="s" * 32,
        DATABASE_URL=database_url,
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        WEB_PORT=str(port),
        **settings,
    )
    async with running_bot(directory, "--workers", "2", env=env, log=WORKERS_LOG):
        yield port


async def states(client: httpx.AsyncClient, seconds: float = 120) -> dict[int, str]:
    """{worker pid: scheduler state}, asking until both workers have answered."""
    seen: dict[int, str] = {}
    async with asyncio.timeout(seconds):
        while len(seen) < 2:
            try:
                body = (await client.get("/healthz")).json()
                seen[body["worker"]] = body["scheduler"]
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.05)
    return seen


async def elected(client: httpx.AsyncClient) -> tuple[int, int]:
    """(the leader's pid, the other's), once both workers answer and one of them leads."""
    seen = await states(client)
    for _ in range(100):  # the election takes a moment after start-up
        if sorted(seen.values()) == ["leader", "standby"]:
            break
        await asyncio.sleep(0.1)
        seen = await states(client)
    assert sorted(seen.values()) == ["leader", "standby"], seen
    [leader] = [pid for pid, state in seen.items() if state == "leader"]
    [other] = [pid for pid in seen if pid != leader]
    return leader, other


async def until_leader(client: httpx.AsyncClient, pid: int, seconds: float = 20) -> None:
    """Until this worker answers that it leads the scheduler."""
    async with asyncio.timeout(seconds):
        while True:
            try:
                body = (await client.get("/healthz")).json()
                if body["worker"] == pid and body["scheduler"] == "leader":
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
