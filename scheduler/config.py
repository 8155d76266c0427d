"""What the scheduler reads from the settings: the reminder offsets, the digest time, the
months the ward meets in, and where its job store and its exports live. Checked once at
start-up, so a typo stops the bot with one line instead of failing at the first reminder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy.engine import URL, make_url

from bot.exports.day_before import export_dir
from bot.settings import Settings
from bot.startup import StartupError

_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_OFFSET = re.compile(r"(\d{1,4})\s*([dhm])")
_CLOCK = re.compile(r"(\d{1,2})[:h.](\d{2})")


@dataclass(frozen=True)
class Offset:
    """How long before a session a reminder goes out; `label` ("7d", "2h") names its round."""

    label: str
    delta: timedelta


@dataclass(frozen=True)
class Plan:
    offsets: tuple[Offset, ...]  # the earliest reminder first
    digest_time: time  # ward time
    session_months: tuple[int, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Plan:
        return cls(
            parse_offsets(settings.reminder_offsets),
            parse_clock(settings.digest_time),
            parse_months(settings.session_months),
        )


def parse_offsets(text: str) -> tuple[Offset, ...]:
    """ "7d,1d,2h" → the offsets, longest first; an empty setting means no reminders."""
    found: dict[timedelta, Offset] = {}
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        match = _OFFSET.fullmatch(part)
        if match is None or int(match.group(1)) == 0:
            raise StartupError(
                f"REMINDER_OFFSETS: {part!r} is not an offset like 7d, 1d, 2h or 30m"
            )
        amount, unit = int(match.group(1)), match.group(2)
        delta = timedelta(**{_UNITS[unit]: amount})
        found.setdefault(delta, Offset(f"{amount}{unit}", delta))
    return tuple(sorted(found.values(), key=lambda o: o.delta, reverse=True))


def parse_clock(text: str) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise StartupError(f"DIGEST_TIME: {text!r} is not a time like 07:30")
    return time(int(match.group(1)), int(match.group(2)))


def parse_months(text: str) -> tuple[int, ...]:
    try:
        months = sorted({int(p) for p in text.replace(";", ",").split(",") if p.strip()})
    except ValueError:
        months = [0]
    if not all(1 <= m <= 12 for m in months):
        raise StartupError(f"SESSION_MONTHS: {text!r} is not a list of months like 6,11")
    return tuple(months)


def sync_url(database_url: str) -> URL:
    """The bot's database for APScheduler's synchronous job store: the same database through
    a blocking driver (sqlite3, psycopg)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        if "ssl" in url.query:  # asyncpg's ?ssl=require is libpq's ?sslmode=require
            mode = url.query["ssl"]
            url = url.difference_update_query(["ssl"]).update_query_dict({"sslmode": mode})
        return url
    raise StartupError(f"DATABASE_URL: the scheduler cannot use a {backend} database")


__all__ = [
    "Offset",
    "Plan",
    "export_dir",
    "parse_clock",
    "parse_months",
    "parse_offsets",
    "sync_url",
]
