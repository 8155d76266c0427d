"""Paper forms typed into the template (bot/exports/paper_template.py): read, validate, store.

A file is stored whole or not at all. Every problem is collected, each naming its row and column
in the staff's language, so the clerk fixes them all in one pass. A valid file becomes one
submitted `SurveyResponse` per form, channel "paper", with no resident and the form number kept
(unique within the session: the same forms cannot be imported twice), and `Answer` rows scored
exactly as chat answers are (`flow.score_of`), so every figure counts them alike. A large file
is written in short transactions, as drafts of an import that is completed in one last step
(`import_forms`), so nobody waits on the database meanwhile and a half-stored file is never
counted.

Plain values and a database session in; the Telegram handler (handlers/paper.py) and the
command line (`import_paper_file`) share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import time
import unicodedata
import zipfile
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.xml.functions import iterparse
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.parsing import match_label
from bot.exports.paper_template import (
    FIELD,
    FORM,
    FORM_NO_LENGTH,
    MAX_BYTES,
    MAX_ROWS,
    PROCEDURE,
    choice_words,
    column_codes,
    column_letter,
    described,
    paper_questions,
    thousands,
)
from bot.i18n import _, current_locale, use_locale
from bot.services import audit, staff
from bot.services.staff import Actor, Permission
from bot.survey import flow
from bot.survey.definition import Question, QuestionType, Survey
from models import (
    Answer,
    DialogueSession,
    PaperFileImport,
    PaperImportStatus,
    ResponseStatus,
    SessionStatus,
    SurveyResponse,
    utcnow,
)

log = logging.getLogger(__name__)

CHANNEL = "paper"
ACTION = "paper_import"  # in the audit log
SEPARATORS = re.compile(r"[\s,;]+")
# What reading a damaged sheet raises (ElementTree's and lxml's ParseError are SyntaxErrors).
BROKEN = (zipfile.BadZipFile, zlib.error, SyntaxError, KeyError, ValueError, OSError, EOFError)
# An .xlsx is a zip: a small file may unpack to a huge sheet, and reading that takes gigabytes
# and minutes. A full template (5,000 forms, every cell filled) unpacks to about 5 MB.
MAX_UNPACKED = 25 * 1024 * 1024
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass(frozen=True)
class Problem:
    """One error of a file; `row` is the spreadsheet's row number, `column` a column code.
    Its text is composed when it is found, in the locale current then (the staff's)."""

    message: str
    row: int | None = None
    column: str | None = None
    text: str = field(init=False)

    def __post_init__(self) -> None:
        if self.row is not None and self.column is not None:
            where = _("Row {row}, column {column}: ").format(row=self.row, column=self.column)
        elif self.row is not None:
            where = _("Row {row}: ").format(row=self.row)
        elif self.column is not None:
            where = _("Column {column}: ").format(column=self.column)
        else:
            where = ""
        object.__setattr__(self, "text", where + self.message)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class PaperForm:
    row: int
    form_no: str
    field: str
    procedure: str | None
    answers: dict[str, str]  # question code -> stored value (blank cells are not answers)
    # question code -> score, as `flow.score_of` gives it: worked out while the file is read,
    # not while the storing transaction holds the database.
    scores: dict[str, float | None] = field(default_factory=dict)


@dataclass
class PaperImport:
    session_id: int
    session_title: str | None
    problems: list[Problem] = field(default_factory=list)
    by_field: dict[str, int] = field(default_factory=dict)  # forms stored, per field id

    @property
    def stored(self) -> int:
        return sum(self.by_field.values())

    @property
    def ok(self) -> bool:
        return not self.problems


class _Invalid(Exception):
    """A cell's value the question cannot take; `str()` says why."""


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Reading:
    """What a file holds: the valid forms, every problem, and the row of each form number
    (also of rows with problems, so a number already imported is reported at once)."""

    forms: list[PaperForm] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)


