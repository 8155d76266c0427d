"""The text conversation (Zalo, console): the whole journey as numbered text, over the same
services and database as Telegram."""

from __future__ import annotations

import pytest

from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Kind
from models import ResponseStatus
from tests.support.db_helpers import answers, consents, counts, responses
from tests.support.text_flow import agree_all
from tests.support.text_resident import TextResident


@pytest.fixture
def conversation(app, settings, clock) -> TextConversation:
    return TextConversation(app.sessionmaker, app.survey, settings, clock)


@pytest.fixture
def an(conversation) -> TextResident:
    return TextResident(conversation, "an")


async def test_first_message_gets_the_notice_and_nothing_is_stored(app, an):
    reply = await an.say("xin chào")
    assert reply.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    assert "1/3. Ông/Bà có đồng ý" in reply
    assert "1. ✅ Tôi đồng ý\n2. ✖ Tôi không đồng ý" in reply
    assert (await counts(app))["residents"] == 0


async def test_full_survey_by_numbers_and_words(app, an):
    menu = await agree_all(an)
    assert "Menu chính" in menu and "1. 📝 Đánh giá thủ tục theo lĩnh vực" in menu
    fields = await an.say("1")
    assert "2. Tư pháp – Hộ tịch" in fields
    procedures = await an.say("số 2")
    assert "1. Đăng ký khai sinh" in procedures
    first = await an.say("một.")
    assert first.startswith("Tư pháp – Hộ tịch · Câu 1/13")
    await an.say("co")  # C2 yes, by word without diacritics
    q1 = await an.say("2")  # C3 online
    assert "5. Rất hài lòng" in q1 and "1. Rất không hài lòng" in q1 and "6. Không áp dụng" in q1
    await an.say("5")  # Q1: the digit is the score
    await an.say("rat hai long")  # Q2 by label, no diacritics
    await an.say("  RẤT HÀI LÒNG!  ")  # Q3
    await an.say("6")  # Q4 not applicable
    await an.say("4")
    await an.say("Hài lòng")
    o1 = await an.say("khong hai long")  # Q7: dissatisfied (2)
    assert "Câu 10/13" in o1
    reasons = await an.say("1")  # O1: not satisfied (1, the lowest, as on every scale)
    assert "Câu 11/14" in reasons
    await an.say("1 6")  # late + other
    await an.say("Phải chờ quá lâu")
    await an.say("1, 6 và 2")  # M1
    await an.say("bỏ qua")  # F1
    review = await an.say("2")  # F2 no
    assert review.startswith("Kiểm tra lại câu trả lời: Tư pháp – Hộ tịch")
    assert "5. Giấy tờ, phí, thời hạn: Rất hài lòng" in review
    assert "6. Thái độ công chức: Không áp dụng" in review
    thanks = await an.say("gửi")
    assert thanks.startswith("🙏 Cảm ơn Ông/Bà! Đánh giá về lĩnh vực Tư pháp – Hộ tịch")
    [response] = await responses(app)
    assert (response.status, response.channel, response.field, response.procedure) == (
        ResponseStatus.SUBMITTED,
        "console",
        "tp",
        "ks",
    )
    stored = await answers(app, response.id)
    assert stored["Q1"] == ("5", 5.0)
    assert stored["Q2"] == ("5", 5.0)
    assert stored["Q4"] == ("na", None)
    assert stored["Q7"] == ("2", 2.0)
    assert stored["O1"] == ("ns", 0.0)
    assert stored["O1b"] == ("late other", None)
    assert stored["M1"] == ("info prem time", None)  # 1 information, 2 premises, 6 time


async def test_back_with_zero_and_restart_resumes_mid_survey(app, settings, clock, an):
    await agree_all(an)
    await an.say("1")
    await an.say("10")  # "Khác": no procedure list
    await an.say("1")  # C2 yes
    await an.say("2")
    back = await an.say("0")
    assert "Câu 2/13" in back
    await an.say("quay lai")
    assert "Câu 1/13" in an.last

    restarted_process = TextConversation(app.sessionmaker, app.survey, settings, clock)
    restarted = TextResident(restarted_process, "an", first_message_id=1000)
    again = await restarted.say("1")
    assert "Câu 2/13" in again  # answered C2 again, the state came from the database


async def test_wrong_input_gets_a_hint_and_the_question_again(app, an):
    await agree_all(an)
    await an.say("1")
    await an.say("Khác")  # a field chosen by its name
    reply = await an.say("xyz")
    assert "Ông/Bà vui lòng" in reply
    assert "Câu 1/13" in reply
    sticker = await an.say("", kind=Kind.STICKER)
    assert sticker.startswith("Ông/Bà vui lòng gõ câu trả lời và gửi bằng tin nhắn.")
    assert "Câu 1/13" in sticker
    [draft] = await responses(app)
    assert await answers(app, draft.id) == {}


async def test_declining_stores_only_the_refusal(app, an):
    await an.say("hello")
    reply = await an.say("2")
    assert "Đã ghi nhận lựa chọn của Ông/Bà" in reply
    assert (await counts(app))["consents"] == 1
    assert [(p, g) for p, g, _v, c in await consents(app)] == [("survey", False)]


