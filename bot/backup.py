"""`python -m bot backup --out FILE` and `python -m bot restore FILE`: a consistent copy of the
database while the bot runs, and putting one back into an empty database.

SQLite: the online backup API copies a consistent snapshot while the bot keeps writing (WAL),
into a plain SQLite file that opens anywhere. PostgreSQL: the documented tools,
`pg_dump --format=custom` (a consistent snapshot in one transaction) and `pg_restore`, from the
PostgreSQL client package; the password, if any, goes through the environment, never the
command line.

A backup holds every resident's answers and contacts: it is created readable by its owner only
(0600). A restore reads the whole backup file first and refuses one that is not a backup of this
bot, before anything is written; an SQLite restore is copied beside the target and moved into
place only once complete, so a failure leaves the target as it was.
"""

from __future__ import annotations

import os
import re
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


SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"  # pg_dump's custom format
PRIVATE = 0o600


def backup(url: str, out: Path) -> None:
    """A consistent copy of the database at `url` into the new file `out`, readable by its
    owner only."""
    if is_sqlite(url):
        source_path = sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"There is no database at {source_path}")
        _create_private(out)
        try:
            source = sqlite3.connect(source_path)
            target = sqlite3.connect(out)  # the empty file: SQLite keeps its mode (and gives
            try:  # it to its journal)
                # One step: a read transaction sees one snapshot while writers go on (WAL);
                # copying in several steps would restart whenever the bot writes in between.
                source.backup(target)
            finally:
                target.close()
                source.close()
        except sqlite3.Error as exc:
            out.unlink(missing_ok=True)
            raise BackupError(f"The backup failed: {exc}") from None
        return
    address, env = libpq(url)
    dump = _tool("pg_dump")
    _create_private(out)  # pg_dump writes into it and keeps its mode
    _run([dump, "--format=custom", "--no-owner", f"--file={out}", address], env, out)
    os.chmod(out, PRIVATE)


def _create_private(path: Path) -> None:
    """The new, empty file `path` with mode 0600, whatever the umask; never an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    except FileExistsError:
        raise BackupError(f"{path} exists already: choose a new file name") from None
    except OSError as exc:
        raise BackupError(f"Cannot write {path}: {exc.strerror}") from None
    os.chmod(path, PRIVATE)  # in case the file system ignored the mode given at creation


def restore(url: str, backup_file: Path) -> None:
    """Puts a backup back into the empty database at `url` (refused if it holds tables, or if
    the file is not a backup of this bot's database; the target is then left untouched)."""
    if not backup_file.is_file():
        raise BackupError(f"There is no backup at {backup_file}")
    if is_sqlite(url):
        _restore_sqlite(sqlite_path(url), backup_file)
        return
    address, env = libpq(url)
    _check_pg_dump(backup_file, env)
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


def _restore_sqlite(target_path: Path, backup_file: Path) -> None:
    _check_sqlite_backup(backup_file)
    if target_path.exists() and _sqlite_tables(target_path):
        raise BackupError(f"{target_path} already holds data: restore into a new, empty database")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    # Copied beside the target, then moved over it in one step: never half a database.
    partial = target_path.with_name(f".{target_path.name}.restoring")
    partial.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        os.replace(partial, target_path)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The restore failed, {target_path} is unchanged: {exc}") from None


def _check_sqlite_backup(backup_file: Path) -> None:
    """Refuses a file that is not a whole, readable SQLite database of this bot."""
    with backup_file.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header.startswith(PG_DUMP_HEADER):
        raise BackupError(f"{backup_file} is a PostgreSQL backup: restore it into PostgreSQL")
    if header != SQLITE_HEADER:
        raise BackupError(f"{backup_file} is not a backup made by python -m bot backup")
    try:
        connection = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        try:
            [verdict] = connection.execute("PRAGMA quick_check(1)").fetchone()
            tables = {name for (name,) in connection.execute(_SQLITE_TABLE_NAMES)}
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{backup_file} cannot be read as a backup: {exc}") from None
    if verdict != "ok":
        raise BackupError(f"{backup_file} is damaged: {verdict}")
    if "alembic_version" not in tables:
        raise BackupError(f"{backup_file} is an SQLite database, but not a backup of this bot")


def _check_pg_dump(backup_file: Path, env: dict[str, str]) -> None:
    """Refuses a file pg_restore cannot read through, or that holds no database of this bot."""
    with backup_file.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
            raise BackupError(f"{backup_file} is an SQLite backup: restore it into SQLite")
    listing = subprocess.run(
        [_tool("pg_restore"), "--list", str(backup_file)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        raise BackupError(
            f"{backup_file} is not a backup made by python -m bot backup: "
            f"{_first_line(listing.stderr)}"
        )
    if not re.search(r"\bTABLE DATA public alembic_version\b", listing.stdout):
        raise BackupError(f"{backup_file} is a PostgreSQL backup, but not of this bot")


_COUNT_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"


_SQLITE_TABLE_NAMES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
)


def _sqlite_tables(path: Path) -> list[str]:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute(_SQLITE_TABLE_NAMES).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        raise BackupError(f"{path} is not an SQLite database: restore into a new file") from None
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
