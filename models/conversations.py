"""Where a text-channel conversation stands (Zalo, console), and the deliveries already handled.

Telegram keeps its dialog state in aiogram's storage; text channels keep theirs here, so a
restart resumes mid-survey. The state belongs to the chat account and goes with it on erasure.
The deliveries handled (Zalo message ids, Telegram update ids) are kept for DEDUPE_WINDOW, then
pruned by the scheduler.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, insert_for, utcnow
from models.residents import Account


class ConversationState(Base):
    __tablename__ = "conversation_states"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InboundMessage(Base):
    """A delivery already handled, so a webhook resent by the platform counts once. Holds the
    platform's message id only: nothing that identifies the resident."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# Telegram retries an update for at most 24 hours; Zalo documents no retries at all. Twice the
# longest known retry, so a late one is still recognised.
DEDUPE_WINDOW = timedelta(hours=48)
PRUNE_BATCH = 5000  # rows per transaction: SQLite's writers wait while one runs


async def load_state(
    db: AsyncSession, channel: str, external_id: str
) -> tuple[int, dict[str, Any]] | None:
    """(account id, state) of a stored chat account; None for an account not stored yet."""
    stmt = (
        select(Account.id, ConversationState.state)
        .outerjoin(ConversationState, ConversationState.account_id == Account.id)
        .where(Account.channel == channel, Account.external_id == external_id)
    )
    row = (await db.execute(stmt)).first()
    return (row.id, row.state or {}) if row else None


async def save_state(db: AsyncSession, account_id: int, state: dict[str, Any]) -> None:
    insert = insert_for(db)
    stmt = insert(ConversationState).values(account_id=account_id, state=state, updated_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[ConversationState.account_id],
        set_={"state": state, "updated_at": utcnow()},
    )
    await db.execute(stmt)


async def claim_delivery(db: AsyncSession, channel: str, message_id: str) -> bool:
    """True the first time a delivery is seen; False when the platform sent it again."""
    insert = insert_for(db)
    stmt = (
        insert(InboundMessage)
        .values(channel=channel, message_id=message_id, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=[InboundMessage.channel, InboundMessage.message_id])
    )
    result = await db.execute(stmt)
    return result.rowcount == 1


async def prune_deliveries(db: AsyncSession, before: datetime) -> int:
    """Forgets up to PRUNE_BATCH deliveries received before `before`; returns how many. Looks
    before it deletes: with nothing to forget it takes no write lock (SQLite has one)."""
    stmt = select(InboundMessage.id).where(InboundMessage.received_at < before).limit(PRUNE_BATCH)
    old = (await db.scalars(stmt)).all()
    if old:
        await db.execute(delete(InboundMessage).where(InboundMessage.id.in_(old)))
    return len(old)
