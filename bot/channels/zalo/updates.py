"""From a Zalo update body (webhook delivery or getUpdates result) to a channel-neutral Inbound."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.conversation.inbound import Inbound, Kind

log = logging.getLogger(__name__)

CHANNEL = "zalo"

KINDS = {
    "message.text.received": Kind.TEXT,
    "message.image.received": Kind.IMAGE,
    "message.sticker.received": Kind.STICKER,
    "message.voice.received": Kind.VOICE,
}

# Epoch milliseconds pass 10**11 in 1973, epoch seconds only in the year 5138: a smaller value
# is taken as seconds, in case the platform ever switches to Telegram's unit.
_MS_THRESHOLD = 10**11
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def unwrap(body: dict[str, Any]) -> dict[str, Any]:
    """The update object: `result` of the documented wrapped body, else the (flat) body itself."""
    result = body.get("result")
    return result if isinstance(result, dict) else body


def is_event(body: dict[str, Any]) -> bool:
    """Whether `body` has the shape of a Zalo update: an event name (always present), and a
    message, if any, that is an object. Anything else is not from Zalo."""
    update = unwrap(body)
    name, message = update.get("event_name"), update.get("message")
    return isinstance(name, str) and bool(name) and (message is None or isinstance(message, dict))


def parse_update(body: dict[str, Any]) -> Inbound | None:
    """The resident message in `body`, or None when there is nobody to answer or it is a bot's."""
    if not isinstance(body, dict):
        return None
    update = unwrap(body)
    message = update.get("message")
    if not isinstance(message, dict):
        return None  # e.g. a bare message.unsupported.received: no chat to reply to
    sender = _dict(message.get("from"))
    chat = _dict(message.get("chat"))
    if sender.get("is_bot") is True:
        return None
    is_group = str(chat.get("chat_type", "")).upper() == "GROUP"
    user_id, chat_id = _ids(sender, chat, is_group)
    if user_id is None or chat_id is None:
        log.info("Zalo update without a usable chat or user id dropped")
        return None
    kind = KINDS.get(str(update.get("event_name", "")), Kind.UNSUPPORTED)
    text = _text(kind, message)
    if kind is Kind.TEXT and text is None:
        kind = Kind.UNSUPPORTED  # a text event without text cannot be an answer
    return Inbound(
        channel=CHANNEL,
        chat_id=chat_id,
        user_id=user_id,
        kind=kind,
        text=text,
        message_id=_id(message.get("message_id")),
        display_name=_str(sender.get("display_name")),
        photo_url=_photo_url(message) if kind is Kind.IMAGE else None,
        sent_at=_sent_at(message.get("date")),
        is_group=is_group,
    )


def _ids(sender: dict, chat: dict, is_group: bool) -> tuple[str | None, str | None]:
    user_id = _id(sender.get("id"))
    chat_id = _id(chat.get("id"))
    if not is_group:  # in a private chat the chat id is the user id (doc)
        user_id = user_id or chat_id
        chat_id = chat_id or user_id
    return user_id, chat_id


def _text(kind: Kind, message: dict) -> str | None:
    if kind is Kind.TEXT:
        return _str(message.get("text"))
    if kind is Kind.IMAGE:
        return _str(message.get("caption")) or _str(message.get("text"))
    return None  # stickers, voice and unsupported content are never taken as an answer


def _photo_url(message: dict) -> str | None:
    # Live image events carry `photo_url`; the docs say `photo`.
    return _str(message.get("photo_url")) or _str(message.get("photo"))


def _sent_at(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        stamp = float(value)
        if stamp < _MS_THRESHOLD:
            return _EPOCH + timedelta(seconds=stamp)
        return _EPOCH + timedelta(milliseconds=stamp)  # exact to the millisecond, unlike /1000
    except (ValueError, OverflowError):
        return None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


MAX_ID_LENGTH = 64  # the database's column; Zalo's ids are about 20 characters


def _id(value: Any) -> str | None:
    """Ids are opaque strings; accept numbers too, never booleans, empty or overlong values."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= MAX_ID_LENGTH else None


class RecentIds:
    """The last `size` message ids seen, to drop a repeated delivery cheaply (an LRU)."""

    def __init__(self, size: int = 2000) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def is_repeat(self, message_id: str | None) -> bool:
        """True if `message_id` was seen recently; otherwise remember it. None is never a repeat."""
        if message_id is None:
            return False
        if message_id in self._ids:
            self._ids.move_to_end(message_id)
            return True
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._ids)
