"""Every tap is saved: a restart or a later /start resumes; re-rating replaces, never doubles."""

from __future__ import annotations

import asyncio

from models import ResponseStatus
from tests.support.db_helpers import answers, responses
from tests.support.journey import RATE, SUBMIT, consent_all, rate_field_to_review


async def start_rating(resident, field="Tư pháp – Hộ tịch", procedure="Đăng ký kết hôn"):
    await resident.tap(RATE["vi"])
    await resident.tap(field)
    await resident.tap(procedure)


async def test_restart_mid_survey_resumes_at_the_same_question(make_app, app, resident):
    await consent_all(resident)
    await start_rating(resident)
    await resident.tap("Có")
    await resident.tap("Trực tiếp tại Trung tâm Phục vụ hành chính công")
    await resident.tap("Hài lòng")  # Q1
    before_restart = resident.snapshot()
    assert "Câu 4/13" in before_restart.text

    restarted = await make_app()  # new process: dialog state in memory is gone
    resident.attach(restarted)
    await resident.send("/start")
    assert resident.text.startswith("Chào mừng Ông/Bà trở lại!")
    assert "Câu 4/13" in resident.text
    assert "Nơi tiếp nhận (hoặc hệ thống trực tuyến) có chỉ dẫn rõ ràng" in resident.text
    await resident.tap("Rất hài lòng")
    assert "Câu 5/13" in resident.text

    [draft] = await responses(restarted)
    assert draft.status == ResponseStatus.DRAFT
    stored = await answers(restarted, draft.id)
    assert stored["Q1"] == ("4", 4.0) and stored["Q2"] == ("5", 5.0)


async def test_tap_on_a_message_from_before_the_restart_continues_the_draft(
    make_app, app, resident, telegram
):
    await consent_all(resident)
    await start_rating(resident)
    await resident.tap("Có")
    old_screen = resident.snapshot()
    resident.attach(await make_app())
    await resident.tap("Trực tuyến", on=old_screen)
    assert resident.last_alert == "Nút này đã cũ. Mời Ông/Bà tiếp tục tại đây."
    # Nothing was answered by the stale tap; the resident is shown the question to answer.
    assert "Câu 2/13" in resident.text
    [draft] = await responses(resident.app)
    assert "C3" not in await answers(resident.app, draft.id)


async def test_leaving_and_coming_back_through_the_menu(app, resident):
    await consent_all(resident)
    await start_rating(resident)
    await resident.tap("Có")
    await resident.tap("⏸ Lưu và thoát")
    assert resident.text.startswith("Menu chính")
    assert resident.buttons[0] == "▶️ Tiếp tục đánh giá: Tư pháp – Hộ tịch"
    await resident.tap("▶️ Tiếp tục đánh giá: Tư pháp – Hộ tịch")
    assert "Câu 2/13" in resident.text


async def test_back_shows_the_previous_answer_and_keeps_it(app, resident):
    await consent_all(resident)
    await start_rating(resident)
    await resident.tap("Có")
    await resident.tap("Trực tuyến")
    await resident.tap("⬅️ Quay lại")
    assert "Câu 2/13" in resident.text
    assert "🔘 Trực tuyến" in resident.buttons
    await resident.tap("⬅️ Quay lại")
    assert "Câu 1/13" in resident.text
    assert "⬅️ Quay lại" not in resident.buttons


async def test_rerating_a_field_replaces_the_earlier_answers_after_confirmation(app, resident):
    await consent_all(resident)
    await rate_field_to_review(resident, rating="Hài lòng")
    await resident.tap(SUBMIT["vi"])
    [first] = await responses(app)

    await resident.tap("📝 Đánh giá lĩnh vực khác")
    assert "✅ Tư pháp – Hộ tịch" in resident.buttons
    await resident.tap("✅ Tư pháp – Hộ tịch")
    assert resident.text.startswith("Ông/Bà đã đánh giá lĩnh vực Tư pháp – Hộ tịch")
    await resident.tap("Không, quay lại")
    assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in resident.text
    assert [r.id for r in await responses(app)] == [first.id]  # nothing changed

    await resident.tap("✅ Tư pháp – Hộ tịch")
    await resident.tap("Có, đánh giá lại")
    await resident.tap("Đăng ký khai tử")
    await resident.tap("Có")
    await resident.tap("Trực tuyến")
    for _ in range(7):
        await resident.tap("Rất không hài lòng")
    await resident.tap("Không hài lòng")  # O1 → reasons are asked
    await resident.tap("⬜ Trễ hẹn")
    await resident.tap("✔️ Xong")
    await resident.tap("⬜ Thông tin")
    await resident.tap("✔️ Xong")
    await resident.tap("⏭ Bỏ qua")
    await resident.tap("Không")
    # Until the new rating is submitted, the earlier one stays.
    statuses = {r.id: r.status for r in await responses(app)}
    assert statuses[first.id] == "submitted" and len(statuses) == 2  # plus the new draft
    await resident.tap(SUBMIT["vi"])

    [only] = await responses(app)
    assert only.status == ResponseStatus.SUBMITTED and only.procedure == "kt"
    stored = await answers(app, only.id)
    assert stored["Q1"] == ("1", 1.0)
    assert stored["O1b"] == ("late", None)


async def test_editing_from_the_review_reapplies_the_conditions(app, resident):
    await consent_all(resident)
    await rate_field_to_review(resident)
    assert "3. Thông tin, hướng dẫn: Hài lòng" in resident.text
    await resident.tap("✏️ 1")
    assert "Câu 1/13" in resident.text and "🔘 Có" in resident.buttons
    await resident.tap("Không")  # no procedure in 12 months: the ratings no longer apply
    assert resident.text.startswith("Kiểm tra lại câu trả lời")
    assert "Thông tin, hướng dẫn" not in resident.text
    assert resident.buttons[:4] == ["✏️ 1", "✏️ 2", "✏️ 3", "✏️ 4"]
    [draft] = await responses(app)
    assert sorted(await answers(app, draft.id)) == ["C2", "F1", "F2", "M1"]

    await resident.tap("✏️ 1")
    await resident.tap("Có")  # the ratings come back as questions to answer, then the review
    assert "Câu 2/13" in resident.text
    await resident.tap("Trực tuyến")
    for _ in range(7):
        await resident.tap("Bình thường")
    await resident.tap("Hài lòng")
    assert resident.text.startswith("Kiểm tra lại câu trả lời")
    await resident.tap(SUBMIT["vi"])
    [submitted] = await responses(app)
    assert len(await answers(app, submitted.id)) == 13


async def test_double_tap_on_submit_stores_one_response(app, resident):
    await consent_all(resident)
    await rate_field_to_review(resident)
    review = resident.snapshot()
    # Two taps on the same button arrive together, as an impatient thumb sends them.
    await asyncio.gather(
        resident.tap(SUBMIT["vi"], on=review), resident.tap(SUBMIT["vi"], on=review)
    )
    assert [r.status for r in await responses(app)] == ["submitted"]
