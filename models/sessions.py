"""Dialogue sessions (hội nghị đối thoại): the conferences answers and questions are attached to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, String, Text, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class DialogueSession(Base):
    __tablename__ = "dialogue_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # None while the ward has not fixed the date ("date to be announced").
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(300))
    agenda: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.PLANNED)
    # Set on sessions the bot creates by itself ("2026-H2"), unique so two racing updates
    # cannot create the same default session twice.
    period: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def open_session(db: AsyncSession) -> DialogueSession | None:
    stmt = (
        select(DialogueSession)
        .where(DialogueSession.status == SessionStatus.OPEN)
        .order_by(DialogueSession.starts_at.is_(None), DialogueSession.starts_at)
        .limit(1)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def upcoming_sessions(
    db: AsyncSession,
    now: datetime,
    limit: int = 5,
    *,
    dated_only: bool = False,
    from_period: str | None = None,
) -> list[DialogueSession]:
    """`from_period` ("2027-H1"): undated sessions of an earlier half-year are over."""
    when = DialogueSession.starts_at >= now
    if not dated_only:
        undated = DialogueSession.starts_at.is_(None)
        if from_period is not None:
            undated = and_(
                undated,
                or_(DialogueSession.period.is_(None), DialogueSession.period >= from_period),
            )
        when = or_(undated, when)
    stmt = (
        select(DialogueSession)
        .where(DialogueSession.status.in_([SessionStatus.PLANNED, SessionStatus.OPEN]), when)
        # Dated sessions first, soonest first; undated ones (date to be announced) after them.
        .order_by(
            DialogueSession.starts_at.is_(None), DialogueSession.starts_at, DialogueSession.id
        )
        .limit(limit)
    )
    return list((await db.execute(stmt)).scalars())


async def session_for_period(db: AsyncSession, period: str) -> DialogueSession | None:
    stmt = select(DialogueSession).where(DialogueSession.period == period)
    return (await db.execute(stmt)).scalar_one_or_none()
