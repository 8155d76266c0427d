"""A question, a name or an answer made only of invisible characters (zero-width spaces and
joiners, byte-order marks, blank fillers) or blanks is refused with a polite re-ask on every
channel, and nothing of it is stored; visible text keeps its words, without the invisible edges."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.engine import TextConversation
from models import Answer, ResidentQuestion
from tests.support.journey import consent_all, to_opinion, write_question
from tests.support.text_resident import TextResident

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # and the joiners
    " \ufeff \u2060 ",  # byte-order mark, word joiner, spaces
    "\u3164",  # Hangul filler: an "empty" message trick
    "\u2800\u200e",  # blank Braille pattern, left-to-right mark
]
NAME_AGAIN = "Ông/Bà vui lòng nhập họ và tên."
ANSWER_AGAIN = "Ông/Bà vui lòng gõ câu trả lời và gửi bằng tin nhắn."


async def stored_questions(app) -> list[ResidentQuestion]:
    async with app.sessionmaker() as db:
        return list((await db.execute(select(ResidentQuestion))).scalars())


async def stored_texts(app) -> list[str]:
    async with app.sessionmaker() as db:
        return list(
            (await db.execute(select(Answer.value).where(Answer.question == "F1"))).scalars()
        )


# --- Telegram -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", INVISIBLE)
async def test_telegram_question_and_name_of_invisible_characters_are_asked_again(
    app, resident, typed
):
    await consent_all(resident, contact=True)
    await write_question(resident, "Tư pháp – Hộ tịch", typed)
    assert resident.last_message == ANSWER_AGAIN
    await resident.send("\u200bXin hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?\u200b")
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("👤 Trả lời tôi theo tên")
    await resident.send(typed)
    assert resident.last_message == ANSWER_AGAIN
    await resident.send("Nguyễn Văn An\u200b")
    await resident.send("0912 345 678")
    await resident.tap("📨 Gửi")
    [question] = await stored_questions(app)
    assert question.text == "Xin hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?"
    assert question.contact_name == "Nguyễn Văn An"


async def test_telegram_survey_text_of_invisible_characters_is_asked_again(app, resident):
    await consent_all(resident)
    await to_opinion(resident)
    await resident.send("\u200b\u3164")
    assert resident.last_message == ANSWER_AGAIN
    assert await stored_texts(app) == []


# --- text channels (Zalo, console) ------------------------------------------------------------


@pytest.fixture
def an(app, settings, clock) -> TextResident:
    return TextResident(TextConversation(app.sessionmaker, app.survey, settings, clock), "an")


@pytest.mark.parametrize("typed", INVISIBLE)
async def test_text_channel_question_name_and_answer_of_invisible_characters(app, an, typed):
    for text in ("xin chào", "1", "1", "1", "2", "2"):  # consents (contact too), ask, field tp
        await an.say(text)
    reply = await an.say(typed)
    assert reply.startswith(ANSWER_AGAIN)
    assert "Ông/Bà viết câu hỏi hoặc kiến nghị" in reply  # the same screen again
    await an.say("Xin hỏi giờ làm việc của bộ phận một cửa?\u200d")
    await an.say("1")  # no photos: continue
    await an.say("1")  # answer me by name
    assert (await an.say(typed)).startswith(ANSWER_AGAIN)
    assert an.last.startswith(NAME_AGAIN)
    await an.say("\ufeffTrần Thị Bình")
    await an.say("0912345678")
    await an.say("1")  # send
    [question] = await stored_questions(app)
    assert question.text == "Xin hỏi giờ làm việc của bộ phận một cửa?"
    assert question.contact_name == "Trần Thị Bình"

    await an.say("menu")
    for text in ("1", "Khác", "không", "1"):  # rate the field "Khác": no procedure; M1
        await an.say(text)
    assert "Câu" in an.last
    assert (await an.say(typed)).startswith(ANSWER_AGAIN)
    assert await stored_texts(app) == []
