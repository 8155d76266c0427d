"""The survey file is data, checked at start-up with errors that name the bad entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.survey.definition import DEFAULT_SURVEY_FILE, QuestionType, SurveyError, load_survey


def write_variant(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(DEFAULT_SURVEY_FILE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def question(raw: dict, code: str) -> dict:
    return next(q for q in raw["questions"] if q["code"] == code)


def test_default_survey_has_the_sipas_questions_and_the_fields():
    survey = load_survey()
    codes = [q.code for q in survey.questions]
    assert codes[:9] == ["C2", "C3", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"]
    assert {"O1", "O1b", "M1", "F1", "F2"} <= set(codes)
    assert [f.id for f in survey.fields] == [
        "dc",
        "tp",
        "ld",
        "vh",
        "gd",
        "ca",
        "qs",
        "kd",
        "xd",
        "kh",
    ]
    q1 = survey.question("Q1")
    assert [o.code for o in q1.options] == ["5", "4", "3", "2", "1", "na"]
    assert q1.option("na").score is None  # "not applicable" stays out of averages
    assert [o.score for o in survey.question("O1").options] == [2, 1, 0]
    assert survey.question("M1").max == 3
    assert survey.question("F1").type is QuestionType.TEXT and survey.question("F1").optional
    assert survey.question("C2").options[0].label.vi == "Có"


def test_every_label_has_vietnamese_with_diacritics_and_english():
    survey = load_survey()
    for q in survey.questions:
        assert q.text.vi != q.text.en
    assert survey.field("tp").label.vi == "Tư pháp – Hộ tịch"


def test_unknown_scale_names_the_question(tmp_path):
    path = write_variant(tmp_path, lambda raw: question(raw, "Q3").update(scale="s7"))
    with pytest.raises(SurveyError, match=r"Q3: scale 's7' is not defined"):
        load_survey(path)


def test_condition_on_a_later_question_is_refused(tmp_path):
    path = write_variant(
        tmp_path,
        lambda raw: question(raw, "C3").update(show_if={"question": "O1", "any_of": ["ns"]}),
    )
    with pytest.raises(SurveyError, match=r"C3: show_if refers to 'O1'"):
        load_survey(path)


def test_condition_on_an_unknown_answer_is_refused(tmp_path):
    path = write_variant(
        tmp_path,
        lambda raw: question(raw, "O1b").update(show_if={"question": "O1", "any_of": ["bad"]}),
    )
    with pytest.raises(SurveyError, match=r"O1b: show_if uses bad, not an option of O1"):
        load_survey(path)


def test_missing_english_label_points_at_the_entry(tmp_path):
    path = write_variant(tmp_path, lambda raw: question(raw, "Q4")["text"].pop("en"))
    with pytest.raises(SurveyError, match=r"questions → Q4 → text → en: Field required"):
        load_survey(path)


def test_duplicate_field_ids_are_refused(tmp_path):
    path = write_variant(tmp_path, lambda raw: raw["fields"][1].update(id="dc"))
    with pytest.raises(SurveyError, match="duplicate field id: dc"):
        load_survey(path)


def test_unknown_key_is_refused_so_typos_do_not_pass_silently(tmp_path):
    path = write_variant(tmp_path, lambda raw: question(raw, "Q1").update(optionnal=True))
    with pytest.raises(SurveyError, match=r"Q1 → optionnal: Extra inputs are not permitted"):
        load_survey(path)


def test_broken_yaml_and_missing_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields: [\n  - id: dc\n", encoding="utf-8")
    with pytest.raises(SurveyError, match="not valid YAML at line"):
        load_survey(broken)
    with pytest.raises(SurveyError, match="cannot be read"):
        load_survey(tmp_path / "absent.yaml")
