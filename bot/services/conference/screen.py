"""What the hall's screen (the projector) shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.conference.common import _on_agenda, _responses, _supporters
from models import (
    Conference,
    ConferenceItem,
    ResidentQuestion,
)


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
    supports = _supporters(q)
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
        responses = await _responses(db, session_id, since=c.live_since)
    return Board(
        session_id,
        bool(c and c.live),
        current,
        waiting,
        int(totals[0]),
        int(totals[1]),
        responses,
    )
