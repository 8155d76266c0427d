"""The dialogue conference itself (issue 15): per session, its live state, the agenda rows of
the questions answered there, the delegates invited, residents' supports of questions, the
chair's conclusions, and the commitments to follow up.

Questions stay `ResidentQuestion` rows: those asked in the hall or typed in from the floor carry
an `origin`, and any question may be marked as a proposal to amend a rule (models/questions.py).
A question is on a session's agenda when it is marked for the conference, came on the day, or
has an agenda row (`ConferenceItem`), which holds who is to answer it and what happened in the
hall. Times are UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Origin(enum.StrEnum):
    """Where a question came from on the day (None: sent before it, by chat or on paper)."""

    HALL = "hall"  # sent by a resident in the hall while the conference was live
    FLOOR = "floor"  # spoken or handed in on paper, typed in by the secretary


class DelegateGroup(enum.StrEnum):
    """The plan's "thành phần", as the minutes count them."""

    LEADERS = "leaders"  # ward leaders (Party committee, People's Council, People's Committee)
    DEPARTMENTS = "departments"  # heads of the ward's departments and units
    FRONT = "front"  # the Fatherland Front and its member organisations
    GROUPS = "groups"  # residential groups: heads, Party cell secretaries, Front committees
    GUESTS = "guests"  # invited guests of the higher level


class Reply(enum.StrEnum):
    COMING = "coming"
    NOT_COMING = "not_coming"


class Outcome(enum.StrEnum):
    ANSWERED = "answered"  # answered in the hall
    LATER = "later"  # to be answered in writing later: a commitment holds owner and deadline


class CommitmentStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Conference(Base):
    """A session's conference day: live or not, the question on screen, chair and secretary."""

    __tablename__ = "conferences"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    live_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_questions.id", ondelete="SET NULL")
    )
    # Names as the minutes print them; a staff link when they are on the staff list.
    chair_name: Mapped[str | None] = mapped_column(String(120))
    chair_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    secretary_name: Mapped[str | None] = mapped_column(String(120))
    secretary_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # The SHA-256 digest of the projector page's read-only link token (bot/services/
    # projector.py); None: no link, or revoked.
    projector_digest: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConferenceItem(Base):
    """A question's row on the agenda: who is to answer it (None: the field's official), and
    what was done in the hall."""

    __tablename__ = "conference_items"
    __table_args__ = (CheckConstraint("outcome IN ('answered', 'later')", name="outcome"),)

    question_id: Mapped[int] = mapped_column(
        ForeignKey("resident_questions.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="CASCADE"), index=True
    )
    answerer_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    summary: Mapped[str | None] = mapped_column(Text)  # the answer as the secretary noted it
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was last on screen: the order the hall took the questions in.
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delegate(Base):
    """Someone invited to the conference, with their invitation and reply."""

    __tablename__ = "conference_delegates"
    __table_args__ = (
        CheckConstraint(
            "delegate_group IN ('leaders', 'departments', 'front', 'groups', 'guests')",
            name="delegate_group",
        ),
        CheckConstraint("reply IN ('coming', 'not_coming')", name="reply"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    delegate_group: Mapped[str] = mapped_column(String(16))
    position: Mapped[str | None] = mapped_column(String(200))  # title or organisation
    # Where the invitation goes: a staff member's Telegram chat, or a resident's chat account.
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(String(16))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean)  # None: not recorded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuestionSupport(Base):
    """A resident's support of a question on the agenda: one per resident and question."""

    __tablename__ = "question_supports"
    __table_args__ = (UniqueConstraint("question_id", "resident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("resident_questions.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[str] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    # The chat the supporter is told in when the question's commitment is closed.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conclusion(Base):
    """One of the chair's conclusions, as the secretary typed it."""

    __tablename__ = "conference_conclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Commitment(Base):
    """What the ward promised in the hall: a question to answer in writing, or a conclusion
    marked as a task; an owner on the staff and a deadline."""

    __tablename__ = "conference_commitments"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("question_id IS NOT NULL OR conclusion_id IS NOT NULL", name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_questions.id", ondelete="CASCADE"), unique=True
    )
    conclusion_id: Mapped[int | None] = mapped_column(
        ForeignKey("conference_conclusions.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL"), index=True
    )
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=CommitmentStatus.OPEN)
    result: Mapped[str | None] = mapped_column(Text)  # what was done, as its owner wrote it
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
