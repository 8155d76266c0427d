"""Survey figures for a dialogue session: counts, item and element scores, the overall rating and
multiple-choice shares, every aggregation done in SQL (GROUP BY) so memory stays flat.

Scoring follows the domain notes (§2.4): only submitted responses count, whatever their channel
(paper forms included); "not applicable" and skipped answers carry no score and are left out of
N and means; % satisfied is the share of 4–5 (3–5 when neutral counts as satisfied); cells with
fewer than SMALL_CELL answers are flagged. Percentages are 0–100 and None when N is 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.questions import count_by_field_status, in_dialogue
from bot.survey.definition import Label, Question, QuestionType, Survey
from models import (
    Answer,
    QuestionStatus,
    ResidentQuestion,
    ResponseStatus,
    StaffMember,
    SurveyResponse,
)

SMALL_CELL = 5
ITEM_SCALE = "s5"
OVERALL_SCALE = "s3"


@dataclass(frozen=True)
class ItemFigure:
    """One S5 question, for one field (or all fields when field is None)."""

    field: str | None
    code: str
    n: int
    mean: float | None
    satisfied_pct: float | None
    dissatisfied_pct: float | None
    neutral_pct: float | None
    small: bool


@dataclass(frozen=True)
class ElementFigure:
    """The pooled valid answers of the S5 questions sharing one element label (Q1–Q2 access…)."""

    field: str | None
    element: Label | None
    codes: tuple[str, ...]
    n: int
    mean: float | None
    satisfied_pct: float | None
    dissatisfied_pct: float | None
    neutral_pct: float | None
    small: bool


@dataclass(frozen=True)
class OverallFigure:
    """The S3 overall rating: satisfied = options scoring at least 1 (vs, s); points 2/1/0."""

    field: str | None
    code: str
    n: int
    satisfied_pct: float | None
    mean_points: float | None
    counts: dict[str, int]  # every option of the scale, in survey order
    small: bool


class OptionShare(NamedTuple):
    option: str
    respondents: int
    share_pct: float | None


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def scale_questions(survey: Survey, scale: str) -> list[Question]:
    return [q for q in survey.questions if q.type is QuestionType.SINGLE and q.scale == scale]


def item_codes(survey: Survey) -> list[str]:
    return [q.code for q in scale_questions(survey, ITEM_SCALE)]


def overall_code(survey: Survey) -> str | None:
    found = scale_questions(survey, OVERALL_SCALE)
    return found[0].code if found else None


@dataclass(frozen=True)
class Scope:
    """Which submitted responses count: one session's, or those submitted in [since, until)
    (UTC) across sessions, or both at once."""

    session_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


SessionOrScope = int | Scope


def as_scope(scope: SessionOrScope) -> Scope:
    return scope if isinstance(scope, Scope) else Scope(session_id=scope)


def where_submitted_in(stmt: Select, scope: SessionOrScope) -> Select:
    """Submitted responses of the scope: the session's, or those submitted in [since, until)."""
    scope = as_scope(scope)
    stmt = stmt.where(SurveyResponse.status == ResponseStatus.SUBMITTED)
    if scope.session_id is not None:
        stmt = stmt.where(SurveyResponse.session_id == scope.session_id)
    if scope.since is not None:
        stmt = stmt.where(SurveyResponse.submitted_at >= scope.since)
    if scope.until is not None:
        stmt = stmt.where(SurveyResponse.submitted_at < scope.until)
    return stmt


def _submitted(stmt: Select, session_id: SessionOrScope, channel: str | None) -> Select:
    stmt = where_submitted_in(stmt, session_id)
    if channel is not None:
        stmt = stmt.where(SurveyResponse.channel == channel)
    return stmt


def _ordered_fields(survey: Survey, found: Iterable[str]) -> list[str]:
    found = set(found)
    known = [f.id for f in survey.fields if f.id in found]
    return known + sorted(found - set(known))


