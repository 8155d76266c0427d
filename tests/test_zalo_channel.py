"""The Zalo channel end to end over real HTTP: the bot polls a fake Zalo Bot API server on
127.0.0.1 (or receives its webhook), runs the text conversation and answers through the API."""

from __future__ import annotations

import asyncio

import httpx

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound
from models import ResponseStatus
from tests.support.db_helpers import answers, counts, responses
from tests.support.fake_zalo import TOKEN
from tests.support.zalo import Poller, make_channel, zalo_settings

WEBHOOK_SECRET = "s3cret-webhook-token"


async def test_full_survey_over_zalo_with_a_restart_in_the_middle(app, settings, clock, zalo):
    resident = Poller(make_channel(app, settings, clock, zalo), zalo)
    [notice] = await resident.say("Xin chào")
    assert notice.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    await resident.say("1")
    await resident.say("1")
    [menu] = await resident.say("2")
    assert "1. 📝 Đánh giá thủ tục theo lĩnh vực" in menu
    await resident.say("1")
    await resident.say("6")  # Công an
    await resident.say("1")  # residence registration
    await resident.say("co")
    await resident.say("1")
    await resident.say("5")
    await resident.close()  # the process stops mid-survey

    resident = Poller(make_channel(app, settings, clock, zalo), zalo)
    [q3] = await resident.say("4")
    assert "Câu 5/13" in q3  # Q2 answered with 4 after the restart; on to Q3
    for reply in ("4", "4", "3", "5", "6"):  # Q3 to Q7, the last "not applicable"
        await resident.say(reply)
    await resident.say("3")  # O1: very satisfied (the highest number, as 5 on the 5-point scale)
    await resident.say("1 3")  # M1
    await resident.say("Xin niêm yết thời gian trả kết quả.")  # F1
    [review] = await resident.say("Không")  # F2: no
    assert review.startswith("Kiểm tra lại câu trả lời: Công an")
    [thanks] = await resident.say("Gửi")
    assert thanks.startswith("🙏 Cảm ơn Ông/Bà!")
    await resident.close()

    [response] = await responses(app)
    assert (response.status, response.channel, response.field) == (
        ResponseStatus.SUBMITTED,
        "zalo",
        "ca",
    )
    stored = await answers(app, response.id)
    assert stored["Q1"] == ("5", 5.0) and stored["Q2"] == ("4", 4.0)
    assert stored["Q7"] == ("na", None)
    assert stored["F1"] == ("Xin niêm yết thời gian trả kết quả.", None)


async def test_non_text_messages_get_a_polite_hint(app, settings, clock, zalo):
    resident = Poller(make_channel(app, settings, clock, zalo), zalo)
    await resident.say("chào")
    before = len(zalo.sent)
    zalo.push_event(
        "message.sticker.received",
        message_id=zalo.new_message_id(),
        date=0,
        sticker="abc",
        chat={"id": "zu1", "chat_type": "PRIVATE"},
        **{"from": {"id": "zu1", "display_name": "Cư dân", "is_bot": False}},
    )
    await asyncio.wait_for(resident.handled.get(), timeout=10)
    hint, notice = [text for _chat, text in zalo.sent[before:]]
    assert hint == "Ông/Bà vui lòng gõ câu trả lời và gửi bằng tin nhắn."
    assert notice.startswith("Đây là trợ lý tự động")
    await resident.close()


async def test_server_errors_are_retried_and_long_replies_split(app, settings, clock, zalo):
    long_ward = settings.model_copy(update={"ward_name": "Bình An " + "rất dài " * 200})
    resident = Poller(make_channel(app, long_ward, clock, zalo), zalo)
    zalo.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "description": "quota"})
    zalo.fail_next("sendMessage", 502, None)
    replies = await resident.say("Xin chào")
    assert len(replies) == 2  # the notice is longer than a Zalo message
    assert all(len(text) <= 2000 for text in replies)
    assert replies[0].startswith("Đây là trợ lý tự động")
    assert replies[1].endswith("2. ✖ Tôi không đồng ý")
    await resident.close()


