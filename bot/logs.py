"""Logging set-up: plain lines for a terminal, or one JSON object per line for a log collector
(LOG_FORMAT=json); either way tokens and phone numbers are masked in the written line,
whichever library logged them (aiogram and httpx log request URLs, which carry the token).

A database error's text can quote the row it refused: SQLAlchemy appends the statement's
parameters (hidden by the engines, see bot/db.py), PostgreSQL adds a DETAIL ("Failing row
contains (…)", "Key (…)=(…)") and asyncpg quotes an argument it could not encode. Those parts
are cut from any database exception written to the log, in tracebacks and in messages alike;
the statement itself (placeholders only) stays, to say what failed."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import traceback
from datetime import UTC, datetime

# A Telegram bot token (digits:35 characters), a Zalo token (digits:secret), in a URL or not.
TOKEN = re.compile(r"(?<!\d)\d{6,20}:[A-Za-z0-9_-]{20,}")
# A one-time sign-in link of the web console (the access log writes request paths).
SIGN_IN_LINK = re.compile(r"(/staff/sign-in/link/)[A-Za-z0-9_-]+")
# Vietnamese phone numbers: 0 or +84 then 9–10 digits, spaces, dots or dashes allowed between.
PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")


# Packages whose exceptions may quote a statement's values.
DATABASE_PACKAGES = frozenset({"sqlalchemy", "asyncpg", "aiosqlite", "sqlite3", "psycopg"})
# PostgreSQL's DETAIL (the refused row or key), up to SQLAlchemy's "[SQL: …]" or the end.
DETAIL = re.compile(r"\n?DETAIL:.*?(?=\n\[SQL: |\Z)", re.DOTALL)
# Statement parameters, should an engine not hide them.
PARAMETERS = re.compile(r"\[parameters: .*?(?=\n\(Background on this error|\Z)", re.DOTALL)
# asyncpg: "invalid input for query argument $2: 'the value' (…)".
ARGUMENT = re.compile(r"(query argument \$\d+):.*?(?=\n\[SQL: |\Z)", re.DOTALL)


# Python's words between chained exceptions.
CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def redact(text: str) -> str:
    text = SIGN_IN_LINK.sub(r"\1[token]", TOKEN.sub("[token]", text))
    return PHONE.sub("[phone]", text)


def is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) or any(
        cls.__module__.split(".", 1)[0] in DATABASE_PACKAGES for cls in type(exc).__mro__
    )


def database_message(text: str) -> str:
    """A database error's text without the values it quotes."""
    text = DETAIL.sub("\nDETAIL: [hidden]", text)
    text = PARAMETERS.sub("[parameters hidden]", text)
    return ARGUMENT.sub(r"\1: [hidden]", text)


def safe_str(exc: BaseException) -> str:
    text = str(exc)
    return database_message(text) if is_database_error(exc) else text


def format_exception(exc: BaseException) -> str:
    """The traceback as Python prints it, chained exceptions included, with each database
    exception's message stripped of the values it quotes."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, CONTEXT
        else:
            current = None
    lines: list[str] = []
    for error, link in reversed(chain):
        frames = traceback.StackSummary.extract(
            traceback.walk_tb(error.__traceback__), capture_locals=False
        )
        if frames:
            lines += ["Traceback (most recent call last):\n", *frames.format()]
        name = type(error).__qualname__
        module = type(error).__module__
        if module not in ("builtins", "__main__"):
            name = f"{module}.{name}"
        message = safe_str(error)
        lines.append(f"{name}: {message}\n" if message else f"{name}\n")
        lines.append(link)
    return "".join(lines).rstrip("\n")


def message_of(record: logging.LogRecord) -> str:
    """The record's message, with any database exception among its arguments made safe."""
    args = record.args
    if isinstance(args, tuple) and any(isinstance(a, BaseException) for a in args):
        safe = tuple(
            safe_str(a) if isinstance(a, BaseException) and is_database_error(a) else a
            for a in args
        )
        return str(record.msg) % safe
    return record.getMessage()


class Redacting(logging.Formatter):
    """A text formatter whose output is redacted. It works on the finished line, never on the
    record, which other handlers (a test's log capture, say) share."""

    def format(self, record: logging.LogRecord) -> str:
        # Formatter.format caches the traceback text on the record; other handlers may share
        # that record, so ours is formatted from a copy.
        copy = logging.makeLogRecord(record.__dict__)
        copy.msg, copy.args, copy.exc_text = message_of(record), None, None
        return redact(super().format(copy))

    def formatException(self, ei) -> str:
        return format_exception(ei[1]) if ei[1] is not None else super().formatException(ei)


class JsonLines(logging.Formatter):
    """{"time": ..., "level": ..., "logger": ..., "message": ...} on one line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(message_of(record)),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = redact(format_exception(record.exc_info[1]))
        return json.dumps(entry, ensure_ascii=False)


_OURS = "doithoai"  # marks the handler `configure` installs, so a second call replaces it


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.set_name(_OURS)
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _OURS] + [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise
