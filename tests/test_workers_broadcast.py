"""An announcement to thousands of residents sent by two real worker processes (`python -m bot
--workers 2`) on PostgreSQL and Redis, against the fake Bot API on 127.0.0.1 enforcing a global
limit: the workers split it, and when the scheduler's leader is killed (SIGKILL) or stopped
(SIGTERM) mid-broadcast, the other takes over the scheduler and finishes the broadcast; nothing
is lost. Needs TEST_DATABASE_URL and TEST_REDIS_URL.

Which worker sent a message is told by the client port the fake API saw, matched with each
worker's open connections in /proc."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import db as database
from bot.broadcast_progress import EDIT_INTERVAL
from bot.delivery import outbox
from bot.delivery.outbox import Message
from models import Broadcast, BroadcastKind, BroadcastStatus, Delivery
from tests import test_workers
from tests.conftest import TEST_TOKEN
from tests.support import seed
from tests.support.fake_bot_api import FakeBotApi
from tests.support.processes import client_ports, health_client, log_of
from tests.support.workers import WORKERS_LOG, elected, until_leader, workers

pytestmark = [
    *test_workers.pytestmark,
    pytest.mark.skipif(
        not Path("/proc/net/tcp").exists(), reason="tells workers apart through Linux's /proc"
    ),
]

RESIDENTS = 3000
API_LIMIT = 400  # messages per second the fake API accepts, all chats together
# The bot's rate: `--workers 2` gives each worker half (its own limiter). A quarter under the
# fake API's, as in test_delivery_engine.py: the API (a thread of this test's process) stamps
# arrivals a few hundredths of a second late when this process is busy, and at 380/s one
# 429 came in six PostgreSQL runs; two workers at the full rate each (600/s) are still refused.
# A short lease, so the killed worker's claims end within seconds.
WORKER_SETTINGS = {"TELEGRAM_RATE": "300", "DELIVERY_LEASE": "10"}
TEXT = "Hội nghị đối thoại với Nhân dân phường: 8:00 ngày 10/12 tại hội trường UBND."
FIRST_CHAT = 700_000_000

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(rate_limit=API_LIMIT)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    """The test's own connection to the workers' database (migrated: see conftest.py)."""
    engine = database.create_engine(database_url)
    yield database.create_sessionmaker(engine)
    await engine.dispose()


async def announce(sessions: Sessions, **progress: int) -> int:
    """RESIDENTS residents on Telegram who agreed to announcements, and one announcement to all
    of them put into the outbox as /broadcast does (with `progress_chat_id` and
    `progress_message_id`: the admin's progress message); its id."""
    async with sessions() as db, db.begin():
        await seed.opted_in_residents(db, RESIDENTS, FIRST_CHAT)
        recipients = await outbox.opted_in(db)
        broadcast = await outbox.new_broadcast(
            db,
            kind=BroadcastKind.ANNOUNCEMENT,
            status=BroadcastStatus.SENDING,
            text=TEXT,
            started_at=datetime.now(UTC),
            **progress,
        )
        assert broadcast is not None
        rows = [(r, Message(TEXT), outbox.delivery_key(broadcast.id, r)) for r in recipients]
        assert await outbox.add_many(db, rows, broadcast_id=broadcast.id) == RESIDENTS
    return broadcast.id


async def both_sending(api: FakeBotApi, pids: tuple[int, int]) -> dict[int, set[int]]:
    """Each worker's client ports, once a third of the broadcast was accepted, part of it from
    each worker: taken just before the caller stops one, so every port is still open."""
    async with asyncio.timeout(120):
        while True:
            ports = {pid: client_ports(pid) for pid in pids}
            senders = {pid for m in api.accepted for pid in pids if m.port in ports[pid]}
            if len(api.accepted) >= RESIDENTS // 3 and senders == set(pids):
                return ports
            await asyncio.sleep(0.05)


async def all_sent(sessions: Sessions, broadcast_id: int) -> list[Delivery]:
    """The broadcast's deliveries, once every one is recorded as sent."""
    async with asyncio.timeout(120):
        while True:
            async with sessions() as db:
                if await outbox.progress(db, broadcast_id) == {"sent": RESIDENTS}:
                    stmt = select(Delivery).where(Delivery.broadcast_id == broadcast_id)
                    return list((await db.execute(stmt)).scalars())
            await asyncio.sleep(0.2)


def clean_log(directory: Path) -> None:
    log = log_of(directory, WORKERS_LOG)
    assert "Traceback" not in log, log
    assert TEST_TOKEN.split(":")[1] not in log


async def test_the_leader_killed_mid_broadcast(api, sessions, database_url, tmp_path):
    broadcast_id = await announce(sessions)
    async with (
        workers(api, database_url, tmp_path, **WORKER_SETTINGS) as port,
        health_client(port) as client,
    ):
        leader, other = await elected(client)
        ports = await both_sending(api, (leader, other))  # a third out, from both
        killed_at = datetime.now(UTC)
        os.kill(leader, signal.SIGKILL)  # in the middle of sending and recording
        await until_leader(client, other)
        rows = await all_sent(sessions, broadcast_id)

    received = Counter(m.chat_id for m in api.accepted)
    assert set(received) == {str(FIRST_CHAT + n) for n in range(RESIDENTS)}  # nothing lost
    assert max(received.values()) <= 2
    # A message is sent twice only if the killed worker had it accepted but not yet recorded
    # (its requests in flight, its last group of results): the row stays pending, and once the
    # claim ends (DELIVERY_LEASE) the other worker sends it. Nothing else is doubled.
    recorded_before = {d.chat_id for d in rows if d.sent_at < killed_at}
    unrecorded = {m.chat_id for m in api.accepted if m.port in ports[leader]} - recorded_before
    doubled = {chat for chat, times in received.items() if times == 2}
    assert doubled <= unrecorded, (doubled, unrecorded)
    clean_log(tmp_path)


async def test_the_leader_stopped_mid_broadcast(api, sessions, database_url, tmp_path):
    broadcast_id = await announce(sessions)
    async with (
        workers(api, database_url, tmp_path, **WORKER_SETTINGS) as port,
        health_client(port) as client,
    ):
        leader, other = await elected(client)
        await both_sending(api, (leader, other))  # a third out, from both
        # A clean stop: it finishes and records what is in flight and releases its claims; the
        # supervisor lets it go and keeps the other running.
        os.kill(leader, signal.SIGTERM)
        await until_leader(client, other)
        await all_sent(sessions, broadcast_id)

    received = Counter(m.chat_id for m in api.accepted)
    assert received == {str(FIRST_CHAT + n): 1 for n in range(RESIDENTS)}  # once each, exactly
    assert api.limits.refused == []  # the two workers together kept under the API's limit
    clean_log(tmp_path)


ADMIN_CHAT, PROGRESS_MESSAGE = 1, 555


async def test_an_announcement_is_finished_whichever_worker_dies(
    api, sessions, database_url, tmp_path
):
    async with (
        workers(api, database_url, tmp_path, **WORKER_SETTINGS) as port,
        health_client(port) as client,
    ):
        pids = await elected(client)
        # Made once the workers run: no worker follows its progress, as when the one that
        # sent it (and followed it) died.
        broadcast_id = await announce(
            sessions, progress_chat_id=ADMIN_CHAT, progress_message_id=PROGRESS_MESSAGE
        )
        await both_sending(api, pids)
        os.kill(random.choice(pids), signal.SIGKILL)
        await all_sent(sessions, broadcast_id)
        # Within a minute of the last delivery, a live worker shows the final figures.
        async with asyncio.timeout(60):
            while True:
                if summaries := final_edits(api):
                    break
                await asyncio.sleep(0.5)
        await asyncio.sleep(EDIT_INTERVAL * 2)  # no worker shows it a second time

    assert final_edits(api) == summaries and len(summaries) == 1
    assert summaries[0].startswith("✅ Đã gửi xong thông báo")
    assert f"Đã gửi {RESIDENTS} · lỗi 0 · không liên lạc được 0" in summaries[0]
    async with sessions() as db:
        broadcast = await db.get(Broadcast, broadcast_id)
    assert broadcast.status == BroadcastStatus.DONE and broadcast.finished_at is not None
    clean_log(tmp_path)


def final_edits(api: FakeBotApi) -> list[str]:
    """The summaries shown in the admin's progress message (the texts without a Stop button)."""
    return [
        form["text"]
        for name, form in api.calls
        if name == "editMessageText"
        and form.get("message_id") == str(PROGRESS_MESSAGE)
        and "reply_markup" not in form
    ]
