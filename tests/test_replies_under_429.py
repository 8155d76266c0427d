"""A direct reply to a resident (not an outbox delivery) that the platform refuses with 429 is
not lost: on Telegram it is sent again after the wait Telegram asks for; on Zalo, once the
client's own retries are spent, the replies left go to the outbox and the delivery engine sends
them. Over real HTTP, against the fake Bot API and Zalo servers."""

from __future__ import annotations

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound, Kind
from tests.support.delivery import (  # noqa: F401
    build,
    deliveries,
    servers,
    settle,
)
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN

NOTICE = "Đây là trợ lý tự động của UBND phường"


async def test_a_telegram_reply_refused_with_429_is_sent_after_the_wait(build, servers):
    app = await build()
    servers.limit("telegram", None, per_chat=1.0)  # a second message within 1 s gets 429
    api = servers.telegram
    for _ in range(2):  # the resident writes twice in a row
        api.push_text(501, "/start")
        await app.dispatcher.feed_raw_update(app.bot, api.updates.get_nowait())
    texts = api.texts_to("501")
    assert len(texts) == 2 and all(text.startswith(NOTICE) for text in texts)
    assert len(api.limits.refused) == 1  # the second reply was refused once, then sent
    assert await deliveries(app) == []  # answered directly, not through the outbox


async def test_zalo_replies_refused_past_the_client_retries_go_through_the_outbox(
    build, servers, clock
):
    app = await build()
    conversation = TextConversation(app.sessionmaker, app.survey, app.settings, clock)
    client = ZaloClient(ZALO_TOKEN, servers.zalo.base_url, retries=1, backoff=(0.01,))
    channel = ZaloChannel(app.settings, conversation, client, delivery=app.delivery)
    quota = {"ok": False, "error_code": 429, "description": "Too Many Requests"}
    servers.zalo.fail_next("sendMessage", 429, quota, times=2)  # the first try and its retry
    await channel.handle(
        Inbound(
            channel="zalo",
            chat_id="zu1",
            user_id="zu1",
            kind=Kind.TEXT,
            text="Xin chào",
            message_id="m-1",
        )
    )
    assert servers.zalo.texts_to("zu1") == []
    [waiting] = await deliveries(app)
    assert (waiting.channel, waiting.chat_id, waiting.status) == ("zalo", "zu1", "pending")

    await settle(app)
    [notice] = servers.zalo.texts_to("zu1")
    assert notice.startswith(NOTICE)
    assert [d.status for d in await deliveries(app)] == ["sent"]
    await channel.close()
