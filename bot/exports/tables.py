"""The tables of an export, each a header and a stream of rows, written alike to the workbook
(one sheet each) and to CSV files. The small ones come from the SQL summary; the questions and
the raw responses are streamed from the database a batch at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.exports.rows import Pseudonyms, question_rows, response_rows
from bot.exports.summary import Summary
from bot.i18n import N_, _
from bot.services import figures
from bot.survey.definition import QuestionType, Survey
from bot.texts import RATING_LABELS, ROLE_LABELS, STATUS_LABELS, channel_label

Cell = str | int | float | datetime | None
ALL_FIELDS = N_("All fields")


@dataclass
class Table:
    name: str  # the CSV file's stem, e.g. "summary"
    title: str  # the sheet's name (Excel allows 31 characters)
    header: list[str]
    rows: AsyncIterator[list[Cell]]
    widths: list[int] = field(default_factory=list)  # column widths in characters
    percent: frozenset[int] = frozenset()  # columns holding a 0–100 percentage
    decimals: frozenset[int] = frozenset()  # columns holding a mean
    wrap: frozenset[int] = frozenset()  # columns of long text, wrapped in the cell


async def _each(rows: Iterable[list[Cell]]) -> AsyncIterator[list[Cell]]:
    for row in rows:
        yield row


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


class Labels:
    """Survey and status labels in one locale (call inside `use_locale`)."""

    def __init__(self, survey: Survey, locale: str, zone: ZoneInfo) -> None:
        self.survey, self.locale, self.zone = survey, locale, zone
        # Each label looked up once per export, not once per row of a 100,000-row sheet.
        self._fields: dict[str | None, str] = {}
        self._procedures: dict[tuple[str, str | None], str] = {}
        self._channels: dict[str, str] = {}

    def field_order(self) -> list[str]:
        return [f.id for f in self.survey.fields]

    def field(self, field_id: str | None) -> str:
        if field_id not in self._fields:
            self._fields[field_id] = self._field(field_id)
        return self._fields[field_id]

    def _field(self, field_id: str | None) -> str:
        if field_id is None:
            return _(ALL_FIELDS)
        found = self.survey.field(field_id)
        return found.label.get(self.locale) if found else field_id

    def procedure(self, field_id: str, procedure: str | None) -> str:
        key = (field_id, procedure)
        if key not in self._procedures:
            found = self.survey.field(field_id)
            match = (
                next((p for p in found.procedures if p.id == procedure), None) if found else None
            )
            self._procedures[key] = match.label.get(self.locale) if match else (procedure or "")
        return self._procedures[key]

    def question(self, code: str) -> str:
        found = self.survey.question(code)
        return found.title(self.locale) if found else code

    def option(self, code: str, value: str) -> str:
        question = self.survey.question(code)
        option = question.option(value) if question else None
        return option.label.get(self.locale) if option else value

    def status(self, status: str) -> str:
        return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status

    def channel(self, channel: str) -> str:
        if channel not in self._channels:
            self._channels[channel] = channel_label(channel)
        return self._channels[channel]

    def local(self, moment: datetime | None) -> datetime | None:
        """Naive local time: spreadsheets have no time zones, the ward reads its own time."""
        return None if moment is None else moment.astimezone(self.zone).replace(tzinfo=None)


def _number_or_text(value: str | None) -> Cell:
    """A scale answer ("4") as the number it is, so a spreadsheet can average it; option codes
    and typed text stay text."""
    return int(value) if value is not None and value.isdigit() and len(value) < 3 else value


def _fields_then_all(survey: Survey, found: Iterable[str | None]) -> list[str | None]:
    found = list(dict.fromkeys(found))
    known = [f.id for f in survey.fields if f.id in found]
    return [*known, *sorted(f for f in found if f is not None and f not in known), None]


def channels_table(summary: Summary, labels: Labels) -> Table:
    channels = list(summary.channel_totals())
    rows = []
    for field_id in _fields_then_all(labels.survey, summary.responses):
        counts = (
            summary.channel_totals() if field_id is None else summary.responses.get(field_id, {})
        )
        per_channel = [counts.get(c, 0) for c in channels]
        rows.append([labels.field(field_id), *per_channel, sum(per_channel)])
    return Table(
        "responses",
        _("Responses"),
        [_("Field"), *(labels.channel(c) for c in channels), _("Total")],
        _each(rows),
        widths=[34] + [11] * (len(channels) + 1),
    )


def summary_table(summary: Summary, labels: Labels) -> Table:
    """Per field (then all fields): each criterion (S5 question), then each element pooled."""
    header = [
        _("Field"),
        _("Kind"),
        _("Code"),
        _("Criterion"),
        "N",
        _("Mean (1–5)"),
        _("% satisfied"),
        _("% neutral"),
        _("% dissatisfied"),
        _("Fewer than 5 answers"),
    ]
    items = [*summary.items, *summary.items_all]
    elements = [*summary.elements, *summary.elements_all]
    rows = []
    for field_id in _fields_then_all(labels.survey, [i.field for i in items]):
        for item in (i for i in items if i.field == field_id):
            rows.append(
                [
                    labels.field(field_id),
                    _("question"),
                    item.code,
                    labels.question(item.code),
                    *_scores(item),
                ]
            )
        for element in (e for e in elements if e.field == field_id):
            rows.append(
                [
                    labels.field(field_id),
                    _("element"),
                    "+".join(element.codes),
                    element.element.get(labels.locale)
                    if element.element
                    else labels.question(element.codes[0]),
                    *_scores(element),
                ]
            )
    return Table(
        "summary",
        _("Summary"),
        header,
        _each(rows),
        widths=[30, 10, 9, 44, 8, 11, 12, 12, 14, 12],
        percent=frozenset({6, 7, 8}),
        decimals=frozenset({5}),
    )


def _scores(figure: figures.ItemFigure | figures.ElementFigure) -> list[Cell]:
    return [
        figure.n,
        _round(figure.mean, 2),
        _round(figure.satisfied_pct),
        _round(figure.neutral_pct),
        _round(figure.dissatisfied_pct),
        _("yes") if figure.small else "",
    ]


def overall_table(summary: Summary, labels: Labels) -> Table:
    """The one-stop-shop 3-level rating: % satisfied, mean points 2/1/0, counts per option."""
    overall = [*summary.overall, *summary.overall_all]
    options = list(overall[0].counts) if overall else []
    code = overall[0].code if overall else ""
    header = [
        _("Field"),
        "N",
        _("% satisfied"),
        _("Mean points (2/1/0)"),
        *(labels.option(code, o) for o in options),
        _("Fewer than 5 answers"),
    ]
    rows = [
        [
            labels.field(o.field),
            o.n,
            _round(o.satisfied_pct),
            _round(o.mean_points, 2),
            *(o.counts[c] for c in options),
            _("yes") if o.small else "",
        ]
        for o in overall
    ]
    return Table(
        "overall",
        _("Overall rating"),
        header,
        _each(rows),
        widths=[30, 8, 12, 16, *([14] * len(options)), 12],
        percent=frozenset({2}),
        decimals=frozenset({3}),
    )


async def distribution_table(db: AsyncSession, summary: Summary, labels: Labels) -> Table:
    """Every choice question's options, per field and for all fields: how many chose each and
    their share of those who answered it (for multiple choice, shares add up to over 100%)."""
    survey = labels.survey
    counted = await figures.answer_distribution(db, survey, summary.scope)
    counted += await figures.answer_distribution(db, survey, summary.scope, by_field=False)
    counts = {(c.field, c.question, c.value): c.count for c in counted}
    answered: dict[tuple[str | None, str], int] = {}
    for c in counted:
        answered[(c.field, c.question)] = answered.get((c.field, c.question), 0) + c.count
    fields = _fields_then_all(survey, [c.field for c in counted])
    multi: dict[tuple[str | None, str], dict[str, tuple[int, float | None]]] = {}
    for question in survey.questions:
        if question.type is QuestionType.MULTI and question.options:
            for field_id in fields:
                shares = await figures.multi_choice_shares(
                    db, survey, summary.scope, question.code, field=field_id
                )
                multi[(field_id, question.code)] = {
                    s.option: (s.respondents, s.share_pct) for s in shares
                }
    rows = []
    for field_id in fields:
        for question in survey.questions:
            if not question.options:
                continue
            for option in question.options:
                if question.type is QuestionType.MULTI:
                    count, share = multi[(field_id, question.code)].get(option.code, (0, None))
                else:
                    count = counts.get((field_id, question.code, option.code), 0)
                    total = answered.get((field_id, question.code), 0)
                    share = 100.0 * count / total if total else None
                rows.append(
                    [
                        labels.field(field_id),
                        question.code,
                        labels.question(question.code),
                        option.code,
                        option.label.get(labels.locale),
                        count,
                        _round(share),
                    ]
                )
    return Table(
        "distribution",
        _("Distribution"),
        [_("Field"), _("Code"), _("Question"), _("Option code"), _("Option"), _("Count"), "%"],
        _each(rows),
        widths=[30, 8, 40, 8, 30, 9, 9],
        percent=frozenset({6}),
    )


def questions_table(
    db: AsyncSession, summary: Summary, labels: Labels, pseudonym: Pseudonyms, *, named: bool
) -> Table:
    header = [
        _("Code"),
        _("Field"),
        _("Status"),
        _("Received (local time)"),
        _("Channel"),
        _("Question"),
        _("Answer"),
        _("Answered (local time)"),
        _("Answered by"),
        _("Resident's rating of the answer"),
        _("Resident (pseudonym)"),
    ]
    if named:
        header += [_("Name"), _("Phone")]

    async def rows() -> AsyncIterator[list[Cell]]:
        async for q in question_rows(
            db, summary.scope, pseudonym, named=named, fields=labels.field_order()
        ):
            row: list[Cell] = [
                q.code,
                labels.field(q.field),
                labels.status(q.status),
                labels.local(q.created_at),
                labels.channel(q.channel),
                q.text,
                q.answer_text or "",
                labels.local(q.answered_at),
                _(ROLE_LABELS[q.answered_role]) if q.answered_role in ROLE_LABELS else "",
                _(RATING_LABELS[q.answer_rating]) if q.answer_rating in RATING_LABELS else "",
                q.resident,
            ]
            if named:
                row += [q.contact_name or "", q.contact_phone or ""]
            yield row

    widths = [13, 26, 20, 18, 10, 60, 60, 18, 20, 16, 14]
    return Table(
        "questions",
        _("Questions"),
        header,
        rows(),
        widths=widths + ([24, 16] if named else []),
        wrap=frozenset({5, 6}),
    )


def responses_table(
    db: AsyncSession, summary: Summary, labels: Labels, pseudonym: Pseudonyms
) -> Table:
    """One row per submitted response: who (pseudonym), where, when, and every answer as
    stored (option codes, see the distribution sheet for their labels, or the typed text)."""
    codes = [q.code for q in labels.survey.questions]
    header = [
        _("Response"),
        _("Resident (pseudonym)"),
        _("Field"),
        _("Procedure"),
        _("Channel"),
        _("Paper form no."),
        _("Submitted (local time)"),
        *codes,
    ]

    async def rows() -> AsyncIterator[list[Cell]]:
        async for r in response_rows(db, summary.scope, pseudonym, codes):
            yield [
                r.id,
                r.resident,
                labels.field(r.field),
                labels.procedure(r.field, r.procedure),
                labels.channel(r.channel),
                r.form_no or "",
                labels.local(r.submitted_at),
                *map(_number_or_text, r.answers),
            ]

    return Table(
        "responses_raw",
        _("Raw responses"),
        header,
        rows(),
        widths=[10, 14, 26, 26, 10, 10, 18, *([8] * len(codes))],
    )
