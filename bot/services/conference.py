"""The dialogue conference itself (issue 15): the agenda by field and who answers what, the
delegates and their invitations, the live switch, residents' supports, questions from the hall
and from the floor, answers given in the hall or promised in writing, the chair's conclusions,
and the commitments that follow (models/conference.py).

Plain values and the database session in; nothing commits. Every staff function starts with
`staff.require` and audits what it did (or the refusal); see bot.services.staff.

Decisions:
- A question is on a session's agenda when it is marked for the conference, was asked on the
  day (hall or floor), or has an agenda row. Hidden and reclassified questions are not.
- Who answers: the row's answerer, else the first official holding the field (as added).
- A live answer is also stored as the question's answer (signed by the answerer's role), so
  the asker finds and rates it under "My questions"; it is returned as a `Relay` for the
  notifier to send after commit, exactly like an answer given in the chat.
- "Answered in writing later" opens a commitment (owner, deadline) and assigns the question to
  its owner. Closing it stores the result as the question's answer when it has none, and tells
  the asker and every supporter in their chat (outbox rows added in the caller's transaction,
  keyed so each is told once; `send_now` after commit sends them at once).
- Invitations and reminders go into the outbox the same way, to a delegate's Telegram chat
  (staff) or the chat account linked to them; a delegate with neither is listed for the office
  to call.
- Supports: one per resident and question (a unique constraint); a second is no change.
- Floor questions belong to one placeholder resident per session (channel "floor"), named only
  when the speaker gave a name; nobody is told anything on that channel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.i18n import _, use_locale
from bot.services import questions, staff
from bot.services.questions import Relay, clean_text, in_dialogue
from bot.services.staff import Actor, Permission, Role, StaffRef
from bot.survey.definition import QuestionType, Survey
from models import (
    Account,
    Answer,
    Commitment,
    CommitmentStatus,
    Conclusion,
    Conference,
    ConferenceItem,
    Delegate,
    DelegateGroup,
    DialogueSession,
    Origin,
    Outcome,
    QuestionStatus,
    QuestionSupport,
    Reply,
    Resident,
    ResidentQuestion,
    StaffMember,
    SurveyResponse,
)
from models.base import insert_for

FLOOR = "floor"  # the channel of questions typed in from the floor
PAPER = "paper"
MAX_TEXT = questions.MAX_TEXT
MAX_NAME = 120
MAX_POSITION = 200
TELEGRAM, ZALO = "telegram", "zalo"
SENDS_TO = (TELEGRAM, ZALO)  # channels a message can reach; the others read it in the app


class ConferenceError(Exception):
    """What was asked cannot be done as it is; `str()` says why in the current locale."""


# --- plain values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    question_id: int
    code: str
    field: str
    text: str  # "" when withheld from this reader (a possible complaint or denunciation)
    withheld: bool
    flagged: bool  # a possible complaint or denunciation: documents count it, never quote it
    origin: str | None  # None: sent before the day
    channel: str
    status: str
    supporters: int
    answerer_id: int | None
    answerer_name: str | None
    answerer_is_default: bool  # the field's official, not chosen by the office
    outcome: str | None  # Outcome
    summary: str | None
    answered_by_name: str | None
    answered_at: datetime | None
    proposal: bool
    speaker: str | None  # a floor question's speaker, when they gave a name
    created_at: datetime


@dataclass(frozen=True)
class FieldCounts:
    field: str
    questions: int
    supporters: int
    by_channel: dict[str, int]  # questions on the agenda by the channel they came from
    paper_opinions: int  # opinions written on paper survey forms of the field


@dataclass(frozen=True)
class Agenda:
    session_id: int
    entries: list[AgendaEntry]  # by field (survey order), then code
    counts: list[FieldCounts]  # the same fields, same order

    def of_field(self, field_id: str) -> list[AgendaEntry]:
        return [e for e in self.entries if e.field == field_id]


@dataclass(frozen=True)
class DelegateView:
    id: int
    session_id: int
    name: str
    group: str
    position: str | None
    staff_id: int | None
    account_id: int | None
    invited_at: datetime | None
    reminded_at: datetime | None
    reply: str | None
    replied_at: datetime | None
    attended: bool | None


@dataclass(frozen=True)
class LiveState:
    session_id: int
    live: bool
    live_since: datetime | None
    ended_at: datetime | None
    current_question_id: int | None
    chair_name: str | None
    secretary_name: str | None


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


def _clean_line(text: str | None, limit: int, what: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not cleaned:
        raise ConferenceError(what)
    if len(cleaned) > limit:
        raise ConferenceError(
            _("Please keep this to at most {limit} characters.").format(limit=limit)
        )
    return cleaned


def _clean_long(text: str | None, what: str) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise ConferenceError(what)
    if len(cleaned) > MAX_TEXT:
        raise ConferenceError(
            _("Please keep this to at most {limit} characters.").format(limit=MAX_TEXT)
        )
    return cleaned


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give deadlines in UTC with tzinfo")
    return moment.astimezone(UTC)


async def _session(db: AsyncSession, session_id: int) -> DialogueSession:
    found = await db.get(DialogueSession, session_id)
    if found is None:
        raise ConferenceError(_("This session was not found."))
    return found


async def _conference(db: AsyncSession, session_id: int, now: datetime) -> Conference:
    """The session's conference row, created on first use."""
    await _session(db, session_id)
    insert = insert_for(db)
    await db.execute(
        insert(Conference)
        .values(session_id=session_id, live=False, updated_at=now)
        .on_conflict_do_nothing(index_elements=[Conference.session_id])
    )
    return await db.get(Conference, session_id, populate_existing=True)


