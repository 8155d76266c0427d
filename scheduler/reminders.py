"""Reminders before each dialogue session, and a notice when one is cancelled.

A round of reminders is one broadcast keyed "reminder:<session>:<offset>:<start>", with one
delivery per resident who opted in, rendered in their language for their channel. The start
time in the key means a moved session never reuses a round made for its old time; the round
for the old time stops (its pending deliveries are cancelled).

Which round is due is derived from the session alone: the one with the shortest offset whose
time has come, until the session starts. A round missed while the bot was down is therefore
made once when it comes back, unless a later one is due by then (it says the same, closer to
the day), and never once the session has started.

Everything here takes the database session and plain values; the jobs (scheduler/jobs.py)
open the session and commit.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.i18n import N_, _, use_locale
from bot.settings import Settings
from bot.texts import local_time, plain
from models import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    DialogueSession,
    SessionStatus,
)
from scheduler.callbacks import ASK, RATE, ReminderCb
from scheduler.config import Offset

log = logging.getLogger(__name__)

REMINDABLE = (SessionStatus.PLANNED, SessionStatus.OPEN)
JOB_PREFIX = "reminder:"
TELEGRAM = "telegram"

REMINDER_TITLE = N_("🔔 <b>Reminder: dialogue conference</b>")
REMINDER_INVITE = N_(
    "Before the conference you can still send the ward your question, or rate how it handled "
    "the procedures of a field."
)
CANCELLED_TITLE = N_("✖ <b>Dialogue conference cancelled</b>")
CANCELLED_TEXT = N_(
    "The session above will not take place. Your questions and ratings are kept; upcoming "
    "sessions are listed in the menu."
)


# --- keys and times ---------------------------------------------------------------------------


def fingerprint(starts_at: datetime) -> str:
    """The start as it goes into keys and job arguments: 2026-12-15T01:00Z."""
    return starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def round_key(session_id: int, offset: Offset, starts_at: datetime) -> str:
    return f"reminder:{session_id}:{offset.label}:{fingerprint(starts_at)}"


def cancellation_key(session_id: int) -> str:
    return f"cancellation:{session_id}"


def job_id(session_id: int, offset: Offset) -> str:
    return f"{JOB_PREFIX}{session_id}:{offset.label}"


def due_round(offsets: Sequence[Offset], starts_at: datetime, now: datetime) -> Offset | None:
    """The round to send now: the closest one whose time has come, before the start."""
    if now >= starts_at:
        return None
    due = [offset for offset in offsets if starts_at - offset.delta <= now]
    return min(due, key=lambda offset: offset.delta) if due else None


def wanted_jobs(
    sessions: Sequence[DialogueSession], offsets: Sequence[Offset], now: datetime
) -> dict[str, tuple[datetime, tuple[int, str, str]]]:
    """{job id: (run time, arguments)} of the reminders still ahead, one job per round."""
    wanted = {}
    for session in sessions:
        if session.starts_at is None:
            continue
        for offset in offsets:
            at = session.starts_at - offset.delta
            if at > now:
                args = (session.id, offset.label, fingerprint(session.starts_at))
                wanted[job_id(session.id, offset)] = (at, args)
    return wanted


# --- what residents read ----------------------------------------------------------------------


def _details(session: DialogueSession, settings: Settings) -> str:
    place = session.place or _("place to be announced")
    return (
        f"<b>{html.escape(session.title, quote=False)}</b>\n"
        f"🕘 {local_time(session.starts_at, settings)}\n"
        f"📍 {html.escape(place, quote=False)}"
    )


def reminder_message(
    session: DialogueSession, channel: str, locale: str, settings: Settings
) -> Message:
    """Telegram: HTML and two buttons. Zalo: plain text naming the words that do the same."""
    with use_locale(locale):
        text = "\n".join([_(REMINDER_TITLE), _details(session, settings), "", _(REMINDER_INVITE)])
        if channel == TELEGRAM:
            buttons = [
                [(_("✍️ Send a question"), ReminderCb(a=ASK, s=session.id).pack())],
                [(_("⭐ Rate a field"), ReminderCb(a=RATE, s=session.id).pack())],
            ]
            return Message(text, html=True, buttons=buttons)
        # Words, not numbers: the resident's conversation stays where it was, and their next
        # reply still answers that (bot/conversation/asides.py).
        replies = _('Reply "ask" to send a question, or "rate" to rate a field.')
        return Message(f"{plain(text)}\n\n{replies}")


def cancellation_message(
    session: DialogueSession, channel: str, locale: str, settings: Settings
) -> Message:
    with use_locale(locale):
        text = "\n".join([_(CANCELLED_TITLE), _details(session, settings), "", _(CANCELLED_TEXT)])
    if channel == TELEGRAM:
        return Message(text, html=True)
    return Message(plain(text))


# --- rounds -----------------------------------------------------------------------------------


async def remindable(
    db: AsyncSession, now: datetime, session_id: int | None = None
) -> list[DialogueSession]:
    """Planned or open sessions with a date still ahead."""
    stmt = select(DialogueSession).where(
        DialogueSession.status.in_(REMINDABLE), DialogueSession.starts_at > now
    )
    if session_id is not None:
        stmt = stmt.where(DialogueSession.id == session_id)
    return list((await db.execute(stmt.order_by(DialogueSession.id))).scalars())


async def bring_up_to_date(
    db: AsyncSession,
    settings: Settings,
    offsets: Sequence[Offset],
    session: DialogueSession,
    now: datetime,
) -> int:
    """Makes the round due now if it is missing, and stops what is still pending of the
    session's other rounds: those for another start time, and earlier ones it supersedes (after
    downtime, a week-old reminder must not arrive beside the one due now). Returns how many
    deliveries were added."""
    offset = due_round(offsets, session.starts_at, now) if session.starts_at else None
    keep = round_key(session.id, offset, session.starts_at) if offset else None
    await _stop_rounds(db, _other_rounds(session.id, keep))
    if offset is None:
        return 0
    return await _new_round(db, settings, session, offset, now)


def _has_pending():
    return exists().where(
        Delivery.broadcast_id == Broadcast.id, Delivery.status == DeliveryStatus.PENDING
    )


def _other_rounds(session_id: int, keep: str | None):
    """SQL: the session's reminder rounds with deliveries pending, but the one keyed `keep`."""
    stmt = select(Broadcast.id).where(
        Broadcast.session_id == session_id,
        Broadcast.kind == BroadcastKind.REMINDER,
        _has_pending(),
    )
    return stmt if keep is None else stmt.where(Broadcast.key != keep)