async def _fields_with_responses(
    db: AsyncSession, survey: Survey, session_id: SessionOrScope, channel: str | None
) -> list[str]:
    stmt = _submitted(select(SurveyResponse.field).distinct(), session_id, channel)
    return _ordered_fields(survey, (await db.execute(stmt)).scalars())


async def responses_by_field_channel(
    db: AsyncSession, session_id: SessionOrScope
) -> dict[str, dict[str, int]]:
    """{field: {channel: submitted responses}}."""
    stmt = _submitted(
        select(SurveyResponse.field, SurveyResponse.channel, func.count(SurveyResponse.id)),
        session_id,
        None,
    ).group_by(SurveyResponse.field, SurveyResponse.channel)
    counts: dict[str, dict[str, int]] = {}
    for field, channel, count in (await db.execute(stmt)).all():
        counts.setdefault(field, {})[channel] = count
    return counts


class _Tally(NamedTuple):
    n: int = 0
    total: float = 0.0
    high: int = 0  # 4–5
    neutral: int = 0  # 3
    low: int = 0  # 1–2


async def _tally(
    db: AsyncSession,
    session_id: SessionOrScope,
    group_of: dict[str, str],
    *,
    by_field: bool,
    channel: str | None,
) -> dict[tuple[str | None, str], _Tally]:
    """{(field or None, group key): tally} of scored answers, questions mapped to groups in SQL."""
    score = Answer.score
    group = case(group_of, value=Answer.question)
    columns = [
        group.label("grp"),
        func.count(score),
        func.coalesce(func.sum(score), 0.0),
        func.sum(case((score >= 4, 1), else_=0)),
        func.sum(case((score == 3, 1), else_=0)),
        func.sum(case((score <= 2, 1), else_=0)),
    ]
    if by_field:
        columns.insert(0, SurveyResponse.field)
    stmt = _submitted(
        select(*columns).join(SurveyResponse, Answer.response_id == SurveyResponse.id),
        session_id,
        channel,
    ).where(Answer.question.in_(list(group_of)), score.is_not(None))
    stmt = stmt.group_by(*([SurveyResponse.field] if by_field else []), group)
    result: dict[tuple[str | None, str], _Tally] = {}
    for row in (await db.execute(stmt)).all():
        field, rest = (row[0], row[1:]) if by_field else (None, row)
        key, n, total, high, neutral, low = rest
        result[(field, key)] = _Tally(int(n), float(total), int(high), int(neutral), int(low))
    return result


def _stats(tally: _Tally, neutral_counts_as_satisfied: bool) -> dict:
    satisfied = tally.high + (tally.neutral if neutral_counts_as_satisfied else 0)
    return {
        "n": tally.n,
        "mean": tally.total / tally.n if tally.n else None,
        "satisfied_pct": _pct(satisfied, tally.n),
        "dissatisfied_pct": _pct(tally.low, tally.n),
        "neutral_pct": _pct(tally.neutral, tally.n),
        "small": tally.n < SMALL_CELL,
    }


async def _field_keys(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    by_field: bool,
    channel: str | None,
) -> list[str | None]:
    if not by_field:
        return [None]
    return list(await _fields_with_responses(db, survey, session_id, channel))


async def item_figures(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    *,
    by_field: bool = True,
    neutral_counts_as_satisfied: bool = False,
    channel: str | None = None,
) -> list[ItemFigure]:
    """Every S5 question, per field with submitted responses (or once over all fields)."""
    codes = item_codes(survey)
    if not codes:
        return []
    tallies = await _tally(
        db, session_id, {c: c for c in codes}, by_field=by_field, channel=channel
    )
    fields = await _field_keys(db, survey, session_id, by_field, channel)
    return [
        ItemFigure(
            field=field,
            code=code,
            **_stats(tallies.get((field, code), _Tally()), neutral_counts_as_satisfied),
        )
        for field in fields
        for code in codes
    ]


