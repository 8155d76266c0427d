"""What a text channel hands to the conversation: one resident message, channel-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    STICKER = "sticker"
    VOICE = "voice"
    UNSUPPORTED = "unsupported"  # documents, contact cards, accounts whose content is withheld


@dataclass(frozen=True)
class Inbound:
    channel: str  # "zalo" | "console" | "web"
    chat_id: str  # where replies go
    user_id: str  # the account that wrote
    kind: Kind
    text: str | None = None  # the text, or an image's caption
    message_id: str | None = None  # the channel's id, for dropping repeated deliveries
    display_name: str | None = None
    photo_url: str | None = None
    sent_at: datetime | None = None  # UTC
    is_group: bool = False
    # A file uploaded with the message (the web chat): its bytes, type and name; no download.
    content: bytes | None = None
    mime: str | None = None
    filename: str | None = None
