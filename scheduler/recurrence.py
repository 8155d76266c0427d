"""Sessions recur: the ward meets in the months of SESSION_MONTHS (June and November). When
one of them comes near and nothing is planned for its half-year, the bot drafts the session
(planned, no date yet, `period` "2027-H1" like the default session residents' answers go to)
and asks the admins, once per period, to set its date, time and place."""

from __future__ import annotations

import calendar
import html
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Message
from bot.i18n import _, use_locale
from bot.services.sessions import default_title
from bot.services.staff import Role
from bot.settings import Settings
from models import BroadcastKind, BroadcastStatus, DialogueSession, SessionStatus
from models.sessions import session_for_period
from scheduler.callbacks import PlanCb
from scheduler.digests import active_staff, staff_chat

# How early before its month a session is drafted: time for the office to fix a date and for
# the reminders to run.
DRAFT_AHEAD = timedelta(days=60)


def period_of(year: int, month: int) -> str:
    """The half-year, as `session_for_answers` names it."""
    return f"{year}-H{1 if month <= 6 else 2}"


def coming_months(today: date, months: Sequence[int]) -> list[tuple[int, int]]:
    """(year, month) of the session months not over yet whose first day is near."""
    found = []
    for year in (today.year, today.year + 1):
        for month in months:
            first = date(year, month, 1)
            last = date(year, month, calendar.monthrange(year, month)[1])
            if today <= last and first - DRAFT_AHEAD <= today:
                found.append((year, month))
    return found


def draft_title(year: int, month: int) -> str:
    """The default title ("…, June 2027") for the usual months, else one naming the month."""
    if month in (6, 11):
        return default_title(year, 1 if month == 6 else 2)
    return _("Dialogue conference, {month}/{year}").format(month=month, year=year)


async def _dated_in_half(db: AsyncSession, year: int, month: int, settings: Settings) -> bool:
    """A session with a date in that half-year already (e.g. created in /sessions)."""
    first, after = (date(year, 1, 1), date(year, 7, 1))
    if month > 6:
        first, after = date(year, 7, 1), date(year + 1, 1, 1)
    begin, end = (
        datetime.combine(day, time(), tzinfo=settings.zone).astimezone(UTC)
        for day in (first, after)
    )
    stmt = select(DialogueSession.id).where(
        DialogueSession.status != SessionStatus.CANCELLED,
        DialogueSession.starts_at >= begin,
        DialogueSession.starts_at < end,
    )
    return (await db.execute(stmt.limit(1))).first() is not None


async def _draft(db: AsyncSession, period: str, title: str, now: datetime) -> DialogueSession:
    existing = await session_for_period(db, period)
    if existing is not None:
        return existing
    try:
        async with db.begin_nested():
            session = DialogueSession(
                title=title, period=period, status=SessionStatus.PLANNED, created_at=now
            )
            db.add(session)
    except IntegrityError:  # drafted by a resident's first answer a moment ago
        session = await session_for_period(db, period)
        assert session is not None
    return session


def admin_notice(session: DialogueSession) -> Message:
    """In the current locale (the ward's)."""
    text = "\n".join(
        [
            _("🗓 <b>{title}</b> is drafted, with no date yet.").format(
                title=html.escape(session.title, quote=False)
            ),
            _(
                "Please set its date, time and place, so residents see it and get their "
                "reminders: tap the button, or use /sessions."
            ),
        ]
    )
    button = (_("🗓 Set date, time and place"), PlanCb(s=session.id).pack())
    return Message(text, html=True, buttons=[[button]])


async def plan_sessions(
    db: AsyncSession, settings: Settings, months: Sequence[int], now: datetime
) -> int:
    """Drafts what is missing and tells the admins; returns the deliveries added."""
    added = 0
    today = now.astimezone(settings.zone).date()
    for year, month in coming_months(today, months):
        period = period_of(year, month)
        if await _dated_in_half(db, year, month, settings):
            continue
        with use_locale(settings.default_locale):
            session = await _draft(db, period, draft_title(year, month), now)
            if session.starts_at is not None or session.status == SessionStatus.CANCELLED:
                continue
            broadcast = await outbox.new_broadcast(
                db,
                key=f"plan:{period}",
                kind=BroadcastKind.NOTICE,
                status=BroadcastStatus.SENDING,
                session_id=session.id,
                created_at=now,
                started_at=now,
            )
            if broadcast is None:
                continue  # the admins were asked already for this period
            message = admin_notice(session)
        recipients = [staff_chat(p, settings) for p in await active_staff(db, Role.ADMIN)]
        rows = [(r, message, outbox.delivery_key(broadcast.id, r)) for r in recipients]
        count = await outbox.add_many(db, rows, broadcast_id=broadcast.id, not_before=now)
        if not count:
            broadcast.status, broadcast.finished_at = BroadcastStatus.DONE, now
        added += count
    return added
