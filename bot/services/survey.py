"""Taking a resident through the survey: drafts, answers saved on every tap, submission.

Every function takes plain values and the database session, so Telegram, Zalo and the console
share this one implementation of the survey's rules.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.survey import flow
from bot.survey.definition import Question, QuestionType, Survey
from models import ResponseStatus, SurveyResponse
from models.responses import (
    answers_of,
    delete_answers,
    find_response,
    latest_draft,
    submitted_fields,
    upsert_answer,
)


class InvalidAnswer(Exception):
    """An answer the survey cannot take; `str()` is a polite hint in the current locale."""


class IncompleteSurvey(Exception):
    def __init__(self, missing: list[Question]) -> None:
        super().__init__(", ".join(q.code for q in missing))
        self.missing = missing


@dataclass
class Draft:
    """A draft response with its answers, as the channels need them to render a screen."""

    response: SurveyResponse
    answers: dict[str, str | None]

    @property
    def position(self) -> str:
        return self.response.position or flow.REVIEW


async def find_draft(db: AsyncSession, resident_id: str) -> SurveyResponse | None:
    return await latest_draft(db, resident_id)


async def load(
    db: AsyncSession, survey: Survey, response_id: int, resident_id: str
) -> Draft | None:
    """The resident's own draft, or None (gone, submitted, or someone else's)."""
    response = await db.get(SurveyResponse, response_id)
    if (
        response is None
        or response.resident_id != resident_id
        or response.status != ResponseStatus.DRAFT
    ):
        return None
    answers = await answers_of(db, response.id)
    if response.position is None or (
        response.position != flow.REVIEW and survey.question(response.position) is None
    ):
        _set_position(response, flow.first_position(survey, answers))
    return Draft(response, answers)


async def rated_fields(db: AsyncSession, resident_id: str, session_id: int) -> set[str]:
    return await submitted_fields(db, resident_id, session_id)


async def has_submitted(db: AsyncSession, resident_id: str, session_id: int, field: str) -> bool:
    found = await find_response(db, resident_id, session_id, field, ResponseStatus.SUBMITTED)
    return found is not None


async def start(
    db: AsyncSession,
    survey: Survey,
    *,
    resident_id: str,
    session_id: int,
    field: str,
    procedure: str | None,
    channel: str,
) -> Draft:
    """Open (or reopen) the resident's draft for this field; a rating already submitted stays
    untouched until the new one is submitted."""
    survey_field = survey.field(field)
    if survey_field is None:
        raise InvalidAnswer(_("This field is not in the survey."))
    if procedure is not None and procedure not in {p.id for p in survey_field.procedures}:
        procedure = None
    response = await find_response(db, resident_id, session_id, field, ResponseStatus.DRAFT)
    if response is None:
        response = SurveyResponse(
            resident_id=resident_id,
            session_id=session_id,
            field=field,
            status=ResponseStatus.DRAFT,
            channel=channel,
        )
        db.add(response)
    response.procedure = procedure
    response.channel = channel
    await db.flush()
    answers = await answers_of(db, response.id)
    _set_position(response, flow.first_position(survey, answers))
    return Draft(response, answers)


def clean_text(text: str) -> str:
    """NFC (phones may send decomposed Vietnamese) with surrounding blanks removed."""
    return unicodedata.normalize("NFC", text).strip()


def validate(question: Question, value: str | list[str]) -> str:
    """Turn what the resident chose or typed into the stored value, or raise InvalidAnswer."""
    if question.type is QuestionType.TEXT:
        text = clean_text(value if isinstance(value, str) else " ".join(value))
        if not text:
            raise InvalidAnswer(_("Please type your answer as a text message."))
        if len(text) > question.max_length:
            raise InvalidAnswer(
                _(
                    "Your text has {count} characters; the limit is {limit}. Please shorten it."
                ).format(count=len(text), limit=question.max_length)
            )
        return text
    codes = value.split() if isinstance(value, str) else list(value)
    if any(question.option(code) is None for code in codes) or not codes:
        raise InvalidAnswer(_("Please choose one of the answers offered."))
    if question.type is not QuestionType.MULTI:
        if len(codes) != 1:
            raise InvalidAnswer(_("Please choose only one answer."))
        return codes[0]
    if question.max is not None and len(set(codes)) > question.max:
        raise InvalidAnswer(_("Please choose at most {max} answers.").format(max=question.max))
    stored = flow.join_multi(codes, question)
    assert stored is not None
    return stored


async def answer(
    db: AsyncSession, survey: Survey, draft: Draft, code: str, value: str | list[str]
) -> Draft:
    question = _question_at(survey, draft, code)
    stored = validate(question, value)
    return await _store(db, survey, draft, question, stored)


async def skip(db: AsyncSession, survey: Survey, draft: Draft, code: str) -> Draft:
    question = _question_at(survey, draft, code)
    if not question.optional:
        raise InvalidAnswer(_("This question needs an answer."))
    return await _store(db, survey, draft, question, None)


async def toggle(db: AsyncSession, survey: Survey, draft: Draft, code: str, option: str) -> Draft:
    """Tick or untick one choice of a multiple-choice question; saved at once, and the
    question counts as answered only when the resident confirms (see `answer`)."""
    question = _question_at(survey, draft, code)
    if question.type is not QuestionType.MULTI or question.option(option) is None:
        raise InvalidAnswer(_("Please choose one of the answers offered."))
    chosen = flow.split_multi(draft.answers.get(code))
    if option in chosen:
        chosen.remove(option)
    elif question.max is not None and len(chosen) >= question.max:
        raise InvalidAnswer(_("Please choose at most {max} answers.").format(max=question.max))
    else:
        chosen.append(option)
    stored = flow.join_multi(chosen, question)
    if stored is None:
        await delete_answers(db, draft.response.id, [code])
        draft.answers.pop(code, None)
    else:
        await upsert_answer(db, draft.response.id, code, stored, None)
        draft.answers[code] = stored
    await db.flush()
    return draft


async def move(db: AsyncSession, survey: Survey, draft: Draft, position: str) -> Draft:
    """Go to a visible question (Back, or Change from the review) or to the review."""
    if position != flow.REVIEW:
        _question_at(survey, draft, position)
    _set_position(draft.response, position)
    await db.flush()
    return draft


async def submit(db: AsyncSession, survey: Survey, draft: Draft, now: datetime) -> SurveyResponse:
    missing = flow.missing_required(survey, draft.answers)
    if missing:
        raise IncompleteSurvey(missing)
    response = draft.response
    await delete_answers(db, response.id, flow.hidden_answers(survey, draft.answers))
    # Re-rating: the earlier submission for this field and session is replaced, not kept twice.
    await db.execute(
        delete(SurveyResponse).where(
            SurveyResponse.resident_id == response.resident_id,
            SurveyResponse.session_id == response.session_id,
            SurveyResponse.field == response.field,
            SurveyResponse.status == ResponseStatus.SUBMITTED,
        )
    )
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = now
    response.position = None
    await db.flush()
    return response


async def discard(db: AsyncSession, draft: Draft) -> None:
    await db.delete(draft.response)
    await db.flush()


def _question_at(survey: Survey, draft: Draft, code: str) -> Question:
    question = survey.question(code)
    visible = {q.code for q in flow.visible_questions(survey, draft.answers)}
    if question is None or code not in visible:
        raise InvalidAnswer(_("This question is no longer part of your survey."))
    return question


async def _store(
    db: AsyncSession, survey: Survey, draft: Draft, question: Question, stored: str | None
) -> Draft:
    response = draft.response
    await upsert_answer(db, response.id, question.code, stored, flow.score_of(question, stored))
    draft.answers[question.code] = stored
    hidden = flow.hidden_answers(survey, draft.answers)
    await delete_answers(db, response.id, hidden)
    for code in hidden:
        draft.answers.pop(code, None)
    if response.reviewed:
        # Editing from the review: ask what the change made visible, then back to the review.
        _set_position(response, flow.first_position(survey, draft.answers))
    else:
        _set_position(response, flow.next_position(survey, draft.answers, question.code))
    await db.flush()
    return draft


def _set_position(response: SurveyResponse, position: str) -> None:
    response.position = position
    if position == flow.REVIEW:
        response.reviewed = True