async def _question(db: AsyncSession, question_id: int) -> ResidentQuestion:
    q = await db.get(ResidentQuestion, question_id)
    if q is None:
        raise questions.QuestionNotFound()
    return q


async def _item(db: AsyncSession, q: ResidentQuestion) -> ConferenceItem:
    item = await db.get(ConferenceItem, q.id)
    if item is None:
        item = ConferenceItem(question_id=q.id, session_id=q.session_id)
        db.add(item)
        await db.flush()
    return item


async def _active_staff(db: AsyncSession, staff_id: int) -> StaffRef:
    found = await staff.get_active(db, staff_id)
    if found is None:
        raise ConferenceError(_("There is no active staff member with this id."))
    return found


def _on_agenda(session_id: int):
    q = ResidentQuestion
    row = aliased(ConferenceItem)  # the query may join the agenda rows itself
    has_item = exists().where(row.question_id == q.id)
    return and_(
        q.session_id == session_id,
        in_dialogue(),
        q.hidden.is_(False),
        or_(q.status == QuestionStatus.CONFERENCE, q.origin.is_not(None), has_item),
    )


async def _is_on_agenda(db: AsyncSession, question_id: int) -> bool:
    q = await db.get(ResidentQuestion, question_id)
    if q is None:
        return False
    stmt = select(ResidentQuestion.id).where(
        ResidentQuestion.id == question_id, _on_agenda(q.session_id)
    )
    return await db.scalar(stmt) is not None


def _target(q: ResidentQuestion) -> str:
    return f"question:{q.code}"


async def _default_answerers(db: AsyncSession) -> dict[str, StaffRef]:
    """{field: the first active official holding it, as added}."""
    found: dict[str, StaffRef] = {}
    for person in await staff._active(db, Role.OFFICIAL):
        for field_id in person.fields:
            found.setdefault(field_id, person)
    return found


def _field_order(survey: Survey | None, fields: Iterable[str]) -> list[str]:
    order = {f.id: i for i, f in enumerate(survey.fields)} if survey else {}
    return sorted(set(fields), key=lambda f: (order.get(f, len(order)), f))


# --- the agenda -------------------------------------------------------------------------------


async def agenda(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    survey: Survey | None = None,
    field: str | None = None,
    answerer_id: int | None = None,
    now: datetime,
) -> Agenda:
    """The session's conference agenda by field: each question with its supporters, who is to
    answer and what happened in the hall; and per field the counts by channel and the opinions
    written on paper forms. Officials see their own fields and the questions the office made
    them the answerer of; `answerer_id` keeps the questions that person is to answer (an
    official's list in advance)."""
    by = await staff.require(
        db, actor, Permission.VIEW_QUESTIONS, field=field, now=now, action="conference_agenda"
    )
    await _session(db, session_id)
    q = ResidentQuestion
    supports = (
        select(QuestionSupport.question_id, func.count(QuestionSupport.id).label("n"))
        .group_by(QuestionSupport.question_id)
        .subquery()
    )
    answered_by = select(StaffMember.name).where(StaffMember.id == ConferenceItem.answered_by)
    stmt = (
        select(
            q.id,
            q.code,
            q.field,
            q.text,
            q.complaint_flag,
            q.origin,
            q.channel,
            q.status,
            q.proposal,
            q.named,
            q.contact_name,
            q.created_at,
            func.coalesce(supports.c.n, 0).label("supporters"),
            ConferenceItem.answerer_id,
            ConferenceItem.outcome,
            ConferenceItem.summary,
            ConferenceItem.answered_at,
            answered_by.scalar_subquery().label("answered_by_name"),
        )
        .outerjoin(supports, supports.c.question_id == q.id)
        .outerjoin(ConferenceItem, ConferenceItem.question_id == q.id)
        .where(_on_agenda(session_id))
        .order_by(q.field, q.code)
    )
    if field is not None:
        stmt = stmt.where(q.field == field)
    elif by.role == Role.OFFICIAL:
        # Their fields, and whatever the office asked them to answer outside them.
        stmt = stmt.where(or_(q.field.in_(by.fields), ConferenceItem.answerer_id == by.id))
    defaults = await _default_answerers(db)
    names = dict((await db.execute(select(StaffMember.id, StaffMember.name))).all())
    reads_flagged = staff.allows(by, Permission.VIEW_HIDDEN)
    entries = []
    for row in (await db.execute(stmt)).all():
        default = defaults.get(row.field)
        chosen = row.answerer_id
        answerer = chosen if chosen is not None else (default.id if default else None)
        if answerer_id is not None and answerer != answerer_id:
            continue
        withheld = bool(row.complaint_flag) and not reads_flagged
        entries.append(
            AgendaEntry(
                question_id=row.id,
                code=row.code,
                field=row.field,
                text="" if withheld else row.text,
                withheld=withheld,
                flagged=bool(row.complaint_flag),
                origin=row.origin,
                channel=row.channel,
                status=row.status,
                supporters=int(row.supporters),
                answerer_id=answerer,
                answerer_name=names.get(answerer) if answerer is not None else None,
                answerer_is_default=chosen is None,
                outcome=row.outcome,
                summary=row.summary,
                answered_by_name=row.answered_by_name,
                answered_at=row.answered_at,
                proposal=bool(row.proposal),
                speaker=row.contact_name if row.origin == Origin.FLOOR and row.named else None,
                created_at=row.created_at,
            )
        )
    order = {f: i for i, f in enumerate(_field_order(survey, {e.field for e in entries}))}
    entries.sort(key=lambda e: (order[e.field], e.code))
    counts = await _field_counts(db, session_id, survey, [e.field for e in entries], field)
    await staff.record_action(
        db,
        by,
        "conference_agenda",
        now=now,
        target=f"session:{session_id}",
        detail={k: v for k, v in {"field": field, "answerer": answerer_id}.items() if v},
    )
    return Agenda(session_id, entries, counts)