async def _stop_rounds(db: AsyncSession, rounds) -> int:
    cancelled = 0
    for broadcast_id in list((await db.execute(rounds)).scalars()):
        cancelled += await outbox.cancel_pending(db, broadcast_id)
    return cancelled


async def stop_outdated(db: AsyncSession, now: datetime, session_id: int | None = None) -> int:
    """Reminders still pending for a session that started, lost its date or is no longer
    planned or open are never sent."""
    rounds = (
        select(Broadcast.id)
        .join(DialogueSession, Broadcast.session_id == DialogueSession.id)
        .where(
            Broadcast.kind == BroadcastKind.REMINDER,
            _has_pending(),
            or_(
                DialogueSession.starts_at.is_(None),
                DialogueSession.starts_at <= now,
                DialogueSession.status.not_in(REMINDABLE),
            ),
        )
    )
    if session_id is not None:
        rounds = rounds.where(DialogueSession.id == session_id)
    return await _stop_rounds(db, rounds)


def _finish_empty(broadcast: Broadcast, now: datetime) -> None:
    broadcast.status = BroadcastStatus.DONE
    broadcast.finished_at = now


async def _new_round(
    db: AsyncSession, settings: Settings, session: DialogueSession, offset: Offset, now: datetime
) -> int:
    broadcast = await outbox.new_broadcast(
        db,
        key=round_key(session.id, offset, session.starts_at),
        kind=BroadcastKind.REMINDER,
        status=BroadcastStatus.SENDING,
        session_id=session.id,
        created_at=now,
        started_at=now,
    )
    if broadcast is None:  # made before: at its time, or by another run
        return 0
    recipients = await outbox.opted_in(db)
    added = await _add(db, broadcast, recipients, session, settings, reminder_message, now)
    if not added:
        _finish_empty(broadcast, now)
    log.info("Reminder round %s: %d deliveries", broadcast.key, added)
    return added


async def _add(db, broadcast, recipients, session, settings, render, now) -> int:
    """One delivery per recipient; the text is rendered once per channel and language."""
    rendered: dict[tuple[str, str], Message] = {}

    def message(recipient: Recipient) -> Message:
        key = (recipient.channel, recipient.locale)
        if key not in rendered:
            rendered[key] = render(session, recipient.channel, recipient.locale, settings)
        return rendered[key]

    rows = ((r, message(r), outbox.delivery_key(broadcast.id, r)) for r in recipients)
    return await outbox.add_many(db, rows, broadcast_id=broadcast.id, not_before=now)


# --- cancelled sessions -----------------------------------------------------------------------


async def cancelled_unannounced(
    db: AsyncSession, session_id: int | None = None
) -> list[DialogueSession]:
    """Cancelled sessions that had reminders and whose cancellation is not out yet."""
    had_reminders = exists().where(
        Broadcast.session_id == DialogueSession.id, Broadcast.kind == BroadcastKind.REMINDER
    )
    announced = exists().where(
        Broadcast.session_id == DialogueSession.id, Broadcast.kind == BroadcastKind.CANCELLATION
    )
    stmt = select(DialogueSession).where(
        DialogueSession.status == SessionStatus.CANCELLED, had_reminders, ~announced
    )
    if session_id is not None:
        stmt = stmt.where(DialogueSession.id == session_id)
    return list((await db.execute(stmt.order_by(DialogueSession.id))).scalars())


async def announce_cancellation(
    db: AsyncSession, settings: Settings, session: DialogueSession, now: datetime
) -> int:
    """Pending reminders of the session are cancelled; whoever was already reminded (and
    still accepts reminders) is told it will not take place."""
    broadcast = await outbox.new_broadcast(
        db,
        key=cancellation_key(session.id),
        kind=BroadcastKind.CANCELLATION,
        status=BroadcastStatus.SENDING,
        session_id=session.id,
        created_at=now,
        started_at=now,
    )
    if broadcast is None:
        return 0
    await _stop_rounds(db, _other_rounds(session.id, keep=None))
    reminded = set(
        (
            await db.execute(
                select(Delivery.channel, Delivery.chat_id)
                .join(Broadcast, Delivery.broadcast_id == Broadcast.id)
                .where(
                    Broadcast.session_id == session.id,
                    Broadcast.kind == BroadcastKind.REMINDER,
                    Delivery.status == DeliveryStatus.SENT,
                )
                .distinct()
            )
        ).all()
    )
    recipients = [r for r in await outbox.opted_in(db) if (r.channel, r.chat_id) in reminded]
    added = await _add(db, broadcast, recipients, session, settings, cancellation_message, now)
    if not added:
        _finish_empty(broadcast, now)
    log.info("Session %s cancelled: %d residents told", session.id, added)
    return added
