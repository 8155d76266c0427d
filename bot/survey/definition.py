"""The survey as data: pydantic models for the survey file and its validation at start-up."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_SURVEY_FILE = Path(__file__).with_name("default.yaml")
LOCALES = ("vi", "en")

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,8}$")]


class SurveyError(Exception):
    """The survey file is unusable; the message names the file and the bad entry."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    vi: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


class Option(Strict):
    code: Code
    label: Label
    # Numeric value for averages; None keeps the option out of them ("not applicable").
    score: float | None = None


class Procedure(Strict):
    id: Code
    label: Label


class SurveyField(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,8}$")]
    label: Label
    procedures: list[Procedure] = []

    @model_validator(mode="after")
    def _unique_procedures(self) -> SurveyField:
        _require_unique([p.id for p in self.procedures], f"field {self.id}: procedure")
        return self


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    YES_NO = "yes_no"
    TEXT = "text"


class Condition(Strict):
    question: Code
    any_of: Annotated[list[Code], Field(min_length=1)]


class Question(Strict):
    code: Code
    type: QuestionType
    text: Label
    short: Label | None = None
    element: Label | None = None
    scale: Code | None = None
    options: list[Option] = []
    max: Annotated[int | None, Field(ge=1)] = None
    max_length: Annotated[int, Field(ge=1, le=3000)] = 2000
    optional: bool = False
    show_if: Condition | None = None
    requires_consent: Code | None = None

    def title(self, locale: str) -> str:
        return (self.short or self.text).get(locale)

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


class Survey(Strict):
    version: int
    scales: dict[Code, Annotated[list[Option], Field(min_length=2)]] = {}
    fields: Annotated[list[SurveyField], Field(min_length=1)]
    questions: Annotated[list[Question], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Survey:
        _require_unique([f.id for f in self.fields], "field id")
        _require_unique([q.code for q in self.questions], "question code")
        resolved = [self._resolve_options(q) for q in self.questions]
        object.__setattr__(self, "questions", resolved)
        seen: dict[str, Question] = {}
        for question in resolved:
            _check_condition(question, seen)
            seen[question.code] = question
        return self

    def _resolve_options(self, question: Question) -> Question:
        """Copy a scale's options into the question, so every later reader sees one list."""
        where = f"question {question.code}"
        if question.type is QuestionType.TEXT:
            if question.options or question.scale:
                raise ValueError(f"{where}: a text question has no options or scale")
            return question
        scale = "yes_no" if question.type is QuestionType.YES_NO else question.scale
        if scale and question.options:
            raise ValueError(f"{where}: give either a scale or options, not both")
        if scale:
            if scale not in self.scales:
                raise ValueError(f"{where}: scale {scale!r} is not defined under 'scales'")
            question = question.model_copy(update={"options": self.scales[scale]})
        if len(question.options) < 2:
            raise ValueError(f"{where}: needs at least two options (or a scale)")
        _require_unique([o.code for o in question.options], f"{where}: option code")
        if question.type is QuestionType.MULTI and question.max is None:
            question = question.model_copy(update={"max": len(question.options)})
        return question

    def field(self, field_id: str) -> SurveyField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)


def _require_unique(values: list[str], what: str) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")


def _check_condition(question: Question, earlier: dict[str, Question]) -> None:
    condition = question.show_if
    if condition is None:
        return
    target = earlier.get(condition.question)
    if target is None:
        raise ValueError(
            f"question {question.code}: show_if refers to {condition.question!r}, "
            "which is not a question defined before it"
        )
    if target.type is QuestionType.TEXT:
        raise ValueError(f"question {question.code}: show_if cannot depend on a text question")
    unknown = [code for code in condition.any_of if target.option(code) is None]
    if unknown:
        raise ValueError(
            f"question {question.code}: show_if uses {', '.join(unknown)}, "
            f"not an option of {target.code}"
        )


def load_survey(path: Path | None = None) -> Survey:
    path = path or DEFAULT_SURVEY_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SurveyError(f"survey file {path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SurveyError(f"survey file {path}: not valid YAML{where}") from None
    try:
        return Survey.model_validate(raw)
    except ValidationError as exc:
        raise SurveyError(f"survey file {path}: {_describe(exc, raw)}") from None


def _describe(exc: ValidationError, raw: object) -> str:
    """Name the entry the way a ward clerk sees it: 'questions → Q3 → scale', not 'questions.2'."""
    error = exc.errors()[0]
    parts: list[str] = []
    node = raw
    for key in error["loc"]:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            name = node.get("code") or node.get("id") if isinstance(node, dict) else None
            parts.append(str(name) if name else f"#{key + 1}")
        else:
            node = node.get(key) if isinstance(node, dict) else None
            parts.append(str(key))
    message = error["msg"].removeprefix("Value error, ")
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    return (" → ".join(parts) + ": " if parts else "") + message + more
