"""The conference's documents (issue 15), laid out as the ward's other Word files (Nghị định
30/2020/NĐ-CP; the national header and the signature block of bot/exports/report.py):

- the agenda by field (`agenda_docx`), which the office prints for the officials answering;
- the minutes, "Biên bản hội nghị đối thoại" (`minutes_docx`): time and place, chair and
  secretary, attendance by group, the programme, the survey's main figures, every opinion with
  its field, the answer given and by whom, questions left for a written answer, the chair's
  conclusions, and the signatures of the secretary and the chair;
- the proposals to amend a regulation or procedure, for the higher level (`proposals_docx`,
  `proposals_xlsx`).

The data come from bot/services/conference/ as plain values. Possible complaints or
denunciations are counted, never quoted (the law protects a denouncer and the content).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import xlsxwriter
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from bot.exports import docx_style as style
from bot.exports.numbers import number, percent
from bot.exports.report import (
    RECIPIENTS,
    Signer,
    _clean,
    _write,
    signature_row,
    signer_column,
    ward_header,
)
from bot.i18n import N_, _, use_locale
from bot.services.conference import Agenda, AgendaEntry, Minutes, Proposals
from bot.survey.definition import Survey
from bot.texts import channel_label

TABLE_SIZE = Pt(11)

GROUP_LABELS = {
    "leaders": N_("Ward leaders"),
    "departments": N_("Heads of the ward's departments and units"),
    "front": N_("Fatherland Front and mass organisations"),
    "groups": N_("Residential groups"),
    "guests": N_("Guests"),
}
ORIGIN_LABELS = {
    "hall": N_("from the hall"),
    "floor": N_("from the floor"),
}
# The plan's programme (domain.md §1), when the session gives none of its own.
PROGRAMME = (
    N_(
        "Opening, introduction of the delegates, adoption of the programme, appointment of the secretary."
    ),
    N_("The chair states the purpose of the conference and the topics to focus on."),
    N_("The ward reports its administrative-reform results."),
    N_("Residents, organisations and businesses speak about procedures and rules at the ward."),
    N_("The Chairperson, the Vice-Chairpersons and the officials answer within their fields."),
    N_("Guests comment within their competence."),
    N_("The Chairperson takes in the opinions and concludes."),
)


class _Doc:
    """A ward document being written: the helpers every part uses."""

    def __init__(self, survey: Survey, ward_name: str, locale: str, zone: ZoneInfo) -> None:
        self.survey, self.locale, self.zone = survey, locale, zone
        self.ward = style.ward_short(ward_name)
        self.doc = Document()
        style.setup(self.doc)
        style.page_numbers(self.doc.sections[0])

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def date(self, moment: datetime) -> str:
        return self.local(moment).strftime("%d/%m/%Y")

    def time_and_date(self, moment: datetime) -> str:
        return _("{time} on {date}").format(
            time=self.local(moment).strftime("%H:%M"), date=self.date(moment)
        )

    def num(self, value: float | None, digits: int = 0) -> str:
        return number(value, digits, self.locale)

    def field_label(self, field_id: str | None) -> str:
        if not field_id:
            return ""
        found = self.survey.field(field_id)
        return found.label.get(self.locale) if found else field_id

    def header(self, moment: datetime, number_line: str) -> None:
        ward_header(self.doc, self.ward, self.local(moment), number_line)

    def title(self, kind: str, *lines: str) -> None:
        title = style.para(self.doc, kind, bold=True, size=Pt(14), align=style.CENTER)
        title.paragraph_format.space_before = Pt(12)
        for line in lines:
            style.para(self.doc, line, bold=True, align=style.CENTER)
        style.para(self.doc, "—————", align=style.CENTER)

    def heading(self, text: str, *, level: int = 1):
        paragraph = style.para(self.doc, text, bold=True, italic=level > 1)
        paragraph.paragraph_format.space_before = Pt(10 if level == 1 else 6)
        paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def text(self, text: str, **kwargs):
        paragraph = style.para(self.doc, _clean(text), align=WD_ALIGN_PARAGRAPH.JUSTIFY, **kwargs)
        paragraph.paragraph_format.first_line_indent = Cm(1)
        return paragraph

    def table(self, header: Sequence[str], widths: Sequence):
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, cell, text, width in zip(
            table.columns, table.rows[0].cells, header, widths, strict=True
        ):
            column.width = cell.width = width
            _write(cell, text, bold=True, align=style.CENTER, size=TABLE_SIZE)
        style.repeat_as_header(table.rows[0])
        return table

    def row(self, table, values: Sequence[str], *, bold: bool = False, text_columns=()) -> None:
        added = table.add_row()
        style.keep_whole(added)
        for i, (cell, value) in enumerate(zip(added.cells, values, strict=True)):
            cell.width = table.rows[0].cells[i].width
            align = WD_ALIGN_PARAGRAPH.LEFT if i in text_columns else style.CENTER
            _write(cell, _clean(value), bold=bold, align=align, size=TABLE_SIZE)

    def channel_name(self, channel: str) -> str:
        """A channel's label; questions typed in from the floor have a channel of their own."""
        return _(ORIGIN_LABELS["floor"]) if channel == "floor" else channel_label(channel)

    def source(self, entry: AgendaEntry) -> str:
        if entry.origin in ORIGIN_LABELS:
            return _(ORIGIN_LABELS[entry.origin])
        return channel_label(entry.channel)

    def save(self, title: str, moment: datetime) -> bytes:
        properties = self.doc.core_properties
        properties.title = title
        properties.language = "en-GB" if self.locale == "en" else "vi-VN"
        properties.author = properties.last_modified_by = ""
        properties.created = properties.modified = moment
        properties.revision = 1
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


