"""The day in the hall: the live switch, chair and secretary, supports, questions from the hall
and the floor, the current question, and answers given there or promised for later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import questions, staff
from bot.services.conference.common import (
    FLOOR,
    MAX_NAME,
    ConferenceError,
    _active_staff,
    _aware,
    _clean_long,
    _conference,
    _is_on_agenda,
    _item,
    _on_agenda,
    _question,
    _session,
    _squeezed,
    _target,
)
from bot.services.questions import Relay
from bot.services.staff import Actor, Permission
from models import (
    Account,
    Commitment,
    CommitmentStatus,
    Conference,
    ConferenceItem,
    Origin,
    Outcome,
    QuestionStatus,
    QuestionSupport,
    Resident,
    ResidentQuestion,
)
from models.base import insert_for


@dataclass(frozen=True)
class LiveState:
    session_id: int
    live: bool
    live_since: datetime | None
    ended_at: datetime | None
    current_question_id: int | None
    chair_name: str | None
    secretary_name: str | None


def _live_view(c: Conference) -> LiveState:
    return LiveState(
        c.session_id,
        c.live,
        c.live_since,
        c.ended_at,
        c.current_question_id,
        c.chair_name,
        c.secretary_name,
    )


async def live_state(db: AsyncSession, session_id: int) -> LiveState | None:
    """The session's conference state for anyone (a projector, a resident's chat)."""
    c = await db.get(Conference, session_id)
    return _live_view(c) if c else None


async def live_session_id(db: AsyncSession) -> int | None:
    """The session whose conference is live now (the first, if the office left two on)."""
    return await db.scalar(
        select(Conference.session_id)
        .where(Conference.live.is_(True))
        .order_by(Conference.live_since)
        .limit(1)
    )


async def set_live(
    db: AsyncSession, actor: Actor, session_id: int, live: bool, *, now: datetime
) -> LiveState:
    """The live switch (admins only)."""
    act = await staff.audited(
        db, actor, Permission.LIVE_SWITCH, "conference_live", f"session:{session_id}", now=now
    )
    c = await _conference(db, session_id, now)
    if c.live != live:
        c.live = live
        if live:
            c.live_since, c.ended_at = c.live_since or now, None
        else:
            c.ended_at = now
        c.updated_at = now
        await db.flush()
    await act.done(detail={"live": live})
    return _live_view(c)


async def set_chair_and_secretary(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    chair_name: str | None = None,
    chair_id: int | None = None,
    secretary_name: str | None = None,
    secretary_id: int | None = None,
    now: datetime,
) -> LiveState:
    """Who chairs and who takes the minutes; a staff id gives the name when none is typed."""
    act = await staff.audited(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        "conference_roles",
        f"session:{session_id}",
        now=now,
    )
    c = await _conference(db, session_id, now)
    for prefix, name, staff_id in (
        ("chair", chair_name, chair_id),
        ("secretary", secretary_name, secretary_id),
    ):
        member = await _active_staff(db, staff_id) if staff_id is not None else None
        typed = _squeezed(name, MAX_NAME)
        if member is not None or typed:
            setattr(c, f"{prefix}_id", member.id if member else None)
            setattr(c, f"{prefix}_name", typed or member.name)  # type: ignore[union-attr]
    c.updated_at = now
    await db.flush()
    await act.done()
    return _live_view(c)


async def _live_conference(db: AsyncSession, session_id: int, now: datetime) -> Conference:
    c = await _conference(db, session_id, now)
    if not c.live:
        raise ConferenceError(_("The conference is not live."))
    return c


async def support(
    db: AsyncSession, question_id: int, *, resident_id: str, account_id: int, now: datetime
) -> bool:
    """A resident supports a question on the agenda; True if this is their first support of it
    (a second is no change). Their own question counts as theirs already."""
    q = await _question(db, question_id)
    if not await _is_on_agenda(db, question_id):
        raise ConferenceError(_("This question is not on the conference agenda."))
    if q.resident_id == resident_id:
        return False
    insert = insert_for(db)
    result = await db.execute(
        insert(QuestionSupport)
        .values(question_id=q.id, resident_id=resident_id, account_id=account_id, created_at=now)
        .on_conflict_do_nothing(
            index_elements=[QuestionSupport.question_id, QuestionSupport.resident_id]
        )
    )
    return bool(result.rowcount)


async def support_by_code(
    db: AsyncSession, session_id: int, code: str, *, resident_id: str, account_id: int, now
) -> bool:
    """The same by the question's number as residents type it ("KN-26-0042", or "42")."""
    wanted = code.strip().upper()
    stmt = select(ResidentQuestion.id).where(
        ResidentQuestion.session_id == session_id, _on_agenda(session_id)
    )
    if wanted.isdigit():
        stmt = stmt.where(ResidentQuestion.code.endswith(f"-{int(wanted):04d}"))
    else:
        stmt = stmt.where(ResidentQuestion.code == wanted)
    found = (await db.execute(stmt.order_by(ResidentQuestion.id.desc()).limit(1))).scalar()
    if found is None:
        raise ConferenceError(_("No question with this number is on the conference agenda."))
    return await support(db, found, resident_id=resident_id, account_id=account_id, now=now)


async def file_from_hall(db: AsyncSession, **filing) -> questions.FiledQuestion:
    """A resident's question sent while the conference is live: filed as any question
    (`questions.file_question`'s arguments), tagged "from the hall" and put on the agenda."""
    await _live_conference(db, filing["session_id"], filing["now"])
    filed = await questions.file_question(db, **filing)
    q = await _question(db, filed.id)
    q.origin = Origin.HALL
    q.status = QuestionStatus.CONFERENCE
    await db.flush()
    return filed