def element_groups(survey: Survey) -> list[tuple[Label | None, tuple[str, ...]]]:
    """S5 questions grouped by element label in survey order; a question without one stands alone."""
    groups: list[tuple[Label | None, list[str]]] = []
    for question in scale_questions(survey, ITEM_SCALE):
        match = next((g for g in groups if g[0] is not None and g[0] == question.element), None)
        if match is None:
            groups.append((question.element, [question.code]))
        else:
            match[1].append(question.code)
    return [(label, tuple(codes)) for label, codes in groups]


async def element_figures(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    *,
    by_field: bool = True,
    neutral_counts_as_satisfied: bool = False,
    channel: str | None = None,
) -> list[ElementFigure]:
    """Per element: the valid answers of its questions pooled (Q1–Q2 access, Q4–Q5 staff…)."""
    groups = element_groups(survey)
    if not groups:
        return []
    group_of = {code: str(i) for i, (_, codes) in enumerate(groups) for code in codes}
    tallies = await _tally(db, session_id, group_of, by_field=by_field, channel=channel)
    fields = await _field_keys(db, survey, session_id, by_field, channel)
    return [
        ElementFigure(
            field=field,
            element=label,
            codes=codes,
            **_stats(tallies.get((field, str(i)), _Tally()), neutral_counts_as_satisfied),
        )
        for field in fields
        for i, (label, codes) in enumerate(groups)
    ]


class ScaleFigures(NamedTuple):
    items: list[ItemFigure]  # per field with responses, every S5 question
    items_all: list[ItemFigure]  # all fields together
    per_field: list[ItemFigure]  # per field, every S5 answer pooled (code "*")
    elements: list[ElementFigure]  # per field
    elements_all: list[ElementFigure]  # all fields together


def _sum(tallies: Iterable[_Tally]) -> _Tally:
    return _Tally(*(sum(column) for column in zip(*tallies, strict=True))) if tallies else _Tally()


async def scale_figures(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    *,
    neutral_counts_as_satisfied: bool = False,
) -> ScaleFigures:
    """item_figures, field_figures and element_figures, per field and over all fields, from
    one GROUP BY (field, question) over the answers: the tallies add up, so every other figure
    is their sum, and the answers are scanned once instead of five times."""
    codes = item_codes(survey)
    if not codes:
        return ScaleFigures([], [], [], [], [])
    tallies = await _tally(db, session_id, {c: c for c in codes}, by_field=True, channel=None)
    fields = await _field_keys(db, survey, session_id, True, None)
    neutral = neutral_counts_as_satisfied

    def pooled(field_ids: list[str | None], group: Iterable[str]) -> _Tally:
        found = [tallies[(f, c)] for f in field_ids for c in group if (f, c) in tallies]
        return _sum(found)

    def item(field: str | None, code: str, tally: _Tally) -> ItemFigure:
        return ItemFigure(field=field, code=code, **_stats(tally, neutral))

    def element(field: str | None, label: Label | None, group: tuple[str, ...], tally: _Tally):
        return ElementFigure(field=field, element=label, codes=group, **_stats(tally, neutral))

    groups = element_groups(survey)
    return ScaleFigures(
        items=[item(f, c, pooled([f], [c])) for f in fields for c in codes],
        items_all=[item(None, c, pooled(fields, [c])) for c in codes],
        per_field=[item(f, "*", pooled([f], codes)) for f in fields],
        elements=[element(f, label, g, pooled([f], g)) for f in fields for label, g in groups],
        elements_all=[element(None, label, g, pooled(fields, g)) for label, g in groups],
    )