async def test_english_is_detected_from_the_first_long_message(conversation):
    bob = TextResident(conversation, "bob", channel="zalo")
    reply = await bob.say("Hello, I would like to give feedback about the ward office please")
    assert reply.startswith(
        "This is the automated assistant of the People's Committee of Bình An Ward."
    )
    switched = await bob.say("tiếng việt")
    assert switched.startswith("Đây là trợ lý tự động")


async def test_my_data_and_deleting_everything(app, an):
    await agree_all(an)
    data = await an.say("dulieu")
    assert "Tài khoản chat: Console an" in data
    assert "4. 🗑 Xóa toàn bộ dữ liệu của tôi" in data
    confirm = await an.say("4")
    assert "Sau khi xóa sẽ không khôi phục được." in confirm
    done = await an.say("1")
    assert done == "Toàn bộ dữ liệu của Ông/Bà đã được xóa. Cảm ơn Ông/Bà đã tham gia."
    assert await counts(app) == dict.fromkeys(
        ["residents", "accounts", "consents", "responses", "answers"], 0
    )
    again = await an.say("xin chào")
    assert again.startswith("Đây là trợ lý tự động")


async def test_repeated_delivery_is_handled_once(app, conversation):
    from bot.conversation.inbound import Inbound

    message = Inbound(
        channel="zalo", chat_id="z1", user_id="z1", kind=Kind.TEXT, text="hi", message_id="m-1"
    )
    first = await conversation.handle(message)
    second = await conversation.handle(message)
    assert first and second == []


async def at_first_rating(resident: TextResident) -> None:
    await agree_all(resident)
    await resident.say("1")
    await resident.say("10")  # "Khác"
    await resident.say("1")  # C2 yes
    await resident.say("1")  # C3 in person
    assert "Câu 3/13" in resident.last


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("5", "5"),
        ("5.", "5"),
        ("  (4) ", "4"),
        ("số 4", "4"),
        ("so 3", "3"),
        ("một", "1"),
        ("mot", "1"),
        ("hai", "2"),
        ("rất hài lòng", "5"),
        ("rat hai long", "5"),
        ("RẤT HÀI LÒNG!!", "5"),
        ("Hài lòng", "4"),
        ("binh thuong", "3"),
        ("khong ap dung", "na"),
        ("6", "na"),
        ("５", "5"),
    ],
)
async def test_what_people_really_type(app, an, typed, stored):
    await at_first_rating(an)
    reply = await an.say(typed)
    assert "Câu 4/13" in reply, reply
    [draft] = await responses(app)
    assert (await answers(app, draft.id))["Q1"][0] == stored


@pytest.mark.parametrize("typed", ["0", "quay lại", "quay lai", "Quay Lai."])
async def test_back_words(an, typed):
    await at_first_rating(an)
    assert "Câu 2/13" in await an.say(typed)


@pytest.mark.parametrize("typed", ["menu", "MENU", "huỷ", "hủy", "huy"])
async def test_menu_and_cancel_words_save_and_leave(an, typed):
    await at_first_rating(an)
    reply = await an.say(typed)
    assert reply.startswith("Menu chính")
    assert "1. ▶️ Tiếp tục đánh giá: Khác" in reply
    assert "Câu 3/13" in await an.say("1")  # continue where it was left


@pytest.mark.parametrize("typed", ["help", "giúp", "giup", "Trợ giúp"])
async def test_help_words_explain_and_repeat_the_screen(an, typed):
    await at_first_rating(an)
    reply = await an.say(typed)
    assert reply.startswith("Trợ lý tự động này ghi nhận đánh giá")
    assert "Câu 3/13" in reply


@pytest.mark.parametrize(
    ("step", "typed", "hint"),
    [
        ("notice", "abc", "Ông/Bà vui lòng trả lời 1 để đồng ý hoặc 2 để không đồng ý."),
        ("menu", "9", "Ông/Bà vui lòng trả lời bằng một số từ 1 đến 6."),
        ("field", "99", "Ông/Bà vui lòng trả lời bằng một số từ 1 đến 10."),
        ("question", "7", "Ông/Bà vui lòng trả lời bằng một trong các số: 5, 4, 3, 2, 1, 6."),
        ("multi", "1 2 3 4", "Ông/Bà vui lòng chọn tối đa 3 câu trả lời."),
    ],
)
async def test_wrong_input_at_each_step(app, an, step, typed, hint):
    await an.say("xin chào")
    if step != "notice":
        await an.say("1")
        await an.say("1")
        await an.say("2")
    if step in ("field", "question", "multi"):
        await an.say("1")
    if step in ("question", "multi"):
        await an.say("10")
        await an.say("1" if step == "question" else "2")
    if step == "question":
        await an.say("1")
    before = await counts(app)
    reply = await an.say(typed)
    assert reply.startswith(hint), reply
    assert await counts(app) == before  # nothing stored or changed


async def test_group_chats_are_sent_to_a_private_chat(app, conversation):
    from bot.conversation.inbound import Inbound

    group = Inbound(
        channel="zalo", chat_id="g1", user_id="u9", kind=Kind.TEXT, text="1", is_group=True
    )
    assert await conversation.handle(group) == ["Ông/Bà vui lòng nhắn riêng cho trợ lý tự động."]
    assert (await counts(app))["residents"] == 0
