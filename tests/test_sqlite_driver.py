"""The contract between SQLAlchemy and the project's SQLite driver (bot/sqlite_driver.py).

SQLAlchemy reaches the driver through its own aiosqlite adapter (bot/sqlite_dialect.py reuses
it), which is SQLAlchemy's internal code: a new SQLAlchemy version may call something the driver
lacks. Here every kind of work the bot asks of the database goes through that adapter, with a
recorder between adapter and driver noting each name the adapter reaches; the names must be
exactly `CONTRACT`. When SQLAlchemy changes what it reaches, the test fails and says what: check
the driver does it right, add a test below, then update the list (and the pin in pyproject.toml).
"""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from bot import db as database
from bot import sqlite_driver
from bot.settings import DEFAULT_DATABASE_URL

# Every name SQLAlchemy 2.1's adapter reaches on the driver, and what for.
CONTRACT = frozenset(
    {
        # connection
        "connection.cursor",  # every statement opens a cursor
        "connection.commit",
        "connection.rollback",
        "connection.create_function",  # on connect: regexp() and floor() for SQL expressions
        "connection.isolation_level",  # read: is this connection in autocommit?
        "connection.set_isolation_level",  # AUTOCOMMIT and back (bot/sqlite_dialect.py)
        "connection.close",  # engine.dispose, a graceful terminate
        "connection.stop",  # terminate without waiting (outside the event loop's greenlet)
        # aiosqlite's private name for the sqlite3 connection, None once closed: the adapter
        # skips commit and rollback on a closed connection. The driver keeps the same name.
        "connection._connection",
        # cursor
        "cursor.__aenter__",
        "cursor.execute",
        "cursor.executemany",
        "cursor.description",
        "cursor.rowcount",
        "cursor.lastrowid",
        "cursor.fetchall",  # an ordinary result, read whole after execute
        "cursor.fetchmany",  # a streamed result (yield_per), batch by batch
        "cursor.close",
    }
)


class Recorder:
    """Stands between SQLAlchemy's adapter and a driver object and notes every name the adapter
    gets or sets on it; cursors the connection hands out are recorded the same way."""

    def __init__(self, kind: str, target: object, seen: set[str]) -> None:
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name: str):
        self._seen.add(f"{self._kind}.{name}")
        value = getattr(self._target, name)
        return self._calling(value) if callable(value) else value

    def __setattr__(self, name: str, value: object) -> None:
        self._seen.add(f"{self._kind}.{name}")
        setattr(self._target, name, value)

    def _calling(self, function):
        def call(*args, **kwargs):
            result = function(*args, **kwargs)
            if inspect.isawaitable(result):
                return self._awaiting(result)
            return self._wrapped(result)

        return call

    async def _awaiting(self, awaitable):
        return self._wrapped(await awaitable)

    def _wrapped(self, result):
        if result is self._target:
            return self
        if isinstance(result, sqlite_driver.Cursor):
            return Recorder("cursor", result, self._seen)
        return result


metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String, nullable=False, unique=True),
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "driver.sqlite3"


@pytest.fixture
async def recorded(path: Path):
    """An engine set up as the bot's (bot.db), whose driver connections are recorded, with the
    names seen."""
    seen: set[str] = set()

    async def connect():
        return Recorder("connection", await sqlite_driver.connect(str(path)), seen)

    engine = database.sqlite_engine(f"sqlite+doithoai:///{path}", async_creator=connect)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine, seen
    await engine.dispose()


