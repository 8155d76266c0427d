"""Fixtures: a real app (dispatcher, dialogs, database) on SQLite, or on PostgreSQL when
TEST_DATABASE_URL is set, talking to a recording Telegram stand-in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import db as database
from bot import i18n
from bot.app import App, build_app
from bot.settings import Settings
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.resident import Resident
from tests.telegram_spec import assert_valid_requests

TEST_TOKEN = "123456789:" + "A" * 35
# A Thursday morning in the ward, five days before a December session in some tests.
DEFAULT_NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await reset_postgres(url)
        return url
    return f"sqlite+doithoai:///{tmp_path / 'doithoai.sqlite3'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=TEST_TOKEN,
        database_url=database_url,
        ward_name="Bình An",
        admin_ids="1",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """A Zalo Bot API stand-in on a local port."""
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def make_app(
    settings: Settings, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Callable[..., App]]:
    """Builds app instances on one database; a second call is a restart (fresh memory)."""
    i18n.install()
    apps: list[App] = []
    migrated = False

    async def build(**overrides) -> App:
        nonlocal migrated
        app = build_app(
            overrides.pop("settings", settings),
            storage=JsonMemoryStorage(),
            bot_session=telegram,
            clock=clock,
            **overrides,
        )
        if not migrated:
            await database.upgrade_schema(app.engine)
            migrated = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        await app.close()
    # Every request the bot made in the test must be one the Bot API accepts.
    assert_valid_requests(telegram.calls)


@pytest.fixture
async def app(make_app) -> App:
    return await make_app()


@pytest.fixture
def resident_factory(app: App, telegram: FakeTelegram) -> Callable[..., Resident]:
    def make(user_id: int = 501, language: str | None = "vi") -> Resident:
        return Resident(app, telegram, user_id, language)

    return make


@pytest.fixture
def resident(resident_factory) -> Resident:
    return resident_factory()


def pytest_terminal_summary(terminalreporter) -> None:
    """Where the rendered pages of the printed documents are, for a person to look at."""
    from tests import rendering

    if rendering.written:
        terminalreporter.write_line(
            f"Rendered documents ({len(rendering.written)}), PDF and a PNG per page: "
            f"{rendering.RENDERED}"
        )
