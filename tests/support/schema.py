"""The test database's schema, migrated by Alembic once per run; each test then starts from a
migrated database with no rows, without paying for the migrations again:
- SQLite: the migrated template file is copied into the test's own directory;
- PostgreSQL: the one test database is emptied (rows deleted, ids counting from 1 again).
Deleting the rows of a few nearly empty tables takes milliseconds where TRUNCATE, which makes
new files for every table, takes half a second and CREATE DATABASE … TEMPLATE more."""

from __future__ import annotations

import shutil
import sqlite3
from functools import cache
from pathlib import Path

import psycopg
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import models
from bot import db as database

VERSION_TABLE = "alembic_version"  # the one table whose rows belong to the schema
# The scheduler's job store makes its own table when a scheduler first starts: not ours, and
# left out so that it does not count as a change.
SHAPE = """
SELECT (SELECT count(*) FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'apscheduler_jobs'),
       (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = 'public' AND c.conrelid IS DISTINCT FROM to_regclass('public.apscheduler_jobs')),
       (SELECT count(*) FROM pg_indexes
         WHERE schemaname = 'public' AND tablename <> 'apscheduler_jobs'),
       (SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = r.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal)
"""


@cache
def head() -> str:
    return ScriptDirectory.from_config(database.alembic_config("sqlite://")).get_current_head()


async def migrate(url: str) -> None:
    engine = database.create_engine(url)
    try:
        await database.upgrade_schema(engine)
    finally:
        await engine.dispose()


class SqliteTemplate:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.sqlite3"

    async def migrate(self) -> None:
        await migrate(f"sqlite+doithoai:///{self.path}")
        # Fold the write-ahead log into the file, so copying the one file copies it all.
        connection = sqlite3.connect(self.path)
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()

    async def fresh(self, directory: Path) -> str:
        copy = directory / "doithoai.sqlite3"
        shutil.copy(self.path, copy)
        return f"sqlite+doithoai:///{copy}"

    def close(self) -> None:
        pass


class PostgresTemplate:
    def __init__(self, url: str) -> None:
        self.url = url
        self._migrated: tuple | None = None
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection = psycopg.connect(libpq, autocommit=True)

    async def migrate(self) -> None:
        await drop_postgres_schema(self.url)
        await migrate(self.url)
        self._migrated = self._shape()

    async def fresh(self, directory: Path) -> str:
        # A test of the migrations themselves may have left the schema at another revision,
        # and a test may have added a constraint or trigger of its own: migrate again then.
        if self._at_head() and self._shape() == self._migrated:
            self._delete_rows()
        else:
            await self.migrate()
        return self.url

    def _shape(self) -> tuple:
        """What the schema holds besides rows: columns, constraints, indexes, triggers."""
        return self._connection.execute(SHAPE).fetchone()

    def _at_head(self) -> bool:
        try:
            version = self._connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")
            return version.fetchone() == (head(),)
        except psycopg.errors.UndefinedTable:
            return False

    def _delete_rows(self) -> None:
        tables = [
            row[0]
            for row in self._connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        # Referencing tables first; tables that are not models (the scheduler's) reference none.
        ours = [t.name for t in reversed(models.Base.metadata.sorted_tables) if t.name in tables]
        others = [name for name in tables if name not in ours and name != VERSION_TABLE]
        sequences = [
            row[0]
            for row in self._connection.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
            )
        ]
        with self._connection.transaction():
            for name in ours + others:
                self._connection.execute(f'DELETE FROM "{name}"')
            for name in sequences:
                self._connection.execute("SELECT setval(%s, 1, false)", (f'"{name}"',))

    def close(self) -> None:
        self._connection.close()


async def drop_postgres_schema(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
