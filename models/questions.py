"""Residents' questions and recommendations (ý kiến, kiến nghị), their attachments, and the
counters behind their tracking codes.

A question links to the resident's internal key and to the chat account the answer goes back
to; both cascade, so erasing the resident erases their questions and attachments. The contact
name and phone are stored only for named questions (consent P3); a check constraint keeps
anonymous questions free of them in the database itself.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, insert_for, utcnow


class QuestionStatus(enum.StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CONFERENCE = "conference"  # to be answered at the dialogue conference
    CLOSED = "closed"
    # Really a complaint, denunciation or crime report: the resident was told where it goes,
    # and it is out of the dialogue's queue and figures.
    RECLASSIFIED = "reclassified"


class Reclassified(enum.StrEnum):
    """What staff found a question to be (domain.md §5), which says where it goes."""

    COMPLAINT = "complaint"  # khiếu nại: the citizen reception
    DENUNCIATION = "denunciation"  # tố cáo: the citizen reception
    CRIME = "crime"  # tố giác tội phạm: the ward police


class ResidentQuestion(Base):
    __tablename__ = "resident_questions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('received', 'assigned', 'answered', 'conference', 'closed', "
            "'reclassified')",
            name="status",
        ),
        CheckConstraint(
            "named OR (contact_name IS NULL AND contact_phone IS NULL)", name="contact"
        ),
        # The staff's list, newest first, a page at a time (all fields, or one field).
        Index("ix_resident_questions_newest", "created_at", "id"),
        Index("ix_resident_questions_field_newest", "field", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # KN-26-0042
    resident_id: Mapped[str] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    # The chat account the question came from, and where the answer is relayed.
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="RESTRICT"), index=True
    )
    field: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    named: Mapped[bool] = mapped_column(Boolean)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.RECEIVED)
    # Looked like a complaint or denunciation, and the resident sent it anyway.
    complaint_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    reclassified_as: Mapped[str | None] = mapped_column(String(16))  # Reclassified, by staff
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    answer_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # The answering staff member's role when they answered: the answer is signed by field and
    # role, and stays so if that person later changes role or leaves.
    answered_role: Mapped[str | None] = mapped_column(String(16))
    answer_rating: Mapped[str | None] = mapped_column(String(16))  # satisfied, unsatisfied
    rating_reason: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # The conference (models/conference.py): where a question came from on the day (None: sent
    # before it), and the office's mark of a proposal to amend a regulation or procedure.
    origin: Mapped[str | None] = mapped_column(String(8))
    proposal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attachments: Mapped[list[QuestionAttachment]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="QuestionAttachment.id",
    )


class QuestionAttachment(Base):
    __tablename__ = "question_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("resident_questions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # photo, document
    telegram_file_id: Mapped[str | None] = mapped_column(String(256))
    # The bytes of a Zalo image, downloaded at once since Zalo's image URLs expire. Loaded only
    # when asked for.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    mime: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)

    question: Mapped[ResidentQuestion] = relationship(back_populates="attachments")


class CodeCounter(Base):
    """The last sequence number handed out per code prefix and year."""

    __tablename__ = "code_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


async def next_number(db: AsyncSession, prefix: str, year: int) -> int:
    """The next number of the prefix and year, unique under concurrency on SQLite and
    PostgreSQL: the row is created if missing (a racing creator loses quietly), then the
    increment and its result are one statement, which holds the row's lock until the caller's
    transaction ends, so a rolled-back filing gives its number back."""
    insert = insert_for(db)
    await db.execute(
        insert(CodeCounter)
        .values(prefix=prefix, year=year, last=0)
        .on_conflict_do_nothing(index_elements=[CodeCounter.prefix, CodeCounter.year])
    )
    result = await db.execute(
        update(CodeCounter)
        .where(CodeCounter.prefix == prefix, CodeCounter.year == year)
        .values(last=CodeCounter.last + 1)
        .returning(CodeCounter.last)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one()
