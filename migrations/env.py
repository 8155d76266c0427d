"""Alembic environment: runs on a connection handed over by the bot, or on the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context

import models
from bot import db as database
from bot.settings import load_settings

target_metadata = models.Base.metadata


# The scheduler's job store keeps its own table in the same database (scheduler/runner.py);
# it is not one of our models, and autogenerate must not propose dropping it.
NOT_OURS = frozenset({"apscheduler_jobs"})


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name in NOT_OURS)


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    engine = database.create_engine(url)  # knows sqlite+doithoai:// and maps old URLs
    await database.run_migration(engine, _configure_and_run)  # SQLite: foreign keys off meanwhile
    await engine.dispose()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or load_settings().database_url
    asyncio.run(_run_on_url(url))


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
run()
