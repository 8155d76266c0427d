"""The spreadsheet (XLSX) into which staff type the filled paper forms, built from the survey.

Like the printable form (paper_form.py), the template follows the `Survey` the bot runs on, so
paper answers land in the same questions as chat answers. Its layout is the contract with the
reader (bot/services/paper_answers.py):

- sheet 1, the data: row 1 holds the headers, "CODE\\nshort title", one row per form below;
  columns FORM (form number), C1 (field), PROC (procedure), then one per question code in survey
  order. Only the code (the header's first word) is read back, so the titles may be in either
  language and the columns in any order.
- sheet 2, every question with its allowed codes and labels;
- sheet 3, instructions and one filled example row (never in the data sheet, or it would be
  imported);
- a hidden sheet with the dropdown lists.

Questions that need a consent (F2: a reply with name and phone) are left out, and so is what
depends on them: a paper response has no resident account and keeps no contact data.
"""

from __future__ import annotations

import io

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from bot.exports.printing import print_setup, row_height
from bot.i18n import N_, _, use_locale
from bot.survey.definition import Question, QuestionType, Survey

FORM, FIELD, PROCEDURE = "FORM", "C1", "PROC"
FIXED = (FORM, FIELD, PROCEDURE)
MAX_ROWS = 5000  # forms per file; the dropdowns cover as many rows
MAX_BYTES = 5 * 1024 * 1024
FORM_NO_LENGTH = 32  # as stored (survey_responses.form_no)
DATA_WIDTH, TEXT_WIDTH = 14, 40
HELP_COLUMNS = 8  # the instructions span this many data columns
CODES_WIDTHS = (8, 50, 32, 8, 50)  # code, question, how to fill in, value, meaning

TEXTS = {
    "sheet_forms": N_("Forms"),
    "sheet_codes": N_("Answer codes"),
    "sheet_help": N_("Instructions"),
    FORM: N_("Form no."),
    FIELD: N_("Field"),
    PROCEDURE: N_("Procedure"),
    "code": N_("Code"),
    "question": N_("Question"),
    "how": N_("How to fill in"),
    "value": N_("Value"),
    "meaning": N_("Meaning"),
    "form_how": N_("Required: the number written on the form, once per session"),
    "field_how": N_("Required: one field code"),
    "procedure_how": N_("Optional: a procedure code of the chosen field"),
    "single": N_("One code"),
    "yes_no": N_("Yes or no"),
    "multi": N_("One or more codes, separated by spaces, commas or semicolons; at most {max}"),
    "text": N_("Free text, at most {limit} characters"),
    "only_if": N_("Only when {code} is {values}"),
    "or": N_(" or "),
    "invalid_title": N_("Not in the list"),
    "invalid": N_("Please choose a code from the list (see the sheet “{sheet}”)."),
    "too_long": N_("At most {limit} characters."),
    "title": N_("Typing in paper survey forms"),
    "session": N_("Dialogue session: {title}"),
    "steps": N_(
        "1. One row of the sheet “{forms}” is one paper form: the form number, the field (C1), "
        "the procedure if ticked, then the code of each answer.\n"
        "2. The codes of every question are on the sheet “{codes}”. Leave a cell empty when the "
        "question was not answered or the form says to skip it.\n"
        "3. Several choices: codes separated by spaces, commas or semicolons.\n"
        "4. Do not change the first row (the column codes) and do not add columns.\n"
        "5. Never type a respondent's name or phone number: paper forms are stored anonymously.\n"
        "6. Send the file to the bot. A file with errors stores nothing: the bot lists each error "
        "with its row and column. Each form number can be imported only once per session.\n"
        "7. At most {rows} forms and {mb} MB per file."
    ),
    "example": N_("Example (one filled form, not imported):"),
    "example_text": N_("Please post the fees at the reception desk."),
}


