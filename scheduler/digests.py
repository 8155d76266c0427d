"""What ward staff get each morning: every official the questions of their fields that are new
since the last digest or still unanswered, and, the day before a session, leaders and admins
the conference files (the same export as /export) and whoever is to answer questions at the
conference how many (the list itself is /agenda).

Staff read these in the ward's language (DEFAULT_LOCALE) in their Telegram chat. A digest
shows a question's code, field, status and the beginning of its first line: never a
resident's name or phone.

A resident who erases their data takes their questions out of both: the digests in the outbox
lose those lines (`forget_questions`, bot/delivery/forget.py), and the day-before folders
holding their rows are written again without them, or removed once sent (`refresh_exports`,
bot/exports/day_before.py). Both live in `bot`, which the erasure (bot/services/data_rights.py)
may import; they are named here too for the scheduler's readers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.forget import esc, forget_questions, without_questions
from bot.delivery.outbox import Message, Recipient
from bot.exports.bundle import ExportResult
from bot.exports.day_before import (
    KEEP_EXPORTS,
    export_dir,
    export_folder,
    refresh_exports,
    remove_old_exports,
)
from bot.i18n import _, use_locale
from bot.services import audit, conference
from bot.services.conference import CommitmentView
from bot.services.questions import in_dialogue
from bot.services.staff import Role, StaffRef, as_ref
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.texts import STATUS_LABELS, WITHHELD_TEXT, clipped, local_time
from models import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    DialogueSession,
    QuestionStatus,
    ResidentQuestion,
    StaffMember,
)
from scheduler.reminders import REMINDABLE, fingerprint

log = logging.getLogger(__name__)

UNANSWERED = (QuestionStatus.RECEIVED, QuestionStatus.ASSIGNED)
PER_SECTION = 10  # questions listed per section: a digest stays one readable message
PREVIEW = 90  # characters of a question's first line
UPLOAD_LIMIT = 50 * 1024 * 1024  # what Telegram accepts from a bot


async def active_staff(db: AsyncSession, *roles: Role) -> list[StaffRef]:
    stmt = (
        select(StaffMember)
        .where(StaffMember.role.in_(roles), StaffMember.active.is_(True))
        .order_by(StaffMember.id)
    )
    return [as_ref(member) for member in (await db.execute(stmt)).scalars()]


def staff_chat(person: StaffRef, settings: Settings) -> Recipient:
    return Recipient("telegram", str(person.telegram_user_id), settings.default_locale)


# --- the officials' digest --------------------------------------------------------------------


def digest_day(now: datetime, settings: Settings, at: time) -> date:
    """The ward day whose digest is due: today once DIGEST_TIME has passed, else yesterday's
    (a run at 02:00 after a night of downtime sends the one missed, not tomorrow's)."""
    local = now.astimezone(settings.zone)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


@dataclass(frozen=True)
class Entry:
    code: str
    field: str
    status: str
    first_line: str
    created_at: datetime
    withheld: bool = False  # a possible complaint or denunciation: no text quoted


async def _previous_digest(db: AsyncSession, key: str) -> datetime | None:
    stmt = select(func.max(Broadcast.created_at)).where(
        Broadcast.kind == BroadcastKind.DIGEST,
        Broadcast.key.startswith("digest:"),
        Broadcast.key != key,
    )
    return await db.scalar(stmt)


async def _entries(
    db: AsyncSession, fields: set[str], since: datetime, *, other_fields: bool = False
) -> list[Entry]:
    """Visible questions of these fields (`other_fields`: of every other field) created since
    `since` or still unanswered."""
    of_fields = ResidentQuestion.field.in_(fields)
    stmt = (
        select(
            ResidentQuestion.code,
            ResidentQuestion.field,
            ResidentQuestion.status,
            # Enough for one line: a question may be 3,000 characters long.
            func.substr(ResidentQuestion.text, 1, 300),
            ResidentQuestion.created_at,
            ResidentQuestion.complaint_flag,
        )
        .where(
            ~of_fields if other_fields else of_fields,
            ResidentQuestion.hidden.is_(False),
            in_dialogue(),
            (ResidentQuestion.created_at > since) | ResidentQuestion.status.in_(UNANSWERED),
        )
        .order_by(ResidentQuestion.created_at, ResidentQuestion.id)
    )
    entries = []
    for code, field, status, text, created_at, flagged in (await db.execute(stmt)).all():
        # A possible complaint or denunciation is read by leaders and the office only.
        lines = [] if flagged else [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
        entries.append(Entry(code, field, status, lines[0] if lines else "", created_at, flagged))
    return entries


def digest_text(
    day: date,
    new: Sequence[Entry],
    pending: Sequence[Entry],
    survey: Survey,
    locale: str,
    *,
    unheld: bool = False,
) -> str:
    """`unheld`: the admins' digest of the fields no official holds."""

    def line(entry: Entry) -> str:
        found = survey.field(entry.field)
        field = found.label.get(locale) if found else entry.field
        status = _(STATUS_LABELS[entry.status]) if entry.status in STATUS_LABELS else entry.status
        quoted = _(WITHHELD_TEXT) if entry.withheld else clipped(entry.first_line, PREVIEW)
        return f"• <b>{esc(entry.code)}</b> · {esc(field)} · {esc(status)}\n  <i>{esc(quoted)}</i>"

    def section(title: str, entries: Sequence[Entry]) -> list[str]:
        if not entries:
            return []
        lines = ["", f"<b>{title}</b>", *(line(e) for e in entries[:PER_SECTION])]
        if len(entries) > PER_SECTION:
            lines.append(
                _("… and {count} more questions.").format(count=len(entries) - PER_SECTION)
            )
        return lines

    title = (
        _("☀️ <b>Questions of fields no official holds</b> · {day}")
        if unheld
        else _("☀️ <b>Questions of your fields</b> · {day}")
    )
    parts = [title.format(day=day.strftime("%d/%m/%Y"))]
    parts += section(_("🆕 New since the last digest: {count}").format(count=len(new)), new)
    parts += section(_("⏳ Still unanswered: {count}").format(count=len(pending)), pending)
    parts += ["", _("Open them with /questions.")]
    if unheld:
        parts.append(_("Give these fields to an official with /staff_add or /staff_set."))
    return "\n".join(parts)


async def send_digests(
    db: AsyncSession, settings: Settings, survey: Survey, at: time, now: datetime
) -> int:
    """One digest per official with something new or pending, once per ward day; with no
    leader, the admins get the questions of the fields no official holds (nobody else
    would)."""
    day = digest_day(now, settings, at)
    key = f"digest:{day.isoformat()}"
    since = await _previous_digest(db, key) or now - timedelta(days=1)
    broadcast = await outbox.new_broadcast(
        db,
        key=key,
        kind=BroadcastKind.DIGEST,
        status=BroadcastStatus.SENDING,
        created_at=now,
        started_at=now,
    )
    if broadcast is None:
        return 0
    officials = await active_staff(db, Role.OFFICIAL)
    fields = {field for person in officials for field in person.fields}
    entries = await _entries(db, fields, since) if fields else []
    readers: list[tuple[StaffRef, list[Entry], bool]] = [
        (person, [e for e in entries if e.field in person.fields], False) for person in officials
    ]
    if not await active_staff(db, Role.LEADER):
        unheld = await _entries(db, fields, since, other_fields=True)
        readers += [(person, unheld, True) for person in await active_staff(db, Role.ADMIN)]
    locale = settings.default_locale
    rows = []
    with use_locale(locale):
        for person, mine, unheld_fields in readers:
            new = [e for e in mine if e.created_at > since]
            pending = [e for e in mine if e.created_at <= since]
            if not new and not pending:
                continue  # nothing to say: no message
            recipient = staff_chat(person, settings)
            text = digest_text(day, new, pending, survey, locale, unheld=unheld_fields)
            rows.append(
                (recipient, Message(text, html=True), outbox.delivery_key(broadcast.id, recipient))
            )
    added = await outbox.add_many(db, rows, broadcast_id=broadcast.id, not_before=now)
    if not added:
        broadcast.status, broadcast.finished_at = BroadcastStatus.DONE, now
    return added


# --- the conference's commitments -------------------------------------------------------------


def _commitment_line(item: CommitmentView, zone) -> str:
    what = item.question_code or _("Conclusion")
    quoted = clipped(item.text.splitlines()[0], PREVIEW) if item.text else _(WITHHELD_TEXT)
    due = item.deadline.astimezone(zone).strftime("%d/%m/%Y")
    mark = " ⚠️ " + _("overdue") if item.overdue else ""
    return f"• <b>{esc(what)}</b> · {esc(due)}{mark}\n  <i>{esc(quoted)}</i>"


async def send_commitment_digests(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """Each morning: every owner the open commitments of the conference they hold, soonest
    deadline first; the leaders (else the admins) the overdue ones. Once per ward day (the
    outbox keys carry the day)."""

    day = now.astimezone(settings.zone).date()
    found = await conference.open_commitments(db, now)
    if not found:
        return 0
    locale, zone = settings.default_locale, settings.zone
    readers: list[tuple[StaffRef, str, list[CommitmentView]]] = []
    for person in await active_staff(db, *Role):
        mine = [c for c in found if c.owner_id == person.id]
        if mine:
            readers.append((person, "mine", mine))
    overdue = [c for c in found if c.overdue]
    leaders = await active_staff(db, Role.LEADER) or await active_staff(db, Role.ADMIN)
    if overdue:
        readers += [(person, "overdue", overdue) for person in leaders]
    rows = []
    with use_locale(locale):
        for person, kind, items in readers:
            if kind == "mine":
                title = _("📋 <b>Your commitments from the dialogue conference</b> · {day}")
            else:
                title = _("⏰ <b>Overdue commitments from the dialogue conference</b> · {day}")
            lines = [title.format(day=day.strftime("%d/%m/%Y"))]
            lines += [_commitment_line(item, zone) for item in items[:PER_SECTION]]
            if len(items) > PER_SECTION:
                lines.append(_("… and {count} more.").format(count=len(items) - PER_SECTION))
            key = f"commitments:{kind}:{day.isoformat()}:{person.id}"
            rows.append((staff_chat(person, settings), Message("\n".join(lines), html=True), key))
    return await outbox.add_many(db, rows, not_before=now)


# --- each answerer's list, the day before the conference --------------------------------------


def agenda_key(session: DialogueSession, person: StaffRef) -> str:
    return f"agenda:{session.id}:{fingerprint(session.starts_at)}:{person.id}"


async def sessions_by_tomorrow(
    db: AsyncSession, settings: Settings, now: datetime
) -> list[DialogueSession]:
    """Planned or open sessions starting by the end of tomorrow (ward time), still to come."""
    tomorrow = now.astimezone(settings.zone).date() + timedelta(days=1)
    until = datetime.combine(tomorrow + timedelta(days=1), time(), tzinfo=settings.zone)
    stmt = (
        select(DialogueSession)
        .where(
            DialogueSession.status.in_(REMINDABLE),
            DialogueSession.starts_at > now,
            DialogueSession.starts_at < until.astimezone(UTC),
        )
        .order_by(DialogueSession.starts_at)
    )
    return list((await db.execute(stmt)).scalars())


async def send_agenda_notices(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """The day before a conference (or its morning, if that day's run was missed): everyone
    who is to answer questions there is told how many, and that /agenda lists them. Once per
    session, start time and person (the outbox keys)."""
    rows = []
    with use_locale(settings.default_locale):
        for session in await sessions_by_tomorrow(db, settings, now):
            counts = await conference.answer_counts(db, session.id)
            if not counts:
                continue
            stmt = (
                select(StaffMember)
                .where(StaffMember.id.in_(counts), StaffMember.active.is_(True))
                .order_by(StaffMember.id)
            )
            for member in (await db.execute(stmt)).scalars():
                person = as_ref(member)
                text = _(
                    "📋 Dialogue conference <b>{title}</b> ({when}): questions you are to "
                    "answer: {count}. /agenda {number} lists them by field."
                ).format(
                    title=esc(session.title),
                    when=local_time(session.starts_at, settings),
                    count=counts[person.id],
                    number=session.id,
                )
                key = agenda_key(session, person)
                rows.append((staff_chat(person, settings), Message(text, html=True), key))
    return await outbox.add_many(db, rows, not_before=now)


# --- the conference files, the day before -----------------------------------------------------


def export_key(session: DialogueSession) -> str:
    return f"export:{session.id}:{fingerprint(session.starts_at)}"


async def sessions_to_export(
    db: AsyncSession, settings: Settings, now: datetime
) -> list[DialogueSession]:
    """Planned or open sessions starting by the end of tomorrow (ward time) whose files were
    not sent for this start yet; today's count too, in case yesterday's morning was missed."""
    tomorrow = now.astimezone(settings.zone).date() + timedelta(days=1)
    until = datetime.combine(tomorrow + timedelta(days=1), time(), tzinfo=settings.zone)
    stmt = (
        select(DialogueSession)
        .where(
            DialogueSession.status.in_(REMINDABLE),
            DialogueSession.starts_at > now,
            DialogueSession.starts_at < until.astimezone(UTC),
        )
        .order_by(DialogueSession.starts_at)
    )
    found = list((await db.execute(stmt)).scalars())
    done = set(
        (
            await db.execute(
                select(Broadcast.key).where(Broadcast.key.in_([export_key(s) for s in found]))
            )
        ).scalars()
    )
    return [session for session in found if export_key(session) not in done]


def export_messages(
    session: DialogueSession, result: ExportResult, settings: Settings, now: datetime
) -> list[Message]:
    """One document per file, in /export's order; the first carries what the files are."""
    with use_locale(settings.default_locale):
        intro = _(
            "📎 Conference files for <b>{title}</b> ({when}), as of {now}: {responses} survey "
            "responses, {questions} questions."
        ).format(
            title=esc(session.title),
            when=local_time(session.starts_at, settings),
            now=local_time(now, settings),
            responses=result.summary.total_responses,
            questions=result.summary.total_questions,
        )
        too_large = _(
            "{name} is larger than Telegram accepts from a bot (50 MB): please export on the "
            "server with python -m bot export."
        )
    messages, notes = [], []
    for path in result.files:
        path = Path(path).resolve()
        if path.stat().st_size > UPLOAD_LIMIT:
            notes.append(too_large.format(name=path.name))
            continue
        media = {"kind": "document", "path": str(path), "name": path.name}
        messages.append(Message("", html=True, media=media))
    if messages:
        caption = "\n".join([intro, *notes])
        messages[0] = Message(caption, html=True, media=messages[0].media)
    return messages


async def record_export(
    db: AsyncSession,
    settings: Settings,
    session: DialogueSession,
    result: ExportResult,
    now: datetime,
) -> int:
    """The deliveries of one session's files to every leader and admin, once per start time.
    Audited like an export asked for on Telegram, by nobody: the scheduler."""
    broadcast = await outbox.new_broadcast(
        db,
        key=export_key(session),
        kind=BroadcastKind.DIGEST,
        status=BroadcastStatus.SENDING,
        session_id=session.id,
        created_at=now,
        started_at=now,
    )
    if broadcast is None:
        return 0
    await audit.record(
        db,
        actor_telegram_id=None,
        actor_role=None,
        action="export",
        target=f"session:{session.id}",
        detail={"via": "scheduler", "named": False},
        now=now,
    )
    messages = export_messages(session, result, settings, now)
    rows = []
    for person in await active_staff(db, Role.LEADER, Role.ADMIN):
        recipient = staff_chat(person, settings)
        base = outbox.delivery_key(broadcast.id, recipient)
        rows += [(recipient, m, f"{base}:{i}") for i, m in enumerate(messages)]
    added = await outbox.add_many(db, rows, broadcast_id=broadcast.id, not_before=now)
    if not added:
        broadcast.status, broadcast.finished_at = BroadcastStatus.DONE, now
    return added


__all__ = [
    "KEEP_EXPORTS",
    "export_dir",
    "export_folder",
    "forget_questions",
    "refresh_exports",
    "remove_old_exports",
    "without_questions",
]