async def answer_counts(db: AsyncSession, session_id: int) -> dict[int, int]:
    """{staff id: how many questions of the session's agenda they are to answer} (the one the
    office chose, else the field's official, as `agenda` says). No reader: what the scheduler
    tells each answerer the day before; nothing of the questions leaves here."""
    q = ResidentQuestion
    stmt = (
        select(q.field, ConferenceItem.answerer_id, func.count(q.id))
        .outerjoin(ConferenceItem, ConferenceItem.question_id == q.id)
        .where(_on_agenda(session_id))
        .group_by(q.field, ConferenceItem.answerer_id)
    )
    defaults = await _default_answerers(db)
    counts: dict[int, int] = {}
    for field_id, chosen, n in (await db.execute(stmt)).all():
        default = defaults.get(field_id)
        answerer = chosen if chosen is not None else (default.id if default else None)
        if answerer is not None:
            counts[answerer] = counts.get(answerer, 0) + int(n)
    return counts


async def _field_counts(
    db: AsyncSession,
    session_id: int,
    survey: Survey | None,
    fields_seen: list[str],
    only_field: str | None,
) -> list[FieldCounts]:
    """Counted in SQL: agenda questions by field and channel, their supports, and the
    opinions of paper forms (text answers of submitted paper responses) by field."""
    q = ResidentQuestion
    by_channel = (
        select(q.field, q.channel, func.count(q.id)).where(_on_agenda(session_id))
    ).group_by(q.field, q.channel)
    supports = (
        select(q.field, func.count(QuestionSupport.id))
        .join(QuestionSupport, QuestionSupport.question_id == q.id)
        .where(_on_agenda(session_id))
        .group_by(q.field)
    )
    text_codes = [x.code for x in survey.questions if x.type is QuestionType.TEXT] if survey else []
    paper: dict[str, int] = {}
    if text_codes:
        stmt = (
            select(SurveyResponse.field, func.count(func.distinct(SurveyResponse.id)))
            .join(Answer, Answer.response_id == SurveyResponse.id)
            .where(
                SurveyResponse.session_id == session_id,
                SurveyResponse.channel == PAPER,
                SurveyResponse.status == "submitted",
                Answer.question.in_(text_codes),
                Answer.value.is_not(None),
                Answer.value != "",
            )
            .group_by(SurveyResponse.field)
        )
        paper = {f: int(n) for f, n in (await db.execute(stmt)).all() if f}
    channels: dict[str, dict[str, int]] = {}
    for field_id, channel, n in (await db.execute(by_channel)).all():
        channels.setdefault(field_id, {})[channel] = int(n)
    supported = {f: int(n) for f, n in (await db.execute(supports)).all()}
    fields = set(channels) | set(paper) | set(fields_seen)
    if only_field is not None:
        fields &= {only_field}
    else:
        fields &= set(fields_seen) | set(paper)
    return [
        FieldCounts(
            field=f,
            questions=sum(channels.get(f, {}).values()),
            supporters=supported.get(f, 0),
            by_channel=channels.get(f, {}),
            paper_opinions=paper.get(f, 0),
        )
        for f in _field_order(survey, fields)
    ]


async def set_answerer(
    db: AsyncSession, actor: Actor, question_id: int, staff_id: int | None, *, now: datetime
) -> StaffRef | None:
    """Who answers this question at the conference (the office); None: the field's official
    again. Returns the person chosen."""
    q = await _question(db, question_id)
    by = await staff.require(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        now=now,
        action="conference_answerer",
        target=_target(q),
    )
    if not await _is_on_agenda(db, q.id):
        raise ConferenceError(_("This question is not on the conference agenda."))
    chosen = await _active_staff(db, staff_id) if staff_id is not None else None
    item = await _item(db, q)
    item.answerer_id = chosen.id if chosen else None
    await db.flush()
    await staff.record_action(
        db,
        by,
        "conference_answerer",
        now=now,
        target=_target(q),
        detail={"staff": chosen.telegram_user_id if chosen else None},
    )
    return chosen


