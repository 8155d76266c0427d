"""Several real worker processes (`python -m bot --workers 2`) on PostgreSQL and Redis, serving
Telegram by webhook on one shared port: exactly one leads the scheduler, and when it is killed
the other takes over within seconds. Needs TEST_DATABASE_URL and TEST_REDIS_URL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_TOKEN
from tests.support.fake_bot_api import FakeBotApi
from tests.support.processes import bot_env, free_port, health_client, log_of, running_bot

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="needs PostgreSQL and Redis: set TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
    pytest.mark.subprocess,
    pytest.mark.timeout(240),  # worker processes: a start-up, a kill, a stop
]

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


async def test_one_scheduler_leader_among_workers_and_a_takeover(database_url, tmp_path):
    api = FakeBotApi()
    await api.start()
    try:
        async with workers(api, database_url, tmp_path) as port, health_client(port) as client:
            leader, other = await elected(client)
            os.kill(leader, signal.SIGKILL)  # no goodbye: its connection just drops
            await until_leader(client, other)
    finally:
        await api.stop()
    log = log_of(tmp_path, WORKERS_LOG)
    assert "Traceback" not in log, log
    assert log.count("This worker leads the scheduler") == 2  # the first leader, then the other
    assert TEST_TOKEN.split(":")[1] not in log
    webhooks = [form for name, form in api.calls if name == "setWebhook"]
    assert {form["url"] for form in webhooks} == {
        "https://bot.phuong.example.gov.vn/telegram/webhook"
    }


@pytest.mark.timeout(360)  # two start-ups in a row: the workers', then the restarted one's
async def test_a_worker_that_dies_is_restarted_and_counted(database_url, tmp_path):
    api = FakeBotApi()
    await api.start()
    try:
        async with workers(api, database_url, tmp_path) as port, health_client(port) as client:
            first = set(await states(client))
            victim = min(first)
            os.kill(victim, signal.SIGKILL)
            # The supervisor starts another in its place: two workers answer again, one new
            # (after a second's back-off and its start-up, slow on a busy machine).
            async with asyncio.timeout(150):
                while True:
                    now = set(await states(client))
                    if victim not in now and now - first:
                        break
                    await asyncio.sleep(0.2)
            metrics = (await client.get("/metrics")).text
    finally:
        await api.stop()
    assert "doithoai_worker_restarts 1.0" in metrics
    log = log_of(tmp_path, WORKERS_LOG)
    assert f"(pid {victim}) exited unexpectedly (killed by SIGKILL); restarting it in 1 s" in log
    assert "restarted (pid" in log
    assert "Traceback" not in log, log
