"""Putting messages into the outbox: what reminders, announcements, digests, answers and staff
notices call. Nothing here sends; the delivery engine (bot/delivery/engine.py) does, within each
channel's limits. Every delivery has a unique key, so adding it again does nothing: a job that
runs twice, or resumes after a crash, never doubles a message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.consent import Purpose
from models import (
    Account,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Consent,
    Delivery,
    DeliveryStatus,
    Resident,
    ResidentQuestion,
    SurveyResponse,
)
from models.base import insert_for

# Channels the bot can write to first (the web chat: kept until its page is opened); the
# console only answers.
PUSH_CHANNELS = ("telegram", "zalo", "web")
INSERT_BATCH = 1000


@dataclass(frozen=True)
class Message:
    """One outgoing message, rendered in its recipient's language."""

    text: str
    html: bool = False  # Telegram HTML; the text channels get it with tags removed
    # Telegram inline buttons: rows of (label, callback data).
    buttons: Sequence[Sequence[tuple[str, str]]] = ()
    media: dict[str, str] | None = None  # {"kind": "photo"|"document", "file_id": ...}
    # What to do once it was accepted, e.g. {"screen": "reminder", "session": 12}: the text
    # conversation then reads the resident's next "1" or "2" as this message's choices.
    then: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text, "html": self.html}
        if self.buttons:
            payload["buttons"] = [[list(button) for button in row] for row in self.buttons]
        if self.media:
            payload["media"] = dict(self.media)
        if self.then:
            payload["then"] = dict(self.then)
        return payload


@dataclass(frozen=True)
class Recipient:
    """Where a resident (or a staff member: no resident id) is reached."""

    channel: str
    chat_id: str
    locale: str
    resident_id: str | None = None


def delivery_key(broadcast_id: int, recipient: Recipient) -> str:
    return f"b:{broadcast_id}:{recipient.channel}:{recipient.chat_id}"


async def new_broadcast(
    db: AsyncSession, *, key: str | None = None, **values: Any
) -> Broadcast | None:
    """A broadcast, or None if one with this key exists already (the round was created before,
    perhaps by a run that crashed halfway: its deliveries are added idempotently anyway)."""
    if key is not None:
        found = (
            await db.execute(select(Broadcast).where(Broadcast.key == key))
        ).scalar_one_or_none()
        if found is not None:
            return None
    try:
        async with db.begin_nested():
            broadcast = Broadcast(key=key, **values)
            db.add(broadcast)
    except IntegrityError:  # created by another worker a moment ago
        return None
    return broadcast


async def add(
    db: AsyncSession,
    recipient: Recipient,
    message: Message,
    *,
    key: str,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> bool:
    """One delivery; True if it was new."""
    return (
        await add_many(
            db, [(recipient, message, key)], broadcast_id=broadcast_id, not_before=not_before
        )
        == 1
    )


async def add_many(
    db: AsyncSession,
    rows: Iterable[tuple[Recipient, Message, str]],
    *,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> int:
    """Deliveries (recipient, message, key) in batches; existing keys are skipped. Returns how
    many were new."""
    insert = insert_for(db)
    added = 0
    batch: list[dict[str, Any]] = []

    async def flush() -> int:
        if not batch:
            return 0
        stmt = insert(Delivery).values(batch).on_conflict_do_nothing(index_elements=["key"])
        result = await db.execute(stmt)
        count = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else 0
        batch.clear()
        return count

    for recipient, message, key in rows:
        row: dict[str, Any] = {
            "key": key,
            "broadcast_id": broadcast_id,
            "resident_id": recipient.resident_id,
            "channel": recipient.channel,
            "chat_id": recipient.chat_id,
            "payload": message.payload(),
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
        }
        if not_before is not None:
            row["next_attempt_at"] = not_before
        batch.append(row)
        if len(batch) >= INSERT_BATCH:
            added += await flush()
    added += await flush()
    return added


def _latest_consent_given(purpose: Purpose):
    """SQL: the resident's latest decision on `purpose` is a yes."""
    later = Consent.__table__.alias("later")
    latest = and_(
        Consent.resident_id == Resident.id,
        Consent.purpose == purpose,
        ~exists().where(
            later.c.resident_id == Consent.resident_id,
            later.c.purpose == Consent.purpose,
            or_(
                later.c.recorded_at > Consent.recorded_at,
                and_(later.c.recorded_at == Consent.recorded_at, later.c.id > Consent.id),
            ),
        ),
    )
    return exists().where(latest, Consent.given.is_(True))


async def opted_in(db: AsyncSession, *, field: str | None = None) -> list[Recipient]:
    """Residents whose latest decision on reminders and announcements is yes, on every account
    the bot can write to and has not been told it cannot reach; with `field`, only those who
    rated that field or asked a question about it (in any session)."""
    stmt = (
        select(Account.channel, Account.external_id, Resident.locale, Resident.id)
        .join(Resident, Account.resident_id == Resident.id)
        .where(
            Account.channel.in_(PUSH_CHANNELS),
            Account.unreachable_at.is_(None),
            _latest_consent_given(Purpose.REMINDERS),
        )
        .order_by(Account.id)
    )
    if field is not None:
        stmt = stmt.where(
            or_(
                exists().where(
                    SurveyResponse.resident_id == Resident.id, SurveyResponse.field == field
                ),
                exists().where(
                    ResidentQuestion.resident_id == Resident.id, ResidentQuestion.field == field
                ),
            )
        )
    return [
        Recipient(channel, external_id, locale, resident_id)
        for channel, external_id, locale, resident_id in (await db.execute(stmt)).all()
    ]


async def progress(db: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """{status: deliveries} of a broadcast, counted in SQL."""
    stmt = (
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    return {status: count for status, count in (await db.execute(stmt)).all()}


async def cancel_pending(db: AsyncSession, broadcast_id: int) -> int:
    """Stops a broadcast: its pending deliveries are cancelled (sent ones stay sent)."""
    result = await db.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED)
    )
    await db.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(status=BroadcastStatus.CANCELLED)
    )
    return result.rowcount or 0


async def finish_sent_rounds(db: AsyncSession, now: datetime) -> int:
    """Scheduled rounds (reminders, notices, digests) whose deliveries all reached a final
    status become done, so /broadcasts and the figures tell finished from running. Announcements
    are finished by their progress message (bot/services/broadcasts.py)."""
    pending = exists().where(
        Delivery.broadcast_id == Broadcast.id, Delivery.status == DeliveryStatus.PENDING
    )
    result = await db.execute(
        update(Broadcast)
        .where(
            Broadcast.status == BroadcastStatus.SENDING,
            Broadcast.kind != BroadcastKind.ANNOUNCEMENT,
            ~pending,
        )
        .values(status=BroadcastStatus.DONE, finished_at=now)
    )
    return result.rowcount or 0
