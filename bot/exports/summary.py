"""The figures of one export (a session, or a date range), gathered once from SQL and shared by
/stats, the workbook, the chart and the report so they can never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import figures
from bot.services.figures import (
    ElementFigure,
    ItemFigure,
    OptionShare,
    OverallFigure,
    PendingLoad,
    Scope,
    Withheld,
)
from bot.survey.definition import QuestionType, Survey
from models import DialogueSession

CHANNELS = ("telegram", "zalo", "web", "paper", "console")


@dataclass(frozen=True)
class SessionInfo:
    id: int
    title: str
    starts_at: datetime | None  # UTC
    place: str | None
    status: str


@dataclass(frozen=True)
class Summary:
    scope: Scope
    session: SessionInfo | None  # None for a date range across sessions
    generated_at: datetime  # UTC
    neutral_counts_as_satisfied: bool
    responses: dict[str, dict[str, int]]  # {field: {channel: submitted responses}}
    items: list[ItemFigure]  # per field with responses, every S5 question
    items_all: list[ItemFigure]  # all fields together
    per_field: list[ItemFigure]  # per field, all S5 answers pooled (code "*")
    elements: list[ElementFigure]
    elements_all: list[ElementFigure]
    overall: list[OverallFigure]  # per field (the S3 one-stop-shop rating)
    overall_all: list[OverallFigure]  # all fields together (empty if the survey has no S3)
    priorities: dict[str, list[OptionShare]]  # {multi-choice question code: ranked options}
    questions: dict[str, dict[str, int]]  # {field: {status: questions}}, hidden ones left out
    pending: list[PendingLoad]
    # {field: counts} of possible complaints or denunciations and hidden questions: counted,
    # never quoted.
    withheld: dict[str, Withheld]

    @property
    def total_responses(self) -> int:
        return sum(sum(by_channel.values()) for by_channel in self.responses.values())

    @property
    def total_questions(self) -> int:
        return sum(sum(by_status.values()) for by_status in self.questions.values())

    @property
    def total_withheld(self) -> Withheld:
        return Withheld(
            sum(w.flagged for w in self.withheld.values()),
            sum(w.hidden for w in self.withheld.values()),
        )

    def quoted_questions(self, field: str) -> int:
        """The field's questions that a file may list: all but the withheld ones."""
        listed = sum(self.questions.get(field, {}).values())
        return listed - self.withheld.get(field, Withheld(0, 0)).flagged

    def channel_totals(self) -> dict[str, int]:
        """Responses per channel over all fields, the known channels always present."""
        totals = dict.fromkeys(CHANNELS, 0)
        for by_channel in self.responses.values():
            for channel, count in by_channel.items():
                totals[channel] = totals.get(channel, 0) + count
        return totals

    def fields(self, survey: Survey) -> list[str]:
        """Fields with responses or questions, in survey order (unknown ids last)."""
        found = set(self.responses) | set(self.questions) | set(self.withheld)
        known = [f.id for f in survey.fields if f.id in found]
        return known + sorted(found - set(known))


def session_info(session: DialogueSession) -> SessionInfo:
    return SessionInfo(
        session.id, session.title, session.starts_at, session.place, str(session.status)
    )


async def collect(
    db: AsyncSession,
    survey: Survey,
    scope: Scope,
    *,
    now: datetime,
    neutral_counts_as_satisfied: bool = False,
) -> Summary:
    """Every figure of the scope: a dozen GROUP BY queries, whatever the number of rows."""
    session = await db.get(DialogueSession, scope.session_id) if scope.session_id else None
    neutral = neutral_counts_as_satisfied
    multi = [q.code for q in survey.questions if q.type is QuestionType.MULTI and q.options]
    scales = await figures.scale_figures(db, survey, scope, neutral_counts_as_satisfied=neutral)
    return Summary(
        scope=scope,
        session=session_info(session) if session is not None else None,
        generated_at=now,
        neutral_counts_as_satisfied=neutral,
        responses=await figures.responses_by_field_channel(db, scope),
        items=scales.items,
        items_all=scales.items_all,
        per_field=scales.per_field,
        elements=scales.elements,
        elements_all=scales.elements_all,
        overall=await figures.overall_rating(db, survey, scope),
        overall_all=await figures.overall_rating(db, survey, scope, by_field=False),
        priorities={
            code: await figures.multi_choice_shares(db, survey, scope, code) for code in multi
        },
        questions=await figures.question_counts(db, scope),
        pending=await figures.pending_by_official(db, scope),
        withheld=await figures.withheld_questions(db, scope),
    )
