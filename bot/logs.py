"""Logging set-up: plain lines for a terminal, or one JSON object per line for a log collector
(LOG_FORMAT=json); either way tokens and phone numbers are masked before a line is written,
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


class Redacting(logging.Filter):
    """Masks secrets in the message and its arguments, once they are formatted together."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonLines(logging.Formatter):
    """{"time": ..., "level": ..., "logger": ..., "message": ...} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(Redacting())
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise
