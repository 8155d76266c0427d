"""Consent per purpose (Law 91/2025, Decree 356/2025): explicit, separate, logged with time,
purpose, notice version and channel. Silence is never consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from models import Consent, ResponseStatus, SurveyResponse
from models.residents import consent_log


class Purpose(StrEnum):
    SURVEY = "survey"  # P1: answer the survey anonymously
    REMINDERS = "reminders"  # P2: conference reminders in this chat
    CONTACT = "contact"  # P3: name and phone passed on so a question can be answered


# The order in which a new resident is asked.
PURPOSES = (Purpose.SURVEY, Purpose.REMINDERS, Purpose.CONTACT)


@dataclass(frozen=True)
class Decision:
    purpose: Purpose
    given: bool
    recorded_at: datetime


async def record(
    db: AsyncSession,
    resident_id: str,
    purpose: Purpose,
    given: bool,
    *,
    channel: str,
    notice_version: str,
    now: datetime,
) -> None:
    db.add(
        Consent(
            resident_id=resident_id,
            purpose=purpose,
            given=given,
            channel=channel,
            notice_version=notice_version,
            recorded_at=now,
        )
    )
    if purpose is Purpose.SURVEY and not given:
        # Processing for the purpose stops: unsent drafts go; submitted answers stay lawful.
        await db.execute(
            delete(SurveyResponse).where(
                SurveyResponse.resident_id == resident_id,
                SurveyResponse.status == ResponseStatus.DRAFT,
            )
        )
    await db.flush()


async def decisions(db: AsyncSession, resident_id: str) -> dict[Purpose, Decision]:
    """The latest decision per purpose; a purpose never answered is absent."""
    latest: dict[Purpose, Decision] = {}
    for row in await consent_log(db, resident_id):
        if row.purpose in Purpose.__members__.values():
            latest[Purpose(row.purpose)] = Decision(
                Purpose(row.purpose), row.given, row.recorded_at
            )
    return latest


def granted(current: dict[Purpose, Decision], purpose: Purpose) -> bool:
    decision = current.get(purpose)
    return bool(decision and decision.given)
