"""Dialogue sessions: which one answers belong to, the ones residents can see, and how the
ward office (admins) creates, edits and cancels them and opens or closes the survey window.

Management functions take plain values and the database session; nothing commits. Each starts
with `staff.require(..., MANAGE_SESSIONS)` (a refusal is audited, see bot.services.staff) and
audits what it did under `session_*` with the target `session:<id>`. What cannot be done raises
`SessionError`, whose `str()` is a polite message in the current locale.

Decisions:
- A start is stored in UTC; staff type it as a date and a time in the ward's zone
  (`parse_date`, `parse_time`, `starts_at_utc`). A start in the past is refused.
- One survey window at a time: `open_session()` is where residents' answers go, so opening a
  second window is refused with the open one's name. A closed window may be opened again.
- A cancelled session is final (no edit, no window). A closed session may still be corrected
  but not cancelled (it was held). Cancelling an open session ends its window; the answers
  already given stay with it.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from bot.services import staff
from bot.services.staff import Actor, Permission
from models import DialogueSession, SessionStatus
from models.sessions import open_session, session_for_period, upcoming_sessions

MIN_TITLE = 3
MAX_TITLE = 200
MAX_PLACE = 300
MAX_AGENDA = 2000


SESSION_MONTHS = (6, 11)  # the months the ward usually meets (SESSION_MONTHS)


def half_year(now: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """(year, 1 or 2) of the next conference month not over yet: the ward meets in June and
    in November, once per half-year, so answers given in December are for next June's."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    if month > max(SESSION_MONTHS):
        year, month = year + 1, min(SESSION_MONTHS)
    return year, 1 if month <= 6 else 2


def answer_period(now: datetime, zone: ZoneInfo) -> str:
    """The half-year of the next conference month not over yet ("2027-H1")."""
    year, half = half_year(now, zone)
    return f"{year}-H{half}"


def default_title(year: int, half: int) -> str:
    if half == 1:
        return _("Dialogue conference, June {year}").format(year=year)
    return _("Dialogue conference, November {year}").format(year=year)


async def session_for_answers(
    db: AsyncSession, now: datetime, zone: ZoneInfo, locale: str
) -> DialogueSession:
    """The open session; else the next dated planned one; else the default session of the
    next half-year whose conference has not taken place, created on first use with its date
    left to be announced. A session already held is never chosen."""
    session = await open_session(db)
    if session is not None:
        return session
    upcoming = await upcoming_sessions(db, now, limit=1, dated_only=True)
    if upcoming:
        return upcoming[0]

    year, half = half_year(now, zone)
    while True:
        period = f"{year}-H{half}"
        existing = await session_for_period(db, period)
        if existing is None:
            break
        if not _over(existing, now):
            return existing
        year, half = (year, 2) if half == 1 else (year + 1, 1)  # held: the next half-year's
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


def _over(session: DialogueSession, now: datetime) -> bool:
    """Held (its date has passed, or its window was closed) or cancelled."""
    if session.status in (SessionStatus.CLOSED, SessionStatus.CANCELLED):
        return True
    return session.starts_at is not None and session.starts_at < now


async def upcoming(
    db: AsyncSession, now: datetime, zone: ZoneInfo, limit: int = 5
) -> list[DialogueSession]:
    """Sessions still ahead: dated ones not yet begun, and those whose date is to be announced
    unless their half-year is over (November's, once December has come)."""
    return await upcoming_sessions(db, now, limit, from_period=answer_period(now, zone))


async def get(db: AsyncSession, session_id: int) -> DialogueSession | None:
    return await db.get(DialogueSession, session_id)


async def all_sessions(db: AsyncSession) -> list[DialogueSession]:
    stmt = select(DialogueSession).order_by(DialogueSession.id)
    return list((await db.execute(stmt)).scalars())


# --- typed dates and times --------------------------------------------------------------------


class SessionError(Exception):
    """A session change that cannot be made; `str()` says why in the current locale."""


# 15/12/2026, 5/1/2026, 15-12-2026, 15.12.2026 (day first, as Vietnamese write dates).
_DATE = re.compile(r"(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})")
# 08:00, 7:30, 7.30, 19h30, 19h, 19 giờ 30, 7g30 (h/g/giờ for "giờ", hour).
_TIME = re.compile(
    r"(\d{1,2})\s*(?:[:.]\s*(\d{2})|(?:h|g|giờ|gio)\s*(\d{2})?(?:\s*(?:phút|phut|p))?)"
)