async def mark_proposal(
    db: AsyncSession, actor: Actor, question_id: int, proposal: bool, *, now: datetime
) -> None:
    """Mark (or unmark) an opinion as a proposal to amend a regulation or procedure, for the
    report to the higher level (whoever may mark questions for the conference)."""
    q = await _question(db, question_id)
    by = await staff.require(
        db,
        actor,
        Permission.MARK_CONFERENCE,
        field=q.field,
        now=now,
        action="mark_proposal",
        target=_target(q),
    )
    if q.status == QuestionStatus.RECLASSIFIED:
        raise ConferenceError(
            _("This question was taken out of the dialogue as a complaint or a report.")
        )
    q.proposal = proposal
    q.updated_at = now
    await db.flush()
    await staff.record_action(
        db, by, "mark_proposal", now=now, target=_target(q), detail={"proposal": proposal}
    )


# --- delegates --------------------------------------------------------------------------------


def _delegate_view(d: Delegate) -> DelegateView:
    return DelegateView(
        d.id,
        d.session_id,
        d.name,
        d.delegate_group,
        d.position,
        d.staff_id,
        d.account_id,
        d.invited_at,
        d.reminded_at,
        d.reply,
        d.replied_at,
        d.attended,
    )


def _clean_group(group: str) -> str:
    try:
        return DelegateGroup(str(group).strip().lower()).value
    except ValueError:
        raise ConferenceError(
            _("Unknown group. Choose one of: {groups}.").format(groups=", ".join(DelegateGroup))
        ) from None


async def _check_links(db: AsyncSession, staff_id: int | None, account_id: int | None) -> None:
    if staff_id is not None:
        await _active_staff(db, staff_id)
    if account_id is not None and await db.get(Account, account_id) is None:
        raise ConferenceError(_("This chat account was not found."))


async def add_delegate(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    name: str,
    group: str,
    position: str | None = None,
    staff_id: int | None = None,
    account_id: int | None = None,
    now: datetime,
) -> DelegateView:
    by = await staff.require(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        now=now,
        action="delegate_add",
        target=f"session:{session_id}",
    )
    await _session(db, session_id)
    await _check_links(db, staff_id, account_id)
    delegate = Delegate(
        session_id=session_id,
        name=_clean_line(name, MAX_NAME, _("Please give the delegate's name.")),
        delegate_group=_clean_group(group),
        position=" ".join((position or "").split())[:MAX_POSITION] or None,
        staff_id=staff_id,
        account_id=account_id,
        created_at=now,
    )
    db.add(delegate)
    await db.flush()
    await staff.record_action(
        db,
        by,
        "delegate_add",
        now=now,
        target=f"delegate:{delegate.id}",
        detail={"group": delegate.delegate_group},
    )
    return _delegate_view(delegate)


async def _delegate(db: AsyncSession, delegate_id: int) -> Delegate:
    found = await db.get(Delegate, delegate_id)
    if found is None:
        raise ConferenceError(_("This delegate was not found."))
    return found


_UNSET = object()


async def change_delegate(
    db: AsyncSession,
    actor: Actor,
    delegate_id: int,
    *,
    name: str | None = None,
    group: str | None = None,
    position: str | object | None = _UNSET,
    staff_id: int | object | None = _UNSET,
    account_id: int | object | None = _UNSET,
    now: datetime,
) -> DelegateView:
    """Change what is given (a None link or position clears it)."""
    by = await staff.require(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        now=now,
        action="delegate_change",
        target=f"delegate:{delegate_id}",
    )
    d = await _delegate(db, delegate_id)
    if name is not None:
        d.name = _clean_line(name, MAX_NAME, _("Please give the delegate's name."))
    if group is not None:
        d.delegate_group = _clean_group(group)
    if position is not _UNSET:
        d.position = " ".join((position or "").split())[:MAX_POSITION] or None  # type: ignore[union-attr]
    new_staff = d.staff_id if staff_id is _UNSET else staff_id
    new_account = d.account_id if account_id is _UNSET else account_id
    await _check_links(
        db,
        new_staff if new_staff != d.staff_id else None,  # type: ignore[arg-type]
        new_account if new_account != d.account_id else None,  # type: ignore[arg-type]
    )
    d.staff_id, d.account_id = new_staff, new_account  # type: ignore[assignment]
    await db.flush()
    await staff.record_action(db, by, "delegate_change", now=now, target=f"delegate:{d.id}")
    return _delegate_view(d)


async def remove_delegate(db: AsyncSession, actor: Actor, delegate_id: int, *, now: datetime):
    by = await staff.require(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        now=now,
        action="delegate_remove",
        target=f"delegate:{delegate_id}",
    )
    d = await _delegate(db, delegate_id)
    await db.delete(d)
    await db.flush()
    await staff.record_action(db, by, "delegate_remove", now=now, target=f"delegate:{delegate_id}")


