"""Consent per purpose (Law 91/2025, Decree 356/2025): explicit, separate, logged with time,
purpose, notice version and channel. Silence is never consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Broadcast,
    BroadcastKind,
    Consent,
    Delivery,
    DeliveryStatus,
    ResponseStatus,
    SurveyResponse,
)
from models.residents import consent_log


class Purpose(StrEnum):
    SURVEY = "survey"  # P1: answer the survey anonymously
    REMINDERS = "reminders"  # P2: conference reminders in this chat
    CONTACT = "contact"  # P3: name and phone passed on so a question can be answered


# The order in which a new resident is asked.
PURPOSES = (Purpose.SURVEY, Purpose.REMINDERS, Purpose.CONTACT)

# Messages a resident gets only while their consent to reminders stands: withdrawing it cancels
# those still waiting, and the delivery engine checks it again when it claims and before it
# sends one (bot/delivery/engine.py), so a message queued a moment earlier is not sent either.
NEEDS_REMINDERS = (BroadcastKind.ANNOUNCEMENT, BroadcastKind.REMINDER, BroadcastKind.CANCELLATION)
WITHDRAWN_ERROR = "consent withdrawn"  # last_error of a delivery cancelled for that reason


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
    if purpose is Purpose.REMINDERS and not given:
        await cancel_reminders(db, resident_id)
    await db.flush()


async def cancel_reminders(db: AsyncSession, resident_id: str) -> int:
    """The resident's reminders and announcements not sent yet are cancelled (a row being sent
    right now is checked again by the engine just before it goes)."""
    result = await db.execute(
        update(Delivery)
        .where(
            Delivery.resident_id == resident_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.broadcast_id.in_(
                select(Broadcast.id).where(Broadcast.kind.in_(NEEDS_REMINDERS))
            ),
        )
        .values(status=DeliveryStatus.CANCELLED, last_error=WITHDRAWN_ERROR)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _reminders_not_given():
    """SQL, on a delivery row: it needs the consent to reminders, and the resident's latest
    decision on it is not a yes (withdrawn, or erased with the resident)."""
    latest = (
        select(Consent.given)
        .where(Consent.resident_id == Delivery.resident_id, Consent.purpose == Purpose.REMINDERS)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
        .correlate(Delivery)
        .scalar_subquery()
    )
    needs = Delivery.broadcast_id.in_(
        select(Broadcast.id).where(Broadcast.kind.in_(NEEDS_REMINDERS))
    )
    return and_(Delivery.resident_id.is_not(None), needs, func.coalesce(latest, false()) == false())


async def without_consent(
    db: AsyncSession, delivery_ids: list[int], *, or_cancelled: bool = False
) -> set[int]:
    """Of these deliveries, those the resident no longer consents to (with `or_cancelled`, also
    those no longer pending: cancelled meanwhile)."""
    if not delivery_ids:
        return set()
    unwanted = _reminders_not_given()
    if or_cancelled:
        unwanted = or_(unwanted, Delivery.status != DeliveryStatus.PENDING)
    stmt = select(Delivery.id).where(Delivery.id.in_(delivery_ids), unwanted)
    return set((await db.execute(stmt)).scalars())


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
