"""Logs never carry a bot token or a phone number, whichever library logged them, and can be
one JSON object per line."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonLines, Redacting, redact

TOKEN = "123456789:" + "A" * 35
ZALO_TOKEN = "1234567890123:abcDEFghiJKLmnoPQRstuVWX"


def capture(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("test.logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_tokens_and_phones_are_masked_in_messages_arguments_and_tracebacks():
    logger, stream = capture(Redacting("%(message)s"))
    logger.info("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    logger.info("Zalo token %s, phone %s", ZALO_TOKEN, "0912 345 678")
    logger.warning("call +84 912.345.678 or 028 3829 1234")
    try:
        raise RuntimeError(f"bad request for bot{TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    text = stream.getvalue()
    assert TOKEN not in text and ZALO_TOKEN not in text
    assert "0912 345 678" not in text and "912.345.678" not in text and "3829 1234" not in text
    assert "https://api.telegram.org/bot[token]/sendMessage" in text
    assert "RuntimeError: bad request for bot[token]" in text
    # Ordinary numbers stay readable.
    assert redact("42 questions, session 7, 2026-11-26 08:00") == (
        "42 questions, session 7, 2026-11-26 08:00"
    )


def test_json_lines():
    logger, stream = capture(JsonLines())
    logger.info("Stopped %s", "cleanly")
    try:
        raise ValueError("phone 0912345678")
    except ValueError:
        logger.exception("oops")
    first, second = (
        json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")
    )
    assert first["message"] == "Stopped cleanly" and first["level"] == "INFO"
    assert first["logger"] == "test.logs" and first["time"].endswith("+00:00")
    assert second["exception"].endswith("ValueError: phone [phone]")
