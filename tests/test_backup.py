"""Backup and restore round trip, on SQLite (online backup while the bot writes) and on
PostgreSQL (pg_dump/pg_restore) when TEST_DATABASE_URL is set: every row of every table comes
back, and a restore never overwrites a database that holds data."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot import db as database
from bot.__main__ import main
from bot.backup import BackupError, backup, restore
from models import Base


async def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (and the schema version), in primary-key order."""
    engine = database.create_engine(url)
    tables: dict[str, list[tuple]] = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            stmt = select(table).order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(row) for row in await connection.execute(stmt)]
        version = await connection.execute(text("SELECT version_num FROM alembic_version"))
        tables["alembic_version"] = [tuple(row) for row in version]
    await engine.dispose()
    return tables


@pytest.fixture
async def restore_url(database_url: str, tmp_path: Path):
    """An empty database to restore into: a new SQLite file, or a new PostgreSQL database."""
    if database.is_sqlite(database_url):
        yield f"sqlite+doithoai:///{tmp_path / 'restored.sqlite3'}"
        return
    target = make_url(database_url)
    name = f"{target.database}_restore"
    admin = create_async_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield target.set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def test_a_backup_restores_every_row(app, settings, data, restore_url, tmp_path):
    before = await snapshot(settings.database_url)
    assert sum(len(rows) for rows in before.values()) > 100  # the data set is not trivial
    out = tmp_path / "backups" / "doithoai.backup"
    await asyncio.to_thread(backup, settings.database_url, out)
    assert out.stat().st_size > 0
    await asyncio.to_thread(restore, restore_url, out)
    assert await snapshot(restore_url) == before

    # Never over data, never over an existing backup file.
    with pytest.raises(BackupError, match="already holds"):
        await asyncio.to_thread(restore, restore_url, out)
    with pytest.raises(BackupError, match="exists already"):
        await asyncio.to_thread(backup, settings.database_url, out)


async def test_the_command_line(app, settings, data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    out = tmp_path / "cli.backup"
    assert await asyncio.to_thread(main, ["backup", "--out", str(out)]) == 0
    assert out.exists()
    # Restoring over the bot's own database is refused with one line.
    assert await asyncio.to_thread(main, ["restore", str(out)]) == 2
    assert "already holds" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["restore", str(tmp_path / "missing")]) == 2
    assert "There is no backup" in capsys.readouterr().err


def test_sqlite_backup_while_the_bot_writes(tmp_path):
    """A writer commits all along; the copy is a consistent database all the same."""
    source = tmp_path / "live.sqlite3"
    setup = sqlite3.connect(source)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, value TEXT)")
    setup.executemany("INSERT INTO answers (value) VALUES (?)", [("x" * 200,)] * 20_000)
    setup.commit()
    setup.close()
    stop = threading.Event()

    def write() -> None:
        writer = sqlite3.connect(source, timeout=30)
        while not stop.is_set():
            writer.execute("INSERT INTO answers (value) VALUES ('during the backup')")
            writer.commit()
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        out = tmp_path / "copy.sqlite3"
        backup(f"sqlite+doithoai:///{source}", out)
    finally:
        stop.set()
        thread.join()
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM answers").fetchone()[0] >= 20_000
    copy.close()


async def test_a_backup_is_readable_by_its_owner_only(app, settings, data, tmp_path):
    out = tmp_path / "backups" / "private.backup"
    await asyncio.to_thread(backup, settings.database_url, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["private.backup"]  # no journal left


def garbage_files(directory: Path) -> dict[str, Path]:
    """Files an operator might pass to restore by mistake."""
    sqlite_but_not_ours = directory / "other.sqlite3"
    other = sqlite3.connect(sqlite_but_not_ours)
    other.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    other.commit()
    other.close()
    made = {
        "random bytes": bytes(range(256)) * 64,
        "a text file": "Biên bản hội nghị\n".encode() * 100,
        "an empty file": b"",
        "an SQLite header and nothing else": b"SQLite format 3\x00" + b"\x00" * 84,
        "a pg_dump header and nothing else": b"PGDMP\x01\x0e\x00",
    }
    files = {"an SQLite database of something else": sqlite_but_not_ours}
    for name, content in made.items():
        path = directory / (name.replace(" ", "-") + ".backup")
        path.write_bytes(content)
        files[name] = path
    return files


def nothing_restored(sqlite_url: str, directory: Path) -> bool:
    """No target database, and no half-copied one beside it."""
    target = Path(make_url(sqlite_url).database)
    return not target.exists() and not [p for p in directory.iterdir() if "restor" in p.name]


async def test_a_file_that_is_not_a_backup_is_refused_and_the_target_is_untouched(
    restore_url, tmp_path
):
    for name, garbage in garbage_files(tmp_path).items():
        with pytest.raises(BackupError, match=r"backup|SQLite|PostgreSQL|damaged") as refused:
            await asyncio.to_thread(restore, restore_url, garbage)
        assert "\n" not in str(refused.value), name
        if database.is_sqlite(restore_url):
            assert nothing_restored(restore_url, tmp_path), name
        else:
            engine = create_async_engine(restore_url)
            async with engine.connect() as connection:
                count = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                assert await connection.scalar(text(count)) == 0, name
            await engine.dispose()


async def test_the_command_line_says_what_is_wrong_with_a_garbage_file(
    settings, tmp_path, monkeypatch, capsys
):
    target = tmp_path / "fresh" / "doithoai.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+doithoai:///{target}")
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1000))
    assert await asyncio.to_thread(main, ["restore", str(garbage)]) == 2
    err = capsys.readouterr().err
    assert err == f"doithoai: {garbage} is not a backup made by python -m bot backup\n"
    assert not target.exists()