# --- the agenda ---------------------------------------------------------------------------------


def agenda_docx(
    agenda: Agenda,
    survey: Survey,
    *,
    session_title: str,
    starts_at: datetime | None,
    ward_name: str,
    locale: str,
    zone: ZoneInfo,
    now: datetime,
) -> bytes:
    """The agenda by field: per field its counts, then each question with its supporters and
    who is to answer it."""
    with use_locale(locale):
        d = _Doc(survey, ward_name, locale, zone)
        d.header(now, _("No.:        /CT-UBND"))
        when = d.time_and_date(starts_at) if starts_at else _("date to be announced")
        d.title(
            _("CONFERENCE AGENDA BY FIELD"),
            _("Questions and recommendations to be answered at the dialogue conference"),
        )
        style.para(d.doc, f"{session_title} · {when}", italic=True, align=style.CENTER)
        if not agenda.entries:
            d.text(_("No questions on the agenda yet."), italic=True)
        widths = [Cm(1.2), Cm(2.6), Cm(7), Cm(1.9), Cm(3.3)]
        for index, counts in enumerate(agenda.counts, start=1):
            entries = agenda.of_field(counts.field)
            d.heading(f"{index}. {d.field_label(counts.field)}")
            channels = ", ".join(
                f"{d.channel_name(channel)} {d.num(n)}"
                for channel, n in sorted(counts.by_channel.items())
            )
            d.text(
                _(
                    "Questions: {questions} ({channels}); supports: {supports}; opinions on paper forms: {paper}."
                ).format(
                    questions=d.num(counts.questions),
                    channels=channels or "—",
                    supports=d.num(counts.supporters),
                    paper=d.num(counts.paper_opinions),
                ),
                italic=True,
            )
            quoted = [e for e in entries if not e.flagged]
            flagged = len(entries) - len(quoted)
            if quoted:
                table = d.table(
                    [
                        _("No."),
                        _("Code"),
                        _("Question or recommendation"),
                        _("Supports"),
                        _("To answer"),
                    ],
                    widths,
                )
                for number_in_field, entry in enumerate(quoted, start=1):
                    d.row(
                        table,
                        [
                            str(number_in_field),
                            entry.code,
                            f"{entry.text} ({d.source(entry)})",
                            d.num(entry.supporters),
                            entry.answerer_name or _("to be assigned"),
                        ],
                        text_columns=(2, 4),
                    )
            if flagged:
                d.text(_(WITHHELD_NOTE).format(count=d.num(flagged)), italic=True)
        return d.save(_("Conference agenda by field"), now)


