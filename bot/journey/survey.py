"""Rating a field: where a resident lands, which screen follows a field, an answer, Back or
Submit. The answers themselves are stored by `bot.services.survey`; the order of the
questions is `bot.survey.flow`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.journey.consent import granted
from bot.journey.steps import Step
from bot.services import consent, sessions
from bot.services import survey as survey_service
from bot.services.consent import Purpose
from bot.services.survey import Draft, DraftSummary, IncompleteSurvey
from bot.settings import Settings
from bot.survey import flow
from bot.survey.definition import Survey
from models import DialogueSession


@dataclass(frozen=True)
class Landing:
    step: Step  # NOTICE, QUESTION (the unfinished rating) or MENU
    response_id: int | None = None  # the unfinished rating to open


async def landing(db: AsyncSession, resident_id: str | None, *, resume: bool) -> Landing:
    """Consent first for someone new; their unfinished rating if there is one (when
    `resume`); else the menu."""
    if resident_id is None:
        return Landing(Step.NOTICE)
    decisions = await consent.decisions(db, resident_id)
    if Purpose.SURVEY not in decisions:
        return Landing(Step.NOTICE)
    if resume and consent.granted(decisions, Purpose.SURVEY):
        summary = await survey_service.find_draft(db, resident_id)
        if summary is not None:
            return Landing(Step.QUESTION, summary.response_id)
    return Landing(Step.MENU)


async def unfinished_rating(
    db: AsyncSession, resident_id: str | None, *, agreed: bool | None = None
) -> DraftSummary | None:
    """The rating left half-way that the menu offers to continue (only with the survey
    consent: without it nothing is rated). `agreed`: that consent, when the caller has read it."""
    if agreed is None:
        agreed = await granted(db, resident_id, Purpose.SURVEY)
    if not agreed:
        return None
    return await survey_service.find_draft(db, resident_id)


@dataclass(frozen=True)
class FieldChoice:
    session: DialogueSession  # the session the answers go to
    rated: set[str]  # fields the resident already rated for it (marked ✅; rated again if chosen)


async def field_choice(
    db: AsyncSession, settings: Settings, now: datetime, resident_id: str
) -> FieldChoice:
    session = await sessions.session_for_answers(db, now, settings.zone, settings.default_locale)
    return FieldChoice(session, await survey_service.rated_fields(db, resident_id, session.id))


def position_step(draft: Draft) -> Step:
    """The screen of the draft's position: a question, or the review once all are answered."""
    return Step.REVIEW if draft.position == flow.REVIEW else Step.QUESTION


async def after_field(
    db: AsyncSession,
    survey: Survey,
    *,
    resident_id: str,
    session_id: int,
    field_id: str,
    again: bool = False,
) -> Step:
    """A field rated before for this session asks first whether to rate it again (unless
    `again`); a field with procedures asks which; else the rating begins at once
    (`QUESTION`, with no procedure)."""
    if not again and await survey_service.has_submitted(db, resident_id, session_id, field_id):
        return Step.REPLACE
    field = survey.field(field_id)
    if field and field.procedures:
        return Step.PROCEDURE
    return Step.QUESTION


async def after_answer(
    db: AsyncSession, survey: Survey, draft: Draft, code: str, resident_id: str
) -> Step:
    """A yes to a question that offers a reply needs the consent to be contacted: asked
    before the rating goes on, unless it is given."""
    question = survey.question(code)
    needs_consent = question.requires_consent and draft.answers.get(code) == "yes"
    if needs_consent and not await granted(db, resident_id, Purpose(question.requires_consent)):
        return Step.CONTACT
    return position_step(draft)


async def back(db: AsyncSession, survey: Survey, draft: Draft) -> Step:
    """The previous visible question; before the first one, the choice of field."""
    previous = flow.previous_position(survey, draft.answers, draft.position)
    if previous is None:
        return Step.FIELD
    await survey_service.move(db, survey, draft, previous)
    return position_step(draft)


@dataclass(frozen=True)
class Submitted:
    step: Step  # DONE, or the first question left unanswered
    note: str | None = None


async def submit(db: AsyncSession, survey: Survey, draft: Draft, now: datetime) -> Submitted:
    """Stores the rating; an incomplete one goes to its first missing question instead."""
    try:
        await survey_service.submit(db, survey, draft, now)
    except IncompleteSurvey as incomplete:
        await survey_service.move(db, survey, draft, incomplete.missing[0].code)
        return Submitted(position_step(draft), _("Please answer this question first."))
    return Submitted(Step.DONE)