def local_date_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def date_format_hint(example: date) -> str:
    return _("Please type the date as day/month/year (dd/mm/yyyy), for example {example}.").format(
        example=local_date_text(example)
    )


def example_day(today: date) -> date:
    """A day to show in a hint: one that would be accepted."""
    return today + timedelta(days=14)


def parse_date(text: str, today: date) -> date:
    """A day typed in the ward's zone, from `today` (the ward's local date) on."""
    example = example_day(today)
    found = _DATE.fullmatch(unicodedata.normalize("NFC", text).strip())
    if found is None:
        raise SessionError(date_format_hint(example))
    day_, _sep, month, year = found.groups()
    try:
        day = date(int(year), int(month), int(day_))
    except ValueError:
        raise SessionError(
            _("There is no such day as {typed}. {hint}").format(
                typed=text.strip(), hint=date_format_hint(example)
            )
        ) from None
    if day < today:
        raise SessionError(
            _("{day} has already passed. Please give a day from today ({today}) on.").format(
                day=local_date_text(day), today=local_date_text(today)
            )
        )
    return day


def parse_time(text: str) -> time:
    """A time of day typed in the ward's zone."""
    found = _TIME.fullmatch(unicodedata.normalize("NFC", text).strip().lower())
    hint = _("Please type the time as hours:minutes, for example 08:00, 7:30 or 19h30.")
    if found is None:
        raise SessionError(hint)
    hour, minute = int(found.group(1)), int(found.group(2) or found.group(3) or 0)
    if hour > 23 or minute > 59:
        raise SessionError(hint)
    return time(hour, minute)


def starts_at_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The moment a local day and time denote, in UTC (as stored)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_parts(moment: datetime, zone: ZoneInfo) -> tuple[date, time]:
    local = moment.astimezone(zone)
    return local.date(), local.time().replace(second=0, microsecond=0)


# --- what staff type --------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_title(title: str) -> str:
    cleaned = _one_line(title)
    if not MIN_TITLE <= len(cleaned) <= MAX_TITLE:
        raise SessionError(
            _("Please give a title of {low} to {high} characters.").format(
                low=MIN_TITLE, high=MAX_TITLE
            )
        )
    return cleaned


def clean_place(place: str | None) -> str | None:
    cleaned = _one_line(place or "")
    if len(cleaned) > MAX_PLACE:
        raise SessionError(
            _("Please give a place of at most {limit} characters.").format(limit=MAX_PLACE)
        )
    return cleaned or None


def clean_agenda(agenda: str | None) -> str | None:
    """Lines are kept (an agenda is often a list); blanks around them are not."""
    text = unicodedata.normalize("NFC", agenda or "")
    cleaned = "\n".join(line.strip() for line in text.splitlines()).strip()
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    if len(cleaned) > MAX_AGENDA:
        raise SessionError(
            _("The agenda has {count} characters; the limit is {limit}. Please shorten it.").format(
                count=len(cleaned), limit=MAX_AGENDA
            )
        )
    return cleaned or None


