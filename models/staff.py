"""Ward staff (admins, leaders, officials, the Fatherland Front) and the audit log of their acts.

Staff are Telegram users kept in the database with a role; officials also have the fields they
answer for. The audit log records who did (or tried to do) what and when, never a resident's
text or phone number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class StaffMember(Base):
    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))  # admin, leader, official, front
    # The field ids an official answers for (empty for the other roles).
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Removed staff are deactivated, not deleted: their answers and the audit log keep their id.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Argon2 hash of a web console password an admin set; None: sign in by a one-time code.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Null for the system itself (bootstrap) or someone whose Telegram id is unknown.
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(64))  # "question:KN-26-0042", "staff:123"
    allowed: Mapped[bool] = mapped_column(Boolean)
    # Filters, permissions, statuses: never a resident's text or phone number.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
