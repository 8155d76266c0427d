"""Which dialogue session answers belong to, and the sessions residents can see."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from models import DialogueSession, SessionStatus
from models.sessions import open_session, session_for_period, upcoming_sessions


def half_year(now: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """(year, 1 or 2): the ward meets in June and in November, once per half-year."""
    local = now.astimezone(zone)
    return local.year, 1 if local.month <= 6 else 2


def default_title(year: int, half: int) -> str:
    if half == 1:
        return _("Dialogue conference, June {year}").format(year=year)
    return _("Dialogue conference, November {year}").format(year=year)


async def session_for_answers(
    db: AsyncSession, now: datetime, zone: ZoneInfo, locale: str
) -> DialogueSession:
    """The open session; else the next dated planned one; else this half-year's default
    session, created on first use with its date left to be announced."""
    session = await open_session(db)
    if session is not None:
        return session
    upcoming = await upcoming_sessions(db, now, limit=1, dated_only=True)
    if upcoming:
        return upcoming[0]

    year, half = half_year(now, zone)
    period = f"{year}-H{half}"
    existing = await session_for_period(db, period)
    if existing is not None:
        return existing
    with use_locale(locale):
        title = default_title(year, half)
    try:
        async with db.begin_nested():
            session = DialogueSession(title=title, period=period, status=SessionStatus.PLANNED)
            db.add(session)
    except IntegrityError:  # another update created it a moment ago
        session = await session_for_period(db, period)
        assert session is not None
    return session


async def upcoming(db: AsyncSession, now: datetime, limit: int = 5) -> list[DialogueSession]:
    return await upcoming_sessions(db, now, limit)


async def get(db: AsyncSession, session_id: int) -> DialogueSession | None:
    return await db.get(DialogueSession, session_id)


async def all_sessions(db: AsyncSession) -> list[DialogueSession]:
    stmt = select(DialogueSession).order_by(DialogueSession.id)
    return list((await db.execute(stmt)).scalars())