def check_start(starts_at: datetime, now: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be an aware datetime")
    if starts_at <= now:
        raise SessionError(_("This date and time have already passed. Please give a later one."))
    return starts_at.astimezone(UTC)


# --- managing sessions (admins) ---------------------------------------------------------------


async def _allowed(
    db: AsyncSession, actor: Actor, action: str, now: datetime, session_id: int | None = None
) -> staff.Audited:
    target = f"session:{session_id}" if session_id is not None else None
    return await staff.audited(db, actor, Permission.MANAGE_SESSIONS, action, target, now=now)


async def _found(db: AsyncSession, session_id: int) -> DialogueSession:
    """The session about to change, read FOR UPDATE (PostgreSQL; SQLite has one writer), so
    two admins changing it at once take turns."""
    session = await db.get(
        DialogueSession, session_id, with_for_update=True, populate_existing=True
    )
    if session is None:
        raise SessionError(_("This session was not found."))
    return session


def _not_cancelled(session: DialogueSession) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise SessionError(_("This session is cancelled and can no longer be changed."))


async def for_staff(db: AsyncSession) -> list[DialogueSession]:
    """Every session for the office's list: undated ones first, then the latest start first."""
    stmt = select(DialogueSession).order_by(
        DialogueSession.starts_at.is_(None).desc(),
        DialogueSession.starts_at.desc(),
        DialogueSession.id.desc(),
    )
    return list((await db.execute(stmt)).scalars())


async def create_session(
    db: AsyncSession,
    actor: Actor,
    *,
    title: str,
    starts_at: datetime,
    place: str | None,
    agenda: str | None = None,
    now: datetime,
) -> DialogueSession:
    """A planned session (admins only)."""
    act = await _allowed(db, actor, "session_create", now)
    session = DialogueSession(
        title=clean_title(title),
        starts_at=check_start(starts_at, now),
        place=clean_place(place),
        agenda=clean_agenda(agenda),
        status=SessionStatus.PLANNED,
        created_at=now,
    )
    db.add(session)
    await db.flush()
    await act.done(target=f"session:{session.id}")
    return session


class Keep(enum.Enum):
    """An argument of update_session left unchanged (None clears the place or the agenda)."""

    KEEP = "keep"


KEEP = Keep.KEEP


async def update_session(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    title: str | None = None,
    starts_at: datetime | None = None,
    place: str | Keep | None = KEEP,
    agenda: str | Keep | None = KEEP,
    now: datetime,
) -> DialogueSession:
    """Change what is given (admins only); place and agenda may be cleared with None."""
    act = await _allowed(db, actor, "session_update", now, session_id)
    session = await _found(db, session_id)
    _not_cancelled(session)
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = clean_title(title)
    if starts_at is not None:
        changes["starts_at"] = check_start(starts_at, now)
    if not isinstance(place, Keep):
        changes["place"] = clean_place(place)
    if not isinstance(agenda, Keep):
        changes["agenda"] = clean_agenda(agenda)
    for name, value in changes.items():
        setattr(session, name, value)
    await db.flush()
    await act.done(detail={"changed": sorted(changes)})
    return session


async def _set_status(
    db: AsyncSession, act: staff.Audited, session: DialogueSession, status: SessionStatus
) -> DialogueSession:
    before = session.status
    session.status = status
    await db.flush()
    await act.done(detail={"from": str(before), "to": str(status)})
    return session


async def cancel_session(
    db: AsyncSession, actor: Actor, session_id: int, *, now: datetime
) -> DialogueSession:
    """Cancel a planned or open session (admins only); residents no longer see it."""
    act = await _allowed(db, actor, "session_cancel", now, session_id)
    session = await _found(db, session_id)
    if session.status == SessionStatus.CANCELLED:
        raise SessionError(_("This session is already cancelled."))
    if session.status == SessionStatus.CLOSED:
        raise SessionError(_("This session is closed: it has been held and cannot be cancelled."))
    return await _set_status(db, act, session, SessionStatus.CANCELLED)


async def open_survey(
    db: AsyncSession, actor: Actor, session_id: int, *, now: datetime
) -> DialogueSession:
    """Open the survey window (admins only): residents' answers go to this session."""
    act = await _allowed(db, actor, "session_open", now, session_id)
    # Every session row is locked, so two windows opened at once cannot both see none open.
    await db.execute(select(DialogueSession.id).with_for_update())
    session = await _found(db, session_id)
    _not_cancelled(session)
    if session.status == SessionStatus.OPEN:
        raise SessionError(_("The survey window of this session is already open."))
    other = await open_session(db)
    if other is not None:
        raise SessionError(
            _(
                "The survey window of “{title}” is open. Answers go to one session at a time: "
                "please close that window first."
            ).format(title=other.title)
        )
    return await _set_status(db, act, session, SessionStatus.OPEN)


async def close_survey(
    db: AsyncSession, actor: Actor, session_id: int, *, now: datetime
) -> DialogueSession:
    """Close the survey window (admins only); answers then go to the next planned session."""
    act = await _allowed(db, actor, "session_close", now, session_id)
    session = await _found(db, session_id)
    if session.status != SessionStatus.OPEN:
        raise SessionError(_("The survey window of this session is not open."))
    return await _set_status(db, act, session, SessionStatus.CLOSED)
