"""Several real worker processes (`python -m bot --workers 2`) on PostgreSQL and Redis, serving
Telegram by webhook on one shared port: exactly one leads the scheduler, and when it is killed
the other takes over within seconds. Needs TEST_DATABASE_URL and TEST_REDIS_URL."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from tests.conftest import TEST_TOKEN
from tests.support.fake_bot_api import FakeBotApi
from tests.support.processes import health_client, log_of
from tests.support.workers import WORKERS_LOG, elected, states, until_leader, workers

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="needs PostgreSQL and Redis: set TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
    pytest.mark.subprocess,
    pytest.mark.timeout(240),  # worker processes: a start-up, a kill, a stop
]


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
