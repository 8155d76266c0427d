"""The question loop across channels: a resident on Zalo (the fake Zalo server over real HTTP)
or in the console, the official on Telegram through the real dispatcher. Ask → staff notice →
answer → the answer in the resident's own chat → their "1" or "2" is the rating."""

from __future__ import annotations

from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound, Kind
from tests.support.question_loop import (
    QUESTION,
    ask_on_zalo,
    official,  # noqa: F401 (fixtures)
    zalo_resident,
)
from tests.support.questions import stored_questions
from tests.support.staff_chat import ANSWER, SIGNATURE


async def test_zalo_resident_asks_official_answers_on_telegram_resident_rates(
    app, settings, clock, zalo, official
):
    resident = zalo_resident(app, settings, clock, zalo)
    code = await ask_on_zalo(resident)
    notice = official.last("Câu hỏi mới")
    assert notice.text.startswith(f"🆕 Câu hỏi mới {code} · Tư pháp – Hộ tịch")
    assert "Trần Thị Bình" not in notice.text

    await official.tap("📂 Mở", on=notice)
    card = official.last(QUESTION)
    assert "kênh: zalo" in card.text
    await official.tap("✍️ Trả lời", on=card)
    before = len(zalo.sent)
    await official.send(ANSWER)
    assert official.last().text == f"✅ Câu trả lời cho {code} đã được lưu và gửi tới người dân."
    [(chat, relay)] = zalo.sent[before:]
    assert chat == "zu1"
    assert relay.startswith(f"💬 Trả lời câu hỏi {code} của Ông/Bà\n\n{ANSWER}\n— {SIGNATURE}")
    assert relay.endswith(
        "Để đánh giá câu trả lời này, Ông/Bà nhắn “xem”. Việc Ông/Bà đang làm vẫn được giữ nguyên."
    )

    # The resident is still on the "sent" screen; "xem" opens the answer beside it.
    [detail] = await resident.say("xem")
    assert detail.startswith(f"{code} · Tư pháp – Hộ tịch\nTrạng thái: đã trả lời")
    assert "1. 👍 Hài lòng\n2. 👎 Không hài lòng" in detail
    thanks, back = await resident.say("1")
    assert thanks == "Cảm ơn Ông/Bà đã đánh giá câu trả lời."
    assert back.startswith(f"✅ Đã tiếp nhận. Mã theo dõi của Ông/Bà là {code}.")
    [question] = await stored_questions(app)
    assert (question.channel, question.status, question.answer_rating) == (
        "zalo",
        "answered",
        "satisfied",
    )
    [mine] = await resident.say("1")  # the "sent" screen's own 1: My questions
    assert f"1. {code}" in mine
    [detail] = await resident.say("1")
    assert "Cảm ơn Ông/Bà, đánh giá đã được ghi nhận." in detail
    thanks, _detail = await resident.say("2")  # a mis-tap corrected: the later rating counts
    assert thanks == "Cảm ơn Ông/Bà đã đánh giá câu trả lời."
    assert (await stored_questions(app))[0].answer_rating == "unsatisfied"
    await resident.close()


async def test_an_undelivered_answer_stays_stored(app, settings, clock, zalo, official):
    resident = zalo_resident(app, settings, clock, zalo)
    code = await ask_on_zalo(resident)
    notice = official.last("Câu hỏi mới")
    zalo.fail_next("sendMessage", 200, {"ok": False, "error_code": 403, "description": "blocked"})
    await official.reply(ANSWER, to=notice)
    assert official.last().text.startswith(f"✅ Câu trả lời cho {code} đã được lưu. Chưa gửi được")
    [question] = await stored_questions(app)
    assert question.answer_text == ANSWER and question.status == "answered"
    # They never saw it, so their next "1" is not taken as a rating of it.
    [mine] = await resident.say("1")
    assert "KN-26-0001 · Tư pháp – Hộ tịch · đã trả lời" in mine
    assert (await stored_questions(app))[0].answer_rating is None
    await resident.close()


async def test_console_resident_reads_the_answer_under_my_questions(app, settings, clock, official):
    console = TextConversation(
        app.sessionmaker, app.survey, settings, clock, on_question=app.notifier.question_filed
    )

    async def say(text: str) -> list[str]:
        return await console.handle(
            Inbound(channel="console", chat_id="me", user_id="me", kind=Kind.TEXT, text=text)
        )

    for text in ("Xin chào", "1", "1", "2", "2", "2", QUESTION, "1", "2"):
        await say(text)
    [sent] = await say("1")
    assert "KN-26-0001" in sent
    await official.reply(ANSWER, to=official.last("Câu hỏi mới"))
    assert "Câu hỏi ẩn danh" in official.last().text  # anonymous: read, not pushed
    await say("menu")
    [mine] = await say("3")  # 📬 My questions
    assert "KN-26-0001" in mine
    [detail] = await say("1")
    assert ANSWER in detail and SIGNATURE in detail
