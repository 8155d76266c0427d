"""/dulieu: residents see what is stored, withdraw a consent, and delete everything at once."""

from __future__ import annotations

from tests.support.db_helpers import consents, counts, responses
from tests.support.journey import RATE, SUBMIT, consent_all, rate_field_to_review


async def test_my_data_lists_what_is_stored(app, resident):
    await consent_all(resident)
    await rate_field_to_review(resident)
    await resident.tap(SUBMIT["vi"])
    await resident.send("/dulieu")
    text = resident.text
    assert text.startswith("Dữ liệu trợ lý tự động của phường đang lưu về Ông/Bà")
    assert "Tài khoản chat: Telegram 501" in text
    assert "Ngôn ngữ: Tiếng Việt" in text
    assert "Phiếu đánh giá: 1 đã gửi, 0 chưa xong (13 câu trả lời)" in text
    # Times are shown in the ward's zone: 02:00 UTC is 09:00 in Hà Nội.
    assert "trả lời khảo sát (ẩn danh): đã đồng ý lúc 09:00 26/11/2026" in text
    assert (
        resident.buttons[:3]
        == [
            "Rút lại đồng ý: trả lời khảo sát (ẩn danh)",
            "Rút lại đồng ý: nhận tin nhắc lịch Hội nghị qua kênh chat này",
            "Đồng ý: chuyển câu hỏi kèm họ tên, số điện thoại tới công chức phụ trách và MTTQ phường để được trả lời",
        ][:3]
        or resident.buttons[:3]
    )


async def test_withdrawing_a_consent_is_logged_and_stops_the_survey(app, resident, clock):
    await consent_all(resident)
    await resident.tap(RATE["vi"])
    await resident.tap("Khác")
    await resident.tap("Không")  # a draft with one answer
    await resident.send("/dulieu")
    clock.advance(hours=1)
    await resident.tap("^Rút lại đồng ý: trả lời khảo sát.*")
    assert "đã từ chối hoặc rút lại lúc 10:00 26/11/2026" in resident.text
    assert (await consents(app))[-1][:2] == ("survey", False)
    assert await responses(app) == []  # the unfinished draft went with the consent
    await resident.tap("🏠 Menu chính")
    await resident.tap(RATE["vi"])
    assert "1/3." in resident.text  # asked again before any new answer


async def test_delete_everything_after_one_confirmation(app, resident):
    await consent_all(resident, contact=True)
    await rate_field_to_review(resident)
    await resident.tap(SUBMIT["vi"])
    await resident.send("/dulieu")
    await resident.tap("🗑 Xóa toàn bộ dữ liệu của tôi")
    assert "Sau khi xóa sẽ không khôi phục được." in resident.text
    await resident.tap("Không, giữ lại dữ liệu")
    assert (await counts(app))["answers"] == 13
    await resident.tap("🗑 Xóa toàn bộ dữ liệu của tôi")
    await resident.tap("🗑 Có, xóa tất cả")
    assert resident.text == "Toàn bộ dữ liệu của Ông/Bà đã được xóa. Cảm ơn Ông/Bà đã tham gia."
    assert await counts(app) == {
        "residents": 0,
        "accounts": 0,
        "consents": 0,
        "responses": 0,
        "answers": 0,
    }
    await resident.tap("Bắt đầu lại")
    assert "1/3." in resident.text  # a new start asks for consent again


async def test_my_data_of_someone_unknown(app, resident):
    await resident.send("/dulieu")
    assert resident.text.startswith("Trợ lý tự động của phường không lưu dữ liệu nào về Ông/Bà.")
    assert resident.buttons == ["🏠 Menu chính"]
    assert (await counts(app))["residents"] == 0
