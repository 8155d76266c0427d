"""Wrong input gets a short, polite hint in the resident's language; nothing stored changes."""

from __future__ import annotations

from tests.support.db_helpers import answers, counts, responses
from tests.support.journey import consent_all, to_opinion, to_priorities
from tests.support.ratings import at_first_rating

BUTTONS_HINT = "Ông/Bà vui lòng bấm các nút bên dưới tin nhắn để trả lời."
MEDIA_HINT = "Ở bước này chỉ dùng được các nút bấm. Ông/Bà vui lòng bấm một nút."


async def stored_answers(app) -> dict:
    [draft] = await responses(app)
    return await answers(app, draft.id)


async def test_typed_text_where_buttons_are_expected(app, resident):
    await at_first_rating(resident)
    before = await stored_answers(app)
    await resident.send("rat hai long")
    messages = resident.telegram.sent_texts(resident.user_id)
    assert messages[-2] == BUTTONS_HINT
    assert "Câu 3/13" in messages[-1]  # the question is shown again below the hint
    assert resident.buttons[0] == "Rất hài lòng"
    assert await stored_answers(app) == before


async def test_sticker_and_photo_get_a_hint(app, resident):
    await at_first_rating(resident)
    before = await stored_answers(app)
    await resident.send_sticker()
    assert resident.telegram.sent_texts(resident.user_id)[-2] == MEDIA_HINT
    await resident.send_photo()
    assert resident.telegram.sent_texts(resident.user_id)[-2] == MEDIA_HINT
    assert "Câu 3/13" in resident.text
    assert await stored_answers(app) == before


async def test_sticker_on_a_text_question_asks_for_text(app, resident):
    await consent_all(resident)
    await to_opinion(resident)
    assert "Ý kiến, kiến nghị Ông/Bà muốn gửi" in resident.text
    await resident.send_sticker()
    assert resident.telegram.sent_texts(resident.user_id)[-2] == (
        "Ông/Bà vui lòng gõ câu trả lời và gửi bằng tin nhắn."
    )


async def test_too_long_text_is_refused_with_the_count(app, resident):
    await consent_all(resident)
    await to_opinion(resident)
    await resident.send("a" * 2001)
    assert resident.telegram.sent_texts(resident.user_id)[-2] == (
        "Nội dung có 2001 ký tự, vượt quá giới hạn 2000 ký tự. Ông/Bà vui lòng viết ngắn lại."
    )
    assert "F1" not in await stored_answers(app)
    await resident.send("  Cần hướng dẫn rõ hơn.  ")
    assert (await stored_answers(app))["F1"] == ("Cần hướng dẫn rõ hơn.", None)


async def test_forged_callback_data_is_answered_and_changes_nothing(app, resident):
    await at_first_rating(resident)
    before = await counts(app), await stored_answers(app)
    await resident.tap_data("garbage-data")
    assert resident.last_alert == "Nút này không còn hiệu lực. Mời Ông/Bà dùng lại menu."
    await resident.tap_data("zzzzzz\x1do:Q3.1")  # an intent that never existed
    assert resident.last_alert == "Nút này đã cũ. Mời Ông/Bà tiếp tục tại đây."
    assert (await counts(app), await stored_answers(app)) == before


async def test_option_of_an_earlier_question_is_refused(app, resident):
    await at_first_rating(resident)
    await resident.tap("Hài lòng")  # Q1
    q2_screen = resident.snapshot()
    intent = q2_screen.markup.inline_keyboard[0][0].callback_data.split("\x1d")[0]
    await resident.tap_data(f"{intent}\x1do:Q1.1")  # Q1's "very dissatisfied", replayed
    assert resident.last_alert == "Nút này thuộc câu hỏi trước; chưa có gì thay đổi."
    assert (await stored_answers(app))["Q1"] == ("4", 4.0)
    assert "Câu 4/13" in resident.text


async def test_more_choices_than_allowed_are_refused(app, resident):
    await consent_all(resident)
    await to_priorities(resident)
    for label in ("⬜ Thông tin", "⬜ Trụ sở, thiết bị", "⬜ Năng lực công chức"):
        await resident.tap(label)
    await resident.tap("⬜ Thái độ phục vụ")
    assert resident.last_alert == "Ông/Bà vui lòng chọn tối đa 3 câu trả lời."
    assert (await stored_answers(app))["M1"] == ("info prem skill", None)


async def test_done_with_nothing_chosen_on_a_required_question(app, resident):
    await consent_all(resident)
    await to_priorities(resident)
    await resident.tap("✔️ Xong")
    assert resident.last_alert == "Ông/Bà vui lòng chọn ít nhất một câu trả lời, rồi bấm Xong."
    assert "Câu 2/4" in resident.text


async def test_text_before_any_dialog_opens_the_start(app, resident):
    await resident.send("xin chao")
    messages = resident.telegram.sent_texts(resident.user_id)
    assert messages[-2] == "Xin chào Ông/Bà! Mời Ông/Bà tiếp tục tại đây."
    assert messages[-1].startswith("Đây là trợ lý tự động của UBND phường Bình An.")


async def test_every_button_fits_telegram_and_carries_no_labels(app, resident, telegram):
    await at_first_rating(resident)
    await resident.tap("Rất hài lòng")
    for message in telegram.messages.values():
        for row in message.markup.inline_keyboard if message.markup else []:
            for button in row:
                data = button.callback_data
                assert data.isascii(), data
                assert len(data.encode()) <= 64, data


async def test_an_unexpected_failure_is_apologised_for_and_rolled_back(app, resident, monkeypatch):
    from bot.services import survey as survey_service

    await at_first_rating(resident)
    before = await stored_answers(app)

    async def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(survey_service, "upsert_answer", broken)
    await resident.tap("Hài lòng")
    assert (
        resident.last_alert
        == "Xin lỗi, đã có lỗi xảy ra và chưa có gì được lưu. Ông/Bà vui lòng thử lại."
    )
    assert await stored_answers(app) == before