async def _floor_account(db: AsyncSession, session_id: int, locale: str) -> Account:
    external_id = f"session:{session_id}"
    account = (
        await db.execute(
            select(Account).where(Account.channel == FLOOR, Account.external_id == external_id)
        )
    ).scalar_one_or_none()
    if account is None:
        resident = Resident(locale=locale)
        account = Account(resident=resident, channel=FLOOR, external_id=external_id)
        db.add_all([resident, account])
        await db.flush()
    return account


async def add_floor_question(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    field: str,
    text: str,
    speaker: str | None = None,
    language: str = "vi",
    zone=None,
    now: datetime,
) -> questions.FiledQuestion:
    """An opinion spoken or handed in on paper in the hall, typed in by the secretary; the
    speaker's name only if they gave it."""
    act = await staff.audited(
        db, actor, Permission.CONDUCT_CONFERENCE, "floor_question", f"session:{session_id}", now=now
    )
    await _session(db, session_id)
    cleaned = _clean_long(text, _("Please write the opinion as it was given."))
    name = _squeezed(speaker, MAX_NAME) or None
    account = await _floor_account(db, session_id, language)
    year = now.astimezone(zone or UTC).year
    code = questions.code_for(year, await questions.next_number(db, questions.CODE_PREFIX, year))
    q = ResidentQuestion(
        code=code,
        resident_id=account.resident_id,
        account_id=account.id,
        session_id=session_id,
        field=field.strip()[:16],
        text=cleaned,
        language=language,
        named=name is not None,
        contact_name=name,
        contact_phone=None,
        channel=FLOOR,
        status=QuestionStatus.CONFERENCE,
        origin=Origin.FLOOR,
        created_at=now,
        updated_at=now,
    )
    db.add(q)
    await db.flush()
    await act.done(target=_target(q))
    return questions.FiledQuestion(q.id, q.code)


async def pick_current(
    db: AsyncSession, actor: Actor, session_id: int, question_id: int | None, *, now: datetime
) -> LiveState:
    """The question on screen now (None: none)."""
    act = await staff.audited(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        "conference_current",
        f"session:{session_id}",
        now=now,
    )
    c = await _live_conference(db, session_id, now)
    if question_id is not None:
        q = await _question(db, question_id)
        if q.session_id != session_id or not await _is_on_agenda(db, q.id):
            raise ConferenceError(_("This question is not on the conference agenda."))
        (await _item(db, q)).shown_at = now
    c.current_question_id = question_id
    c.updated_at = now
    await db.flush()
    await act.done(detail={"question": question_id})
    return _live_view(c)


async def _for_hall(
    db: AsyncSession, actor: Actor, question_id: int, action: str, now: datetime
) -> tuple[staff.Audited, ResidentQuestion, ConferenceItem]:
    q = await _question(db, question_id)
    act = await staff.audited(db, actor, Permission.CONDUCT_CONFERENCE, action, _target(q), now=now)
    if not await _is_on_agenda(db, q.id):
        raise ConferenceError(_("This question is not on the conference agenda."))
    item = await _item(db, q)
    if item.outcome is not None:
        raise ConferenceError(_("This question was already dealt with at the conference."))
    if q.status in (QuestionStatus.ANSWERED, QuestionStatus.CLOSED):
        raise ConferenceError(_("This question is already answered."))
    return act, q, item


async def record_answer(
    db: AsyncSession,
    actor: Actor,
    question_id: int,
    *,
    answered_by: int,
    summary: str,
    now: datetime,
) -> Relay:
    """Who answered in the hall and the summary of the answer. Stored as the question's answer
    too; returns the `Relay` the notifier sends to the asker after commit
    (`Notifier.deliver`), once."""
    act, q, item = await _for_hall(db, actor, question_id, "conference_answer", now)
    answerer = await _active_staff(db, answered_by)
    cleaned = _clean_long(summary, _("Please write a summary of the answer."))
    item.outcome = Outcome.ANSWERED
    item.answered_by, item.summary, item.answered_at = answerer.id, cleaned, now
    q.answer_text, q.answered_at = cleaned, now
    q.answered_by, q.answered_role = answerer.id, answerer.role
    q.status = QuestionStatus.ANSWERED
    q.updated_at = now
    await db.flush()
    await act.done(detail={"answered_by": answerer.telegram_user_id})
    channel, external_id, locale = await questions._chat_of(db, q)
    return Relay(channel, external_id, locale, q.code, cleaned, q.field, answerer.role, q.id, True)


async def answer_later(
    db: AsyncSession,
    actor: Actor,
    question_id: int,
    *,
    owner_id: int,
    deadline: datetime,
    now: datetime,
) -> int:
    """ "Answered in writing later": a commitment with its owner and deadline (returns its id);
    the question is assigned to the owner."""
    act, q, item = await _for_hall(db, actor, question_id, "conference_later", now)
    owner = await _active_staff(db, owner_id)
    item.outcome = Outcome.LATER
    item.answered_at = now
    q.assigned_to = owner.id
    q.status = QuestionStatus.ASSIGNED
    q.updated_at = now
    commitment = Commitment(
        session_id=q.session_id,
        question_id=q.id,
        owner_id=owner.id,
        deadline=_aware(deadline),
        status=CommitmentStatus.OPEN,
        created_at=now,
    )
    db.add(commitment)
    await db.flush()
    await act.done(detail={"owner": owner.telegram_user_id, "commitment": commitment.id})
    return commitment.id
