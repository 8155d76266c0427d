"""The same answers through Telegram's buttons, through the text channel (Zalo) and through
the web chat's page store the same response: one survey implementation, whatever the
channel."""

from __future__ import annotations

from bot.conversation.engine import TextConversation
from tests.support.db_helpers import answers, responses
from tests.support.journey import DONE, RATE, SUBMIT, consent_all
from tests.support.text_resident import TextResident
from tests.support.web import serve_console
from tests.support.web_chat import WebChatResident

# (question, Telegram button, text reply): one script, two ways of giving it.
SCRIPT = [
    ("C2", "Có", "co"),
    ("C3", "Trực tiếp tại Trung tâm Phục vụ hành chính công", "1"),
    ("Q1", "Rất hài lòng", "5"),
    ("Q2", "Hài lòng", "hai long"),
    ("Q3", "Bình thường", "3"),
    ("Q4", "Không áp dụng", "6"),
    ("Q5", "Không hài lòng", "2"),
    ("Q6", "Rất không hài lòng", "rất không hài lòng"),
    ("Q7", "Hài lòng", "4"),
    ("O1", "Không hài lòng", "1"),
]


async def test_telegram_and_text_store_identical_responses(app, resident, settings, clock):
    await consent_all(resident)
    await resident.tap(RATE["vi"])
    await resident.tap("Địa chính (đất đai)")
    await resident.tap("Đính chính Giấy chứng nhận đã cấp")
    for _code, button, _text in SCRIPT:
        await resident.tap(button)
    for label in ("⬜ Trễ hẹn", "⬜ Thái độ công chức"):
        await resident.tap(label)
    await resident.tap(DONE["vi"])
    for label in ("⬜ Trụ sở, thiết bị", "⬜ Dịch vụ công trực tuyến"):
        await resident.tap(label)
    await resident.tap(DONE["vi"])
    await resident.send("Cần thêm ghế chờ.")
    await resident.tap("Không")
    await resident.tap(SUBMIT["vi"])

    text = TextResident(
        TextConversation(app.sessionmaker, app.survey, settings, clock), "zalo-1", "zalo"
    )
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as web:
        for resident_of in (text, web):
            for reply in ("xin chào", "1", "1", "2", "1", "1", "2"):  # consents, menu, field…
                await resident_of.say(reply)
            for _code, _button, typed in SCRIPT:
                await resident_of.say(typed)
            await resident_of.say("1 3")  # O1b
            await resident_of.say("2 5")  # M1
            await resident_of.say("Cần thêm ghế chờ.")
            await resident_of.say("2")
            assert (await resident_of.say("gửi")).startswith("🙏 Cảm ơn Ông/Bà!")

    telegram_response, text_response, web_response = await responses(app)
    assert (telegram_response.channel, text_response.channel, web_response.channel) == (
        "telegram",
        "zalo",
        "web",
    )
    for attribute in ("session_id", "field", "procedure", "status"):
        assert getattr(telegram_response, attribute) == getattr(text_response, attribute)
        assert getattr(web_response, attribute) == getattr(text_response, attribute)
    assert await answers(app, telegram_response.id) == await answers(app, text_response.id)
    assert await answers(app, web_response.id) == await answers(app, text_response.id)
