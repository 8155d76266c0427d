"""`python -m bot backup --out FILE` and `python -m bot restore FILE`: a consistent copy of the
database while the bot runs, and putting one back into an empty database.

SQLite: the online backup API copies a consistent snapshot while the bot keeps writing (WAL),
into a plain SQLite file that opens anywhere. PostgreSQL: the documented tools,
`pg_dump --format=custom` (a consistent snapshot in one transaction) and `pg_restore`, from the
PostgreSQL client package; the password, if any, goes through the environment, never the
command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.db import is_sqlite


class BackupError(Exception):
    """Something the operator must fix; the message is one line."""


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up")
    return Path(database)


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump reads it (no driver, no password) and the environment with the
    password, so it never appears in the process list."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: apt install postgresql-client (the server's major version)"
        )
    return found


def backup(url: str, out: Path) -> None:
    """A consistent copy of the database at `url` into the new file `out`."""
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        source_path = sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"There is no database at {source_path}")
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(out)
        try:
            # One step: a read transaction sees one snapshot while writers go on (WAL); copying
            # in several steps would restart whenever the bot writes in between.
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    address, env = libpq(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}", address], env, out)


def restore(url: str, backup_file: Path) -> None:
    """Puts a backup back into the empty database at `url` (refused if it holds tables)."""
    if not backup_file.exists():
        raise BackupError(f"There is no backup at {backup_file}")
    if is_sqlite(url):
        target_path = sqlite_path(url)
        if target_path.exists() and _sqlite_tables(target_path):
            raise BackupError(
                f"{target_path} already holds data: restore into a new, empty database"
            )
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    address, env = libpq(url)
    tables = subprocess.run(
        [_tool("psql"), "--no-psqlrc", "--tuples-only", "--command", _COUNT_TABLES, address],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if tables.returncode != 0:
        raise BackupError(f"Cannot reach the database: {_first_line(tables.stderr)}")
    if int(tables.stdout.strip() or 0) > 0:
        raise BackupError("The target database already holds tables: restore into an empty one")
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={address}",
            str(backup_file),
        ],
        env,
        None,
    )


_COUNT_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"


def _sqlite_tables(path: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        connection.close()
    return [name for (name,) in rows]


def _run(command: list[str], env: dict[str, str], partial: Path | None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise BackupError(f"{Path(command[0]).name} failed: {_first_line(done.stderr)}")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"
