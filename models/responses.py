"""Survey responses (one per resident, session and field) and their answers (one per question)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, insert_for, utcnow


class ResponseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    # At most one draft and one submitted response per resident, session and field: re-rating
    # works on a draft that replaces the submitted one in a single transaction.
    # A paper form is imported once per session: its number is unique within the session.
    __table_args__ = (
        UniqueConstraint("resident_id", "session_id", "field", "status"),
        UniqueConstraint("session_id", "form_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Null for paper forms, which have no resident account.
    resident_id: Mapped[str | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="RESTRICT"), index=True
    )
    field: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ResponseStatus.DRAFT)
    channel: Mapped[str] = mapped_column(String(16))
    # Where the resident was in the survey (a question code or "review"), so any restart resumes.
    position: Mapped[str | None] = mapped_column(String(16))
    # Once the review was reached, answering a question returns there instead of moving on.
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The number written on a paper form (None for chat answers), so it cannot be typed in twice.
    form_no: Mapped[str | None] = mapped_column(String(32))
    # The paper file it came from (models/paper_imports.py): a draft until the file is stored whole.
    paper_import_id: Mapped[int | None] = mapped_column(ForeignKey("paper_imports.id"), index=True)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(16))
    # Option codes (space-separated for multiple choice) or the typed text; None when skipped.
    value: Mapped[str | None] = mapped_column(Text)
    # The numeric score of a scale answer, for SQL averages; None for "not applicable" and text.
    score: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


async def find_response(
    db: AsyncSession, resident_id: str, session_id: int, field: str, status: str
) -> SurveyResponse | None:
    stmt = select(SurveyResponse).where(
        SurveyResponse.resident_id == resident_id,
        SurveyResponse.session_id == session_id,
        SurveyResponse.field == field,
        SurveyResponse.status == status,
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def answers_of(db: AsyncSession, response_id: int) -> dict[str, str | None]:
    stmt = select(Answer.question, Answer.value).where(Answer.response_id == response_id)
    return {question: value for question, value in (await db.execute(stmt)).all()}


async def submitted_fields(db: AsyncSession, resident_id: str, session_id: int) -> set[str]:
    stmt = select(SurveyResponse.field).where(
        SurveyResponse.resident_id == resident_id,
        SurveyResponse.session_id == session_id,
        SurveyResponse.status == ResponseStatus.SUBMITTED,
    )
    return set((await db.execute(stmt)).scalars())


async def upsert_answer(
    db: AsyncSession, response_id: int, question: str, value: str | None, score: float | None
) -> None:
    """One statement whatever the database: a repeated tap overwrites, never duplicates."""
    insert = insert_for(db)
    now = utcnow()
    stmt = insert(Answer).values(
        response_id=response_id, question=question, value=value, score=score, answered_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Answer.response_id, Answer.question],
        set_={"value": value, "score": score, "answered_at": now},
    )
    await db.execute(stmt)


async def delete_answers(db: AsyncSession, response_id: int, questions: list[str]) -> None:
    if questions:
        await db.execute(
            delete(Answer).where(Answer.response_id == response_id, Answer.question.in_(questions))
        )
