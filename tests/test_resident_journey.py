"""A resident's whole journey on Telegram, through the real dispatcher and dialogs."""

from __future__ import annotations

from models import ResponseStatus
from tests.support.db_helpers import answers, consents, counts, responses
from tests.support.journey import (
    AGREE,
    DECLINE,
    RATE,
    SUBMIT,
    consent_all,
    rate_field_to_review,
    to_opinion,
)


async def test_notice_asks_for_survey_consent_first_and_stores_nothing(app, resident):
    await resident.send("/start")
    assert resident.text.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    assert "/dulieu" in resident.text
    assert "khiếu nại, tố cáo" in resident.text
    assert "1/3." in resident.text
    assert resident.buttons == [AGREE["vi"], DECLINE["vi"], "ℹ️ Đọc đầy đủ thông báo", "🌐 English"]
    # One phone screen: the notice is short, the rest one tap away.
    notice = resident.text.split("\n\n")[0]
    assert len(notice) <= 400, len(notice)
    assert "không ghi tên" in notice and "Dịch vụ dành cho người thành niên" not in notice
    await resident.tap("ℹ️ Đọc đầy đủ thông báo")
    assert "Dịch vụ dành cho người thành niên (từ đủ 18 tuổi)." in resident.text
    assert "không nêu số định danh" in resident.text and "1/3." in resident.text
    assert resident.buttons == [AGREE["vi"], DECLINE["vi"], "🌐 English"]
    assert await counts(app) == dict.fromkeys(
        ["residents", "accounts", "consents", "responses", "answers"], 0
    )


async def test_full_survey_in_vietnamese(app, resident):
    await consent_all(resident)
    assert resident.text.startswith("Menu chính")
    await resident.tap(RATE["vi"])
    assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in resident.text
    assert "Tư pháp – Hộ tịch" in resident.buttons
    await resident.tap("Tư pháp – Hộ tịch")
    assert "Đó là thủ tục nào? (không bắt buộc)" in resident.text
    await resident.tap("Đăng ký khai sinh")
    assert resident.text.startswith("Tư pháp – Hộ tịch · Câu 1/13")
    assert "Ông/Bà có thực hiện thủ tục trong 12 tháng qua không?" in resident.text
    assert resident.buttons == ["Có", "Không", "⏸ Lưu và thoát"]
    await resident.tap("Có")
    await resident.tap("Trực tuyến")
    assert resident.text.startswith("Tư pháp – Hộ tịch · Câu 3/13\nTiếp cận dịch vụ")
    assert resident.buttons[:6] == [
        "Rất hài lòng",
        "Hài lòng",
        "Bình thường",
        "Không hài lòng",
        "Rất không hài lòng",
        "Không áp dụng",
    ]
    await resident.tap("Rất hài lòng")
    await resident.tap("Không áp dụng")
    for _ in range(5):
        await resident.tap("Hài lòng")
    await resident.tap("Rất hài lòng")  # O1
    assert "Câu 11/13" in resident.text  # reasons are only asked after "not satisfied"
    await resident.tap("⬜ Thông tin")
    await resident.tap("⬜ Rút ngắn thời gian")
    assert "☑️ Thông tin" in resident.buttons
    await resident.tap("✔️ Xong")
    await resident.send("Nên có thêm chỗ ngồi chờ cho người cao tuổi.")
    await resident.tap("Không")  # F2
    assert resident.text.startswith("Kiểm tra lại câu trả lời: Tư pháp – Hộ tịch")
    assert "3. Thông tin, hướng dẫn: Rất hài lòng" in resident.text
    assert "4. Nơi tiếp nhận, trang thiết bị: Không áp dụng" in resident.text
    assert "11. Ưu tiên cải thiện: Thông tin, Rút ngắn thời gian" in resident.text
    assert "12. Ý kiến, kiến nghị: Nên có thêm chỗ ngồi chờ cho người cao tuổi." in resident.text
    await resident.tap(SUBMIT["vi"])
    assert resident.text.startswith("🙏 Cảm ơn Ông/Bà! Đánh giá về lĩnh vực Tư pháp – Hộ tịch")
    assert "Số câu đã trả lời: 13." in resident.text
    assert "Điểm đánh giá trung bình của Ông/Bà: 4,2/5." in resident.text  # N/A excluded

    [response] = await responses(app)
    assert (response.field, response.procedure, response.status, response.channel) == (
        "tp",
        "ks",
        ResponseStatus.SUBMITTED,
        "telegram",
    )
    assert response.submitted_at is not None
    stored = await answers(app, response.id)
    assert stored["Q1"] == ("5", 5.0)
    assert stored["Q2"] == ("na", None)
    assert stored["O1"] == ("vs", 2.0)
    assert stored["M1"] == ("info time", None)
    assert stored["F1"] == ("Nên có thêm chỗ ngồi chờ cho người cao tuổi.", None)
    assert len(stored) == 13
    assert [(p, g) for p, g, _v, _c in await consents(app)] == [
        ("survey", True),
        ("reminders", True),
        ("contact", False),
    ]


