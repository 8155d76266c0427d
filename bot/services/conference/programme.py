"""The agenda by field: what is on it, who answers each question, proposals, and the counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import staff
from bot.services.conference.common import (
    PAPER,
    ConferenceError,
    _active_staff,
    _default_answerers,
    _field_order,
    _is_on_agenda,
    _item,
    _on_agenda,
    _question,
    _session,
    _target,
)
from bot.services.staff import Actor, Permission, Role, StaffRef
from bot.survey.definition import QuestionType, Survey
from models import (
    Answer,
    ConferenceItem,
    Origin,
    QuestionStatus,
    QuestionSupport,
    ResidentQuestion,
    StaffMember,
    SurveyResponse,
)


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
    act = await staff.audited(
        db, actor, Permission.PREPARE_CONFERENCE, "conference_answerer", _target(q), now=now
    )
    if not await _is_on_agenda(db, q.id):
        raise ConferenceError(_("This question is not on the conference agenda."))
    chosen = await _active_staff(db, staff_id) if staff_id is not None else None
    item = await _item(db, q)
    item.answerer_id = chosen.id if chosen else None
    await db.flush()
    await act.done(detail={"staff": chosen.telegram_user_id if chosen else None})
    return chosen


async def mark_proposal(
    db: AsyncSession, actor: Actor, question_id: int, proposal: bool, *, now: datetime
) -> None:
    """Mark (or unmark) an opinion as a proposal to amend a regulation or procedure, for the
    report to the higher level (whoever may mark questions for the conference)."""
    q = await _question(db, question_id)
    act = await staff.audited(
        db, actor, Permission.MARK_CONFERENCE, "mark_proposal", _target(q), field=q.field, now=now
    )
    if q.status == QuestionStatus.RECLASSIFIED:
        raise ConferenceError(
            _("This question was taken out of the dialogue as a complaint or a report.")
        )
    q.proposal = proposal
    q.updated_at = now
    await db.flush()
    await act.done(detail={"proposal": proposal})
