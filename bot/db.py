"""Engine, sessions and schema upgrades for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations
from bot import sqlite_dialect

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
# One thread hop per statement where aiosqlite makes four (bot/sqlite_driver.py).
SQLITE_DRIVER = f"sqlite+{sqlite_dialect.NAME}"

sqlite_dialect.register()


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs) -> AsyncEngine:
    # A failed statement's parameters are residents' text, names and phones: SQLAlchemy leaves
    # them out of its exceptions, hence out of every log (bot/logs.py cuts what drivers quote).
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    # Earlier versions wrote `sqlite+aiosqlite://` into .env files: the same database, through
    # the project's driver (any SQLite URL is).
    return sqlite_engine(make_url(url).set(drivername=SQLITE_DRIVER), **kwargs)


def sqlite_engine(url: str | URL, **kwargs) -> AsyncEngine:
    """An engine on an SQLite file through the driver the URL names, set up as the bot uses it
    (create_engine gives `sqlite+doithoai`; bench/sqlite_driver.py compares `sqlite+aiosqlite`)."""
    database = make_url(url).database or ":memory:"
    if database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        # SQLite has one writer: a single pooled connection queues transactions fairly instead
        # of letting concurrent updates collide on "database is locked".
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        # Sessions always end their transaction themselves; a reset would be one more round trip.
        pool_reset_on_return=None,
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL with synchronous=NORMAL survives a process crash and avoids an fsync per commit.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply pending migrations on the engine's own connection (nobody at a ward runs Alembic)."""

    def _upgrade(sync_connection) -> None:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    await run_migration(engine, _upgrade)


async def run_migration(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Run `work` (Alembic) in one transaction. On SQLite, foreign keys are off meanwhile:
    Alembic alters an SQLite table by copying it and dropping the old one, and with foreign
    keys on that drop cascades, deleting every row that points at the table (all survey
    answers, all attachments). They are checked before the commit instead."""
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:  # only outside a transaction does SQLite change this
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.commit()
        try:
            async with connection.begin():
                await connection.run_sync(work)
                if sqlite:
                    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"migration left {len(broken)} dangling references")
        finally:
            if sqlite:
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                await connection.commit()


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
