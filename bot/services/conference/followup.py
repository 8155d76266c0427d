"""What follows the day: the chair's conclusions, the commitments, and telling the askers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.i18n import _, use_locale
from bot.services import staff
from bot.services.conference.common import (
    SENDS_TO,
    ConferenceError,
    _active_staff,
    _aware,
    _clean_long,
    _question,
    _session,
)
from bot.services.staff import Actor, Permission, Role
from models import (
    Account,
    Commitment,
    CommitmentStatus,
    Conclusion,
    QuestionStatus,
    QuestionSupport,
    Resident,
    ResidentQuestion,
    StaffMember,
)


@dataclass(frozen=True)
class CommitmentView:
    id: int
    session_id: int
    question_id: int | None
    question_code: str | None
    conclusion_id: int | None
    text: str  # the question's text (withheld ones: "") or the conclusion
    field: str | None
    owner_id: int | None
    owner_name: str | None
    deadline: datetime
    status: str
    overdue: bool
    result: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class ConclusionView:
    id: int
    text: str
    created_at: datetime
    commitment: CommitmentView | None


@dataclass(frozen=True)
class Queued:
    """Outbox keys added in the caller's transaction: after commit, `send_now` sends them."""

    keys: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # delegates with no chat: call them


# --- small helpers ----------------------------------------------------------------------------


async def add_conclusion(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    text: str,
    *,
    owner_id: int | None = None,
    deadline: datetime | None = None,
    now: datetime,
) -> int:
    """One of the chair's conclusions as the secretary types it; with an owner and a deadline
    it is also a task (a commitment). Returns the conclusion's id."""
    act = await staff.audited(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        "conference_conclusion",
        f"session:{session_id}",
        now=now,
    )
    await _session(db, session_id)
    if (owner_id is None) != (deadline is None):
        raise ConferenceError(_("A task needs both an owner and a deadline."))
    conclusion = Conclusion(
        session_id=session_id,
        text=_clean_long(text, _("Please write the conclusion.")),
        created_by=act.by.id,
        created_at=now,
    )
    db.add(conclusion)
    await db.flush()
    if owner_id is not None and deadline is not None:
        owner = await _active_staff(db, owner_id)
        db.add(
            Commitment(
                session_id=session_id,
                conclusion_id=conclusion.id,
                owner_id=owner.id,
                deadline=_aware(deadline),
                status=CommitmentStatus.OPEN,
                created_at=now,
            )
        )
        await db.flush()
    await act.done(target=f"conclusion:{conclusion.id}", detail={"task": owner_id is not None})
    return conclusion.id


async def conclusions(db: AsyncSession, session_id: int, *, now: datetime) -> list[ConclusionView]:
    """The session's conclusions as typed, each with its task if it is one (no check: the
    callers are the minutes and the console, which checked already)."""
    tasks = {
        c.conclusion_id: c for c in await _commitment_views(db, session_id=session_id, now=now)
    }
    stmt = (
        select(Conclusion)
        .where(Conclusion.session_id == session_id)
        .order_by(Conclusion.created_at, Conclusion.id)
    )
    return [
        ConclusionView(c.id, c.text, c.created_at, tasks.get(c.id))
        for c in (await db.execute(stmt)).scalars()
    ]


async def _commitment_views(
    db: AsyncSession,
    *,
    session_id: int | None = None,
    owner_id: int | None = None,
    status: str | None = None,
    overdue_only: bool = False,
    now: datetime,
) -> list[CommitmentView]:
    c, q = Commitment, ResidentQuestion
    stmt = (
        select(
            c,
            q.code,
            q.text,
            q.field,
            q.complaint_flag,
            Conclusion.text.label("conclusion_text"),
            StaffMember.name,
        )
        .outerjoin(q, q.id == c.question_id)
        .outerjoin(Conclusion, Conclusion.id == c.conclusion_id)
        .outerjoin(StaffMember, StaffMember.id == c.owner_id)
        .order_by(c.deadline, c.id)
    )
    if session_id is not None:
        stmt = stmt.where(c.session_id == session_id)
    if owner_id is not None:
        stmt = stmt.where(c.owner_id == owner_id)
    if status is not None:
        stmt = stmt.where(c.status == status)
    if overdue_only:
        stmt = stmt.where(c.status == CommitmentStatus.OPEN, c.deadline < now)
    views = []
    for row in (await db.execute(stmt)).all():
        item: Commitment = row[0]
        if item.question_id is not None:
            text = "" if row.complaint_flag else row.text
        else:
            text = row.conclusion_text
        views.append(
            CommitmentView(
                id=item.id,
                session_id=item.session_id,
                question_id=item.question_id,
                question_code=row.code,
                conclusion_id=item.conclusion_id,
                text=text or "",
                field=row.field,
                owner_id=item.owner_id,
                owner_name=row.name,
                deadline=item.deadline,
                status=item.status,
                overdue=item.status == CommitmentStatus.OPEN and item.deadline < now,
                result=item.result,
                closed_at=item.closed_at,
            )
        )
    return views


