"""Sending a question on Telegram: field, text, complaint check, evidence, name or anonymous,
review, tracking code, and "My questions"."""

from __future__ import annotations

import json

from sqlalchemy import select

from models.questions import QuestionAttachment
from tests.support.db_helpers import consents
from tests.support.journey import ASK, consent_all, write_question
from tests.support.questions import stored_questions

MINE = "📬 Câu hỏi của tôi"


async def test_anonymous_question_gets_a_tracking_code(app, resident):
    await consent_all(resident)
    await write_question(
        resident,
        "Tư pháp – Hộ tịch",
        "Xin hỏi thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?",
    )
    await resident.send_photo()
    assert "Đã nhận: 1." in resident.text
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("🕶 Gửi ẩn danh")
    assert "Gửi ẩn danh" in resident.text and "Tệp đính kèm: 1" in resident.text
    await resident.tap("📨 Gửi")
    assert "KN-26-0001" in resident.text
    [question] = await stored_questions(app)
    assert (question.code, question.field, question.named, question.contact_phone) == (
        "KN-26-0001",
        "tp",
        False,
        None,
    )
    assert question.status == "received" and question.channel == "telegram"
    async with app.sessionmaker() as db:
        [attachment] = (await db.execute(select(QuestionAttachment))).scalars().all()
    assert attachment.kind == "photo" and attachment.telegram_file_id == "p1"
    await resident.tap(MINE)
    assert any(b.startswith("KN-26-0001 · Tư pháp – Hộ tịch") for b in resident.buttons)


async def test_named_question_asks_contact_consent_name_and_phone(app, resident):
    await consent_all(resident)  # contact consent declined at the start
    await write_question(
        resident, "Địa chính (đất đai)", "Đề nghị niêm yết công khai thời gian cấp giấy chứng nhận."
    )
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("👤 Trả lời tôi theo tên")
    await resident.tap("✅ Tôi đồng ý")
    assert [(p, g) for p, g, _v, _c in await consents(app)][-1] == ("contact", True)
    await resident.send("Nguyễn Văn An")
    await resident.send("0912 345 67")
    hint = resident.telegram.sent_texts(resident.user_id)[-2]
    assert hint == "Ông/Bà vui lòng nhập số điện thoại Việt Nam, ví dụ 0912 345 678."
    await resident.send("0912 345 678")
    assert "Nguyễn Văn An, 091•••678" in resident.text
    await resident.tap("📨 Gửi")
    [question] = await stored_questions(app)
    assert question.named and question.contact_name == "Nguyễn Văn An"
    assert question.contact_phone == "0912345678"


async def test_complaint_is_redirected_and_can_be_sent_anyway_with_a_flag(app, resident):
    await consent_all(resident)
    await write_question(
        resident, "Khác", "Tôi muốn làm đơn khiếu nại quyết định xử phạt của phường."
    )
    assert "không giải quyết khiếu nại, tố cáo" in resident.text
    assert (await stored_questions(app)) == []
    await resident.tap("Gửi như một kiến nghị")
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("🕶 Gửi ẩn danh")
    await resident.tap("📨 Gửi")
    [question] = await stored_questions(app)
    assert question.complaint_flag


async def test_ambiguous_text_gets_one_clarifying_question(app, resident):
    await consent_all(resident)
    await write_question(
        resident, "Khác", "Cán bộ một cửa có thái độ chậm trễ khi tiếp nhận hồ sơ."
    )
    assert "(1)" in resident.text and "(2)" in resident.text
    await resident.tap("(1) Góp ý, kiến nghị")
    assert "Tiếp tục ➡️" in resident.buttons


async def test_text_over_the_limit_is_refused_with_the_count(app, resident):
    await consent_all(resident)
    await write_question(resident, "Khác", "a" * 3001)
    hint = resident.telegram.sent_texts(resident.user_id)[-2]
    assert (
        hint
        == "Nội dung có 3001 ký tự, vượt quá giới hạn 3000 ký tự. Ông/Bà vui lòng viết ngắn lại."
    )
    assert (await stored_questions(app)) == []


async def test_a_draft_left_half_way_is_waiting(app, resident):
    await consent_all(resident)
    await write_question(resident, "Khác", "Đề nghị mở thêm quầy tiếp nhận buổi chiều.")
    await resident.send("/menu")
    await resident.tap(ASK)
    assert "Đề nghị mở thêm quầy tiếp nhận buổi chiều." in resident.text


async def test_phone_shared_with_the_contact_button(app, resident):
    from aiogram.types import Contact

    await consent_all(resident, contact=True)
    await write_question(resident, "Khác", "Đề nghị mở thêm quầy tiếp nhận buổi chiều.")
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("👤 Trả lời tôi theo tên")
    await resident.send("Trần Thị Bình")
    keyboards = [
        json.loads(form.get("reply_markup", "{}")) for _n, form in resident.telegram.calls[-4:]
    ]
    shared = [row for k in keyboards for row in k.get("keyboard", [])]
    assert shared == [[{"text": "📱 Chia sẻ số điện thoại của tôi", "request_contact": True}]]
    await resident._feed_message(
        contact=Contact(phone_number="84912345678", first_name="Bình", user_id=resident.user_id)
    )
    assert "Trần Thị Bình, 091•••678" in resident.text
    await resident.tap("📨 Gửi")
    [question] = await stored_questions(app)
    assert question.contact_phone == "0912345678"
