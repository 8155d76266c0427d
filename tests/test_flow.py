"""Navigation rules of the survey, shared by every channel."""

from __future__ import annotations

from bot.survey import flow
from bot.survey.definition import load_survey

SURVEY = load_survey()
RATED = {"C2": "yes", "C3": "tuyen", **{f"Q{i}": "4" for i in range(1, 8)}}


def codes(answers) -> list[str]:
    return [q.code for q in flow.visible_questions(SURVEY, answers)]


def test_no_procedure_in_twelve_months_skips_the_ratings():
    assert codes({"C2": "no"}) == ["C2", "M1", "F1", "F2"]
    assert flow.progress(SURVEY, {"C2": "no"}, "M1") == (2, 4)


def test_progress_before_the_skip_question_assumes_the_usual_path():
    assert flow.progress(SURVEY, {}, "C2") == (1, 13)  # ratings counted, reasons not
    not_satisfied = {**RATED, "O1": "ns"}
    assert flow.progress(SURVEY, not_satisfied, "O1b") == (11, 14)


def test_reasons_only_after_not_satisfied_and_other_text_only_after_other():
    assert "O1b" not in codes({**RATED, "O1": "s"})
    assert "O1b" in codes({**RATED, "O1": "ns"})
    assert "O1c" not in codes({**RATED, "O1": "ns", "O1b": "late"})
    assert "O1c" in codes({**RATED, "O1": "ns", "O1b": "late other"})


def test_changing_an_answer_hides_dependent_answers():
    answers = {**RATED, "O1": "ns", "O1b": "late other", "O1c": "xa"}
    answers["C2"] = "no"
    assert sorted(flow.hidden_answers(SURVEY, answers)) == sorted(
        ["C3", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "O1", "O1b", "O1c"]
    )


def test_positions_move_forward_back_and_to_review():
    answers = {"C2": "yes"}
    assert flow.first_position(SURVEY, answers) == "C3"
    assert flow.next_position(SURVEY, answers, "C2") == "C3"
    assert flow.previous_position(SURVEY, answers, "C3") == "C2"
    assert flow.previous_position(SURVEY, answers, "C2") is None
    done = {**RATED, "O1": "s", "M1": "info", "F1": None, "F2": "no"}
    assert flow.first_position(SURVEY, done) == flow.REVIEW
    assert flow.next_position(SURVEY, done, "F2") == flow.REVIEW
    assert flow.previous_position(SURVEY, done, flow.REVIEW) == "F2"


def test_required_questions_cannot_stay_skipped():
    missing = flow.missing_required(SURVEY, {"C2": "no", "M1": None})
    assert [q.code for q in missing] == ["M1"]


def test_multi_choice_is_stored_in_survey_order():
    m1 = SURVEY.question("M1")
    assert flow.join_multi(["time", "info"], m1) == "info time"
    assert flow.answer_label(m1, "info time", "en") == "Information, Shorter processing"


def test_scores_skip_not_applicable():
    q1 = SURVEY.question("Q1")
    assert flow.score_of(q1, "5") == 5
    assert flow.score_of(q1, "na") is None
