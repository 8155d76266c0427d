"""The real process (`python -m bot`) serving Telegram and Zalo by webhook on 127.0.0.1, as a
reverse proxy would reach it: bad bodies and a non-UTF-8 secret get 4xx, never 5xx, nothing in
the log is a traceback, a replayed update is answered once, and the bot keeps answering. With
TEST_DATABASE_URL and TEST_REDIS_URL, the same replay sent to two workers is answered once."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_TOKEN
from tests.support.fake_bot_api import FakeBotApi
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo
from tests.support.processes import (
    bot_env,
    free_port,
    health_client,
    log_of,
    running_bot,
    until_serving,
)
from tests.support.webhook import BAD_BODIES, NOT_UPDATES, TEN_MEGABYTES, WELCOME, start_update
from tests.support.workers import WORKERS_LOG, states, workers
from tests.support.zalo_webhook import USER, delivery

pytestmark = pytest.mark.subprocess

TELEGRAM_SECRET = "t" * 32
ZALO_SECRET = "zalo-secret-5678"
ZALO_PATH = "/zalo/hook-7c1e"


@contextlib.asynccontextmanager
async def one_process(
    api: FakeBotApi, zalo: FakeZalo, directory: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """`python -m bot` with both channels by webhook, SQLite; yields a client for its port,
    then stops it with SIGTERM and checks it stopped cleanly."""
    port = free_port()
    env = bot_env(
        directory,
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        WEBHOOK_BASE_URL="https://bot.phuong.example.gov.vn",
        WEBHOOK_SECRET=TELEGRAM_SECRET,
        ZALO_BOT_TOKEN=ZALO_TOKEN,
        ZALO_API_BASE=zalo.base_url,
        ZALO_WEBHOOK_URL="https://bot.phuong.example.gov.vn" + ZALO_PATH,
        ZALO_WEBHOOK_SECRET=ZALO_SECRET,
        WEB_PORT=str(port),
    )
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
    async with running_bot(directory, env=env) as process, client:
        await until_serving(client, process)
        yield client
    assert process.returncode == 0, log_of(directory)


async def until(condition, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


def telegram_headers(secret: str | bytes = TELEGRAM_SECRET) -> dict[str, str | bytes]:
    return {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}


def zalo_headers(secret: str | bytes = ZALO_SECRET) -> dict[str, str | bytes]:
    return {"X-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}


async def test_the_running_bot_refuses_bad_bodies_and_keeps_serving(tmp_path) -> None:
    api, zalo = FakeBotApi(), FakeZalo()
    await api.start()
    await zalo.start()
    try:
        async with one_process(api, zalo, tmp_path) as client:
            answers = []
            for body in [*BAD_BODIES.values(), *NOT_UPDATES.values(), TEN_MEGABYTES]:
                for path, headers in (
                    ("/telegram/webhook", telegram_headers()),
                    (ZALO_PATH, zalo_headers()),
                ):
                    answers.append(await client.post(path, content=body, headers=headers))
            not_utf8 = [
                await client.post(
                    "/telegram/webhook",
                    json=start_update(1),
                    headers=telegram_headers(b"\xff" + TELEGRAM_SECRET.encode()),
                ),
                await client.post(
                    ZALO_PATH, json=delivery(), headers=zalo_headers(b"\xff\xfe" + b"x" * 12)
                ),
            ]

            for _ in range(3):  # Telegram sends it again: answered each time, handled once
                good = await client.post(
                    "/telegram/webhook", json=start_update(500), headers=telegram_headers()
                )
                assert good.status_code == 200
            zalo_good = await client.post(
                ZALO_PATH, json=delivery("Xin chào"), headers=zalo_headers()
            )
            assert zalo_good.status_code == 200
            await until(lambda: api.texts_to(777) and zalo.sent)
            await asyncio.sleep(0.5)  # time enough for a second answer, if there were one
    finally:
        await api.stop()
        await zalo.stop()

    statuses = {r.status_code for r in answers}
    assert statuses <= {400, 413} and 400 in statuses and 413 in statuses
    assert [r.status_code for r in not_utf8] == [401, 403]
    [welcome] = api.texts_to(777)
    assert welcome.startswith(WELCOME)
    [(chat, text)] = zalo.sent
    assert chat == USER and text.startswith(WELCOME)
    log = log_of(tmp_path)
    assert "Traceback" not in log and "Error handling request" not in log, log
    assert "Telegram webhook request that is not an update refused" in log
    assert "delivered again: not handled twice" in log


@pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="needs PostgreSQL and Redis: set TEST_DATABASE_URL and TEST_REDIS_URL",
)
async def test_a_replay_to_two_workers_is_answered_once(database_url, tmp_path) -> None:
    api = FakeBotApi()
    await api.start()
    try:
        async with workers(api, database_url, tmp_path) as port, health_client(port) as client:
            await states(client, seconds=120)  # both workers answer (slow on a busy machine)
            headers = telegram_headers("s" * 32)
            # A new connection each time: the kernel hands them to both workers.
            replies = await asyncio.gather(
                *(
                    client.post("/telegram/webhook", json=start_update(900), headers=headers)
                    for _ in range(12)
                )
            )
            await until(lambda: api.texts_to(777), seconds=60)
            await asyncio.sleep(1)  # time enough for a second answer, if there were one
    finally:
        await api.stop()
    assert [r.status_code for r in replies] == [200] * 12
    [welcome] = api.texts_to(777)
    assert welcome.startswith(WELCOME)
    log = log_of(tmp_path, WORKERS_LOG)
    assert "Traceback" not in log, log