def paper_questions(survey: Survey) -> list[Question]:
    """The questions typed back from paper, in survey order: not those needing a consent, nor
    those shown only after one of them."""
    left_out: set[str] = set()
    kept: list[Question] = []
    for question in survey.questions:
        condition = question.show_if
        if question.requires_consent or (condition and condition.question in left_out):
            left_out.add(question.code)
        else:
            kept.append(question)
    return kept


def column_codes(survey: Survey) -> list[str]:
    return [*FIXED, *(q.code for q in paper_questions(survey))]


def choice_words(question: Question, locale: str) -> list[str]:
    """What a clerk types for each option: the code, or for yes/no the word ("có", "không")."""
    if question.type is QuestionType.YES_NO:
        return [o.label.get(locale).lower() for o in question.options]
    return [o.code for o in question.options]


def described(question: Question, codes: list[str], locale: str) -> list[str]:
    """Options as a clerk reads them: “có” for yes/no, else the code and its label."""
    if question.type is QuestionType.YES_NO:
        words = dict(
            zip((o.code for o in question.options), choice_words(question, locale), strict=True)
        )
        return [f"“{words[code]}”" for code in codes]
    return [f"“{code}” ({question.option(code).label.get(locale)})" for code in codes]


def example_row(survey: Survey, locale: str) -> dict[str, str]:
    """A plausible filled form that follows the skip rules: the first field and procedure,
    yes to yes/no, "satisfied"-like middle choices, two priorities, a short opinion."""
    field = survey.fields[0]
    row = {FORM: "1", FIELD: field.id}
    if field.procedures:
        row[PROCEDURE] = field.procedures[0].id
    chosen: dict[str, set[str]] = {}
    for question in paper_questions(survey):
        condition = question.show_if
        if condition and not chosen.get(condition.question, set()) & set(condition.any_of):
            continue
        options = question.options
        if question.type is QuestionType.TEXT:
            row[question.code] = _(TEXTS["example_text"])[: question.max_length]
            continue
        if question.type is QuestionType.MULTI:
            picked = options[: min(2, question.max or len(options))]
            row[question.code] = ", ".join(o.code for o in picked)
        else:
            # A middle rating ("4", "s"); the first answer of yes/no ("có"), which leads on.
            middle = question.type is QuestionType.SINGLE and len(options) > 2
            picked = [options[1] if middle else options[0]]
            row[question.code] = choice_words(question, locale)[options.index(picked[0])]
        chosen[question.code] = {o.code for o in picked}
    return row


def paper_template(
    survey: Survey, *, locale: str = "vi", session_title: str | None = None
) -> bytes:
    """The template as XLSX bytes, its texts in `locale` (vi or en)."""
    locale = "en" if locale == "en" else "vi"
    out = io.BytesIO()
    with use_locale(locale):
        t = {key: _(text) for key, text in TEXTS.items()}
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        styles = _styles(book)
        forms = book.add_worksheet(t["sheet_forms"])
        codes = book.add_worksheet(t["sheet_codes"])
        helps = book.add_worksheet(t["sheet_help"])
        lists = book.add_worksheet("lists")
        lists.hide()
        _data_sheet(forms, survey, locale, t, styles, _lists(lists, survey, locale))
        _codes_sheet(codes, survey, locale, t, styles)
        _help_sheet(helps, survey, locale, t, styles, session_title)
        forms.activate()
        book.close()
    return out.getvalue()


# --- sheets ------------------------------------------------------------------------------------


