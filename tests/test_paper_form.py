"""The printable paper form is generated from the survey definition: read it back and check it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.shared import Pt

from bot.exports.paper_form import paper_form, skip_rules
from bot.survey.definition import DEFAULT_SURVEY_FILE, QuestionType, load_survey
from tests.support.processes import bot_env, run_bot

WARD = "Bến Nghé"
SESSION = "Hội nghị đối thoại quý IV/2026"


def read(data: bytes):
    return Document(io.BytesIO(data))


def paragraphs(doc) -> list:
    """Every paragraph in reading order, those in table cells (the rating grid) included."""
    found = []
    for block in doc.iter_inner_content():
        if hasattr(block, "rows"):
            found += [p for row in block.rows for cell in row.cells for p in cell.paragraphs]
        else:
            found.append(block)
    return found


def lines(doc) -> list[str]:
    return [p.text for p in paragraphs(doc)]


def rating_grid(doc):
    return next(t for t in doc.tables if len(t.columns) > 2)


def header_text(doc) -> str:
    return "\n".join(cell.text for table in doc.tables for cell in table.rows[0].cells)


def question_line(doc, code: str) -> str:
    return next(text for text in lines(doc) if text.endswith(f"[{code}]"))


@pytest.fixture(scope="module")
def survey():
    return load_survey()


@pytest.fixture(scope="module")
def vi_doc(survey):
    return read(paper_form(survey, ward_name=WARD, session_title=SESSION))


@pytest.fixture(scope="module")
def en_doc(survey):
    return read(paper_form(survey, ward_name=WARD, locale="en"))


def test_header_title_and_page(vi_doc):
    header = header_text(vi_doc)
    assert "UBND PHƯỜNG BẾN NGHÉ" in header
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header
    assert "Độc lập - Tự do - Hạnh phúc" in header
    text = lines(vi_doc)
    assert "PHIẾU KHẢO SÁT Ý KIẾN" in text
    assert SESSION in text
    assert "Số phiếu (cán bộ ghi): ……" in header  # under the ward's name, for staff
    assert text[-1] == "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà!"
    section = vi_doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == 3.0
    normal = vi_doc.styles["Normal"].font
    assert (normal.name, normal.size) == ("Times New Roman", Pt(12))  # two pages (rendered)


def test_ward_name_with_prefix_is_not_doubled(survey):
    doc = read(paper_form(survey, ward_name="Phường Bến Nghé"))
    assert "UBND PHƯỜNG BẾN NGHÉ" in header_text(doc)


def test_instructions_state_anonymity_and_skip_rules_in_words(vi_doc):
    text = "\n".join(lines(vi_doc))
    assert "không ghi tên" in text
    assert "Nếu chọn “Không” ở câu 2, chuyển đến câu 14." in text
    assert "Nếu chọn “Rất hài lòng” hoặc “Hài lòng” ở câu 11, chuyển đến câu 14." in text
    assert "Nếu không chọn “Khác” ở câu 12, chuyển đến câu 14." in text


def test_every_question_in_order_with_number_and_code(vi_doc, survey):
    text = lines(vi_doc)
    c1 = question_line(vi_doc, "C1")
    assert c1.startswith("Câu 1. Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?")
    positions = [text.index(c1)]
    for number, question in enumerate(survey.questions, start=2):
        line = question_line(vi_doc, question.code)
        assert line.startswith(f"Câu {number}. {question.text.vi}")
        positions.append(text.index(line))
    assert positions == sorted(positions)


def test_code_tag_is_small_and_grey(vi_doc):
    paragraph = next(p for p in paragraphs(vi_doc) if p.text.endswith("[Q3]"))
    tag = paragraph.runs[-1]
    assert tag.text == " [Q3]"
    assert tag.font.size < Pt(12)
    assert str(tag.font.color.rgb) == "808080"


def test_fields_procedures_and_options_appear(vi_doc, survey):
    text = "\n".join(lines(vi_doc))
    for field in survey.fields:
        assert f"☐ {field.label.vi}" in text
        for procedure in field.procedures:
            assert f"☐ {procedure.label.vi}" in text
    for question in survey.questions:
        for option in question.options:
            assert option.label.vi in text


def test_the_five_point_questions_are_one_grid_with_the_score_digits(vi_doc):
    grid = rating_grid(vi_doc)
    header = [cell.text for cell in grid.rows[0].cells]
    assert header == [
        "Nội dung đánh giá",
        "5\nRất hài lòng",
        "4\nHài lòng",
        "3\nBình thường",
        "2\nKhông hài lòng",
        "1\nRất không hài lòng",
        "Không áp dụng",  # no score, no digit
    ]
    rows = [[cell.text for cell in row.cells] for row in grid.rows[1:]]
    assert [row[0].split(".")[0] for row in rows] == [f"Câu {n}" for n in range(4, 11)]
    assert all(row[1:] == ["☐"] * 6 for row in rows)
    text = lines(vi_doc)
    assert any(line.startswith("Câu 4–10. Ông/Bà đánh giá từng nội dung sau") for line in text)
    # The 3-level overall rating keeps its own line, best first like the grid, points hidden.
    assert "☐ Rất hài lòng\t☐ Hài lòng\t☐ Không hài lòng" in text


def test_contact_details_only_in_the_optional_part_that_says_why(vi_doc):
    text = lines(vi_doc)
    assert text[text.index(next(t for t in text if t.startswith("Phiếu khảo sát")))].startswith(
        "Phiếu khảo sát không ghi tên: xin không ghi họ tên, số điện thoại, trừ phần không bắt "
        "buộc ở cuối phiếu nếu muốn nhận trả lời."
    )
    optional = text.index("Phần không bắt buộc: chỉ điền nếu Ông/Bà muốn nhận trả lời")
    assert "họ tên, số điện thoại chỉ dùng để nhận trả lời" in text[optional + 1]
    assert "không nhập vào máy cùng các câu trả lời" in text[optional + 1]
    asked = [i for i, line in enumerate(text) if line.startswith(("Họ tên:", "Điện thoại:"))]
    assert len(asked) == 2 and min(asked) > optional
    assert question_line(vi_doc, "F2").startswith("Câu 16.")
    assert text.index(question_line(vi_doc, "F2")) > optional
    assert text.index(question_line(vi_doc, "F1")) < optional


def test_multi_choice_limit(vi_doc):
    assert "(chọn tối đa 3)" in question_line(vi_doc, "M1")
    assert question_line(vi_doc, "M1").count("chọn tối đa 3") == 1  # not doubled with the text
    assert "chọn một hoặc nhiều" in question_line(vi_doc, "O1b")


def test_conditions_in_words(vi_doc):
    assert "(Chỉ trả lời nếu câu 11 chọn “Không hài lòng”)" in question_line(vi_doc, "O1b")
    assert "(Chỉ trả lời nếu câu 2 chọn “Có”)" in question_line(vi_doc, "C3")
    assert "(Chỉ trả lời nếu câu 12 chọn “Khác”)" in question_line(vi_doc, "O1c")
    assert "Chỉ trả lời" not in question_line(vi_doc, "M1")


def test_text_questions_have_dotted_lines(vi_doc):
    paragraphs = vi_doc.paragraphs
    index = next(i for i, p in enumerate(paragraphs) if p.text.endswith("[F1]"))
    answer = paragraphs[index + 1]
    assert answer.text == "\t"
    assert "dot" in str(answer.paragraph_format.tab_stops[0].leader).lower()


def test_english_form_uses_english_labels(en_doc, survey):
    header = header_text(en_doc)
    assert "BẾN NGHÉ WARD PEOPLE'S COMMITTEE" in header
    assert "SOCIALIST REPUBLIC OF VIET NAM" in header
    text = "\n".join(lines(en_doc))
    assert "SURVEY FORM" in text
    assert "5\nVery satisfied" in text
    assert "Optional part: only if you would like a reply" in text
    for question in survey.questions:
        assert question.text.en in question_line(en_doc, question.code)
        for option in question.options:
            assert option.label.en in text
    assert "(Answer only if you chose “Not satisfied” in question 11)" in question_line(
        en_doc, "O1b"
    )
    assert "Rất hài lòng" not in text
    assert "Thank you very much for your cooperation!" in text


def test_extra_question_from_a_survey_variant_is_printed(tmp_path: Path):
    raw = yaml.safe_load(DEFAULT_SURVEY_FILE.read_text(encoding="utf-8"))
    extra = {
        "code": "X1",
        "type": "multi",
        "max": 2,
        "options": [
            {"code": "a", "label": {"vi": "Báo giấy", "en": "Newspaper"}},
            {"code": "b", "label": {"vi": "Loa phường", "en": "Ward loudspeaker"}},
            {"code": "c", "label": {"vi": "Zalo", "en": "Zalo"}},
        ],
        "text": {"vi": "Ông/Bà biết Hội nghị qua kênh nào?", "en": "How did you hear of it?"},
        "show_if": {"question": "C2", "any_of": ["no"]},
    }
    position = next(i for i, q in enumerate(raw["questions"]) if q["code"] == "M1")
    raw["questions"].insert(position, extra)
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    survey = load_survey(path)

    doc = read(paper_form(survey, ward_name=WARD))
    line = question_line(doc, "X1")
    assert line.startswith("Câu 14. Ông/Bà biết Hội nghị qua kênh nào?")
    assert "(chọn tối đa 2)" in line
    assert "(Chỉ trả lời nếu câu 2 chọn “Không”)" in line
    text = lines(doc)
    assert "☐ Báo giấy\t☐ Loa phường\t☐ Zalo" in text
    assert question_line(doc, "M1").startswith("Câu 15. ")
    # "Có" at C2 now skips the new question: from O1 satisfied, the jump lands on M1 (15).
    assert "→ Nếu chọn “Rất hài lòng” hoặc “Hài lòng” ở câu 11, chuyển đến câu 15." in text


def test_skip_rules_follow_show_if(survey):
    rules = {(r.source, r.labels): r for r in skip_rules(survey)}
    assert rules["C2", ("Không",)].target == "M1"
    assert rules["O1", ("Rất hài lòng", "Hài lòng")].target == "M1"
    negated = rules["O1b", ("Khác",)]
    assert negated.negated and negated.target == "M1"
    assert all(survey.question(r.source).type is not QuestionType.TEXT for r in skip_rules(survey))


@pytest.mark.subprocess
def test_paper_form_from_the_command_line(tmp_path):
    out = tmp_path / "phieu.docx"
    env = bot_env(tmp_path) | {"WEB_PUBLIC_URL": "https://phuongbenghe.example"}
    result = run_bot(tmp_path, "paper-form", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    doc = Document(io.BytesIO(out.read_bytes()))
    text = "\n".join(lines(doc))
    assert "PHIẾU KHẢO SÁT Ý KIẾN" in text and "[Q1]" in text
    # The web chat's address, and its QR code beside it.
    assert "Hoặc trả lời trên điện thoại: https://phuongbenghe.example/chat" in text
    assert len(doc.inline_shapes) == 1
