"""Webhook bodies: a Telegram /start update, the webhook's secret, the welcome it gets, and
bodies that are not updates."""

from __future__ import annotations

from datetime import UTC, datetime

SECRET = "s3cret-token_for-the-webhook"


def start_update(update_id: int, user_id: int = 777, text: str = "/start") -> dict:
    now = int(datetime.now(UTC).timestamp())
    user = {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": now,
            "chat": {"id": user_id, "type": "private"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]
            if text.startswith("/")
            else [],
        },
    }


WELCOME = "Đây là trợ lý tự động của UBND phường Bình An."
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 40 + b"1" + b"}" * 40  # parses, but is nothing a platform sends
BAD_BODIES = {
    "an array": b'[{"update_id": 1}]',
    "a string": b'"hello"',
    "a number": b"42",
    "null": b"null",
    "empty": b"",
    "broken JSON": b'{"update_id": 1,',
    "not UTF-8": b'{"update_id": 1, "note": "\xff\xfe"}',
    "a 5,000-digit integer": b'{"update_id": ' + b"9" * 5000 + b"}",
    "NaN": b'{"update_id": NaN}',
    "100,000 nested arrays": DEEP_ARRAY,
    "40 nested objects": DEEP_OBJECT,
}


# Objects, but neither a Telegram update nor a Zalo event.
NOT_UPDATES = {
    "no update id or event": b'{"message": {"text": "hi"}}',
    "a text update id": b'{"update_id": "one"}',
    "nested garbage": b'{"update_id": 5, "event_name": "x", "message": [[[{"chat": [[]]}]]]}',
    "a message without a chat": b'{"update_id": 6, "message": {"message_id": 1, "date": 0}}',
    "an event name that is a list": b'{"ok": true, "result": {"event_name": ["a"]}}',
}
TEN_MEGABYTES = b'{"update_id": 1, "x": "' + b"a" * (10 * 1024 * 1024) + b'"}'