async def overall_rating(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    *,
    by_field: bool = True,
    channel: str | None = None,
) -> list[OverallFigure]:
    """The S3 question: N, % satisfied (vs + s), mean points 2/1/0 and the count per option."""
    code = overall_code(survey)
    if code is None:
        return []
    options = survey.question(code).options
    scored = {o.code: o.score for o in options if o.score is not None}
    columns = [Answer.value, func.count(Answer.id)]
    if by_field:
        columns.insert(0, SurveyResponse.field)
    stmt = _submitted(
        select(*columns).join(SurveyResponse, Answer.response_id == SurveyResponse.id),
        session_id,
        channel,
    ).where(Answer.question == code, Answer.value.in_(list(scored)))
    stmt = stmt.group_by(*([SurveyResponse.field] if by_field else []), Answer.value)
    counts: dict[str | None, dict[str, int]] = {}
    for row in (await db.execute(stmt)).all():
        field, value, count = row if by_field else (None, *row)
        counts.setdefault(field, {})[value] = int(count)
    fields = await _field_keys(db, survey, session_id, by_field, channel)
    figures = []
    for field in fields:
        per_option = {o.code: counts.get(field, {}).get(o.code, 0) for o in options}
        n = sum(per_option[c] for c in scored)
        satisfied = sum(per_option[c] for c, s in scored.items() if s >= 1)
        points = sum(per_option[c] * s for c, s in scored.items())
        figures.append(
            OverallFigure(
                field=field,
                code=code,
                n=n,
                satisfied_pct=_pct(satisfied, n),
                mean_points=points / n if n else None,
                counts=per_option,
                small=n < SMALL_CELL,
            )
        )
    return figures


async def multi_choice_shares(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    code: str,
    *,
    field: str | None = None,
    channel: str | None = None,
) -> list[OptionShare]:
    """Each option of a question, ranked: respondents choosing it and their share (0–100) of the
    respondents who answered the question. Counted in SQL on the space-separated codes."""
    question = survey.question(code)
    if question is None or not question.options:
        raise ValueError(f"unknown question or question without options: {code!r}")
    padded = literal(" ").concat(Answer.value).concat(" ")
    columns = [func.count(Answer.id)] + [
        func.sum(case((padded.contains(f" {o.code} ", autoescape=True), 1), else_=0))
        for o in question.options
    ]
    stmt = _submitted(
        select(*columns).join(SurveyResponse, Answer.response_id == SurveyResponse.id),
        session_id,
        channel,
    ).where(Answer.question == code, Answer.value.is_not(None), Answer.value != "")
    if field is not None:
        stmt = stmt.where(SurveyResponse.field == field)
    total, *chosen = (await db.execute(stmt)).one()
    total = int(total or 0)
    shares = [
        OptionShare(o.code, int(c or 0), _pct(int(c or 0), total))
        for o, c in zip(question.options, chosen, strict=True)
    ]
    order = {o.code: i for i, o in enumerate(question.options)}
    return sorted(shares, key=lambda s: (-s.respondents, order[s.option]))


async def question_counts(
    db: AsyncSession, session_id: SessionOrScope, *, include_hidden: bool = False
) -> dict[str, dict[str, int]]:
    """{field: {status: questions}} (hidden ones left out unless asked); in a date range,
    the questions filed in it."""
    scope = as_scope(session_id)
    if scope.since is None and scope.until is None and scope.session_id is not None:
        return await count_by_field_status(db, scope.session_id, include_hidden=include_hidden)
    stmt = select(
        ResidentQuestion.field, ResidentQuestion.status, func.count(ResidentQuestion.id)
    ).group_by(ResidentQuestion.field, ResidentQuestion.status)
    stmt = where_questions_in(stmt, scope).where(in_dialogue())
    if not include_hidden:
        stmt = stmt.where(ResidentQuestion.hidden.is_(False))
    counts: dict[str, dict[str, int]] = {}
    for field, status, count in (await db.execute(stmt)).all():
        counts.setdefault(field, {})[status] = count
    return counts


class Withheld(NamedTuple):
    """Questions of one field counted but never quoted in a file or a figure's text."""

    flagged: int  # may be a complaint or a denunciation (sent anyway), not hidden
    hidden: int  # hidden by the office, with a reason


async def withheld_questions(db: AsyncSession, session_id: SessionOrScope) -> dict[str, Withheld]:
    """{field: Withheld} for the fields that have any. The law on denunciations protects the
    denouncer and the content, and a hidden question was hidden for a reason: such questions are
    counted by field in the report and the figures, and their text stays in the office."""
    q = ResidentQuestion
    hidden = func.sum(case((q.hidden.is_(True), 1), else_=0))
    flagged = func.sum(case((q.hidden.is_(False) & q.complaint_flag.is_(True), 1), else_=0))
    stmt = (
        select(q.field, flagged, hidden)
        .where(q.hidden.is_(True) | q.complaint_flag.is_(True), in_dialogue())
        .group_by(q.field)
    )
    stmt = where_questions_in(stmt, as_scope(session_id))
    return {
        field: Withheld(int(f or 0), int(h or 0))
        for field, f, h in (await db.execute(stmt)).all()
        if f or h
    }


