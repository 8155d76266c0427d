"""Fixtures: a real app (dispatcher, dialogs, database) on SQLite, or on PostgreSQL when
TEST_DATABASE_URL is set, talking to a recording Telegram stand-in."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot import i18n
from bot.app import App, build_app
from bot.settings import Settings
from tests.support import schema, seed
from tests.support.browser import browser_factory  # noqa: F401 (a fixture for every test)
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import FakeZalo
from tests.support.resident import Resident
from tests.support.telegram_spec import assert_valid_requests

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


@pytest.fixture(scope="session")
def migrated_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[schema.SqliteTemplate | schema.PostgresTemplate]:
    """The schema, migrated by Alembic once per run (tests/support/schema.py)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        template = schema.PostgresTemplate(url)
    else:
        template = schema.SqliteTemplate(tmp_path_factory.mktemp("schema"))
    asyncio.run(template.migrate())  # before any test's event loop exists
    yield template
    template.close()


@pytest.fixture
async def database_url(migrated_template, tmp_path: Path) -> str:
    """A migrated database with no rows, for this test alone."""
    return await migrated_template.fresh(tmp_path)


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> str:
    """A database with no schema at all, for tests of the migrations themselves. On PostgreSQL
    this is the shared test database: the next `database_url` migrates it again if needed."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await schema.drop_postgres_schema(url)
        return url
    return f"sqlite+doithoai:///{tmp_path / 'empty.sqlite3'}"


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

    async def build(**overrides) -> App:
        app = build_app(
            overrides.pop("settings", settings),
            storage=JsonMemoryStorage(),
            bot_session=telegram,
            clock=clock,
            **overrides,
        )
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


@pytest.fixture
async def data(app: App, clock: FakeClock):
    """The survey seed (tests/support/seed.py): responses of two fields on every channel, drafts,
    another session and five questions; (rows, session ids by name, questions)."""
    return await seed.figures_data(app, clock)


def pytest_terminal_summary(terminalreporter) -> None:
    """Where the rendered pages of the printed documents are, for a person to look at."""
    from tests.support import rendering

    if rendering.written:
        terminalreporter.write_line(
            f"Rendered documents ({len(rendering.written)}), PDF and a PNG per page: "
            f"{rendering.RENDERED}"
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so a fixture can tell the test failed (the
    browser fixture then keeps a screenshot of each page)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