async def webhook_server(channel: ZaloChannel):
    from aiohttp import web

    web_app = web.Application()
    channel.add_routes(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/zalo/hook"


async def test_webhook_checks_the_secret_and_stores_a_repeated_delivery_once(
    app, settings, clock, zalo
):
    hooked = zalo_settings(
        settings,
        zalo,
        zalo_webhook_url="https://ward.example/zalo/hook",
        zalo_webhook_secret=WEBHOOK_SECRET,
    )
    conversation = TextConversation(app.sessionmaker, app.survey, hooked, clock)
    channel = ZaloChannel(hooked, conversation, ZaloClient(TOKEN, zalo.base_url))
    runner, url = await webhook_server(channel)
    delivery = {
        "ok": True,
        "result": {
            "event_name": "message.text.received",
            "message": {
                "message_id": "a1b2c3",
                "date": 1767600000123,
                "from": {"id": "zw1", "display_name": "Bình", "is_bot": False},
                "chat": {"id": "zw1", "chat_type": "PRIVATE"},
                "text": "Xin chào",
            },
        },
    }
    agree = {
        "event_name": "message.text.received",  # the flat form some deliveries take
        "message": {**delivery["result"]["message"], "message_id": "a1b2c4", "text": "1"},
    }
    try:
        async with httpx.AsyncClient() as http:
            refused = await http.post(url, json=agree, headers={"X-Bot-Api-Secret-Token": "nope"})
            assert refused.status_code == 403
            missing = await http.post(url, json=agree)
            assert missing.status_code == 403
            await channel.webhook.wait_idle()
            assert zalo.sent == [] and (await counts(app))["residents"] == 0

            headers = {"X-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            for body in (delivery, agree, agree):  # Zalo resends the consent
                answer = await http.post(url, json=body, headers=headers)
                assert answer.status_code == 200
                await channel.webhook.wait_idle()
        # A second channel instance (another process) gets the same delivery again.
        other = ZaloChannel(hooked, TextConversation(app.sessionmaker, app.survey, hooked, clock))
        await other.handle(channel_inbound(agree))
        await other.close()
    finally:
        await runner.cleanup()
        await channel.close()
    texts = [text for _chat, text in zalo.sent]
    assert texts[0].startswith("Đây là trợ lý tự động")
    assert texts[1].startswith("2/3.")
    assert len(texts) == 2  # the repeated consent got no second answer
    assert (await counts(app))["consents"] == 1


def channel_inbound(body: dict) -> Inbound:
    from bot.channels.zalo.updates import parse_update

    inbound = parse_update(body)
    assert inbound is not None
    return inbound


async def test_question_with_a_photo_over_zalo(app, settings, clock, zalo):
    from sqlalchemy import select

    from models.questions import QuestionAttachment, ResidentQuestion

    resident = Poller(make_channel(app, settings, clock, zalo), zalo)
    for text in ("Xin chào", "1", "1", "2"):
        await resident.say(text)
    [fields] = await resident.say("2")  # ✉️ Send a question or recommendation
    assert "Câu hỏi, kiến nghị thuộc lĩnh vực nào?" in fields
    await resident.say("9")  # Xây dựng – Đô thị
    [evidence] = await resident.say("Đề nghị phường công khai danh mục giấy tờ xin phép xây dựng.")
    assert "tối đa 5 ảnh" in evidence
    picture = b"\xff\xd8\xff\xe0" + b"jpeg" * 100
    before = len(zalo.sent)
    zalo.push_image("zu1", picture)
    await asyncio.wait_for(resident.handled.get(), timeout=10)
    assert "Đã nhận: 1." in zalo.sent[before][1]
    await resident.say("1")  # continue
    await resident.say("2")  # anonymous
    [sent] = await resident.say("1")  # send
    assert "Mã theo dõi của Ông/Bà là KN-26-0001." in sent
    [mine] = await resident.say("1")
    assert "KN-26-0001 · Xây dựng – Đô thị · đã tiếp nhận" in mine
    await resident.close()
    async with app.sessionmaker() as db:
        [question] = (await db.execute(select(ResidentQuestion))).scalars().all()
        stored = await db.scalar(select(QuestionAttachment.content))
    assert (question.channel, question.field, question.named) == ("zalo", "xd", False)
    assert stored == picture  # the bytes are kept, not the expiring link
