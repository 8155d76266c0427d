"""What the minutes and the other documents read: attendance, proposals, open commitments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import staff
from bot.services.conference.common import (
    _field_order,
    _responses,
    _session,
    _supporters,
)
from bot.services.conference.followup import (
    CommitmentView,
    ConclusionView,
    _commitment_views,
    conclusions,
)
from bot.services.conference.programme import AgendaEntry, agenda
from bot.services.conference.roster import DelegateView, _delegates_of
from bot.services.questions import in_dialogue
from bot.services.staff import Actor, Permission
from bot.survey.definition import Survey
from models import (
    CommitmentStatus,
    Conference,
    DelegateGroup,
    Reply,
    ResidentQuestion,
)


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

    act = await staff.audited(
        db, actor, Permission.EXPORT, "conference_minutes", f"session:{session_id}", now=now
    )
    session = await _session(db, session_id)
    c = await db.get(Conference, session_id)
    everything = await agenda(db, act.by, session_id, survey=survey, now=now)
    quoted = [e for e in everything.entries if not e.flagged]
    attendance = _attendance(await _delegates_of(db, session_id))
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
        responses=await _responses(db, session_id),
        entries=quoted,
        withheld=sum(1 for e in everything.entries if e.flagged),
        later=later,
        conclusions=await conclusions(db, session_id, now=now),
        generated_at=now,
    )
    await act.done()
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
    act = await staff.audited(
        db, actor, Permission.EXPORT, "conference_proposals", f"session:{session_id}", now=now
    )
    session = await _session(db, session_id)
    q = ResidentQuestion
    supports = _supporters(q)
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
    await act.done()
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
