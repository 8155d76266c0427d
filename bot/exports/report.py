"""The Word report for the conference, "Báo cáo tổng hợp ý kiến", laid out as an administrative
document (Nghị định 30/2020/NĐ-CP): national header, title, then
I. overview (responses by field and channel, questions by status), II. satisfaction (field ×
element table, the chart, the overall 3-level rating and its reasons, the residents' priorities,
how the figures are computed), III. the residents' questions by field with status and answer,
IV. proposals, the recipients and the signature block, then the chart as an appendix on a page
of its own (placed in the text, a picture too tall for the rest of page 1 left half of it empty).

Figures come from a `Summary`, so the report, the chart and the workbook always agree. The
questions arrive as a stream (already ordered by field, then code) and are written as they come.
Every fixed text goes through gettext (English msgids, Vietnamese in locales/vi).
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from bot.exports import docx_style as style
from bot.exports.chart import satisfaction_chart
from bot.exports.numbers import number, percent
from bot.exports.rows import QuestionRow
from bot.exports.summary import CHANNELS, Summary
from bot.i18n import N_, _, use_locale
from bot.services.figures import SMALL_CELL, ElementFigure, OptionShare, overall_code
from bot.survey.definition import Question, Survey
from bot.texts import RATING_LABELS, ROLE_LABELS, STATUS_LABELS, channel_label

TABLE_SIZE = Pt(11)
NOTE_SIZE = Pt(11)
FIELD_COLUMN = Cm(4)
CHART_MAX_HEIGHT = Cm(22)  # the appendix page: the text height less its two heading lines
SIGNATURE_SPACE = Cm(3)  # between the signer's title and name: the signature and the seal
SMALL_MARK = "*"
# Characters XML 1.0 cannot hold (python-docx refuses them); a pasted text may carry some.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Recipients of a ward report (Nơi nhận), the file copy last as Nghị định 30/2020 has it.
RECIPIENTS = (
    N_("Standing Committee of the ward Party Committee;"),
    N_("Standing Committee of the ward People's Council;"),
    N_("Ward Committee of the Viet Nam Fatherland Front;"),
    N_("Chairperson and Vice-Chairpersons of the ward People's Committee;"),
    N_("Filed: Office."),
)


@dataclass(frozen=True)
class Signer:
    """Who signs for the People's Committee: SIGNER_TITLE ("|" between lines; empty: the
    Chairperson) and SIGNER_NAME."""

    title: str = ""
    name: str = ""

    @classmethod
    def from_settings(cls, settings) -> Signer:
        return cls(settings.signer_title.strip(), settings.signer_name.strip())

    def title_lines(self) -> list[str]:
        lines = [line.strip().upper() for line in self.title.split("|") if line.strip()]
        return lines or [_("CHAIRPERSON")]


def conference_report(
    summary: Summary,
    survey: Survey,
    questions: Iterable[QuestionRow],
    *,
    ward_name: str,
    locale: str,
    zone: ZoneInfo,
    chart: bytes | None = None,
    signer: Signer | None = None,
) -> bytes:
    """The report as DOCX bytes. `questions` is read once, row by row; `chart` is the PNG of
    `satisfaction_chart` if the caller has already drawn it."""
    with use_locale(locale):
        report = _Report(summary, survey, ward_name, locale, zone, signer)
        report.begin(chart)
        for row in questions:
            report.question(row)
        return report.end()


async def conference_report_streamed(
    summary: Summary,
    survey: Survey,
    questions: AsyncIterable[QuestionRow],
    *,
    ward_name: str,
    locale: str,
    zone: ZoneInfo,
    chart: bytes | None = None,
    signer: Signer | None = None,
) -> bytes:
    """The same, reading the questions straight from `rows.question_rows` (no list of them)."""
    with use_locale(locale):
        report = _Report(summary, survey, ward_name, locale, zone, signer)
        report.begin(chart)
        async for row in questions:
            report.question(row)
        return report.end()


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Report:
    def __init__(
        self,
        summary: Summary,
        survey: Survey,
        ward_name: str,
        locale: str,
        zone: ZoneInfo,
        signer: Signer | None = None,
    ) -> None:
        self.summary, self.survey, self.locale, self.zone = summary, survey, locale, zone
        self.ward = style.ward_short(ward_name)  # empty: the texts name no ward, no "……"
        self.signer = signer or Signer()
        self.chart: bytes | None = None  # drawn in the appendix, after the signature
        self.doc = Document()
        self.field: str | None = None  # the field of the last question written
        self.fields_seen = 0

    # --- helpers --------------------------------------------------------------------------

    def num(self, value: float | None, digits: int = 0) -> str:
        return number(value, digits, self.locale)

    def pct(self, value: float | None, small: bool = False) -> str:
        text = percent(value, self.locale, 1)
        return text + SMALL_MARK if small and value is not None else text

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def date(self, moment: datetime) -> str:
        return self.local(moment).strftime("%d/%m/%Y")

    def field_label(self, field_id: str) -> str:
        field = self.survey.field(field_id)
        return field.label.get(self.locale) if field else field_id

    def heading(self, text: str, *, level: int = 1):
        paragraph = style.para(self.doc, text, bold=True, italic=level > 1)
        paragraph.paragraph_format.space_before = Pt(10 if level == 1 else 6)
        paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def text(self, text: str, **kwargs):
        paragraph = style.para(self.doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, **kwargs)
        paragraph.paragraph_format.first_line_indent = Cm(1)
        return paragraph

    def note(self, text: str):
        return style.para(self.doc, text, italic=True, size=NOTE_SIZE)

    def table(self, header: Sequence[str], widths: Sequence):
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, cell, text, width in zip(
            table.columns, table.rows[0].cells, header, widths, strict=True
        ):
            column.width = cell.width = width  # the grid (LibreOffice) and the cell (Word)
            _write(cell, text, bold=True, align=style.CENTER)
        style.repeat_as_header(table.rows[0])
        return table

    def row(
        self,
        table,
        values: Sequence[str | Sequence[str]],
        *,
        bold: bool = False,
        text_columns: int = 1,
    ) -> None:
        """A row; a value given as several strings becomes several lines, the later ones small.
        The first `text_columns` columns are text read left to right, the others figures."""
        added = table.add_row()
        style.keep_whole(added)  # a row split over two pages leaves its figures without their field
        cells = added.cells
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.width = table.rows[0].cells[i].width
            align = WD_ALIGN_PARAGRAPH.LEFT if i < text_columns else style.CENTER
            lines = [value] if isinstance(value, str) else list(value)
            _write(cell, lines[0], bold=bold, align=align)
            for line in lines[1:]:
                style.para(cell, line, size=Pt(9.5), align=align)

    def even_widths(self, columns: int) -> list:
        rest = (style.TEXT_WIDTH - FIELD_COLUMN) // columns
        return [FIELD_COLUMN] + [rest] * columns

    # --- parts ----------------------------------------------------------------------------

    def begin(self, chart: bytes | None) -> None:
        style.setup(self.doc)
        style.page_numbers(self.doc.sections[0])
        self.header()
        self.title()
        self.overview()
        self.satisfaction(chart)
        self.heading(_("III. RESIDENTS' QUESTIONS AND RECOMMENDATIONS"))

    def header(self) -> None:
        ward_header(
            self.doc, self.ward, self.local(self.summary.generated_at), _("No.:        /BC-UBND")
        )

    def title(self) -> None:
        title = style.para(self.doc, _("REPORT"), bold=True, size=Pt(14), align=style.CENTER)
        title.paragraph_format.space_before = Pt(12)
        style.para(
            self.doc,
            _("Summary of residents' and businesses' opinions for the dialogue conference"),
            bold=True,
            align=style.CENTER,
        )
        for line in self.period():
            style.para(self.doc, line, italic=True, align=style.CENTER)
        style.para(self.doc, "—————", align=style.CENTER)

    def period(self) -> list[str]:
        """What the report covers: the session (title, time, place) and/or the date range."""
        summary, lines = self.summary, []
        if summary.session is not None:
            session = summary.session
            when = (
                _("to be announced")
                if session.starts_at is None
                else _("{time} on {date}").format(
                    time=self.local(session.starts_at).strftime("%H:%M"),
                    date=self.date(session.starts_at),
                )
            )
            lines.append(_clean(session.title))
            if session.place:
                lines.append(
                    _("Time: {when}; place: {place}").format(when=when, place=_clean(session.place))
                )
            else:
                lines.append(_("Time: {when}").format(when=when))
        since, until = summary.scope.since, summary.scope.until
        # `until` is exclusive: the last day covered is the one before it.
        last = None if until is None else self.date(until - timedelta(microseconds=1))
        if since is not None and last is not None:
            lines.append(
                _("Opinions received from {start} to {end}").format(
                    start=self.date(since), end=last
                )
            )
        elif since is not None:
            lines.append(_("Opinions received from {start}").format(start=self.date(since)))
        elif last is not None:
            lines.append(_("Opinions received up to {end}").format(end=last))
        elif summary.session is None:
            lines.append(_("All opinions received"))
        moment = self.local(summary.generated_at)
        lines.append(
            _("Figures as of {time} on {date}").format(
                time=moment.strftime("%H:%M"), date=moment.strftime("%d/%m/%Y")
            )
        )
        return lines

    def overview(self) -> None:
        summary = self.summary
        self.heading(_("I. OVERVIEW"))
        totals = summary.channel_totals()
        channels = [c for c in CHANNELS if c != "console" or totals.get(c)]
        channels += sorted(c for c in totals if c not in CHANNELS and totals[c])
        self.heading(_("1. Survey responses"), level=2)
        parts = "; ".join(
            _("{channel}: {count}").format(
                channel=channel_label(c),
                count=self.num(totals[c]),
            )
            for c in channels
        )
        self.text(
            _("Survey responses received: {total} ({parts}).").format(
                total=self.num(summary.total_responses), parts=parts
            )
        )
        if summary.total_responses:
            header = [_("Field")]
            header += [channel_label(c) for c in channels]
            header.append(_("Total"))
            table = self.table(header, self.even_widths(len(channels) + 1))
            for field in summary.fields(self.survey):
                by_channel = summary.responses.get(field)
                if not by_channel:
                    continue
                counts = [self.num(by_channel.get(c, 0)) for c in channels]
                total = self.num(sum(by_channel.values()))
                self.row(table, [self.field_label(field), *counts, total])
            counts = [self.num(totals[c]) for c in channels]
            self.row(
                table, [_("All fields"), *counts, self.num(summary.total_responses)], bold=True
            )

        self.heading(_("2. Questions and recommendations"), level=2)
        by_status: dict[str, int] = {}
        for statuses in summary.questions.values():
            for status, count in statuses.items():
                by_status[status] = by_status.get(status, 0) + count
        line = _("Questions and recommendations received: {total}").format(
            total=self.num(summary.total_questions)
        )
        if by_status:
            line += (
                " ("
                + "; ".join(
                    f"{self.status(status)}: {self.num(by_status[status])}"
                    for status in [*STATUS_LABELS, *sorted(set(by_status) - set(STATUS_LABELS))]
                    if by_status.get(status)
                )
                + ")"
            )
        self.text(line + ".")
        withheld = summary.total_withheld
        if withheld.flagged or withheld.hidden:
            self.text(
                _(
                    "Of these, {flagged} may be complaints or denunciations and are counted but not quoted; besides them, {hidden} were hidden by the office."
                ).format(flagged=self.num(withheld.flagged), hidden=self.num(withheld.hidden))
            )

    def status(self, status: str) -> str:
        return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status

    def satisfaction(self, chart: bytes | None) -> None:
        summary = self.summary
        self.heading(_("II. SATISFACTION WITH THE HANDLING OF ADMINISTRATIVE PROCEDURES"))
        if not summary.total_responses:
            self.text(_("No survey answers yet."), italic=True)
            return
        number_of = iter(range(1, 10))
        if summary.elements_all:
            self.heading(
                _("{n}. Satisfaction by field and criterion").format(n=next(number_of)), level=2
            )
            self.element_table()
            self.chart = chart or satisfaction_chart(summary, self.survey, locale=self.locale)
            self.note(_("The chart of these figures is in the appendix."))
        code = overall_code(self.survey)
        if summary.overall_all and code is not None:
            question = self.survey.question(code)
            self.heading(
                _("{n}. Overall rating (one-stop 3-level scale)").format(n=next(number_of)),
                level=2,
            )
            self.note(question.text.get(self.locale))
            self.overall_table(question)
        reasons, others = self.multi_choice_questions(code)
        for question in reasons:
            self.shares(question, summary.priorities[question.code])
        for question in others:
            self.heading(f"{next(number_of)}. {question.title(self.locale)}", level=2)
            self.shares(question, summary.priorities[question.code])
        self.heading(_("{n}. How the figures are computed").format(n=next(number_of)), level=2)
        self.scoring_notes()

    def element_table(self) -> None:
        summary = self.summary
        columns = summary.elements_all
        header = [_("Field")] + [self.element_label(f) for f in columns]
        table = self.table(header, self.even_widths(len(columns)))
        rows: dict[str, list[ElementFigure]] = {}
        for figure in summary.elements:
            rows.setdefault(figure.field, []).append(figure)
        for field, figures in rows.items():
            responses = sum(summary.responses.get(field, {}).values())
            label = [self.field_label(field), self.responses_note(responses)]
            self.row(table, [label, *(self.element_cell(f) for f in figures)])
        label = [_("All fields"), self.responses_note(summary.total_responses)]
        self.row(table, [label, *(self.element_cell(f) for f in columns)], bold=True)
        self.note(
            _(
                "Each cell: % satisfied; mean score (scale 1–5) and N, the number of valid answers. {mark} fewer than {n} answers."
            ).format(mark=SMALL_MARK, n=SMALL_CELL)
        )

    def responses_note(self, count: int) -> str:
        return _("responses: {count}").format(count=self.num(count))

    def element_label(self, figure: ElementFigure) -> str:
        if figure.element is not None:
            return figure.element.get(self.locale)
        question = self.survey.question(figure.codes[0])
        return question.title(self.locale) if question else figure.codes[0]

    def element_cell(self, figure: ElementFigure) -> list[str]:
        return [
            self.pct(figure.satisfied_pct, figure.small),
            _("mean {mean} · N = {n}").format(mean=self.num(figure.mean, 2), n=self.num(figure.n)),
        ]

    def picture(self, png: bytes) -> None:
        width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR chunk
        if style.TEXT_WIDTH * height / width <= CHART_MAX_HEIGHT:
            self.doc.add_picture(io.BytesIO(png), width=style.TEXT_WIDTH)
        else:
            self.doc.add_picture(io.BytesIO(png), height=CHART_MAX_HEIGHT)
        self.doc.paragraphs[-1].alignment = style.CENTER

    def overall_table(self, question: Question) -> None:
        summary = self.summary
        options = question.options
        header = [_("Field"), "N"]
        header += [o.label.get(self.locale) for o in options]
        header += [_("% satisfied"), _("Mean points")]
        rest = (style.TEXT_WIDTH - FIELD_COLUMN - Cm(1.3)) // (len(options) + 2)
        table = self.table(header, [FIELD_COLUMN, Cm(1.3)] + [rest] * (len(options) + 2))
        figures = [(self.field_label(f.field), f, False) for f in summary.overall]
        figures += [(_("All fields"), f, True) for f in summary.overall_all]
        for label, figure, bold in figures:
            counts = [self.num(figure.counts.get(o.code, 0)) for o in options]
            values = [
                label,
                self.num(figure.n),
                *counts,
                self.pct(figure.satisfied_pct, figure.small),
                self.num(figure.mean_points, 2),
            ]
            self.row(table, values, bold=bold)
        points = ", ".join(
            f"{o.label.get(self.locale)} = {self.num(o.score)}"
            for o in options
            if o.score is not None
        )
        self.note(
            _(
                "% satisfied: the two higher levels among the valid answers. Mean points: {points}. {mark} fewer than {n} answers."
            ).format(points=points, mark=SMALL_MARK, n=SMALL_CELL)
        )

    def multi_choice_questions(self, overall: str | None) -> tuple[list[Question], list[Question]]:
        """Multiple-choice questions in survey order: those asked after the overall rating
        (its reasons), then the others (the residents' priorities)."""
        reasons, others = [], []
        for question in self.survey.questions:
            if question.code not in self.summary.priorities:
                continue
            condition = question.show_if
            about_overall = condition is not None and condition.question == overall
            (reasons if about_overall and overall is not None else others).append(question)
        return reasons, others

    def shares(self, question: Question, shares: list[OptionShare]) -> None:
        if not any(s.respondents for s in shares):
            self.note(_("{question}: no answers yet.").format(question=question.title(self.locale)))
            return
        header = [_("No."), question.title(self.locale), _("Respondents"), _("Share")]
        widths = [Cm(1.2), style.TEXT_WIDTH - Cm(6.2), Cm(2.5), Cm(2.5)]
        table = self.table(header, widths)
        for rank, share in enumerate(shares, start=1):
            option = question.option(share.option)
            label = option.label.get(self.locale) if option else share.option
            self.row(
                table,
                [str(rank), label, self.num(share.respondents), self.pct(share.share_pct)],
                text_columns=0,
            )
            table.rows[-1].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
        table.rows[0].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
        self.note(
            _(
                "Share of the residents who answered this question; several choices were possible, so the shares add up to more than 100%."
            )
        )

    def scoring_notes(self) -> None:
        if self.summary.neutral_counts_as_satisfied:
            neutral = _(
                "% satisfied is the share of valid answers rated 3 to 5: “Neutral” is counted as satisfied."
            )
        else:
            neutral = _(
                "% satisfied is the share of valid answers rated 4 (“Satisfied”) or 5 (“Very satisfied”): “Neutral” is counted as not satisfied."
            )
        notes = [
            neutral,
            _(
                "“Not applicable” and unanswered questions are left out of N and of the mean; each criterion pools the valid answers of its questions."
            ),
            _(
                "{mark} Cells with fewer than {n} answers are marked: too few to draw conclusions, and reported only in aggregate so that no one can be identified."
            ).format(mark=SMALL_MARK, n=SMALL_CELL),
            _("Paper forms are counted exactly like answers given in the chat."),
            _(
                "These are the results of a supplementary survey through the chatbot; they do not replace the ratings collected at the Public Administrative Service Centre and on the National Public Service Portal."
            ),
        ]
        for note in notes:
            self.text("– " + note)

    # --- III. questions, one at a time ----------------------------------------------------

    def question(self, row: QuestionRow) -> None:
        if row.field != self.field:
            self.field = row.field
            self.fields_seen += 1
            count = self.summary.quoted_questions(row.field)
            heading = f"{self.fields_seen}. {self.field_label(row.field)}"
            if count:
                heading += " " + _("(questions: {count})").format(count=self.num(count))
            self.heading(heading, level=2)
        line = style.para(self.doc, left=Cm(0.5))
        line.paragraph_format.space_before = Pt(4)
        line.paragraph_format.keep_with_next = True
        line.add_run(row.code).bold = True
        details = [self.date(row.created_at), _capital(self.status(row.status))]
        line.add_run(" – " + " – ".join(details)).italic = True
        style.para(self.doc, _clean(row.text), left=Cm(0.5)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if row.answer_text:
            by = _(ROLE_LABELS[row.answered_role]) if row.answered_role in ROLE_LABELS else ""
            when = self.date(row.answered_at) if row.answered_at else ""
            source = ", ".join(part for part in (by, when) if part)
            answer = style.para(self.doc, left=Cm(1))
            answer.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            label = _("Answer ({source}): ").format(source=source) if source else _("Answer: ")
            answer.add_run(label).bold = True
            answer.add_run(_clean(row.answer_text))
        if row.answer_rating in RATING_LABELS:
            style.para(
                self.doc,
                _("The resident rated the answer: {rating}.").format(
                    rating=_(RATING_LABELS[row.answer_rating])
                ),
                italic=True,
                size=NOTE_SIZE,
                left=Cm(1),
            )

    def withheld_table(self) -> None:
        """Possible complaints or denunciations and hidden questions: how many per field, never
        what they say (the law protects a denouncer and the content of a denunciation)."""
        withheld = self.summary.withheld
        if not withheld:
            return
        self.text(
            _(
                "Not quoted in this report: messages that may be complaints or denunciations (they are handled under the Law on Complaints and the Law on Denunciations, which protect the person and the content) and questions hidden by the office. Their numbers by field:"
            )
        )
        header = [_("Field"), _("May be a complaint or denunciation"), _("Hidden by the office")]
        table = self.table(header, self.even_widths(2))
        for field in self.summary.fields(self.survey):
            counts = withheld.get(field)
            if counts:
                self.row(
                    table,
                    [self.field_label(field), self.num(counts.flagged), self.num(counts.hidden)],
                )
        total = self.summary.total_withheld
        self.row(
            table,
            [_("All fields"), self.num(total.flagged), self.num(total.hidden)],
            bold=True,
        )

    # --- IV. closing ----------------------------------------------------------------------

    def end(self) -> bytes:
        if self.fields_seen == 0:
            self.text(_("No questions or recommendations yet."), italic=True)
        self.withheld_table()
        self.heading(_("IV. PROPOSALS"))
        self.text(
            _(
                "The Office of the People's Council and People's Committee will propose to the Chairperson which official answers each question and recommendation at the dialogue conference; the results of handling them will be made public as the rules require."
            )
        )
        if self.ward:
            closing = _(
                "This is the summary of residents' and businesses' opinions for the dialogue conference of the People's Committee of {ward} Ward./."
            ).format(ward=self.ward)
        else:
            closing = _(
                "This is the summary of residents' and businesses' opinions for the dialogue conference of the Ward People's Committee./."
            )
        self.text(closing).paragraph_format.keep_with_next = True
        self.closing()
        if self.chart is not None:
            self.appendix(self.chart)
        properties = self.doc.core_properties
        properties.title = _("Summary of residents' and businesses' opinions")
        properties.language = "en-GB" if self.locale == "en" else "vi-VN"
        properties.author = properties.last_modified_by = ""
        properties.created = properties.modified = self.summary.generated_at
        properties.revision = 1
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def closing(self) -> None:
        """Recipients (Nơi nhận) on the left; on the right the signature block: for the
        People's Committee, the signer's title, room for the signature and the seal, the
        signer's name. One row that never splits across pages."""
        left, right = signature_row(self.doc, Cm(7.5))
        _write(left, _("Recipients:"), bold=True, italic=True, size=Pt(12))
        for recipient in RECIPIENTS:
            style.para(left, "- " + _(recipient), size=Pt(11))
        left.paragraphs[0].paragraph_format.space_before = Pt(12)
        signer_column(
            right,
            [_("ON BEHALF OF THE PEOPLE'S COMMITTEE"), *self.signer.title_lines()],
            self.signer.name,
        )

    def appendix(self, png: bytes) -> None:
        """The chart on a page of its own after the signature (Phụ lục)."""
        heading = style.para(self.doc, _("APPENDIX"), bold=True, align=style.CENTER)
        heading.paragraph_format.page_break_before = True
        style.para(self.doc, _("(Attached to this report)"), italic=True, align=style.CENTER)
        self.picture(png)


def ward_header(doc, ward: str, day: datetime, number: str) -> None:
    """The national header of a ward document: the People's Committee of `ward` (short name;
    empty: unnamed) with the document's number line on the left, the national name and motto
    with the place and `day` (local) on the right."""
    # Nghị định 30/2020: a zero before days 1-9 and months 1-2.
    parts = {
        "day": f"{day.day:02d}",
        "month": f"{day.month:02d}" if day.month < 3 else str(day.month),
        "year": day.year,
    }
    if ward:
        place_date = _("{ward} Ward, {day}/{month}/{year}").format(ward=ward, **parts)
        agency = _("PEOPLE'S COMMITTEE\nOF {ward} WARD").format(ward=ward.upper())
    else:
        place_date = _("On {day}/{month}/{year}").format(**parts)
        agency = _("WARD PEOPLE'S\nCOMMITTEE")
    style.national_header(
        doc,
        agency=agency,
        nation=_("SOCIALIST REPUBLIC OF VIET NAM"),
        motto=_("Independence - Freedom - Happiness"),
        left_below=(number,),
        right_below=place_date,
    )


def signature_row(doc, left_width):
    """The closing two-column row (left `left_width`), borderless, never split across pages;
    returns its (left, right) cells."""
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    widths = (left_width, style.TEXT_WIDTH - left_width)
    for column, cell, width in zip(table.columns, table.rows[0].cells, widths, strict=True):
        column.width = cell.width = width  # the grid (LibreOffice) and the cell (Word)
    style.keep_whole(table.rows[0])
    return table.rows[0].cells


def signer_column(cell, titles: Sequence[str], name: str) -> None:
    """A signer in a cell: the title lines (bold, centred), room for the signature and the
    seal, then the name."""
    _write(cell, titles[0], bold=True, align=style.CENTER, size=style.SIZE)
    for line in titles[1:]:
        style.para(cell, line, bold=True, align=style.CENTER)
    signed = style.para(cell, name, bold=True, align=style.CENTER)
    signed.paragraph_format.space_before = SIGNATURE_SPACE
    cell.paragraphs[0].paragraph_format.space_before = Pt(12)


def _write(cell, text: str, *, bold=False, italic=False, align=None, size=TABLE_SIZE) -> None:
    """Text into a cell's first (empty) paragraph."""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    run.font.size = size
    if align is not None:
        paragraph.alignment = align