def read_forms(survey: Survey, data: bytes) -> Reading:
    """The forms of a filled template and every problem found (the forms are only usable when
    there is none). Form numbers are checked within the file, not against the database."""
    if len(data) > MAX_BYTES:
        return Reading(problems=[too_large()])
    unpacked = _unpacked_size(data)
    if unpacked is None:
        return Reading(problems=[_not_xlsx()])
    if unpacked > MAX_UNPACKED:
        return Reading(problems=[_too_large_unpacked()])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # whatever openpyxl finds wrong (zip, XML, content types): not a workbook
        return Reading(problems=[_not_xlsx()])
    try:
        return _read_book(survey, book)
    except BROKEN:  # rows are read lazily: a damaged sheet fails only here
        return Reading(problems=[_not_xlsx()])
    finally:
        book.close()


def _unpacked_size(data: bytes) -> int | None:
    """What the zip's members add up to once unpacked (as the zip declares it: reading a
    member never yields more), or None when `data` is not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except BROKEN:
        return None


def _read_book(survey: Survey, book) -> Reading:
    sheet = _data_sheet(book)
    header = next(sheet.iter_rows(max_row=1, values_only=True), None)
    columns, problems = _columns(survey, header)
    if problems:
        return Reading(problems=problems)
    questions = paper_questions(survey)
    unvalued = _formulas_without_value(sheet)
    reading = Reading()
    count = 0
    # Read-only sheets yield missing rows as empty ones, so counting gives the row number.
    # Rows are cut at the template's last column: a stray cell far to the right would make
    # every row that wide.
    rows = sheet.iter_rows(min_row=2, max_col=max(columns.values()) + 1, values_only=True)
    for number, values in enumerate(rows, start=2):
        cells = {code: _cell(values, index) for code, index in columns.items()}
        formulas = [code for code, index in columns.items() if (number, index + 1) in unvalued]
        if all(value is None for value in cells.values()) and not formulas:
            continue  # an empty row
        count += 1
        if count > MAX_ROWS:
            return Reading(problems=[_too_many_rows()])
        if formulas:  # read as blank, they would silently drop answers
            reading.problems += [_formula_without_value(number, code) for code in formulas]
            continue
        form_no = _form_number(cells[FORM])
        if form_no is not None and form_no in reading.numbers:
            reading.problems.append(
                Problem(
                    _("form number “{number}” is also on row {other}.").format(
                        number=form_no, other=reading.numbers[form_no]
                    ),
                    number,
                    FORM,
                )
            )
            continue
        if form_no is not None:
            reading.numbers[form_no] = number
        form, found = _read_row(survey, questions, number, cells)
        reading.problems += found
        if form is not None:
            reading.forms.append(form)
    if not count and not reading.problems:
        reading.problems.append(Problem(_("The file has no filled rows.")))
    return reading


def _formulas_without_value(sheet) -> set[tuple[int, int]]:
    """(row, column) of the cells holding a formula but no computed value (or an empty one): a
    file written by a program that does not calculate (Excel and LibreOffice store the value
    with the formula).
    Reading with `data_only` gives these as blank, so the sheet's XML is scanned for them."""
    found: set[tuple[int, int]] = set()
    row = column = 0
    with sheet._get_source() as source:  # the worksheet's XML, as openpyxl itself opens it
        for event, element in iterparse(source, events=("start", "end")):
            if element.tag == _SHEET_NS + "row":
                if event == "start":
                    row = int(element.get("r") or row + 1)
                    column = 0
                else:
                    element.clear()  # keep memory flat on a long sheet
            elif element.tag == _SHEET_NS + "c" and event == "end":
                reference = element.get("r")
                column = _column_index(reference) if reference else column + 1
                value = element.find(_SHEET_NS + "v")
                if element.find(_SHEET_NS + "f") is not None and (value is None or not value.text):
                    found.add((row, column))  # openpyxl, for one, writes an empty <v/>
    return found


def _column_index(reference: str) -> int:
    """1 for "A7", 27 for "AA7"."""
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - ord("A") + 1
    return index


def _formula_without_value(row: int, column: str) -> Problem:
    return Problem(
        _(
            "the cell holds a formula without a computed value. Please type the value itself, "
            "or open the file in Excel and save it again."
        ),
        row,
        column,
    )


def _form_number(raw: str | None) -> str | None:
    return " ".join(raw.split()) if raw else None


