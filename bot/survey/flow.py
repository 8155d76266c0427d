"""Navigation through a survey, shared by every channel: which questions the answers so far
leave visible, where to go next, what is still missing. Pure functions over plain values."""

from __future__ import annotations

from collections.abc import Mapping

from bot.survey.definition import Question, QuestionType, Survey

REVIEW = "review"  # the position after the last question

Answers = Mapping[str, str | None]  # question code -> stored value (None = skipped)


def split_multi(value: str | None) -> list[str]:
    return value.split() if value else []


def join_multi(codes: list[str], question: Question) -> str | None:
    """Store choices in the order the survey lists them, so equal answers compare equal."""
    order = [o.code for o in question.options]
    chosen = [code for code in order if code in codes]
    return " ".join(chosen) or None


def _condition_met(
    survey: Survey, question: Question, answers: Answers, visible: set[str], expect: bool
) -> bool:
    condition = question.show_if
    if condition is None:
        return True
    if condition.question not in visible:
        return False
    if expect and condition.question not in answers:
        # Not answered yet: assume the first listed answer, the path most residents take.
        source = survey.question(condition.question)
        return bool(source and source.options and source.options[0].code in condition.any_of)
    chosen = set(split_multi(answers.get(condition.question)))
    return bool(chosen.intersection(condition.any_of))


def visible_questions(survey: Survey, answers: Answers, *, expect: bool = False) -> list[Question]:
    """The questions the answers so far leave; with `expect`, also those that the unanswered
    questions will most likely leave (for the progress line)."""
    visible: list[Question] = []
    codes: set[str] = set()
    for question in survey.questions:
        if _condition_met(survey, question, answers, codes, expect):
            visible.append(question)
            codes.add(question.code)
    return visible


def first_position(survey: Survey, answers: Answers) -> str:
    """The first visible question not answered yet, or the review when all are."""
    for question in visible_questions(survey, answers):
        if question.code not in answers:
            return question.code
    return REVIEW


def next_position(survey: Survey, answers: Answers, after: str) -> str:
    """Where to go once `after` is answered: the next visible question, else the review."""
    visible = visible_questions(survey, answers)
    codes = [q.code for q in visible]
    if after not in codes:
        return first_position(survey, answers)
    index = codes.index(after)
    return codes[index + 1] if index + 1 < len(codes) else REVIEW


def previous_position(survey: Survey, answers: Answers, before: str) -> str | None:
    """The visible question before `before` (the last one from the review); None at the start."""
    codes = [q.code for q in visible_questions(survey, answers)]
    if before == REVIEW:
        return codes[-1] if codes else None
    if before not in codes:
        return None
    index = codes.index(before)
    return codes[index - 1] if index > 0 else None


def progress(survey: Survey, answers: Answers, code: str) -> tuple[int, int]:
    """(number of this question, number of questions) counting only the questions the
    answers leave, so skipping a block shortens the count instead of jumping over numbers."""
    codes = [q.code for q in visible_questions(survey, answers, expect=True)]
    return (codes.index(code) + 1 if code in codes else len(codes)), len(codes)


def hidden_answers(survey: Survey, answers: Answers) -> list[str]:
    """Answers to questions the current answers hide: dropped, so a changed answer re-applies
    the conditions and no stale rating is submitted."""
    visible = {q.code for q in visible_questions(survey, answers)}
    return [code for code in answers if code not in visible]


def missing_required(survey: Survey, answers: Answers) -> list[Question]:
    return [
        q
        for q in visible_questions(survey, answers)
        if not q.optional and answers.get(q.code) is None
    ]


def score_of(question: Question, value: str | None) -> float | None:
    if value is None or question.type is not QuestionType.SINGLE:
        return None
    option = question.option(value)
    return option.score if option else None


def rating_summary(survey: Survey, answers: Answers) -> tuple[int, float | None]:
    """(questions answered, mean of the S5 scores or None) for the thank-you screen."""
    scores = [
        score
        for code, value in answers.items()
        if (q := survey.question(code)) is not None
        and q.scale == "s5"
        and (score := score_of(q, value)) is not None
    ]
    answered = sum(1 for value in answers.values() if value is not None)
    return answered, (sum(scores) / len(scores) if scores else None)


def answer_label(question: Question, value: str | None, locale: str) -> str | None:
    """How an answer reads on the review screen; None when skipped."""
    if value is None:
        return None
    if question.type is QuestionType.TEXT:
        return value
    labels = [o.label.get(locale) for c in split_multi(value) if (o := question.option(c))]
    return ", ".join(labels) or None
