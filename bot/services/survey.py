"""Taking a resident through the survey: drafts, answers saved on every tap, submission.

Every function takes plain values and the database session, so Telegram, Zalo and the console
share this one implementation of the survey's rules. A `Draft` is a plain value too: channels
keep it in their conversation state between taps (it round-trips through `as_dict`), and every
change is written through to the database before the function returns, so the database can
always rebuild it (`load`) after a restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services.questions import clean_text
from bot.survey import flow
from bot.survey.definition import Question, QuestionType, Survey
from models import ResponseStatus, SurveyResponse, utcnow
from models.responses import (
    answers_of,
    delete_answers,
    find_response,
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
    """A resident's unfinished response: where they are and what they answered so far."""

    response_id: int
    resident_id: str
    session_id: int
    field: str
    procedure: str | None
    position: str
    reviewed: bool = False
    answers: dict[str, str | None] = field(default_factory=dict)
    # The position column as stored: None means "the first open question", implied by answers.
    saved_position: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        return cls(**data)


@dataclass(frozen=True)
class DraftSummary:
    response_id: int
    field: str


async def find_draft(db: AsyncSession, resident_id: str) -> DraftSummary | None:
    """The resident's most recently touched draft, if any."""
    stmt = (
        select(SurveyResponse.id, SurveyResponse.field)
        .where(
            SurveyResponse.resident_id == resident_id,
            SurveyResponse.status == ResponseStatus.DRAFT,
        )
        .order_by(SurveyResponse.updated_at.desc(), SurveyResponse.id.desc())
        .limit(1)
    )
    row = (await db.execute(stmt)).first()
    return DraftSummary(row.id, row.field) if row else None


async def load(
    db: AsyncSession, survey: Survey, response_id: int, resident_id: str
) -> Draft | None:
    """The resident's own draft from the database, or None (gone, submitted, someone else's)."""
    response = await db.get(SurveyResponse, response_id)
    if (
        response is None
        or response.resident_id != resident_id
        or response.status != ResponseStatus.DRAFT
    ):
        return None
    answers = await answers_of(db, response.id)
    position = response.position
    if position is None or (position != flow.REVIEW and survey.question(position) is None):
        position = flow.first_position(survey, answers)  # implied, or the survey file changed
    return Draft(
        response_id=response.id,
        resident_id=resident_id,
        session_id=response.session_id,
        field=response.field,
        procedure=response.procedure,
        position=position,
        reviewed=response.reviewed,
        answers=answers,
        saved_position=response.position,
    )


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
    position = flow.first_position(survey, answers)
    response.position = None  # implied by the answers
    response.reviewed = response.reviewed or position == flow.REVIEW
    await db.flush()
    return Draft(
        response_id=response.id,
        resident_id=resident_id,
        session_id=session_id,
        field=field,
        procedure=procedure,
        position=position,
        reviewed=response.reviewed,
        answers=answers,
    )


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
    if not codes or any(question.option(code) is None for code in codes):
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
    return await _store(db, survey, draft, question, validate(question, value))


async def skip(db: AsyncSession, survey: Survey, draft: Draft, code: str) -> Draft:
    question = _question_at(survey, draft, code)
    if not question.optional:
        raise InvalidAnswer(_("This question needs an answer."))
    return await _store(db, survey, draft, question, None)


async def toggle(db: AsyncSession, survey: Survey, draft: Draft, code: str, option: str) -> Draft:
    """Tick or untick one choice of a multiple-choice question. Saved at once; the question
    counts as answered, and the resident moves on, only when they confirm (`answer`)."""
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
        await delete_answers(db, draft.response_id, [code])
        draft.answers.pop(code, None)
    else:
        await upsert_answer(db, draft.response_id, code, stored, None)
        draft.answers[code] = stored
    return draft


async def move(db: AsyncSession, survey: Survey, draft: Draft, position: str) -> Draft:
    """Go to a visible question (Back, or Change from the review) or to the review."""
    if position != flow.REVIEW:
        _question_at(survey, draft, position)
    await _save_position(db, survey, draft, position)
    return draft


async def submit(db: AsyncSession, survey: Survey, draft: Draft, now: datetime) -> Draft:
    missing = flow.missing_required(survey, draft.answers)
    if missing:
        raise IncompleteSurvey(missing)
    hidden = flow.hidden_answers(survey, draft.answers)
    await delete_answers(db, draft.response_id, hidden)
    for code in hidden:
        draft.answers.pop(code, None)
    # Re-rating: the earlier submission for this field and session is replaced, not kept twice.
    await db.execute(
        delete(SurveyResponse).where(
            SurveyResponse.resident_id == draft.resident_id,
            SurveyResponse.session_id == draft.session_id,
            SurveyResponse.field == draft.field,
            SurveyResponse.status == ResponseStatus.SUBMITTED,
        )
    )
    result = await db.execute(
        update(SurveyResponse)
        .where(
            SurveyResponse.id == draft.response_id,
            SurveyResponse.status == ResponseStatus.DRAFT,
        )
        .values(status=ResponseStatus.SUBMITTED, submitted_at=now, position=None, updated_at=now)
    )
    if result.rowcount != 1:  # submitted a moment ago (a double tap), or deleted meanwhile
        raise InvalidAnswer(
            _("This rating is no longer available. Please start again from the menu.")
        )
    return draft


async def discard(db: AsyncSession, draft: Draft) -> None:
    await db.execute(delete(SurveyResponse).where(SurveyResponse.id == draft.response_id))


def _question_at(survey: Survey, draft: Draft, code: str) -> Question:
    question = survey.question(code)
    visible = {q.code for q in flow.visible_questions(survey, draft.answers)}
    if question is None or code not in visible:
        raise InvalidAnswer(_("This question is no longer part of your survey."))
    return question


async def _store(
    db: AsyncSession, survey: Survey, draft: Draft, question: Question, stored: str | None
) -> Draft:
    await upsert_answer(
        db, draft.response_id, question.code, stored, flow.score_of(question, stored)
    )
    draft.answers[question.code] = stored
    hidden = flow.hidden_answers(survey, draft.answers)
    if hidden:
        await delete_answers(db, draft.response_id, hidden)
        for code in hidden:
            draft.answers.pop(code, None)
    if draft.reviewed:
        # Editing from the review: ask what the change made visible, then back to the review.
        position = flow.first_position(survey, draft.answers)
    else:
        position = flow.next_position(survey, draft.answers, question.code)
    await _save_position(db, survey, draft, position)
    return draft


async def _save_position(db: AsyncSession, survey: Survey, draft: Draft, position: str) -> None:
    """Only a position the answers do not imply (after Back, or a Change from the review) is
    written; moving forward to the first open question costs no statement."""
    implied = flow.first_position(survey, draft.answers)
    wanted = None if position == implied else position
    reviewed = draft.reviewed or position == flow.REVIEW
    if wanted != draft.saved_position or reviewed != draft.reviewed:
        await db.execute(
            update(SurveyResponse)
            .where(SurveyResponse.id == draft.response_id)
            .values(position=wanted, reviewed=reviewed, updated_at=utcnow())
        )
        draft.saved_position = wanted
    draft.position = position
    draft.reviewed = reviewed
