"""Logging set-up: plain lines for a terminal, or one JSON object per line for a log collector
(LOG_FORMAT=json); either way tokens and phone numbers are masked in the written line,
whichever library logged them (aiogram and httpx log request URLs, which carry the token)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# A Telegram bot token (digits:35 characters), a Zalo token (digits:secret), in a URL or not.
TOKEN = re.compile(r"(?<!\d)\d{6,20}:[A-Za-z0-9_-]{20,}")
# Vietnamese phone numbers: 0 or +84 then 9–10 digits, spaces, dots or dashes allowed between.
PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")


def redact(text: str) -> str:
    return PHONE.sub("[phone]", TOKEN.sub("[token]", text))


class Redacting(logging.Formatter):
    """A text formatter whose output is redacted. It works on the finished line, never on the
    record, which other handlers (a test's log capture, say) share."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonLines(logging.Formatter):
    """{"time": ..., "level": ..., "logger": ..., "message": ...} on one line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
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
