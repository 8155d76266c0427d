"""What the conference modules share: the errors, channels and limits, text cleaning, and
the lookups of a session, question, agenda row and official."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect

from bot.i18n import _
from bot.services import questions, staff
from bot.services.questions import clean_text, in_dialogue
from bot.services.staff import Role, StaffRef
from bot.survey.definition import Survey
from models import (
    Conference,
    ConferenceItem,
    DialogueSession,
    QuestionStatus,
    QuestionSupport,
    ResidentQuestion,
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


def _checked(cleaned: str, limit: int, what: str) -> str:
    """`cleaned` if it is there and short enough; else ConferenceError (`what` when empty)."""
    if not cleaned:
        raise ConferenceError(what)
    if len(cleaned) > limit:
        raise ConferenceError(
            _("Please keep this to at most {limit} characters.").format(limit=limit)
        )
    return cleaned


def _clean_line(text: str | None, limit: int, what: str) -> str:
    return _checked(" ".join(unicodedata.normalize("NFC", text or "").split()), limit, what)


def _clean_long(text: str | None, what: str) -> str:
    return _checked(clean_text(text), MAX_TEXT, what)


def _squeezed(text: str | None, limit: int) -> str:
    """White space folded, cut at `limit`; "" for nothing (optional names and positions)."""
    return " ".join((text or "").split())[:limit]


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


def _supporters(q) -> ScalarSelect:
    """The supports of the question row `q` (correlated), counted in SQL."""
    return (
        select(func.count(QuestionSupport.id))
        .where(QuestionSupport.question_id == q.id)
        .correlate(q)
        .scalar_subquery()
    )


async def _responses(db: AsyncSession, session_id: int, since: datetime | None = None) -> int:
    """Survey responses submitted in the session (since `since`, when given)."""
    stmt = select(func.count(SurveyResponse.id)).where(
        SurveyResponse.session_id == session_id, SurveyResponse.status == "submitted"
    )
    if since is not None:
        stmt = stmt.where(SurveyResponse.submitted_at >= since)
    return int(await db.scalar(stmt) or 0)
