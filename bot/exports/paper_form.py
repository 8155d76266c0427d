"""The printable survey form (DOCX), generated from the survey definition.

The Fatherland Front collects paper forms that must ask exactly what the chatbot asks, so the form
is built from the same `Survey` the bot runs on: fields as question 1 (C1), then every question in
survey order with its options, multi-choice limits, skip rules and show_if conditions in words.
Each question carries its code ("[Q3]") in small grey text so staff can type the answers back.

The few fixed texts of the form live in `FIXED_TEXTS` below, translated through the gettext
catalogs like every other text (English msgids, Vietnamese in locales/vi).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from bot.exports.docx_style import (
    GREY,
    SMALL,
    TEXT_WIDTH,
    keep_whole,
    national_header,
    repeat_as_header,
    setup,
    ward_short,
)
from bot.exports.docx_style import para as _para
from bot.i18n import N_, _, use_locale
from bot.survey.definition import Question, QuestionType, Survey

CODE_SIZE = Pt(9)
QR_SIZE = Cm(1.5)  # the web chat's code at the end of the form
OPTION_SIZE = Pt(11)  # procedures and the statements of a rating table
HEADER_SIZE = Pt(7.5)  # a rating table's column heads: "Dissatisfied" fits unbroken
OPTION_COLUMN = Cm(1.5)
CELL_MARGIN = Cm(0.08)  # left and right in a rating table (Word's default: 0.19 cm)
FORM_SIZE = Pt(12)
LINE_CHARACTERS = 72  # about what a line of options holds at 12 pt
INDENT = Cm(0.75)
C1 = "C1"  # the field question: asked by the bot from `survey.fields`, not in `survey.questions`

# The form's own wording, in the gettext catalogs like every other text (English msgids).
FIXED_TEXTS: dict[str, str] = {
    "agency": N_("{ward} WARD PEOPLE'S COMMITTEE"),
    "nation": N_("SOCIALIST REPUBLIC OF VIET NAM"),
    "motto": N_("Independence - Freedom - Happiness"),
    "title": N_("SURVEY FORM"),
    "subtitle": N_("on satisfaction with the handling of administrative procedures"),
    "form_no": N_("Form no. (filled in by staff): "),
    "instructions": N_(
        "This survey is anonymous: do not write your name or phone on it, except in the optional part at the end if you would like a reply. Put an X in one box ☐ per question (several where it says “choose up to” or “choose one or more”); questions marked “optional” may be skipped."
    ),
    "question": N_("Question {n}. "),
    "c1_text": N_("Which field was your procedure in?"),
    "c1_hint": N_(" (tick one field; if you can, tick the procedure as well)"),
    "max": N_("(choose up to {n})"),
    "any": N_("(choose one or more)"),
    "optional": N_("(optional)"),
    "only_if": N_("(Answer only if you chose {labels} in question {n})"),
    "skip": N_("If you choose {labels} in question {n}, go to {target}."),
    "skip_not": N_("If you do not choose {labels} in question {n}, go to {target}."),
    "target": N_("question {n}"),
    "end": N_("the end of the form"),
    "or": N_(" or "),
    "consent": N_(
        "I agree that my question, with my name and phone, is passed to the official in charge and the ward MTTQ for a reply"
    ),
    "agency_unnamed": N_("WARD PEOPLE'S COMMITTEE"),
    "questions": N_("Questions {first}–{last}. "),
    "grid": N_("Please rate each statement: tick one box per row."),
    "statement": N_("Statement"),
    "contact_title": N_("Optional part: only if you would like a reply"),
    "contact_why": N_(
        "Your answers above stay anonymous. Fill this in only if you would like a reply to your opinion or an invitation to speak at the conference: your name and phone serve only for you to receive a reply, go only to the official in charge and the ward Fatherland Front, and are never typed in with your answers."
    ),
    "name": N_("Name: "),
    "phone": N_("Phone: "),
    "thanks": N_("Thank you very much for your cooperation!"),
    "online": N_("Or answer on your phone: {url}"),
}


def fixed_texts(locale: str) -> dict[str, str]:
    with use_locale(locale):
        return {key: _(text) for key, text in FIXED_TEXTS.items()}


@dataclass(frozen=True)
class SkipRule:
    source: str  # code of the question answered
    labels: tuple[str, ...]  # the options that trigger the jump (or, if `negated`, avoid it)
    target: str | None  # code of the next question to answer; None = end of the form
    negated: bool = False


def paper_form(
    survey: Survey,
    *,
    ward_name: str,
    locale: str = "vi",
    session_title: str | None = None,
    chat_url: str | None = None,
) -> bytes:
    """Build the printable survey form as DOCX bytes (A4, Times New Roman 12 pt, two pages).
    `chat_url`: the web chat's address, printed at the end with its QR code."""
    texts = fixed_texts("en" if locale == "en" else "vi")
    numbers = {C1: 1} | {q.code: i for i, q in enumerate(survey.questions, start=2)}
    rules = skip_rules(survey, locale)
    anonymous, contact = _split_contact(survey)

    doc = Document()
    setup(doc)
    # 12 pt in single spacing (the report: 13 pt, 1.1): the form fits both sides of one sheet.
    doc.styles["Normal"].font.size = FORM_SIZE
    doc.styles["Normal"].paragraph_format.line_spacing = 1.0
    ward = ward_short(ward_name).upper()
    national_header(
        doc,
        agency=texts["agency"].format(ward=ward) if ward else texts["agency_unnamed"],
        nation=texts["nation"],
        motto=texts["motto"],
        left_below=(texts["form_no"] + "……",),
    )
    _title(doc, texts, session_title)
    _para(doc, texts["instructions"], italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    _field_question(doc, survey, texts, locale)
    for group in _groups(anonymous):
        if len(group) > 1:
            _rating_table(doc, survey, group, numbers, texts, locale, rules)
        else:
            own_rules = [r for r in rules if r.source == group[0].code]
            _question(doc, survey, group[0], numbers, texts, locale, own_rules)
    if contact:
        _contact_part(doc, survey, contact, numbers, texts, locale)

    thanks = _para(doc, texts["thanks"], bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    thanks.paragraph_format.space_before = Pt(4)
    if chat_url:
        _chat_link(doc, chat_url, locale)

    doc.core_properties.title = texts["title"]
    doc.core_properties.language = "en-GB" if locale == "en" else "vi-VN"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _split_contact(survey: Survey) -> tuple[list[Question], list[Question]]:
    """The anonymous questions, and those about being contacted (a question needing a consent
    and what depends on it): the latter go to the optional part at the end, the only place
    the form asks for a name and phone."""
    contact: list[Question] = []
    codes: set[str] = set()
    for question in survey.questions:
        condition = question.show_if
        if question.requires_consent or (condition and condition.question in codes):
            contact.append(question)
            codes.add(question.code)
    return [q for q in survey.questions if q.code not in codes], contact


def _groups(questions: list[Question]) -> list[list[Question]]:
    """Consecutive single-choice questions on the same scale and condition become one table
    (one row each, one column per option); every other question stands alone."""
    groups: list[list[Question]] = []
    for question in questions:
        previous = groups[-1][-1] if groups else None
        if (
            previous is not None
            and question.scale is not None
            and question.type is QuestionType.SINGLE
            and previous.type is QuestionType.SINGLE
            and previous.scale == question.scale
            and previous.show_if == question.show_if
        ):
            groups[-1].append(question)
        else:
            groups.append([question])
    return groups


def skip_rules(survey: Survey, locale: str = "vi") -> list[SkipRule]:
    """The jumps a paper respondent must make, derived from the questions' show_if conditions.

    For a single-choice question, options that hide the questions right after it are grouped by
    the question they lead to. For a multi-choice question only "none of the options that show
    the next question" is a sure jump. Whatever made the source question itself visible is known
    too (C2 was "Có" when O1 is answered), so questions needing the opposite count as hidden.
    """
    questions = survey.questions
    rules: list[SkipRule] = []
    for index, source in enumerate(questions):
        later = questions[index + 1 :]
        if not later or not any(q.show_if and q.show_if.question == source.code for q in later):
            continue
        known = _implied(survey, source)
        if source.type is QuestionType.MULTI:
            first = later[0].show_if
            if first is None or first.question != source.code:
                continue
            avoided = set(first.any_of)
            target = _next_shown(
                later, source.code, known, lambda any_of, avoided=avoided: set(any_of) <= avoided
            )
            labels = tuple(o.label.get(locale) for o in source.options if o.code in avoided)
            rules.append(SkipRule(source.code, labels, target, negated=True))
            continue
        grouped: dict[str | None, list[str]] = {}
        for option in source.options:
            target = _next_shown(
                later, source.code, known, lambda any_of, code=option.code: code not in any_of
            )
            if target != later[0].code:
                grouped.setdefault(target, []).append(option.label.get(locale))
        rules.extend(SkipRule(source.code, tuple(ls), t) for t, ls in grouped.items())
    return rules


def _implied(survey: Survey, question: Question) -> dict[str, set[str]]:
    """Answers a single-choice ancestor must have had for `question` to be shown at all."""
    known: dict[str, set[str]] = {}
    condition = question.show_if
    while condition is not None:
        parent = survey.question(condition.question)
        if parent is None:
            break
        if parent.type is not QuestionType.MULTI:
            known[parent.code] = known.get(parent.code, set(condition.any_of)) & set(
                condition.any_of
            )
        condition = parent.show_if
    return known


def _next_shown(
    later: list[Question], source: str, known: dict[str, set[str]], hides
) -> str | None:
    """The first of `later` still shown when `hides(any_of)` says which direct conditions fail."""
    hidden: set[str] = set()
    for question in later:
        condition = question.show_if
        if condition and (
            condition.question in hidden
            or (condition.question == source and hides(condition.any_of))
            or (
                condition.question in known
                and not known[condition.question] & set(condition.any_of)
            )
        ):
            hidden.add(question.code)
            continue
        return question.code
    return None


def _quoted(labels, texts: dict[str, str]) -> str:
    return texts["or"].join(f"“{label}”" for label in labels)


def _rule_text(rule: SkipRule, numbers: dict[str, int], texts: dict[str, str]) -> str:
    target = texts["end"] if rule.target is None else texts["target"].format(n=numbers[rule.target])
    key = "skip_not" if rule.negated else "skip"
    return texts[key].format(
        labels=_quoted(rule.labels, texts), n=numbers[rule.source], target=target
    )


# --- document building -------------------------------------------------------------------------


def _title(doc, texts: dict[str, str], session_title: str | None) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    title = _para(doc, texts["title"], bold=True, size=Pt(15), align=center)
    title.paragraph_format.space_before = Pt(4)
    _para(doc, texts["subtitle"], bold=True, align=center)
    if session_title:
        _para(doc, session_title, italic=True, align=center)


def _question_line(doc, number: int, text: str, code: str, texts, notes: list[str]) -> Paragraph:
    paragraph = _para(doc)
    paragraph.paragraph_format.space_before = Pt(4)
    paragraph.paragraph_format.keep_with_next = True
    paragraph.add_run(texts["question"].format(n=number)).bold = True
    paragraph.add_run(text)
    for note in notes:
        paragraph.add_run(" " + note).italic = True
    _code_tag(paragraph, code)
    return paragraph


def _code_tag(paragraph: Paragraph, code: str) -> None:
    tag = paragraph.add_run(f" [{code}]")
    tag.font.size, tag.font.color.rgb = CODE_SIZE, GREY


def _field_question(doc, survey: Survey, texts, locale: str) -> None:
    """One line per field, its common procedures after it in small print."""
    _question_line(doc, 1, texts["c1_text"] + texts["c1_hint"], C1, texts, [])
    last = len(survey.fields) - 1
    for index, field in enumerate(survey.fields):
        line = _para(doc, f"☐ {field.label.get(locale)}", left=INDENT)
        line.paragraph_format.keep_with_next = index < last
        if field.procedures:
            procedures = "   ".join(f"☐ {p.label.get(locale)}" for p in field.procedures)
            line.add_run(":  " + procedures).font.size = OPTION_SIZE


def _notes(survey, question: Question, numbers, texts, locale) -> list[str]:
    text = question.text.get(locale)
    notes: list[str] = []
    if question.type is QuestionType.MULTI:
        limit = question.max or len(question.options)
        hint = texts["max"].format(n=limit) if limit < len(question.options) else texts["any"]
        if hint.lower() not in text.lower():
            notes.append(hint)
    if question.optional and texts["optional"] not in text:
        notes.append(texts["optional"])
    if question.show_if:
        target = survey.question(question.show_if.question)
        labels = [o.label.get(locale) for o in target.options if o.code in question.show_if.any_of]
        notes.append(texts["only_if"].format(n=numbers[target.code], labels=_quoted(labels, texts)))
    return notes


def _question(doc, survey, question: Question, numbers, texts, locale, rules) -> None:
    notes = _notes(survey, question, numbers, texts, locale)
    text = question.text.get(locale)
    _question_line(doc, numbers[question.code], text, question.code, texts, notes)
    if question.type is QuestionType.TEXT:
        lines = min(3, max(2, question.max_length // 500))
        for i in range(lines):
            _dotted(doc, keep=i < lines - 1)
    else:
        _options(doc, question, locale, keep_last=bool(rules))
    for rule in rules:
        _para(doc, "→ " + _rule_text(rule, numbers, texts), italic=True, size=SMALL, left=INDENT)


def _option_label(question: Question, option, locale: str) -> str:
    label = option.label.get(locale)
    digit = question.scale is not None and option.code.isdigit() and option.score is not None
    return f"{option.code} {label}" if digit else label


def _options(doc, question: Question, locale: str, *, keep_last: bool) -> None:
    """The boxes side by side: one line when they are few and short, else in columns."""
    labels = [_option_label(question, o, locale) for o in question.options]
    items = [f"☐ {label}" for label in labels]
    longest = max(len(label) for label in labels)
    if len(items) <= 3 and longest <= 16:
        columns = len(items)
    else:
        columns = 3 if longest <= 22 else 2 if longest <= 36 else 0
    if columns:
        rows = [items[i : i + columns] for i in range(0, len(items), columns)]
    else:  # long labels: as many on a line as fit, one after the other
        rows = [[]]
        for item in items:
            if rows[-1] and len("    ".join([*rows[-1], item])) > LINE_CHARACTERS:
                rows.append([])
            rows[-1].append(item)
    step = (TEXT_WIDTH - INDENT) // max(columns, 1)
    for index, row in enumerate(rows):
        line = _para(doc, ("\t" if columns else "    ").join(row), left=INDENT)
        for column in range(1, columns):
            line.paragraph_format.tab_stops.add_tab_stop(INDENT + step * column)
        line.paragraph_format.keep_with_next = keep_last or index < len(rows) - 1


def _rating_table(doc, survey, group: list[Question], numbers, texts, locale, rules) -> None:
    """Questions on one scale as a grid: a row per question, a box per option."""
    first, last = group[0], group[-1]
    notes = _notes(survey, first, numbers, texts, locale)
    lead = _para(doc)
    lead.paragraph_format.space_before = Pt(4)
    span = texts["questions"].format(first=numbers[first.code], last=numbers[last.code])
    lead.add_run(span).bold = True
    lead.add_run(texts["grid"])
    for note in notes:
        lead.add_run(" " + note).italic = True

    options = first.options
    table = doc.add_table(rows=1, cols=len(options) + 1)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table, CELL_MARGIN)
    widths = [TEXT_WIDTH - OPTION_COLUMN * len(options)] + [OPTION_COLUMN] * len(options)
    for column, cell, width in zip(table.columns, table.rows[0].cells, widths, strict=True):
        column.width = cell.width = width  # the grid (LibreOffice) and the cell (Word)
    for cell, option in zip(table.rows[0].cells[1:], options, strict=True):
        digit = option.code.isdigit() and option.score is not None
        header = f"{option.code}\n{option.label.get(locale)}" if digit else option.label.get(locale)
        _cell_text(cell, header, size=HEADER_SIZE, bold=True)
    _cell_text(table.rows[0].cells[0], texts["statement"], size=HEADER_SIZE, bold=True)
    repeat_as_header(table.rows[0])
    for question in group:
        row = table.add_row()
        keep_whole(row)
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
        paragraph = row.cells[0].paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        paragraph.add_run(texts["question"].format(n=numbers[question.code])).bold = True
        paragraph.add_run(question.text.get(locale)).font.size = OPTION_SIZE
        _code_tag(paragraph, question.code)
        for cell in row.cells[1:]:
            _cell_text(cell, "☐", size=Pt(14))
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for rule in (r for q in group for r in rules if r.source == q.code):
        _para(doc, "→ " + _rule_text(rule, numbers, texts), italic=True, size=SMALL, left=INDENT)


def _cell_text(cell, text: str, *, size, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size, run.bold = size, bold or None


def _cell_margins(table, margin) -> None:
    """Narrow left and right cell margins, so the option names fit their narrow columns."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(int(margin.twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def _dotted(doc, *, keep: bool, label: str = "") -> None:
    """An answer line: a right tab at the text edge with a dotted leader."""
    line = _para(doc, label + "\t", left=INDENT)
    line.paragraph_format.tab_stops.add_tab_stop(
        TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )
    line.paragraph_format.keep_with_next = keep


def _contact_part(doc, survey, questions: list[Question], numbers, texts, locale) -> None:
    """The optional part, set apart by a rule: why it asks (a reply), that it is kept apart
    from the anonymous answers, then the questions, the consent, name and phone."""
    heading = _para(doc, texts["contact_title"], bold=True)
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.keep_with_next = True
    _rule_above(heading)
    why = _para(doc, texts["contact_why"], italic=True, size=SMALL)
    why.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    why.paragraph_format.keep_with_next = True
    for question in questions:
        _question(doc, survey, question, numbers, texts, locale, [])
    consent = _para(doc, f"☐ {texts['consent']}", left=INDENT)
    consent.paragraph_format.keep_with_next = True
    _dotted(doc, keep=True, label=texts["name"])
    _dotted(doc, keep=False, label=texts["phone"])


def _chat_link(doc, url: str, locale: str) -> None:
    """The web chat's QR code beside its address: one line, small enough to keep the form on
    two pages."""
    texts = fixed_texts("en" if locale == "en" else "vi")
    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=8, border=1)
    image.seek(0)
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(2)
    paragraph.add_run().add_picture(image, width=QR_SIZE, height=QR_SIZE)
    run = paragraph.add_run("  " + texts["online"].format(url=url))
    run.font.size, run.italic = OPTION_SIZE, True


def _rule_above(paragraph: Paragraph) -> None:
    """A line across the page above the paragraph (a border, as Word draws it)."""
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "dashed"), ("w:sz", "6"), ("w:space", "4"), ("w:color", "auto")):
        top.set(qn(key), value)
    borders.append(top)
    paragraph._p.get_or_add_pPr().append(borders)
