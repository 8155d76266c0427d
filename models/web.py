"""What the web application keeps: staff sign-in sessions, one-time sign-in codes and links,
the count of wrong tries that slows down guessing, and the messages waiting for a resident of
the web chat until their page next asks for them.

Secrets (session tokens, codes, the chat cookie) are stored only as SHA-256 digests: a copy of
the database lets nobody sign in or take over a resident's chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class WebSession(Base):
    """A signed-in staff member's browser; the cookie holds the token, the row its digest."""

    __tablename__ = "web_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    # Sent back with every form: a page of another site cannot know it.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Idle expiry counts from here; refreshed at most once a minute.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInCode(Base):
    """A one-time code (typed) or link (opened) that signs a staff member in once."""

    __tablename__ = "web_sign_in_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailures(Base):
    """Wrong codes or passwords in a row, per staff member or per address: after a few,
    further tries wait (bot/web/throttle.py)."""

    __tablename__ = "web_sign_in_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebChatMessage(Base):
    """A message for a web-chat resident (an answer, a reminder, an announcement) that arrived
    while their page was closed: shown, then deleted, the next time the page asks."""

    __tablename__ = "web_chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