async def delegates(
    db: AsyncSession, actor: Actor, session_id: int, *, now: datetime
) -> list[DelegateView]:
    """The session's delegates by group (the plan's order), then name."""
    by = await staff.require(
        db,
        actor,
        Permission.VIEW_QUESTIONS,
        now=now,
        action="delegate_list",
        target=f"session:{session_id}",
    )
    found = await _delegates_of(db, session_id)
    await staff.record_action(db, by, "delegate_list", now=now, target=f"session:{session_id}")
    return found


async def _delegates_of(db: AsyncSession, session_id: int) -> list[DelegateView]:
    order = {g.value: i for i, g in enumerate(DelegateGroup)}
    rows = (await db.execute(select(Delegate).where(Delegate.session_id == session_id))).scalars()
    return sorted(
        (_delegate_view(d) for d in rows), key=lambda d: (order.get(d.group, 99), d.name, d.id)
    )


async def set_reply(
    db: AsyncSession, actor: Actor, delegate_id: int, coming: bool, *, now: datetime
) -> DelegateView:
    """The office records a delegate's reply (by phone, in person)."""
    by = await staff.require(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        now=now,
        action="delegate_reply",
        target=f"delegate:{delegate_id}",
    )
    d = await _delegate(db, delegate_id)
    d.reply = Reply.COMING if coming else Reply.NOT_COMING
    d.replied_at = now
    await db.flush()
    await staff.record_action(
        db, by, "delegate_reply", now=now, target=f"delegate:{d.id}", detail={"coming": coming}
    )
    return _delegate_view(d)


async def reply_from_chat(
    db: AsyncSession,
    session_id: int | None,
    channel: str,
    external_id: str,
    coming: bool,
    *,
    now: datetime,
) -> DelegateView | None:
    """A delegate replies in their own chat (a staff member on Telegram, or the chat account
    linked to them). None: this chat is not a delegate of the session. `session_id` None (a
    reply typed on a text channel): the session whose invitation reached this chat last."""
    account_ids = select(Account.id).where(
        Account.channel == channel, Account.external_id == external_id
    )
    links = [Delegate.account_id.in_(account_ids)]
    if channel == TELEGRAM and external_id.lstrip("-").isdigit():
        staff_ids = select(StaffMember.id).where(StaffMember.telegram_user_id == int(external_id))
        links.append(Delegate.staff_id.in_(staff_ids))
    stmt = select(Delegate).where(or_(*links))
    if session_id is None:
        stmt = stmt.where(Delegate.invited_at.is_not(None)).order_by(
            Delegate.invited_at.desc(), Delegate.id.desc()
        )
    else:
        stmt = stmt.where(Delegate.session_id == session_id).order_by(Delegate.id)
    d = (await db.execute(stmt.limit(1))).scalar_one_or_none()
    if d is None:
        return None
    d.reply = Reply.COMING if coming else Reply.NOT_COMING
    d.replied_at = now
    await db.flush()
    return _delegate_view(d)


async def set_attendance(
    db: AsyncSession, actor: Actor, delegate_id: int, attended: bool, *, now: datetime
) -> DelegateView:
    """Present or absent on the day (the secretary or the office)."""
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="delegate_attendance",
        target=f"delegate:{delegate_id}",
    )
    d = await _delegate(db, delegate_id)
    d.attended = attended
    await db.flush()
    await staff.record_action(
        db,
        by,
        "delegate_attendance",
        now=now,
        target=f"delegate:{d.id}",
        detail={"attended": attended},
    )
    return _delegate_view(d)


async def _delegate_chat(db: AsyncSession, d: Delegate, locale: str) -> Recipient | None:
    if d.account_id is not None:
        row = (
            await db.execute(
                select(Account.channel, Account.external_id, Account.resident_id, Resident.locale)
                .join(Resident, Resident.id == Account.resident_id)
                .where(Account.id == d.account_id, Account.unreachable_at.is_(None))
            )
        ).one_or_none()
        if row is not None and row.channel in SENDS_TO:
            return Recipient(row.channel, row.external_id, row.locale, row.resident_id)
    if d.staff_id is not None:
        member = await staff.get_active(db, d.staff_id)
        if member is not None:
            return Recipient(TELEGRAM, str(member.telegram_user_id), locale)
    return None


REPLY_CALLBACK = "dr"  # Telegram: "dr:<session>:<1 coming | 0 not>" (handlers/delegates.py)


def _with_reply(text: str, chat: Recipient, session_id: int) -> Message:
    """An invitation or reminder with the delegate's way to answer it: two buttons on
    Telegram, the words to type on the text channels."""
    with use_locale(chat.locale):
        if chat.channel == TELEGRAM:
            return Message(
                text,
                buttons=[
                    [
                        (_("✅ I will attend"), f"{REPLY_CALLBACK}:{session_id}:1"),
                        (_("✖ I will not attend"), f"{REPLY_CALLBACK}:{session_id}:0"),
                    ]
                ],
            )
        return Message(
            text + "\n\n" + _('Reply "có dự" if you will attend, or "không dự" if you will not.')
        )


