"""SQLite for asyncio with one thread hop per statement.

SQLAlchemy's aiosqlite adapter awaits the driver four times per statement (open a cursor,
execute, fetch, close), and each await is a round trip to aiosqlite's thread: measured here at
about 0.42 ms for `SELECT 1`, against 0.09 ms for one round trip. This module offers the same
connection interface, but a statement runs, fetches and closes its cursor in a single call on
the connection's own thread; the other awaits return at once. SQLAlchemy reaches it through the
`sqlite+doithoai://` dialect (bot/sqlite_dialect.py), so the SQL, types and pooling stay
SQLAlchemy's own; tests/test_sqlite_driver.py checks exactly what SQLAlchemy calls here, and
bench/sqlite_driver.py measures it against aiosqlite.

A large result is not read whole: the first EAGER_ROWS rows come with the statement, and the
sqlite3 cursor stays open for the rest, fetched in batches on the same thread when asked
(`fetchmany`, as SQLAlchemy's streamed results do). An export of 100,000 responses then holds
one batch in memory, not the table.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from functools import partial

# The DB-API names SQLAlchemy's adapter looks up on the driver module.
from sqlite3 import (  # noqa: F401
    DatabaseError,
    Error,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    sqlite_version,
    sqlite_version_info,
)
from typing import Any

EAGER_ROWS = 1000  # rows fetched with the statement itself; a longer result stays on the cursor


class Cursor:
    """Holds the outcome of one statement; nothing here waits on the thread except execute."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: list[Any] = []
        self._rest: sqlite3.Cursor | None = None  # open while rows remain beyond `_rows`

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        await self.close()
        outcome = await self._connection._run(_execute, sql, parameters, many=False)
        self.description, self.rowcount, self.lastrowid, self._rows, self._rest = outcome
        return self

    async def executemany(self, sql: str, seq_of_parameters: Any) -> Cursor:
        await self.close()
        outcome = await self._connection._run(_execute, sql, seq_of_parameters, many=True)
        self.description, self.rowcount, self.lastrowid, self._rows, self._rest = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        if self._rest is not None:
            rows += await self._connection._call(_fetch_rest, self._rest)
            self._rest = None
        return rows

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        if len(self._rows) < size and self._rest is not None:
            wanted = max(size, EAGER_ROWS)
            more = await self._connection._call(_fetch_more, self._rest, wanted)
            if len(more) < wanted:  # the cursor is exhausted and was closed
                self._rest = None
            self._rows += more
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []
        if self._rest is not None:
            rest, self._rest = self._rest, None
            await self._connection._call(sqlite3.Cursor.close, rest)


def _execute(
    connection: sqlite3.Connection, sql: str, parameters: Any, *, many: bool
) -> tuple[Any, int, int | None, list[Any], sqlite3.Cursor | None]:
    """Runs the statement and returns its first EAGER_ROWS rows, with the cursor still open
    if there may be more (closed otherwise)."""
    cursor = connection.cursor()
    keep_open = False
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchmany(EAGER_ROWS) if cursor.description else []
        keep_open = len(rows) == EAGER_ROWS
        rest = cursor if keep_open else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows, rest
    finally:
        if not keep_open:
            cursor.close()


def _fetch_more(cursor: sqlite3.Cursor, size: int) -> list[Any]:
    rows = cursor.fetchmany(size)
    if len(rows) < size:
        cursor.close()
    return rows


def _fetch_rest(cursor: sqlite3.Cursor) -> list[Any]:
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


class Connection:
    """An aiosqlite-compatible connection whose sqlite3 connection lives on one worker thread."""

    def __init__(self, executor: ThreadPoolExecutor, connection: sqlite3.Connection) -> None:
        self._executor = executor
        self._connection: sqlite3.Connection | None = connection

    async def _run(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            raise ValueError("Connection closed")
        loop = asyncio.get_running_loop()
        call = partial(function, self._connection, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    async def _call(self, function: Any, *args: Any) -> Any:
        """Runs `function(*args)` on the connection's thread (for an open sqlite3 cursor)."""
        if self._connection is None:
            raise ValueError("Connection closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args))

    def cursor(self) -> Cursor:
        return Cursor(self)

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level if self._connection else None

    async def set_isolation_level(self, value: str | None) -> None:
        """None is autocommit (sqlite3's own transaction handling off); set on the connection's
        thread, as sqlite3 requires."""
        await self._run(setattr, "isolation_level", value)

    async def commit(self) -> None:
        await self._run(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        await self._run(sqlite3.Connection.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self._run(sqlite3.Connection.create_function, *args, **kwargs)

    async def close(self) -> None:
        if self._connection is None:
            return
        await self._run(sqlite3.Connection.close)
        self._connection = None
        self._executor.shutdown(wait=False)

    def stop(self) -> None:
        """Abandon the connection without waiting (SQLAlchemy's terminate)."""
        self._connection = None
        self._executor.shutdown(wait=False)


async def connect(database: str, **kwargs: Any) -> Connection:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
    loop = asyncio.get_running_loop()
    # Created on the worker thread, so sqlite3's same-thread check holds for every later call:
    # it stays on, whatever SQLAlchemy asks (it turns it off for files, for its thread pools).
    kwargs.pop("check_same_thread", None)
    connection = await loop.run_in_executor(
        executor, partial(sqlite3.connect, database, check_same_thread=True, **kwargs)
    )
    return Connection(executor, connection)
