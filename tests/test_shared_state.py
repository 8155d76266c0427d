"""Several workers share conversation state through Redis (TEST_REDIS_URL): a resident's dialog
started on one worker goes on, tap after tap, on another, as behind a load balancer."""

from __future__ import annotations

import os

import pytest
from redis.asyncio import Redis

from bot.app import build_app
from tests.support.journey import AGREE, DECLINE, RATE
from tests.support.resident import Resident

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="needs Redis: set TEST_REDIS_URL"
)


@pytest.fixture
async def workers(settings, telegram, clock):
    url = os.environ["TEST_REDIS_URL"]
    redis = Redis.from_url(url)
    await redis.flushdb()
    await redis.aclose()
    shared = settings.model_copy(update={"redis_url": url})
    apps = [build_app(shared, bot_session=telegram, clock=clock) for _ in range(2)]
    yield apps
    for app in apps:
        await app.close()


async def test_any_worker_continues_any_dialog(workers, telegram):
    first, second = workers
    resident = Resident(first, telegram, 501, "vi")
    await resident.send("/start")
    assert "1/3." in resident.text
    resident.attach(second)  # the next tap reaches the other worker
    await resident.tap(AGREE["vi"])
    assert "2/3." in resident.text
    resident.attach(first)
    await resident.tap(AGREE["vi"])
    resident.attach(second)
    await resident.tap(DECLINE["vi"])
    assert RATE["vi"] in resident.buttons