def _when(session: DialogueSession, zone) -> str:
    if session.starts_at is None:
        return _("date to be announced")
    return session.starts_at.astimezone(zone).strftime("%H:%M %d/%m/%Y")


async def invite(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    reminder: bool = False,
    locale: str = "vi",
    zone=UTC,
    now: datetime,
) -> Queued:
    """Invitations (or, with `reminder`, reminders) to the session's delegates on their chat,
    queued in the outbox in this transaction. An invitation goes once to each delegate; a
    reminder once a day to those who have not declined."""
    by = await staff.require(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        now=now,
        action="delegate_remind" if reminder else "delegate_invite",
        target=f"session:{session_id}",
    )
    session = await _session(db, session_id)
    stmt = select(Delegate).where(Delegate.session_id == session_id).order_by(Delegate.id)
    queued = Queued()
    rows = []
    for d in (await db.execute(stmt)).scalars():
        if reminder and d.reply == Reply.NOT_COMING:
            continue
        chat = await _delegate_chat(db, d, locale)
        if chat is None:
            queued.unreachable.append(d.name)
            continue
        with use_locale(chat.locale):
            if reminder:
                text = _(
                    'Reminder: the dialogue conference "{title}" is at {when}, {place}. '
                    "Please let the ward office know if you cannot attend."
                )
            else:
                text = _(
                    "Dear {name}, the Ward People's Committee invites you to the dialogue "
                    'conference "{title}" at {when}, {place}. Please let the ward office know '
                    "whether you will attend."
                )
            text = text.format(
                name=d.name,
                title=session.title,
                when=_when(session, zone),
                place=session.place or _("the ward headquarters"),
            )
        day = now.astimezone(zone).date().isoformat()
        key = f"delegate:{'remind' if reminder else 'invite'}:{d.id}" + (
            f":{day}" if reminder else ""
        )
        rows.append((chat, _with_reply(text, chat, session_id), key))
        if reminder:
            d.reminded_at = now
        elif d.invited_at is None:
            d.invited_at = now
    if rows:
        await outbox.add_many(db, rows)
        queued.keys.extend(key for _c, _m, key in rows)
    await db.flush()
    await staff.record_action(
        db,
        by,
        "delegate_remind" if reminder else "delegate_invite",
        now=now,
        target=f"session:{session_id}",
        detail={"queued": len(rows), "unreachable": len(queued.unreachable)},
    )
    return queued


# --- live -------------------------------------------------------------------------------------


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
    by = await staff.require(
        db,
        actor,
        Permission.LIVE_SWITCH,
        now=now,
        action="conference_live",
        target=f"session:{session_id}",
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
    await staff.record_action(
        db, by, "conference_live", now=now, target=f"session:{session_id}", detail={"live": live}
    )
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
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="conference_roles",
        target=f"session:{session_id}",
    )
    c = await _conference(db, session_id, now)
    for prefix, name, staff_id in (
        ("chair", chair_name, chair_id),
        ("secretary", secretary_name, secretary_id),
    ):
        member = await _active_staff(db, staff_id) if staff_id is not None else None
        typed = " ".join((name or "").split())[:MAX_NAME]
        if member is not None or typed:
            setattr(c, f"{prefix}_id", member.id if member else None)
            setattr(c, f"{prefix}_name", typed or member.name)  # type: ignore[union-attr]
    c.updated_at = now
    await db.flush()
    await staff.record_action(db, by, "conference_roles", now=now, target=f"session:{session_id}")
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
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="floor_question",
        target=f"session:{session_id}",
    )
    await _session(db, session_id)
    cleaned = _clean_long(text, _("Please write the opinion as it was given."))
    name = " ".join((speaker or "").split())[:MAX_NAME] or None
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
    await staff.record_action(db, by, "floor_question", now=now, target=_target(q))
    return questions.FiledQuestion(q.id, q.code)


async def pick_current(
    db: AsyncSession, actor: Actor, session_id: int, question_id: int | None, *, now: datetime
) -> LiveState:
    """The question on screen now (None: none)."""
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="conference_current",
        target=f"session:{session_id}",
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
    await staff.record_action(
        db,
        by,
        "conference_current",
        now=now,
        target=f"session:{session_id}",
        detail={"question": question_id},
    )
    return _live_view(c)