def _styles(book) -> dict:
    return {
        "header": book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
        ),
        "text": book.add_format({"num_format": "@"}),
        "example": book.add_format({"num_format": "@", "text_wrap": True, "valign": "top"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "bold": book.add_format({"bold": True}),
        "title": book.add_format({"bold": True, "font_size": 14}),
    }


def _header(question_or_code: Question | str, locale: str, t: dict[str, str]) -> str:
    if isinstance(question_or_code, Question):
        return f"{question_or_code.code}\n{question_or_code.title(locale)}"
    return f"{question_or_code}\n{t[question_or_code]}"


def _headers(survey: Survey, locale: str, t: dict[str, str]) -> list[str]:
    return [_header(code, locale, t) for code in FIXED] + [
        _header(q, locale, t) for q in paper_questions(survey)
    ]


def _lists(sheet, survey: Survey, locale: str) -> dict[str, str]:
    """Writes each dropdown's values in a column of the hidden sheet; returns the ranges."""
    values: dict[str, list[str]] = {FIELD: [f.id for f in survey.fields]}
    procedures = list(dict.fromkeys(p.id for f in survey.fields for p in f.procedures))
    if procedures:
        values[PROCEDURE] = procedures
    for question in paper_questions(survey):
        if question.type in (QuestionType.SINGLE, QuestionType.YES_NO):
            values[question.code] = choice_words(question, locale)
    ranges: dict[str, str] = {}
    for col, (code, items) in enumerate(values.items()):
        sheet.write_column(0, col, items)
        first = xl_rowcol_to_cell(0, col, row_abs=True, col_abs=True)
        last = xl_rowcol_to_cell(len(items) - 1, col, row_abs=True, col_abs=True)
        ranges[code] = f"=lists!{first}:{last}"
    return ranges


def _data_sheet(sheet, survey, locale, t, styles, ranges: dict[str, str]) -> None:
    questions = {q.code: q for q in paper_questions(survey)}
    headers = _headers(survey, locale, t)
    widths = _data_widths(survey)
    sheet.set_row(0, row_height(headers, widths))
    sheet.freeze_panes(1, 1)
    print_setup(sheet, widths, title=t["sheet_forms"], last_row=None)
    invalid = t["invalid"].format(sheet=t["sheet_codes"])
    for col, (code, header) in enumerate(zip(column_codes(survey), headers, strict=True)):
        sheet.write(0, col, header, styles["header"])
        question = questions.get(code)
        is_text = question is not None and question.type is QuestionType.TEXT
        # Form numbers as text, so "007" stays "007".
        sheet.set_column(col, col, widths[col], styles["text"] if code == FORM else None)
        cells = (1, col, MAX_ROWS, col)
        prompt = {"input_title": _clip(header.replace("\n", " "), 32)}
        if question is not None:
            prompt["input_message"] = _clip(question.text.get(locale), 255)
        if code in ranges:
            sheet.data_validation(
                *cells,
                {
                    "validate": "list",
                    "source": ranges[code],
                    "error_title": t["invalid_title"],
                    "error_message": invalid,
                    **prompt,
                },
            )
        elif is_text:
            sheet.data_validation(
                *cells,
                {
                    "validate": "length",
                    "criteria": "<=",
                    "value": question.max_length,
                    "error_title": t["invalid_title"],
                    "error_message": t["too_long"].format(limit=question.max_length),
                    **prompt,
                },
            )
        elif question is not None:
            sheet.data_validation(*cells, {"validate": "any", **prompt})


def _data_widths(survey: Survey) -> list[int]:
    """The data sheet's column widths: wider for the typed-in opinions."""
    texts = {q.code for q in paper_questions(survey) if q.type is QuestionType.TEXT}
    return [TEXT_WIDTH if code in texts else DATA_WIDTH for code in column_codes(survey)]


def _how(question: Question, survey: Survey, locale: str, t: dict[str, str]) -> str:
    if question.type is QuestionType.TEXT:
        how = t["text"].format(limit=question.max_length)
    elif question.type is QuestionType.MULTI:
        how = t["multi"].format(max=question.max or len(question.options))
    else:
        how = t["yes_no" if question.type is QuestionType.YES_NO else "single"]
    condition = question.show_if
    if condition:
        values = described(survey.question(condition.question), condition.any_of, locale)
        how += "\n" + t["only_if"].format(code=condition.question, values=t["or"].join(values))
    return how


def _codes_sheet(sheet, survey: Survey, locale: str, t: dict[str, str], styles) -> None:
    rows: list[tuple[str, str, str, str, str]] = [
        (FORM, t[FORM], t["form_how"], "", ""),
    ]
    rows += [
        (
            FIELD if i == 0 else "",
            t[FIELD] if i == 0 else "",
            t["field_how"] if i == 0 else "",
            f.id,
            f.label.get(locale),
        )
        for i, f in enumerate(survey.fields)
    ]
    procedures = [(f, p) for f in survey.fields for p in f.procedures]
    rows += [
        (
            PROCEDURE if i == 0 else "",
            t[PROCEDURE] if i == 0 else "",
            t["procedure_how"] if i == 0 else "",
            p.id,
            f"{f.id} · {f.label.get(locale)}: {p.label.get(locale)}",
        )
        for i, (f, p) in enumerate(procedures)
    ]
    for question in paper_questions(survey):
        head = (question.code, question.text.get(locale), _how(question, survey, locale, t))
        if question.type is QuestionType.TEXT:
            rows.append((*head, "", ""))
            continue
        words = choice_words(question, locale)
        for i, option in enumerate(question.options):
            rows.append((*(head if i == 0 else ("", "", "")), words[i], option.label.get(locale)))
    sheet.write_row(
        0, 0, [t["code"], t["question"], t["how"], t["value"], t["meaning"]], styles["header"]
    )
    for number, row in enumerate(rows, start=1):
        sheet.set_row(number, row_height(row, CODES_WIDTHS))
        sheet.write_row(number, 0, row, styles["wrap"])
    for column, width in enumerate(CODES_WIDTHS):
        sheet.set_column(column, column, width, styles["text"] if column == 3 else None)
    sheet.freeze_panes(1, 0)
    print_setup(sheet, CODES_WIDTHS, title=t["sheet_codes"], last_row=len(rows))


def _help_sheet(
    sheet, survey: Survey, locale: str, t: dict[str, str], styles, session_title
) -> None:
    codes = column_codes(survey)
    widths = _data_widths(survey)
    span = min(HELP_COLUMNS, len(codes)) - 1
    text_width = sum(widths[: span + 1])

    def line(row: int, text: str, style=None) -> None:
        """A line of the instructions across the first columns, wrapped to their width."""
        sheet.set_row(row, row_height([text], [text_width]))
        sheet.merge_range(row, 0, row, span, text, style or styles["wrap"])

    sheet.write(0, 0, t["title"], styles["title"])
    row = 1
    if session_title:
        line(row, t["session"].format(title=session_title))
        row += 1
    steps = t["steps"].format(
        forms=t["sheet_forms"],
        codes=t["sheet_codes"],
        rows=thousands(MAX_ROWS, locale),
        mb=MAX_BYTES // (1024 * 1024),
    )
    for step in steps.split("\n"):
        row += 1
        line(row, step)
    # Printed: the instructions, at full size (the example row, as wide as the data sheet,
    # would shrink the page to an unreadable scale; it is there to look at on screen).
    print_setup(sheet, widths[: span + 1], title=t["sheet_help"], last_row=row, header_rows=0)
    row += 2
    sheet.write(row, 0, t["example"], styles["bold"])
    example = example_row(survey, locale)
    headers = _headers(survey, locale, t)
    sheet.set_row(row + 1, row_height(headers, widths))
    sheet.write_row(row + 1, 0, headers, styles["header"])
    values = [example.get(code, "") for code in codes]
    sheet.set_row(row + 2, row_height(values, widths))
    sheet.write_row(row + 2, 0, values, styles["example"])
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)


def thousands(number: int, locale: str) -> str:
    """5000 as staff write it: "5.000" in Vietnamese, "5,000" in English."""
    return f"{number:,}".replace(",", "," if locale == "en" else ".")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (A, B, …, AA)."""
    return xl_col_to_name(index)