def _data_sheet(book):
    """The sheet whose first cell is the FORM header (the template's first sheet)."""
    for sheet in book.worksheets:
        first = next(sheet.iter_rows(max_row=1, max_col=1, values_only=True), (None,))
        if _code_of(first[0] if first else None) == FORM.casefold():
            return sheet
    return book.worksheets[0]


def _code_of(header: object) -> str | None:
    text = _text(header)
    return text.split()[0].casefold() if text else None


def _columns(survey: Survey, header: tuple | None) -> tuple[dict[str, int], list[Problem]]:
    """{column code: index} from the header row, or the problems that make it not the template."""
    expected = column_codes(survey)
    lookup = {code.casefold(): code for code in expected}
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for index, value in enumerate(header or ()):
        token = _code_of(value)
        if token is None:
            continue
        code = lookup.get(token)
        if code is None:
            problems.append(
                Problem(
                    _("“{header}” is not a column of the template.").format(
                        header=_clip(" ".join(str(value).split()), 40)
                    ),
                    1,
                    column_letter(index),
                )
            )
        elif code in found:
            problems.append(Problem(_("this column appears twice."), 1, code))
        else:
            found[code] = index
    if not found:
        return {}, [
            Problem(
                _(
                    "This is not the paper-forms template: its first row should hold the "
                    "column codes {codes}. Please use the template the bot sends."
                ).format(codes=", ".join(expected[:4]) + ", …")
            )
        ]
    missing = [code for code in expected if code not in found]
    if missing:
        problems.append(
            Problem(
                _(
                    "The columns {codes} of the template are missing. Please use the current "
                    "template without removing columns."
                ).format(codes=", ".join(missing))
            )
        )
    return found, problems