WITHHELD_NOTE = N_(
    "{count} more may be complaints or denunciations: counted, not quoted (they are handled under the Law on Complaints and the Law on Denunciations)."
)


# --- the minutes --------------------------------------------------------------------------------


def minutes_docx(
    minutes: Minutes,
    survey: Survey,
    *,
    ward_name: str,
    locale: str,
    zone: ZoneInfo,
) -> bytes:
    """Biên bản hội nghị đối thoại."""
    with use_locale(locale):
        d = _Doc(survey, ward_name, locale, zone)
        moment = minutes.starts_at or minutes.generated_at
        d.header(moment, _("No.:        /BB-UBND"))
        d.title(_("MINUTES"), _("Dialogue conference with residents and businesses"))
        style.para(d.doc, minutes.title, italic=True, align=style.CENTER)
        _time_and_place(d, minutes)
        _participants(d, minutes)
        _programme(d, minutes)
        _proceedings(d, minutes)
        _conclusions(d, minutes)
        ended = (
            _("The conference ended at {when}.").format(when=d.time_and_date(minutes.ended_at))
            if minutes.ended_at
            else ""
        )
        closing = _("The minutes were read out to the conference and agreed by it./.")
        d.text(f"{ended} {closing}".strip()).paragraph_format.keep_with_next = True
        left, right = signature_row(d.doc, style.TEXT_WIDTH // 2)
        signer_column(left, [_("SECRETARY")], minutes.secretary_name or "")
        signer_column(right, [_("CHAIR OF THE CONFERENCE")], minutes.chair_name or "")
        return d.save(_("Minutes of the dialogue conference"), minutes.generated_at)


def _time_and_place(d: _Doc, minutes: Minutes) -> None:
    d.heading(_("I. TIME AND PLACE"))
    if minutes.starts_at:
        d.text(_("Time: from {when}.").format(when=d.time_and_date(minutes.starts_at)))
    else:
        d.text(_("Time: date to be announced."))
    d.text(_("Place: {place}.").format(place=minutes.place or _("the ward headquarters")))


def _participants(d: _Doc, minutes: Minutes) -> None:
    d.heading(_("II. PARTICIPANTS"))
    d.text(_("Chair: {name}.").format(name=minutes.chair_name or "—"))
    d.text(_("Secretary: {name}.").format(name=minutes.secretary_name or "—"))
    if not minutes.attendance:
        d.text(_("No delegates were listed."), italic=True)
        return
    present = sum(g.present for g in minutes.attendance)
    invited = sum(g.invited for g in minutes.attendance)
    d.text(
        _("Delegates present: {present} of {invited} invited, by group:").format(
            present=d.num(present), invited=d.num(invited)
        )
    )
    table = d.table(
        [_("Group"), _("Invited"), _("Present"), _("Delegates present")],
        [Cm(4.5), Cm(1.9), Cm(1.9), style.TEXT_WIDTH - Cm(8.3)],
    )
    for group in minutes.attendance:
        d.row(
            table,
            [
                _(GROUP_LABELS.get(group.group, group.group)),
                d.num(group.invited),
                d.num(group.present),
                "; ".join(group.names) or "—",
            ],
            text_columns=(0, 3),
        )
    d.row(table, [_("Total"), d.num(invited), d.num(present), ""], bold=True, text_columns=(0,))


def _programme(d: _Doc, minutes: Minutes) -> None:
    d.heading(_("III. PROGRAMME"))
    lines = [ln.strip() for ln in (minutes.programme or "").splitlines() if ln.strip()]
    for index, line in enumerate(lines or [_(step) for step in PROGRAMME], start=1):
        d.text(f"{index}. {line}")


def _proceedings(d: _Doc, minutes: Minutes) -> None:
    d.heading(_("IV. PROCEEDINGS"))
    d.heading(_("1. The main figures of the survey"), level=2)
    figures = [f for f in minutes.satisfaction if f.n]
    d.text(
        _("Survey responses received for this session: {count}.").format(
            count=d.num(minutes.responses)
        )
    ).paragraph_format.keep_with_next = bool(figures)
    if figures:
        table = d.table(
            [_("Field"), _("Answers"), _("Mean (1-5)"), _("Satisfied"), _("Dissatisfied")],
            [Cm(5.5), Cm(2.5), Cm(2.5), Cm(2.75), Cm(2.75)],
        )
        for f in figures:
            d.row(
                table,
                [
                    d.field_label(f.field),
                    d.num(f.n),
                    d.num(f.mean, 2),
                    percent(f.satisfied_pct, d.locale, 1),
                    percent(f.dissatisfied_pct, d.locale, 1),
                ],
                text_columns=(0,),
            )
    d.heading(_("2. Opinions and answers"), level=2)
    if not minutes.entries:
        d.text(_("No opinions were given."), italic=True)
    field = None
    for entry in minutes.entries:
        if entry.field != field:
            field = entry.field
            style.para(d.doc, d.field_label(field), bold=True, left=Cm(0.5))
        _opinion(d, entry, minutes)
    if minutes.withheld:
        d.text(_(WITHHELD_NOTE).format(count=d.num(minutes.withheld)), italic=True)
    d.heading(_("3. Questions to be answered in writing"), level=2)
    if not minutes.later:
        d.text(_("None."), italic=True)
        return
    table = d.table(
        [_("Code"), _("Field"), _("Responsible"), _("Deadline")],
        [Cm(3), Cm(5), Cm(5), Cm(3)],
    )
    for item in minutes.later:
        d.row(
            table,
            [
                item.question_code or "",
                d.field_label(item.field),
                item.owner_name or "—",
                d.date(item.deadline),
            ],
            text_columns=(1, 2),
        )


def _opinion(d: _Doc, entry: AgendaEntry, minutes: Minutes) -> None:
    line = style.para(d.doc, left=Cm(0.5))
    line.paragraph_format.space_before = Pt(4)
    line.paragraph_format.keep_with_next = True
    line.add_run(entry.code).bold = True
    details = [d.source(entry)]
    if entry.speaker:
        details.append(entry.speaker)
    line.add_run(" – " + " – ".join(details)).italic = True
    style.para(d.doc, _clean(entry.text), left=Cm(0.5)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    answer = style.para(d.doc, left=Cm(1))
    answer.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if entry.outcome == "answered" and entry.summary:
        label = _("Answer ({source}): ").format(source=entry.answered_by_name or "—")
        answer.add_run(label).bold = True
        answer.add_run(_clean(entry.summary))
    elif entry.outcome == "later":
        later = next((c for c in minutes.later if c.question_id == entry.question_id), None)
        text = _("To be answered in writing by {owner} before {deadline}.").format(
            owner=later.owner_name if later and later.owner_name else "—",
            deadline=d.date(later.deadline) if later else "—",
        )
        answer.add_run(text).italic = True
    else:
        answer.add_run(_("Not answered at the conference.")).italic = True


def _conclusions(d: _Doc, minutes: Minutes) -> None:
    d.heading(_("V. CONCLUSIONS OF THE CHAIR"))
    if not minutes.conclusions:
        d.text(_("None recorded."), italic=True)
    for index, conclusion in enumerate(minutes.conclusions, start=1):
        d.text(f"{index}. {conclusion.text}")
        task = conclusion.commitment
        if task is not None:
            style.para(
                d.doc,
                _("Task: {owner}, by {deadline}.").format(
                    owner=task.owner_name or "—", deadline=d.date(task.deadline)
                ),
                italic=True,
                left=Cm(1),
            )


# --- the proposals --------------------------------------------------------------------------------


def proposals_docx(
    found: Proposals,
    survey: Survey,
    *,
    ward_name: str,
    locale: str,
    zone: ZoneInfo,
    signer: Signer | None = None,
) -> bytes:
    """Kiến nghị sửa đổi quy định, thủ tục: the counts by field, then each proposal."""
    signer = signer or Signer()
    with use_locale(locale):
        d = _Doc(survey, ward_name, locale, zone)
        d.header(found.generated_at, _("No.:        /BC-UBND"))
        d.title(
            _("REPORT"),
            _("Residents' proposals to amend regulations and administrative procedures"),
        )
        style.para(d.doc, found.title, italic=True, align=style.CENTER)
        d.heading(_("I. PROPOSALS BY FIELD"))
        total = sum(n for _f, n in found.counts)
        table = d.table([_("Field"), _("Proposals")], [Cm(11), Cm(5)])
        for field_id, count in found.counts:
            d.row(table, [d.field_label(field_id), d.num(count)], text_columns=(0,))
        d.row(table, [_("All fields"), d.num(total)], bold=True, text_columns=(0,))
        d.heading(_("II. THE PROPOSALS"))
        if not found.rows:
            d.text(_("No opinion was marked as a proposal."), italic=True)
        field = None
        for row in found.rows:
            if row.field != field:
                field = row.field
                d.heading(d.field_label(field), level=2)
            line = style.para(d.doc, left=Cm(0.5))
            line.add_run(row.code).bold = True
            line.add_run(
                " – "
                + _("supports: {count}").format(count=d.num(row.supporters))
                + " – "
                + d.date(row.created_at)
            ).italic = True
            style.para(d.doc, _clean(row.text), left=Cm(0.5)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            if row.answer:
                answer = style.para(d.doc, left=Cm(1))
                answer.add_run(_("Answer: ")).bold = True
                answer.add_run(_clean(row.answer))
        if found.withheld:
            d.text(_(WITHHELD_NOTE).format(count=d.num(found.withheld)), italic=True)
        d.text(
            _(
                "The Ward People's Committee respectfully submits these proposals to the competent authority for consideration./."
            )
        ).paragraph_format.keep_with_next = True
        left, right = signature_row(d.doc, Cm(7.5))
        _write(left, _("Recipients:"), bold=True, italic=True, size=Pt(12))
        for recipient in RECIPIENTS:
            style.para(left, "- " + _(recipient), size=Pt(11))
        signer_column(
            right, [_("ON BEHALF OF THE PEOPLE'S COMMITTEE"), *signer.title_lines()], signer.name
        )
        return d.save(_("Proposals to amend regulations and procedures"), found.generated_at)


def proposals_xlsx(found: Proposals, survey: Survey, *, locale: str, zone: ZoneInfo) -> bytes:
    """The same as a workbook: the counts by field, and one row per proposal (texts written as
    strings, never as formulas)."""
    with use_locale(locale):
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        bold = book.add_format({"bold": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})

        def label(field_id: str) -> str:
            field = survey.field(field_id)
            return field.label.get(locale) if field else field_id

        counts = book.add_worksheet(_("By field")[:31])
        counts.write_row(0, 0, [_("Field"), _("Proposals")], bold)
        for i, (field_id, count) in enumerate(found.counts, start=1):
            counts.write_string(i, 0, label(field_id))
            counts.write_number(i, 1, count)
        last = len(found.counts) + 1
        counts.write_string(last, 0, _("All fields"), bold)
        counts.write_number(last, 1, sum(n for _f, n in found.counts), bold)
        if found.withheld:
            counts.write_string(
                last + 2, 0, _(WITHHELD_NOTE).format(count=number(found.withheld, 0, locale))
            )
        counts.set_column(0, 0, 40)
        counts.set_column(1, 1, 12)

        sheet = book.add_worksheet(_("Proposals")[:31])
        header = [
            _("Code"),
            _("Field"),
            _("Proposal"),
            _("Source"),
            _("Supports"),
            _("Date"),
            _("Answer"),
        ]
        sheet.write_row(0, 0, header, bold)
        for i, row in enumerate(found.rows, start=1):
            source = (
                _(ORIGIN_LABELS[row.origin])
                if row.origin in ORIGIN_LABELS
                else channel_label(row.channel)
            )
            sheet.write_string(i, 0, row.code)
            sheet.write_string(i, 1, label(row.field))
            sheet.write_string(i, 2, _clean(row.text), wrap)
            sheet.write_string(i, 3, source)
            sheet.write_number(i, 4, row.supporters)
            sheet.write_string(i, 5, row.created_at.astimezone(zone).strftime("%d/%m/%Y"))
            sheet.write_string(i, 6, _clean(row.answer or ""), wrap)
        for column, width in enumerate((13, 24, 60, 14, 10, 12, 50)):
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        book.close()
        return out.getvalue()