async def _for_hall(
    db: AsyncSession, actor: Actor, question_id: int, action: str, now: datetime
) -> tuple[StaffRef, ResidentQuestion, ConferenceItem]:
    q = await _question(db, question_id)
    by = await staff.require(
        db, actor, Permission.CONDUCT_CONFERENCE, now=now, action=action, target=_target(q)
    )
    if not await _is_on_agenda(db, q.id):
        raise ConferenceError(_("This question is not on the conference agenda."))
    item = await _item(db, q)
    if item.outcome is not None:
        raise ConferenceError(_("This question was already dealt with at the conference."))
    if q.status in (QuestionStatus.ANSWERED, QuestionStatus.CLOSED):
        raise ConferenceError(_("This question is already answered."))
    return by, q, item


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
    by, q, item = await _for_hall(db, actor, question_id, "conference_answer", now)
    answerer = await _active_staff(db, answered_by)
    cleaned = _clean_long(summary, _("Please write a summary of the answer."))
    item.outcome = Outcome.ANSWERED
    item.answered_by, item.summary, item.answered_at = answerer.id, cleaned, now
    q.answer_text, q.answered_at = cleaned, now
    q.answered_by, q.answered_role = answerer.id, answerer.role
    q.status = QuestionStatus.ANSWERED
    q.updated_at = now
    await db.flush()
    await staff.record_action(
        db,
        by,
        "conference_answer",
        now=now,
        target=_target(q),
        detail={"answered_by": answerer.telegram_user_id},
    )
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
    by, q, item = await _for_hall(db, actor, question_id, "conference_later", now)
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
    await staff.record_action(
        db,
        by,
        "conference_later",
        now=now,
        target=_target(q),
        detail={"owner": owner.telegram_user_id, "commitment": commitment.id},
    )
    return commitment.id