def _text(value: object) -> str | None:
    """A cell as text: None when blank; 4 and 4.0 (Excel stores numbers as floats) as "4"."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value).upper()
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def _cell(values: tuple, index: int) -> str | None:
    return _text(values[index]) if index < len(values) else None


def _read_row(
    survey: Survey, questions: list[Question], row: int, cells: dict[str, str | None]
) -> tuple[PaperForm | None, list[Problem]]:
    problems: list[Problem] = []
    form_no = _form_number(cells[FORM])
    if form_no is None:
        problems.append(Problem(_("the form number is missing."), row, FORM))
    elif len(form_no) > FORM_NO_LENGTH:
        problems.append(
            Problem(
                _("a form number has at most {limit} characters.").format(limit=FORM_NO_LENGTH),
                row,
                FORM,
            )
        )

    field_id = cells[FIELD].lower() if cells[FIELD] else None
    survey_field = survey.field(field_id) if field_id else None
    codes = ", ".join(f.id for f in survey.fields)
    if field_id is None:
        problems.append(
            Problem(_("the field is missing (one of {codes}).").format(codes=codes), row, FIELD)
        )
    elif survey_field is None:
        problems.append(
            Problem(
                _("“{value}” is not a field of the survey ({codes}).").format(
                    value=cells[FIELD], codes=codes
                ),
                row,
                FIELD,
            )
        )

    procedure = None
    if cells[PROCEDURE] is not None and survey_field is not None:
        known = [p.id for p in survey_field.procedures]
        procedure = next((p for p in known if p.casefold() == cells[PROCEDURE].casefold()), None)
        if procedure is None:
            if known:
                message = _("“{value}” is not a procedure of the field {field} ({codes}).")
            else:
                message = _("the field {field} has no procedures: leave this cell empty.")
            problems.append(
                Problem(
                    message.format(value=cells[PROCEDURE], field=field_id, codes=", ".join(known)),
                    row,
                    PROCEDURE,
                )
            )

    answers: dict[str, str] = {}
    unsure: set[str] = set()  # codes whose value is wrong: their conditions cannot be judged
    for question in questions:
        raw = cells[question.code]
        if raw is None:
            continue
        try:
            answers[question.code] = stored_value(question, raw)
        except _Invalid as invalid:
            problems.append(Problem(str(invalid), row, question.code))
            unsure.add(question.code)
    problems += _hidden_answers(survey, questions, row, answers, unsure)

    if problems:
        return None, problems
    assert form_no is not None and field_id is not None
    scores = {code: flow.score_of(survey.question(code), value) for code, value in answers.items()}
    return PaperForm(row, form_no, field_id, procedure, answers, scores), []


def _hidden_answers(
    survey: Survey, questions: list[Question], row: int, answers: dict[str, str], unsure: set[str]
) -> list[Problem]:
    """Answers to questions the form's own answers skip (the show_if rules, as in the chat:
    see flow.visible_questions), except where a wrong value upstream makes it unclear."""
    visible: set[str] = set()
    problems: list[Problem] = []
    for question in questions:
        condition = question.show_if
        if condition is None:
            visible.add(question.code)
            continue
        if condition.question in unsure:
            unsure.add(question.code)
            continue
        chosen = set(flow.split_multi(answers.get(condition.question)))
        if condition.question in visible and chosen & set(condition.any_of):
            visible.add(question.code)
        elif question.code in answers:
            source = survey.question(condition.question)
            values = _(" or ").join(described(source, condition.any_of, current_locale()))
            problems.append(
                Problem(
                    _("answer only when {code} is {values}; leave this cell empty.").format(
                        code=condition.question, values=values
                    ),
                    row,
                    question.code,
                )
            )
    return problems


def _words(question: Question) -> list[str]:
    return choice_words(question, current_locale())


def _choices(question: Question) -> str:
    """The allowed values as the error lists them: scale digits in ascending order first."""
    words = _words(question)
    if question.type is not QuestionType.YES_NO:
        words = sorted(words, key=lambda w: (not w.isdigit(), int(w) if w.isdigit() else 0))
    return ", ".join(words)


def _option(question: Question, token: str) -> str | None:
    """The option code a typed value means: the code (any case), or for yes/no also the word
    in either language, with or without diacritics ("có", "co", "Không", "yes")."""
    for option in question.options:
        if option.code == token or option.code.casefold() == token.casefold():
            return option.code
    if question.type is QuestionType.YES_NO:
        labels = [(o.code, label) for o in question.options for label in (o.label.vi, o.label.en)]
        index = match_label(token, [label for _code, label in labels])
        if index is not None:
            return labels[index][0]
    return None


def stored_value(question: Question, raw: str) -> str:
    """A non-empty cell as the value stored for `question` (as the chat stores it), or _Invalid."""
    if question.type is QuestionType.TEXT:
        if len(raw) > question.max_length:
            raise _Invalid(
                _("the text has {count} characters; the limit is {limit}.").format(
                    count=len(raw), limit=question.max_length
                )
            )
        return raw
    tokens = [t for t in SEPARATORS.split(raw) if t]
    if question.type is not QuestionType.MULTI:
        code = _option(question, raw)
        if code is not None:
            return code
        if len(tokens) > 1 and all(_option(question, t) for t in tokens):
            raise _Invalid(
                _("only one choice is allowed here ({choices}).").format(choices=_choices(question))
            )
        raise _Invalid(
            _("“{value}” is not a valid choice ({choices}).").format(
                value=_clip(raw, 40), choices=_choices(question)
            )
        )
    codes: list[str] = []
    for token in tokens:
        code = _option(question, token)
        if code is None:
            raise _Invalid(
                _("“{value}” is not a valid choice ({choices}).").format(
                    value=_clip(token, 40), choices=_choices(question)
                )
            )
        if code not in codes:
            codes.append(code)
    limit = question.max or len(question.options)
    if len(codes) > limit:
        raise _Invalid(
            _("{count} choices; at most {limit} are allowed.").format(count=len(codes), limit=limit)
        )
    stored = flow.join_multi(codes, question)
    assert stored is not None
    return stored


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def too_large() -> Problem:
    return Problem(
        _("The file is larger than {mb} MB. Please split it into several files.").format(
            mb=MAX_BYTES // (1024 * 1024)
        )
    )


def _too_large_unpacked() -> Problem:
    return Problem(
        _(
            "The file unpacks to more than {mb} MB of data, more than paper forms need. Please "
            "type the forms into the template the bot sends, or split them into several files."
        ).format(mb=MAX_UNPACKED // (1024 * 1024))
    )


def _not_xlsx() -> Problem:
    return Problem(
        _(
            "This file cannot be read as an Excel workbook (.xlsx). Please fill in the template "
            "and save it as .xlsx."
        )
    )


def _too_many_rows() -> Problem:
    return Problem(
        _("The file has more than {rows} forms. Please split it into several files.").format(
            rows=thousands(MAX_ROWS, current_locale())
        )
    )


# --- storing ----------------------------------------------------------------------------------


_reader: ProcessPoolExecutor | None = None


def _reader_process() -> ProcessPoolExecutor:
    global _reader
    if _reader is None:
        # Spawned, not forked: the bot's process has threads (SQLite, the event loop's).
        _reader = ProcessPoolExecutor(
            max_workers=1, mp_context=get_context("spawn"), initializer=_yield_the_cpu
        )
    return _reader


def _yield_the_cpu() -> None:
    """The reader runs at a lower priority: on a small server, residents' replies (the bot's
    process) get the CPU first, and the file takes a little longer."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no os.nice (Windows)
        os.nice(10)


