"""Consent on the journey: logging a decision, the order of the notice's consent screens, the
one rule of the consent to be contacted (asked on the notice, by a survey question or when a
question is sent by name), and the survey consent that opens the menu's entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.journey.steps import Step
from bot.services import consent
from bot.services.consent import Purpose
from bot.settings import Settings


async def record(
    db: AsyncSession,
    resident_id: str,
    purpose: Purpose,
    given: bool,
    *,
    channel: str,
    settings: Settings,
    now: datetime,
) -> None:
    """Log a decision made on `channel` under the current notice."""
    await consent.record(
        db,
        resident_id,
        purpose,
        given,
        channel=channel,
        notice_version=settings.notice_version,
        now=now,
    )


async def granted(db: AsyncSession, resident_id: str | None, purpose: Purpose) -> bool:
    if resident_id is None:
        return False
    return consent.granted(await consent.decisions(db, resident_id), purpose)


def after_notice(purpose: Purpose, given: bool) -> Step:
    """The notice asks for each purpose in turn; declining the survey ends it there."""
    if purpose is Purpose.SURVEY:
        return Step.CONSENT_REMINDERS if given else Step.DECLINED
    if purpose is Purpose.REMINDERS:
        return Step.CONSENT_CONTACT
    return Step.HOME


@dataclass(frozen=True)
class ContactDecision:
    step: Step  # where the resident goes next
    named: bool  # whether what they are writing is sent with their name
    note: str | None = None  # a line to show above the next screen


async def decide_contact(
    db: AsyncSession,
    resident_id: str,
    given: bool,
    *,
    asked_on: Step,
    survey_step: Step | None = None,
    channel: str,
    settings: Settings,
    now: datetime,
) -> ContactDecision:
    """The consent to pass the resident's words, name and phone to the official in charge,
    whichever screen asked for it: on the notice (then home), after a survey question that
    offers a reply (then back to the rating, at `survey_step`), or when a question is sent
    by name (then the name, or the review as an anonymous question)."""
    await record(
        db, resident_id, Purpose.CONTACT, given, channel=channel, settings=settings, now=now
    )
    if asked_on is Step.ASK_CONTACT:
        return ContactDecision(Step.ASK_NAME if given else Step.ASK_REVIEW, named=given)
    if asked_on is Step.CONTACT:
        note = (
            None if given else _("Your opinion stays anonymous; no individual reply will follow.")
        )
        return ContactDecision(survey_step or Step.MENU, named=given, note=note)
    return ContactDecision(after_notice(Purpose.CONTACT, given), named=given)


# The menu's entries that need the survey consent (the notice comes first without it).
NEEDS_SURVEY_CONSENT = (Step.FIELD, Step.ASK_FIELD, Step.MINE)


async def menu_entry(db: AsyncSession, resident_id: str | None, step: Step) -> Step:
    """Where a menu entry leads: the notice instead, when it needs the survey consent."""
    if step in NEEDS_SURVEY_CONSENT and not await granted(db, resident_id, Purpose.SURVEY):
        return Step.NOTICE
    return step


async def toggle(
    db: AsyncSession,
    resident_id: str,
    purpose: Purpose,
    *,
    channel: str,
    settings: Settings,
    now: datetime,
) -> bool:
    """/dulieu: withdraw a consent that is given, give one that is not. The new decision."""
    given = not await granted(db, resident_id, purpose)
    await record(db, resident_id, purpose, given, channel=channel, settings=settings, now=now)
    return given
