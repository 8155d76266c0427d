"""The delivery engine over real HTTP: fake Telegram and Zalo servers, apps built on one
database (a second is a restart or a second worker), and waiting for the deliveries to settle."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select

from bot import i18n
from bot.app import App, build_app
from bot.settings import Settings
from models import Delivery
from tests.conftest import TEST_TOKEN
from tests.support.fake_bot_api import FakeBotApi, RateLimits
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo


class Servers:
    def __init__(self) -> None:
        self.telegram = FakeBotApi()
        self.zalo = FakeZalo()

    def of(self, channel: str) -> FakeBotApi | FakeZalo:
        return self.telegram if channel == "telegram" else self.zalo

    def limit(self, channel: str, per_second: float | None, per_chat: float | None = 1.0) -> None:
        self.of(channel).limits = RateLimits(per_second, per_chat)


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    found = Servers()
    await found.telegram.start()
    await found.zalo.start()
    yield found
    await found.telegram.stop()
    await found.zalo.stop()


Build = Callable[..., Awaitable[App]]


@pytest.fixture
async def build(database_url: str, servers: Servers) -> AsyncIterator[Build]:
    """Apps over real HTTP on one database; a second one is a restart or a second worker."""
    i18n.install()
    apps: list[App] = []

    async def make(**overrides) -> App:
        settings = Settings(
            _env_file=None,
            bot_token=TEST_TOKEN,
            telegram_api_base=servers.telegram.base_url,
            zalo_bot_token=ZALO_TOKEN,
            zalo_api_base=servers.zalo.base_url,
            database_url=database_url,
            **overrides,
        )
        app = build_app(settings)
        app.delivery.retry_delay = 0.05  # seconds before the first retry, doubling
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.close()


async def deliveries(app: App) -> list[Delivery]:
    async with app.sessionmaker() as db:
        return list((await db.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def statuses(app: App) -> Counter[str]:
    return Counter(d.status for d in await deliveries(app))


async def settle(app: App) -> None:
    """Drain until nothing is pending, retries included (they come back after a backoff)."""
    for _ in range(400):
        await app.delivery.drain()
        if not (await statuses(app))["pending"]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("deliveries still pending")


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(1500):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")