async def read_file(survey: Survey, data: bytes) -> Reading:
    """`read_forms` in a separate process: reading a large workbook takes seconds of CPU, and
    in a thread of the bot's process it would slow every resident's reply (the GIL). Call it
    while no transaction is open: nobody else waits on the database meanwhile."""
    global _reader
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(
            _reader_process(), _read_in, survey, data, current_locale(), MAX_ROWS
        )
    except BrokenProcessPool:  # the reader died (killed, out of memory): a new one next time
        _reader = None
        return Reading(problems=[_not_xlsx()])


def _read_in(survey: Survey, data: bytes, locale: str, max_rows: int) -> Reading:
    """The reader process's work: the problems in the staff's language, the row limit as set
    in the bot's process."""
    global MAX_ROWS
    MAX_ROWS = max_rows
    with use_locale(locale):
        return read_forms(survey, data)


async def import_forms(
    db: AsyncSession, survey: Survey, reading: Reading, *, session_id: int, now: datetime
) -> PaperImport:
    """Check the file's `reading` (from `read_file`) against the session and, when it has no
    problem, store its forms. Nothing is stored from a file with problems. No permission
    check: see `import_upload`.

    The forms are written in short transactions of BATCH forms each (5,000 forms in one would
    hold the database for seconds; on SQLite everyone waits), each one committed on `db`, so
    call this with nothing of the caller's pending that must not be committed with them. They
    stay uncounted drafts of a "storing" import (models/paper_imports.py) until the last
    transaction makes them submitted all at once; that one is left open for the caller to add
    its audit row and commit. A file is therefore counted whole or not at all."""
    await clean_unfinished(db)  # what an import that died left behind frees its form numbers
    session = await db.get(DialogueSession, session_id)
    result = PaperImport(session_id, session.title if session else None)
    if session is None:
        result.problems.append(
            Problem(_("There is no dialogue session with id {id}.").format(id=session_id))
        )
        return result
    if session.status == SessionStatus.CANCELLED:
        result.problems.append(
            Problem(_("The session “{title}” was cancelled.").format(title=session.title))
        )
        return result
    problems = list(reading.problems)
    taken = dict(
        (
            await db.execute(
                select(SurveyResponse.form_no, SurveyResponse.status).where(
                    SurveyResponse.session_id == session_id, SurveyResponse.form_no.is_not(None)
                )
            )
        ).all()
    )
    for form_no, row in reading.numbers.items():
        if taken.get(form_no) == ResponseStatus.SUBMITTED:
            problems.append(
                Problem(
                    _("form number “{number}” was already imported for this session.").format(
                        number=form_no
                    ),
                    row,
                    FORM,
                )
            )
    if problems:
        order = {code: index for index, code in enumerate(column_codes(survey))}
        result.problems = sorted(
            problems, key=lambda p: (p.row is None, p.row or 0, order.get(p.column, -1))
        )
        return result
    if any(form_no in taken for form_no in reading.numbers):  # drafts: another file is storing them
        return _lost_race(result)
    if not await _store_in_batches(db, session_id, reading.forms, now):
        return _lost_race(result)
    result.by_field = dict(Counter(form.field for form in reading.forms))
    return result