async def test_full_survey_in_english(app, resident_factory):
    resident = resident_factory(user_id=777, language="en-GB")
    await resident.send("/start")
    assert resident.text.startswith(
        "This is the automated assistant of the People's Committee of Bình An Ward."
    )
    assert resident.buttons[-1] == "🌐 Tiếng Việt"
    await consent_all(resident, "en")
    assert resident.text.startswith("Main menu")
    await rate_field_to_review(
        resident,
        "en",
        field="Justice and civil status",
        procedure="Birth registration",
        rating="Satisfied",
    )
    assert resident.text.startswith("Please check your answers: Justice and civil status")
    assert "3. Information and guidance: Satisfied" in resident.text
    await resident.tap(SUBMIT["en"])
    assert resident.text.startswith("🙏 Thank you! Your rating of Justice and civil status")
    [response] = await responses(app)
    assert response.status == ResponseStatus.SUBMITTED


async def test_no_procedure_in_twelve_months_counts_only_the_questions_left(app, resident):
    await consent_all(resident)
    await resident.tap(RATE["vi"])
    await resident.tap("Khác")  # a field without a procedure list goes straight to the questions
    assert resident.text.startswith("Khác · Câu 1/13")
    await resident.tap("Không")
    assert resident.text.startswith("Khác · Câu 2/4")
    assert "Phường nên ưu tiên cải thiện điều gì?" in resident.text


async def test_declining_the_survey_stores_only_the_refusal(app, resident):
    await resident.send("/start")
    await resident.tap(DECLINE["vi"])
    assert resident.text.startswith("Đã ghi nhận lựa chọn của Ông/Bà")
    assert await counts(app) == {
        "residents": 1,
        "accounts": 1,
        "consents": 1,
        "responses": 0,
        "answers": 0,
    }
    [(purpose, given, version, channel)] = await consents(app)
    assert (purpose, given, version, channel) == ("survey", False, "2026-01", "telegram")
    await resident.tap("Menu chính")
    await resident.tap("📅 Lịch Hội nghị đối thoại sắp tới")
    assert resident.text.startswith("Lịch Hội nghị đối thoại sắp tới")
    await resident.tap("⬅️ Quay lại")
    await resident.tap(RATE["vi"])  # rating asks for the consent again instead of starting
    assert "1/3." in resident.text


async def test_language_switch_before_consent_stores_nothing(app, resident):
    await resident.send("/start")
    await resident.tap("🌐 English")
    assert resident.text.startswith("This is the automated assistant")
    assert resident.buttons == [AGREE["en"], DECLINE["en"], "ℹ️ The full notice", "🌐 Tiếng Việt"]
    assert (await counts(app))["residents"] == 0
    await resident.tap(AGREE["en"])
    assert "2/3." in resident.text and "reminders" in resident.text


async def test_language_switch_from_the_menu_is_remembered(app, resident):
    await consent_all(resident)
    await resident.tap("🌐 English")
    assert resident.text.startswith("Main menu")
    await resident.send("/start")
    assert resident.text.startswith("Main menu")
    await resident.tap(RATE["en"])
    assert "Justice and civil status" in resident.buttons


async def test_upcoming_sessions_show_local_time_and_place(app, resident):
    from datetime import UTC, datetime

    from models import DialogueSession

    async with app.sessionmaker() as db, db.begin():
        db.add(
            DialogueSession(
                title="Hội nghị đối thoại tháng 12/2026",
                starts_at=datetime(2026, 12, 3, 1, 30, tzinfo=UTC),
                place="Hội trường UBND phường",
                status="planned",
            )
        )
    await resident.send("/lich")
    assert "Hội nghị đối thoại tháng 12/2026" in resident.text
    assert "08:30 03/12/2026" in resident.text  # shown in Asia/Ho_Chi_Minh
    assert "Hội trường UBND phường" in resident.text


async def test_wanting_a_reply_without_contact_consent_offers_it(app, resident):
    await consent_all(resident)  # contact consent declined at the start
    await to_opinion(resident)
    await resident.send("Đề nghị niêm yết rõ lệ phí.")
    await resident.tap("Có")  # F2: would like a reply
    assert "MTTQ phường" in resident.text
    assert resident.buttons == ["✅ Tôi đồng ý", "✖ Giữ ẩn danh"]
    await resident.tap("✅ Tôi đồng ý")
    assert resident.text.startswith("Kiểm tra lại câu trả lời")
    assert [(p, g) for p, g, _v, _c in await consents(app)][-1] == ("contact", True)


async def test_staying_anonymous_is_explained(app, resident):
    await consent_all(resident)
    await to_opinion(resident)
    await resident.tap("⏭ Bỏ qua")
    await resident.tap("Có")
    await resident.tap("✖ Giữ ẩn danh")
    assert (
        resident.last_alert == "Ý kiến của Ông/Bà được giữ ẩn danh; phường sẽ không trả lời riêng."
    )
    assert resident.text.startswith("Kiểm tra lại câu trả lời")
    assert [(p, g) for p, g, _v, _c in await consents(app)][-1] == ("contact", False)