def where_questions_in(stmt: Select, scope: Scope) -> Select:
    """Questions of the scope: the session's, or those filed in [since, until)."""
    if scope.session_id is not None:
        stmt = stmt.where(ResidentQuestion.session_id == scope.session_id)
    if scope.since is not None:
        stmt = stmt.where(ResidentQuestion.created_at >= scope.since)
    if scope.until is not None:
        stmt = stmt.where(ResidentQuestion.created_at < scope.until)
    return stmt


class PendingLoad(NamedTuple):
    staff_id: int | None  # None: not assigned to anyone yet
    name: str | None
    pending: int


async def pending_by_official(db: AsyncSession, session_id: SessionOrScope) -> list[PendingLoad]:
    """Questions still awaiting an answer (received, assigned, for the conference), per
    assigned staff member, most loaded first; the unassigned ones as one line with no id."""
    waiting = [QuestionStatus.RECEIVED, QuestionStatus.ASSIGNED, QuestionStatus.CONFERENCE]
    stmt = (
        select(StaffMember.id, StaffMember.name, func.count(ResidentQuestion.id))
        .select_from(ResidentQuestion)
        .outerjoin(StaffMember, ResidentQuestion.assigned_to == StaffMember.id)
        .where(ResidentQuestion.status.in_(waiting), ResidentQuestion.hidden.is_(False))
        .group_by(StaffMember.id, StaffMember.name)
    )
    stmt = where_questions_in(stmt, as_scope(session_id))
    loads = [PendingLoad(i, n, int(c)) for i, n, c in (await db.execute(stmt)).all()]
    return sorted(loads, key=lambda x: (x.staff_id is None, -x.pending, x.name or ""))


class OptionCount(NamedTuple):
    field: str | None  # None: all fields together
    question: str
    value: str
    count: int


async def answer_distribution(
    db: AsyncSession, survey: Survey, session_id: SessionOrScope, *, by_field: bool = True
) -> list[OptionCount]:
    """How often each stored value of every single-choice and yes/no question was given, in
    submitted responses (skipped answers left out). Multiple choice: see multi_choice_shares."""
    codes = [
        q.code for q in survey.questions if q.type in (QuestionType.SINGLE, QuestionType.YES_NO)
    ]
    columns = [Answer.question, Answer.value, func.count(Answer.id)]
    if by_field:
        columns.insert(0, SurveyResponse.field)
    stmt = _submitted(
        select(*columns).join(SurveyResponse, Answer.response_id == SurveyResponse.id),
        session_id,
        None,
    ).where(Answer.question.in_(codes), Answer.value.is_not(None))
    stmt = stmt.group_by(
        *([SurveyResponse.field] if by_field else []), Answer.question, Answer.value
    )
    return [
        OptionCount(*(row if by_field else (None, *row))) for row in (await db.execute(stmt)).all()
    ]


async def field_figures(
    db: AsyncSession,
    survey: Survey,
    session_id: SessionOrScope,
    *,
    neutral_counts_as_satisfied: bool = False,
) -> list[ItemFigure]:
    """Per field with responses, every S5 answer pooled (code "*"): the field's one figure."""
    codes = item_codes(survey)
    if not codes:
        return []
    tallies = await _tally(db, session_id, dict.fromkeys(codes, "*"), by_field=True, channel=None)
    fields = await _field_keys(db, survey, session_id, True, None)
    return [
        ItemFigure(
            field=field,
            code="*",
            **_stats(tallies.get((field, "*"), _Tally()), neutral_counts_as_satisfied),
        )
        for field in fields
    ]