def _lost_race(result: PaperImport) -> PaperImport:
    result.problems.append(
        Problem(_("Some of these forms were imported a moment ago. Please check and retry."))
    )
    return result


# Forms per transaction: some ten milliseconds of holding the database, even on SQLite.
BATCH = 50
# Between two transactions the import waits as long as the last one took, at least PAUSE
# seconds: the pool gives a returned connection to whoever asks first, and without a pause
# that would be this loop again, SQLite's one connection passing from batch to batch while
# every resident waits; with it, residents get at least half of the database's time
# (bench/slow_neighbours.py).
PAUSE = 0.01
# An import "storing" and untouched for this long was abandoned (its process died): a batch
# takes milliseconds, so a live import touches its row far more often.
STALE_AFTER = timedelta(minutes=2)


async def _store_in_batches(
    db: AsyncSession, session_id: int, forms: list[PaperForm], now: datetime
) -> bool:
    """Store `forms` as drafts of a new import, BATCH per transaction, then (left uncommitted)
    make them submitted. False, with nothing left stored, when some form number was taken
    meanwhile or the import was cleaned up as abandoned."""
    marker = PaperFileImport(
        session_id=session_id, forms=len(forms), created_at=utcnow(), updated_at=utcnow()
    )
    db.add(marker)
    await db.flush()
    marker_id = marker.id
    await db.commit()
    try:
        for start in range(0, len(forms), BATCH):
            began = time.monotonic()
            await _store(db, session_id, marker_id, forms[start : start + BATCH], now)
            await db.execute(
                update(PaperFileImport)
                .where(PaperFileImport.id == marker_id)
                .values(updated_at=utcnow())
            )
            await db.commit()
            await asyncio.sleep(max(PAUSE, time.monotonic() - began))
        if await _complete(db, marker_id, len(forms), now):
            return True
        await db.rollback()
    except IntegrityError:  # a concurrent import of the same numbers (or a vanished marker)
        await db.rollback()
    except BaseException:
        # A failure, or the task cancelled: what was stored goes, if the database still
        # answers; otherwise the next import or start-up removes it (see clean_unfinished).
        with contextlib.suppress(Exception):
            await db.rollback()
            await _remove(db, marker_id)
        raise
    await _remove(db, marker_id)
    return False


async def _complete(db: AsyncSession, marker_id: int, forms: int, now: datetime) -> bool:
    """One transaction, not committed here: the import "stored" and its forms submitted, all
    of them at once, or False when the import is no longer whole (cleaned up meanwhile)."""
    marked = await db.execute(
        update(PaperFileImport)
        .where(PaperFileImport.id == marker_id, PaperFileImport.status == PaperImportStatus.STORING)
        .values(status=PaperImportStatus.STORED, updated_at=utcnow())
    )
    responses = SurveyResponse.__table__
    submitted = await db.execute(
        update(responses)
        .where(
            responses.c.paper_import_id == marker_id,
            responses.c.status == ResponseStatus.DRAFT,
        )
        .values(status=ResponseStatus.SUBMITTED, submitted_at=now, updated_at=now)
    )
    return marked.rowcount == 1 and submitted.rowcount == forms


async def clean_unfinished(db: AsyncSession, *, older_than: timedelta | None = None) -> int:
    """Remove the imports left "storing" and untouched for `older_than` (the process storing
    them died), with their forms, in short transactions committed on `db`; how many imports.
    Run at start-up and before each import (default: untouched for STALE_AFTER)."""
    cutoff = utcnow() - (STALE_AFTER if older_than is None else older_than)
    abandoned = list(
        (
            await db.execute(
                select(PaperFileImport.id).where(
                    PaperFileImport.status == PaperImportStatus.STORING,
                    PaperFileImport.updated_at <= cutoff,
                )
            )
        ).scalars()
    )
    for marker_id in abandoned:
        await _remove(db, marker_id)
        log.warning("Removed a paper import that was never completed (import %d)", marker_id)
    return len(abandoned)


