"""Residents, the chat accounts that identify them, and their consent records.

Identity (the channel account) lives apart from the resident's internal random key; answers
link to that key only, so exports can be pseudonymised and an account can be erased at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


def new_resident_key() -> str:
    return secrets.token_hex(12)


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_resident_key)
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    accounts: Mapped[list[Account]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", passive_deletes=True
    )


class Account(Base):
    """One chat account (Telegram user id, Zalo user id, console name) of a resident."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[str] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the channel said the resident blocked the bot or left (403): nothing more is
    # sent there until they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resident: Mapped[Resident] = relationship(back_populates="accounts")


class Consent(Base):
    """An append-only log: the latest row per purpose is the resident's current decision."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[str] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    given: Mapped[bool] = mapped_column(Boolean)
    notice_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def find_resident(db: AsyncSession, channel: str, external_id: str) -> Resident | None:
    stmt = (
        select(Resident)
        .join(Account, Account.resident_id == Resident.id)
        .where(Account.channel == channel, Account.external_id == external_id)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def consent_log(db: AsyncSession, resident_id: str) -> list[Consent]:
    stmt = (
        select(Consent)
        .where(Consent.resident_id == resident_id)
        .order_by(Consent.recorded_at, Consent.id)
    )
    return list((await db.execute(stmt)).scalars())