# --- conclusions and commitments ----------------------------------------------------------------


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
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="conference_conclusion",
        target=f"session:{session_id}",
    )
    await _session(db, session_id)
    if (owner_id is None) != (deadline is None):
        raise ConferenceError(_("A task needs both an owner and a deadline."))
    conclusion = Conclusion(
        session_id=session_id,
        text=_clean_long(text, _("Please write the conclusion.")),
        created_by=by.id,
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
    await staff.record_action(
        db,
        by,
        "conference_conclusion",
        now=now,
        target=f"conclusion:{conclusion.id}",
        detail={"task": owner_id is not None},
    )
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


# --- the hall's screen -------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardItem:
    question_id: int
    code: str
    field: str
    text: str
    origin: str | None
    supporters: int


@dataclass(frozen=True)
class Board:
    """What a projector shows: never a resident's name, never a possible complaint."""

    session_id: int
    live: bool
    current: BoardItem | None
    waiting: list[BoardItem]  # not yet dealt with: most supported first, then oldest
    questions: int  # on the agenda
    supports: int
    responses_since_live: int  # survey responses submitted since the conference went live


async def board(db: AsyncSession, session_id: int, *, limit: int = 20) -> Board:
    """The live view of the hall (no staff check: the projector's link token is checked by
    its page), counted in SQL."""
    c = await db.get(Conference, session_id)
    q = ResidentQuestion
    supports = (
        select(func.count(QuestionSupport.id))
        .where(QuestionSupport.question_id == q.id)
        .correlate(q)
        .scalar_subquery()
    )
    done = select(ConferenceItem.question_id).where(
        ConferenceItem.session_id == session_id, ConferenceItem.outcome.is_not(None)
    )
    shown = and_(_on_agenda(session_id), q.complaint_flag.is_(False))
    columns = (q.id, q.code, q.field, q.text, q.origin, supports.label("supporters"))

    def item(row) -> BoardItem:
        return BoardItem(row.id, row.code, row.field, row.text, row.origin, int(row.supporters))

    current = None
    if c is not None and c.current_question_id is not None:
        row = (
            await db.execute(select(*columns).where(shown, q.id == c.current_question_id))
        ).one_or_none()
        current = item(row) if row else None
    waiting_stmt = (
        select(*columns)
        .where(shown, q.id.not_in(done))
        .order_by(supports.desc(), q.created_at, q.id)
        .limit(limit)
    )
    waiting = [
        item(r)
        for r in (await db.execute(waiting_stmt)).all()
        if current is None or r.id != current.question_id
    ]
    totals = (
        await db.execute(
            select(func.count(q.id), func.coalesce(func.sum(supports), 0)).where(
                _on_agenda(session_id)
            )
        )
    ).one()
    responses = 0
    if c is not None and c.live_since is not None:
        responses = await db.scalar(
            select(func.count(SurveyResponse.id)).where(
                SurveyResponse.session_id == session_id,
                SurveyResponse.status == "submitted",
                SurveyResponse.submitted_at >= c.live_since,
            )
        )
    return Board(
        session_id,
        bool(c and c.live),
        current,
        waiting,
        int(totals[0]),
        int(totals[1]),
        int(responses or 0),
    )


# --- what the documents read ------------------------------------------------------------------


@dataclass(frozen=True)
class GroupAttendance:
    group: str
    invited: int
    present: int
    names: list[str]  # the delegates present (or coming, when attendance was not taken)


@dataclass(frozen=True)
class Minutes:
    session_id: int
    title: str
    starts_at: datetime | None
    ended_at: datetime | None
    place: str | None
    programme: str | None
    chair_name: str | None
    secretary_name: str | None
    attendance: list[GroupAttendance]
    satisfaction: list  # figures.ItemFigure per field
    responses: int
    entries: list[AgendaEntry]  # every opinion quoted (not the possible complaints)
    withheld: int  # possible complaints or denunciations: counted, never quoted
    later: list[CommitmentView]
    conclusions: list[ConclusionView]
    generated_at: datetime


async def minutes(
    db: AsyncSession, actor: Actor, session_id: int, survey: Survey, *, now: datetime
) -> Minutes:
    """What the minutes print (the secretary, the office, leaders: EXPORT)."""
    from bot.services import figures  # figures imports questions; kept out of import time

    by = await staff.require(
        db,
        actor,
        Permission.EXPORT,
        now=now,
        action="conference_minutes",
        target=f"session:{session_id}",
    )
    session = await _session(db, session_id)
    c = await db.get(Conference, session_id)
    everything = await agenda(db, by, session_id, survey=survey, now=now)
    quoted = [e for e in everything.entries if not e.flagged]
    attendance = _attendance(await _delegates_of(db, session_id))
    responses = await db.scalar(
        select(func.count(SurveyResponse.id)).where(
            SurveyResponse.session_id == session_id, SurveyResponse.status == "submitted"
        )
    )
    later = [
        v
        for v in await _commitment_views(db, session_id=session_id, now=now)
        if v.question_id is not None
    ]
    result = Minutes(
        session_id=session_id,
        title=session.title,
        starts_at=(c.live_since if c and c.live_since else session.starts_at),
        ended_at=c.ended_at if c else None,
        place=session.place,
        programme=session.agenda,
        chair_name=c.chair_name if c else None,
        secretary_name=c.secretary_name if c else None,
        attendance=attendance,
        satisfaction=await figures.field_figures(db, survey, session_id),
        responses=int(responses or 0),
        entries=quoted,
        withheld=sum(1 for e in everything.entries if e.flagged),
        later=later,
        conclusions=await conclusions(db, session_id, now=now),
        generated_at=now,
    )
    await staff.record_action(db, by, "conference_minutes", now=now, target=f"session:{session_id}")
    return result


def _attendance(found: list[DelegateView]) -> list[GroupAttendance]:
    groups = []
    for group in DelegateGroup:
        mine = [d for d in found if d.group == group]
        if not mine:
            continue
        taken = any(d.attended is not None for d in mine)
        present = [d for d in mine if (d.attended if taken else d.reply == Reply.COMING)]
        groups.append(
            GroupAttendance(group.value, len(mine), len(present), [d.name for d in present])
        )
    return groups


@dataclass(frozen=True)
class ProposalRow:
    code: str
    field: str
    text: str
    channel: str
    origin: str | None
    supporters: int
    answer: str | None
    created_at: datetime


@dataclass(frozen=True)
class Proposals:
    session_id: int
    title: str
    counts: list[tuple[str, int]]  # (field, proposals), survey order
    rows: list[ProposalRow]  # by field, then code; possible complaints left out
    withheld: int  # marked, but possibly a complaint or denunciation: counted only
    generated_at: datetime


async def proposals(
    db: AsyncSession, actor: Actor, session_id: int, survey: Survey, *, now: datetime
) -> Proposals:
    """The opinions marked as proposals to amend a regulation or procedure, by field."""
    by = await staff.require(
        db,
        actor,
        Permission.EXPORT,
        now=now,
        action="conference_proposals",
        target=f"session:{session_id}",
    )
    session = await _session(db, session_id)
    q = ResidentQuestion
    supports = (
        select(func.count(QuestionSupport.id))
        .where(QuestionSupport.question_id == q.id)
        .correlate(q)
        .scalar_subquery()
    )
    base = and_(
        q.session_id == session_id, q.proposal.is_(True), in_dialogue(), q.hidden.is_(False)
    )
    counts = dict(
        (await db.execute(select(q.field, func.count(q.id)).where(base).group_by(q.field))).all()
    )
    withheld = await db.scalar(select(func.count(q.id)).where(base, q.complaint_flag.is_(True)))
    stmt = (
        select(
            q.code,
            q.field,
            q.text,
            q.channel,
            q.origin,
            supports.label("supporters"),
            q.answer_text,
            q.created_at,
        )
        .where(base, q.complaint_flag.is_(False))
        .order_by(q.field, q.code)
    )
    rows = [
        ProposalRow(
            r.code,
            r.field,
            r.text,
            r.channel,
            r.origin,
            int(r.supporters or 0),
            r.answer_text,
            r.created_at,
        )
        for r in (await db.execute(stmt)).all()
    ]
    order = {f: i for i, f in enumerate(_field_order(survey, counts))}
    rows.sort(key=lambda r: (order.get(r.field, 0), r.code))
    await staff.record_action(
        db, by, "conference_proposals", now=now, target=f"session:{session_id}"
    )
    return Proposals(
        session_id,
        session.title,
        [(f, int(counts[f])) for f in _field_order(survey, counts)],
        rows,
        int(withheld or 0),
        now,
    )


# Used by the scheduler's morning digest (scheduler/digests.py).
async def open_commitments(db: AsyncSession, now: datetime) -> list[CommitmentView]:
    """Every open commitment, soonest deadline first."""
    return await _commitment_views(db, status=CommitmentStatus.OPEN, now=now)


__all__ = [
    "Agenda",
    "AgendaEntry",
    "CommitmentView",
    "ConferenceError",
    "DelegateView",
    "FieldCounts",
    "LiveState",
    "Minutes",
    "Proposals",
    "Queued",
]