async def clean_unfinished_imports(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """`clean_unfinished` at start-up, on a session of its own."""
    async with sessionmaker() as db:
        return await clean_unfinished(db)


async def _remove(db: AsyncSession, marker_id: int) -> None:
    """An unfinished import's forms (their answers go with them: ON DELETE CASCADE), BATCH per
    transaction, then the import itself. Submitted forms are never touched."""
    responses = SurveyResponse.__table__
    while True:
        ids = list(
            (
                await db.execute(
                    select(responses.c.id)
                    .where(
                        responses.c.paper_import_id == marker_id,
                        responses.c.status == ResponseStatus.DRAFT,
                    )
                    .limit(BATCH)
                )
            ).scalars()
        )
        if not ids:
            break
        await db.execute(delete(responses).where(responses.c.id.in_(ids)))
        await db.commit()
    await db.execute(
        delete(PaperFileImport).where(
            PaperFileImport.id == marker_id, PaperFileImport.status == PaperImportStatus.STORING
        )
    )
    await db.commit()


async def _store(
    db: AsyncSession, session_id: int, marker_id: int, forms: list[PaperForm], now: datetime
) -> None:
    """Two multi-row INSERTs (responses with their ids back, then answers): hundreds of forms
    in one round trip each, on SQLite and PostgreSQL. The responses are drafts of the import
    `marker_id` until `_complete`."""
    if not forms:
        return
    # Core tables, not the ORM entities: ORM bulk inserts leave out None values and split the
    # rows into a batch per set of keys (answers with and without a score alternate).
    responses = SurveyResponse.__table__
    stmt = insert(responses).returning(responses.c.id, responses.c.form_no)
    rows = [
        {
            "resident_id": None,
            "session_id": session_id,
            "field": form.field,
            "procedure": form.procedure,
            "status": ResponseStatus.DRAFT,
            "channel": CHANNEL,
            "form_no": form.form_no,
            "reviewed": True,
            "created_at": now,
            "updated_at": now,
            "submitted_at": None,
            "paper_import_id": marker_id,
        }
        for form in forms
    ]
    ids = {form_no: id_ for id_, form_no in (await db.execute(stmt, rows)).all()}
    answers = [
        {
            "response_id": ids[form.form_no],
            "question": code,
            "value": value,
            "score": form.scores[code],
            "answered_at": now,
        }
        for form in forms
        for code, value in form.answers.items()
    ]
    if answers:
        await db.execute(insert(Answer.__table__), answers)


def _detail(result: PaperImport) -> dict:
    """What the audit log keeps: counts only, never a cell's content."""
    if result.ok:
        return {
            "session_id": result.session_id,
            "forms": result.stored,
            "by_field": result.by_field,
        }
    return {"session_id": result.session_id, "problems": len(result.problems)}


async def import_upload(
    db: AsyncSession,
    survey: Survey,
    actor: Actor,
    reading: Reading,
    *,
    session_id: int,
    now: datetime,
) -> PaperImport:
    """`import_forms` for a staff member who may upload paper answers (front, admin); audited.
    Raises PermissionDenied (audited too) for anyone else."""
    by = await staff.require(db, actor, Permission.UPLOAD_PAPER, now=now, action=ACTION)
    result = await import_forms(db, survey, reading, session_id=session_id, now=now)
    await staff.record_action(
        db, by, ACTION, now=now, target=f"session:{session_id}", detail=_detail(result)
    )
    return result


async def import_paper_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    survey: Survey,
    path: str | Path,
    session_id: int,
    now: datetime,
    *,
    locale: str | None = None,
) -> PaperImport:
    """The command line's import (`python -m bot paper-import FILE --session ID`): whoever runs
    it on the server is trusted; audited as "system". Problems are in `locale` (default: the
    current one). Raises OSError when the file cannot be read."""
    path = Path(path)
    with use_locale(locale or current_locale()):
        if path.stat().st_size > MAX_BYTES:
            return PaperImport(session_id, None, [too_large()])
        reading = await read_file(survey, path.read_bytes())  # before the transaction
        async with sessionmaker() as db:
            result = await import_forms(db, survey, reading, session_id=session_id, now=now)
            await audit.record(
                db,
                actor_telegram_id=None,
                actor_role="system",
                action=ACTION,
                target=f"session:{session_id}",
                detail=_detail(result),
                now=now,
            )
            await db.commit()  # the forms are counted from here, with the audit row
    return result
