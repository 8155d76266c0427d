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

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from bot.exports.docx_style import GREY, SMALL, TEXT_WIDTH, national_header, setup, ward_short
from bot.exports.docx_style import para as _para
from bot.i18n import N_, _, use_locale
from bot.survey.definition import Question, QuestionType, Survey

CODE_SIZE = Pt(9)
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
        "This survey is anonymous. Please put an X in one box ☐ for each question (questions marked “choose up to” or “choose one or more” allow several boxes) and write your opinion on the dotted lines. Questions marked “optional” may be skipped."
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
    "consent_hint": N_("If you chose “Yes”, please tick the consent box and write:"),
    "name": N_("Name: "),
    "phone": N_("Phone: "),
    "thanks": N_("Thank you very much for your cooperation!"),
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
    survey: Survey, *, ward_name: str, locale: str = "vi", session_title: str | None = None
) -> bytes:
    """Build the printable survey form as DOCX bytes (A4, Times New Roman 13 pt)."""
    texts = fixed_texts("en" if locale == "en" else "vi")
    numbers = {C1: 1} | {q.code: i for i, q in enumerate(survey.questions, start=2)}
    rules = skip_rules(survey, locale)

    doc = Document()
    setup(doc)
    national_header(
        doc,
        agency=texts["agency"].format(ward=ward_short(ward_name).upper()),
        nation=texts["nation"],
        motto=texts["motto"],
    )
    _title(doc, texts, session_title)

    _para(doc, texts["instructions"], italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for rule in rules:
        _para(doc, "– " + _rule_text(rule, numbers, texts), italic=True, left=INDENT)

    _field_question(doc, survey, texts, locale)
    for question in survey.questions:
        own_rules = [r for r in rules if r.source == question.code]
        _question(doc, survey, question, numbers, texts, locale, own_rules)

    thanks = _para(doc, texts["thanks"], bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    thanks.paragraph_format.space_before = Pt(12)

    doc.core_properties.title = texts["title"]
    doc.core_properties.language = "en-GB" if locale == "en" else "vi-VN"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


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
    title.paragraph_format.space_before = Pt(12)
    _para(doc, texts["subtitle"], bold=True, align=center)
    if session_title:
        _para(doc, session_title, italic=True, align=center)
    number = _para(doc, texts["form_no"], size=SMALL, align=WD_ALIGN_PARAGRAPH.RIGHT)
    number.add_run("…………").font.size = SMALL
    number.paragraph_format.space_after = Pt(6)


def _question_line(doc, number: int, text: str, code: str, texts, notes: list[str]) -> Paragraph:
    paragraph = _para(doc)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.keep_with_next = True
    paragraph.add_run(texts["question"].format(n=number)).bold = True
    paragraph.add_run(text)
    for note in notes:
        paragraph.add_run(" " + note).italic = True
    tag = paragraph.add_run(f" [{code}]")
    tag.font.size, tag.font.color.rgb = CODE_SIZE, GREY
    return paragraph


def _field_question(doc, survey: Survey, texts, locale: str) -> None:
    _question_line(doc, 1, texts["c1_text"], C1, texts, [])
    last = len(survey.fields) - 1
    for index, field in enumerate(survey.fields):
        line = _para(doc, f"☐ {field.label.get(locale)}", left=INDENT)
        line.paragraph_format.keep_with_next = index < last or bool(field.procedures)
        if field.procedures:
            procedures = "    ".join(f"☐ {p.label.get(locale)}" for p in field.procedures)
            sub = _para(doc, procedures, size=SMALL, left=INDENT * 2)
            sub.paragraph_format.keep_with_next = index < last


def _question(doc, survey, question: Question, numbers, texts, locale, rules) -> None:
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
    _question_line(doc, numbers[question.code], text, question.code, texts, notes)

    if question.type is QuestionType.TEXT:
        lines = min(6, max(2, question.max_length // 250))
        for i in range(lines):
            _dotted(doc, keep=i < lines - 1)
    else:
        _options(doc, question, locale, keep_last=bool(rules or question.requires_consent))
    for rule in rules:
        _para(doc, "→ " + _rule_text(rule, numbers, texts), italic=True, size=SMALL, left=INDENT)
    if question.requires_consent:
        _consent(doc, texts)


def _options(doc, question: Question, locale: str, *, keep_last: bool) -> None:
    labelled = [(o, o.label.get(locale)) for o in question.options]
    items = []
    for option, label in labelled:
        digit = question.scale is not None and option.code.isdigit() and option.score is not None
        items.append(f"☐ {option.code} {label}" if digit else f"☐ {label}")
    if len(items) <= 3 and all(len(label) <= 16 for _, label in labelled):
        line = _para(doc, "\t".join(items), left=INDENT)
        line.paragraph_format.keep_with_next = keep_last
        return
    for index, item in enumerate(items):
        line = _para(doc, item, left=INDENT)
        line.paragraph_format.keep_with_next = keep_last or index < len(items) - 1


def _dotted(doc, *, keep: bool) -> None:
    """An empty answer line: a right tab at the text edge with a dotted leader."""
    line = _para(doc, "\t", left=INDENT)
    line.paragraph_format.tab_stops.add_tab_stop(
        TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )
    line.paragraph_format.keep_with_next = keep


def _consent(doc, texts) -> None:
    _para(doc, texts["consent_hint"], italic=True, size=SMALL, left=INDENT)
    _para(doc, f"☐ {texts['consent']}", left=INDENT)
    for label in (texts["name"], texts["phone"]):
        line = _para(doc, label + "\t", left=INDENT)
        line.paragraph_format.tab_stops.add_tab_stop(
            TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )
