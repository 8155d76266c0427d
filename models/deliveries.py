"""Outgoing messages: broadcasts (an announcement, a round of reminders, a digest) and one
delivery row per message, so sending survives a restart: nothing lost, nothing sent twice.

A delivery is created `pending` with everything needed to send it (the rendered text in the
recipient's language, its buttons) and a unique `key`; the delivery engine claims due rows,
sends them within the channel's limits and records the outcome. Creating the same delivery again
(the same key) does nothing, so a job that runs twice after a crash adds no duplicate.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class BroadcastKind(enum.StrEnum):
    ANNOUNCEMENT = "announcement"  # written by an admin, to residents who opted in
    REMINDER = "reminder"  # a session is coming (one broadcast per session and offset)
    CANCELLATION = "cancellation"  # a session was cancelled: to those already reminded
    DIGEST = "digest"  # the morning digest to officials, the export to leaders
    NOTICE = "notice"  # single messages: answers to residents, notices to staff


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"  # being written or previewed; nothing is sent
    SENDING = "sending"  # confirmed: its deliveries are being sent
    DONE = "done"  # every delivery reached a final status
    CANCELLED = "cancelled"  # stopped: pending deliveries were cancelled


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.DRAFT)
    # Makes a scheduled round idempotent: "reminder:12:P1D" is created once, whatever happens.
    key: Mapped[str | None] = mapped_column(String(96), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="SET NULL"), index=True
    )
    field: Mapped[str | None] = mapped_column(String(16))  # an announcement's audience
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    text: Mapped[str | None] = mapped_column(Text)  # an announcement as the admin wrote it
    media_kind: Mapped[str | None] = mapped_column(String(16))  # photo, document
    media_file_id: Mapped[str | None] = mapped_column(String(256))  # Telegram's file id
    media_name: Mapped[str | None] = mapped_column(String(200))
    # The admin's progress message, edited as deliveries go out.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # to send at `next_attempt_at` (again, after a failure)
    SENT = "sent"
    FAILED = "failed"  # gave up after the bounded retries; `last_error` says why
    UNREACHABLE = "unreachable"  # the recipient blocked the bot or left: never retried
    CANCELLED = "cancelled"  # its broadcast was cancelled, or the session it announced


FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNREACHABLE,
        DeliveryStatus.CANCELLED,
    }
)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "b:<broadcast>:<channel>:<chat>", "answer:<question>": the same message is created once.
    key: Mapped[str] = mapped_column(String(96), unique=True)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    # Null for staff; a resident's deletion of their data removes their deliveries too.
    resident_id: Mapped[str | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # telegram, zalo
    chat_id: Mapped[str] = mapped_column(String(64))
    # What to send, rendered when the delivery was created, in the recipient's language:
    # {"text": ..., "html": bool, "buttons": [[[label, callback_data], ...], ...],
    #  "media": {"kind": "photo", "file_id": ...}, "then": {...}} — see bot/delivery.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker's claim: until then no other worker takes the row (several processes, one DB).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