async def exercise(engine) -> None:
    """Every kind of database work the bot does, each checked for its visible outcome."""
    async with engine.begin() as connection:
        inserted = await connection.execute(insert(notes).values(text="một"))
        assert inserted.inserted_primary_key == (1,)  # lastrowid
        many = await connection.execute(insert(notes), [{"text": f"n{i}"} for i in range(2500)])
        assert many.rowcount == 2500  # executemany
        changed = await connection.execute(
            update(notes).where(notes.c.text.like("n1%")).values(text=notes.c.text + "!")
        )
        assert changed.rowcount == 1111  # n1, n10–n19, n100–n199, n1000–n1999
        rows = await connection.execute(select(notes.c.id, notes.c.text).order_by(notes.c.id))
        assert list(rows.keys()) == ["id", "text"]  # description
        assert rows.fetchone() == (1, "một")
        assert rows.fetchmany(2) == [(2, "n0"), (3, "n1!")]
        assert len(rows.fetchall()) == 2498  # beyond the rows fetched with the statement
        # SQL functions SQLAlchemy registers on each new connection (create_function).
        assert await connection.scalar(select(literal("Phường 3").regexp_match("[0-9]"))) == 1
        assert await connection.scalar(select(func.floor(2.7))) == 2

    async with engine.connect() as connection:
        streamed = await connection.stream(
            select(notes.c.text).order_by(notes.c.id).execution_options(yield_per=1000)
        )
        batches = [len(batch) async for batch in streamed.partitions()]
        assert batches == [1000, 1000, 501]

    with pytest.raises(IntegrityError) as duplicate:
        async with engine.begin() as connection:
            await connection.execute(insert(notes).values(text="một"))
    assert isinstance(duplicate.value.orig, sqlite3.IntegrityError)

    async with engine.connect() as connection:  # rollback
        await connection.execute(delete(notes))
        await connection.rollback()
        assert await connection.scalar(select(func.count()).select_from(notes)) == 2501

    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        raw = await autocommit.get_raw_connection()
        assert raw.dbapi_connection.isolation_level is None  # sqlite3's autocommit
        await autocommit.execute(insert(notes).values(text="tự động"))
    async with engine.connect() as connection:  # back to transactions, the autocommit stayed
        raw = await connection.get_raw_connection()
        assert raw.dbapi_connection.isolation_level == ""  # sqlite3's own BEGIN again
        await connection.execute(insert(notes).values(text="bỏ"))
        await connection.rollback()
        texts = set(await connection.scalars(select(notes.c.text)))
        assert "tự động" in texts and "bỏ" not in texts

    async with engine.connect() as connection:  # invalidated: closed by a graceful terminate
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection._target  # the driver itself, past the recorder
        await connection.invalidate()
    with pytest.raises(ValueError, match="closed"):
        await driver.cursor().execute("SELECT 1")

    async with engine.connect() as connection:  # abandoned outside the greenlet: stop()
        raw = await connection.get_raw_connection()
        raw.dbapi_connection.terminate()
        with pytest.raises(OperationalError) as closed:
            await connection.execute(text("SELECT 1"))
        assert closed.value.connection_invalidated  # recognised as a lost connection


async def test_sqlalchemy_reaches_exactly_the_contract(recorded):
    engine, seen = recorded
    await exercise(engine)
    await engine.dispose()  # close
    missing, new = CONTRACT - seen, seen - CONTRACT
    assert not new, f"SQLAlchemy now reaches {sorted(new)} on bot/sqlite_driver.py"
    assert not missing, f"SQLAlchemy no longer reaches {sorted(missing)}: update CONTRACT"


async def test_a_statement_is_one_trip_to_the_connection_thread(path):
    """What the driver is for: aiosqlite's adapter makes four trips per statement."""
    engine = database.create_engine(f"sqlite+doithoai:///{path}")
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        submit = driver._executor.submit
        trips = []

        def counted(*args, **kwargs):
            trips.append(args[0])
            return submit(*args, **kwargs)

        driver._executor.submit = counted
        assert await connection.scalar(text("SELECT 42")) == 42
        assert len(trips) == 1
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
        trips.clear()
        assert (await connection.execute(text("SELECT n FROM t ORDER BY n"))).all() == [(1,), (2,)]
        assert len(trips) == 1
    await engine.dispose()


async def test_sqlite_urls_name_the_projects_driver(tmp_path):
    assert DEFAULT_DATABASE_URL.startswith("sqlite+doithoai:///")
    # .env files written for earlier versions say aiosqlite: same file, the project's driver.
    for scheme in ("sqlite+aiosqlite", "sqlite+doithoai", "sqlite"):
        engine = database.create_engine(f"{scheme}:///{tmp_path / 'old.sqlite3'}")
        assert engine.url.drivername == "sqlite+doithoai"
        assert engine.dialect.driver == "doithoai"
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_driver.Connection)
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
        await engine.dispose()