async def commitments(
    db: AsyncSession,
    actor: Actor,
    *,
    session_id: int | None = None,
    status: str | None = CommitmentStatus.OPEN,
    mine: bool = False,
    now: datetime,
) -> list[CommitmentView]:
    """Commitments by deadline, soonest first (open ones by default). Admins, leaders and
    secretaries see every one; others (and `mine`) only their own."""
    by = await staff.require(db, actor, Permission.FOLLOW_UP, now=now, action="commitments")
    everyone = by.role in (Role.ADMIN, Role.LEADER, Role.SECRETARY) and not mine
    found = await _commitment_views(
        db,
        session_id=session_id,
        owner_id=None if everyone else by.id,
        status=status,
        now=now,
    )
    await staff.record_action(
        db, by, "commitments", now=now, detail={"session": session_id, "status": status}
    )
    return found


async def close_commitment(
    db: AsyncSession,
    actor: Actor,
    commitment_id: int,
    result: str,
    *,
    now: datetime,
) -> Queued:
    """Close a commitment with what was done (its owner, or an admin or leader). For a
    question, the result becomes its answer if it has none, and the asker and every supporter
    are told in their chat: outbox rows in this transaction, whose keys are returned."""
    target = f"commitment:{commitment_id}"
    by = await staff.require(
        db, actor, Permission.FOLLOW_UP, now=now, action="commitment_close", target=target
    )
    item = await db.get(Commitment, commitment_id)
    if item is None:
        raise ConferenceError(_("This commitment was not found."))
    if by.role not in (Role.ADMIN, Role.LEADER) and item.owner_id != by.id:
        await staff.require(
            db, by, Permission.PREPARE_CONFERENCE, now=now, action="commitment_close", target=target
        )
    if item.status == CommitmentStatus.CLOSED:
        raise ConferenceError(_("This commitment is already closed."))
    cleaned = _clean_long(result, _("Please write what was done."))
    item.status, item.result, item.closed_at, item.closed_by = (
        CommitmentStatus.CLOSED,
        cleaned,
        now,
        by.id,
    )
    queued = Queued()
    if item.question_id is not None:
        q = await _question(db, item.question_id)
        if q.answer_text is None:
            q.answer_text, q.answered_at = cleaned, now
            q.answered_by, q.answered_role = by.id, by.role
            q.status = QuestionStatus.ANSWERED
            q.updated_at = now
        queued.keys.extend(await _tell_followers(db, q, cleaned, commitment_id))
    await db.flush()
    await staff.record_action(
        db, by, "commitment_close", now=now, target=target, detail={"told": len(queued.keys)}
    )
    return queued


async def _tell_followers(
    db: AsyncSession, q: ResidentQuestion, result: str, commitment_id: int
) -> list[str]:
    """The asker and the supporters of a question, each once, in their chat."""
    chats = select(Account.id.label("account_id")).where(Account.id == q.account_id)
    supporters = select(QuestionSupport.account_id).where(QuestionSupport.question_id == q.id)
    stmt = (
        select(Account.channel, Account.external_id, Account.resident_id, Resident.locale)
        .join(Resident, Resident.id == Account.resident_id)
        .where(
            Account.id.in_(chats.union(supporters)),
            Account.channel.in_(SENDS_TO),
            Account.unreachable_at.is_(None),
        )
    )
    rows = []
    seen: set[str] = set()
    for channel, external_id, resident_id, locale in (await db.execute(stmt)).all():
        if resident_id in seen:
            continue
        seen.add(resident_id)
        with use_locale(locale):
            if resident_id == q.resident_id:
                text = _(
                    "The ward has followed up your question {code} from the dialogue "
                    "conference:\n\n{result}"
                )
            else:
                text = _(
                    "The ward has followed up question {code} that you supported at the "
                    "dialogue conference:\n\n{result}"
                )
            text = text.format(code=q.code, result=result)
        key = f"commitment:{commitment_id}:{resident_id}"
        rows.append((Recipient(channel, external_id, locale, resident_id), Message(text), key))
    if rows:
        await outbox.add_many(db, rows)
    return [key for _r, _m, key in rows]


async def send_now(delivery, queued: Queued) -> int:
    """After commit: send the queued messages at once where this process serves the channel
    (the bot's engine sends the rest); returns how many were sent now."""
    if not queued.keys:
        return 0
    outcomes = await delivery.send_now(queued.keys)
    delivery.wake()
    return sum(1 for status, _error in outcomes.values() if status == "sent")
