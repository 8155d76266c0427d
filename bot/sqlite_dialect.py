"""The `sqlite+doithoai://` dialect: SQLAlchemy's SQLite dialect over `bot.sqlite_driver`.

SQLAlchemy's aiosqlite dialect does everything we need (SQL, types, pooling, the asyncio
adapter) except talk to our driver: it imports aiosqlite, its isolation-level setter reaches
aiosqlite's private queue (`_conn`, `_tx`), and it reads aiosqlite's version number. This
dialect reuses that dialect and adapter and replaces exactly those three parts. What the adapter
reaches on the driver is listed and checked in tests/test_sqlite_driver.py; SQLAlchemy is pinned
to the minor version that test passed on (pyproject.toml), because the adapter is SQLAlchemy's
internal code, not a public API.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.util.concurrency import await_

from bot import sqlite_driver

NAME = "doithoai"  # sqlite+doithoai://


class DriverConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapter for an aiosqlite connection, with an isolation-level setter that
    asks our driver instead of pushing onto aiosqlite's private queue."""

    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        try:
            await_(self._connection.set_isolation_level(value))
        except Exception as error:
            self._handle_exception(error)


class DriverModule(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module SQLAlchemy sees: error classes and constants from sqlite3, connections
    from `bot.sqlite_driver`."""

    def __init__(self) -> None:
        super().__init__(sqlite_driver, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> DriverConnection:
        creator = kwargs.pop("async_creator_fn", None)
        connecting = creator(*args, **kwargs) if creator else sqlite_driver.connect(*args, **kwargs)
        return DriverConnection(self, await_(connecting))


class SQLiteDialect_doithoai(SQLiteDialect_aiosqlite):
    driver = NAME
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> DriverModule:
        return DriverModule()

    # The driver is sqlite3 underneath: its version is Python's, as for pysqlite (aiosqlite's
    # dialect would look for aiosqlite's version number on our module).
    retrieve_dbapi_version = SQLiteDialect_pysqlite.retrieve_dbapi_version


dialect = SQLiteDialect_doithoai


def register() -> None:
    """Makes `sqlite+doithoai://` known to SQLAlchemy in this process (idempotent)."""
    registry.register(f"sqlite.{NAME}", __name__, "SQLiteDialect_doithoai")
