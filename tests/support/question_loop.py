"""A question's whole loop across channels: the official who answers it, and a resident who
asks on Zalo."""

from __future__ import annotations

import pytest

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.conversation.engine import TextConversation
from tests.support.fake_zalo import TOKEN, FakeZalo
from tests.support.staff_chat import OFFICIAL, Person
from tests.support.zalo import Poller, zalo_settings

QUESTION = "Đề nghị phường hướng dẫn rõ hồ sơ đăng ký kết hôn với người nước ngoài."


@pytest.fixture
async def official(app, settings, telegram) -> Person:
    from bot.__main__ import bootstrap_admins

    await bootstrap_admins(app, settings)
    admin = Person(app, telegram, 1, "vi")
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    return Person(app, telegram, OFFICIAL, "vi")


def zalo_resident(app, settings, clock, server: FakeZalo) -> Poller:
    """A Zalo channel wired as `python -m bot` wires it: new questions go to the notifier, and
    the notifier answers through the channel's client."""
    zalo_set = zalo_settings(settings, server)
    conversation = TextConversation(
        app.sessionmaker, app.survey, zalo_set, clock, on_question=app.notifier.question_filed
    )
    channel = ZaloChannel(
        zalo_set, conversation, ZaloClient(TOKEN, server.base_url, backoff=(0.01,))
    )
    app.notifier.zalo = channel.client
    return Poller(channel, server)


async def ask_on_zalo(resident: Poller, *, named: bool = True) -> str:
    for text in ("Xin chào", "1", "1", "1"):  # notice, then the three consents given
        await resident.say(text)
    await resident.say("2")  # ✉️ Send a question or recommendation
    await resident.say("2")  # Tư pháp – Hộ tịch
    await resident.say(QUESTION)
    await resident.say("1")  # no evidence: continue
    if named:
        await resident.say("1")  # answer me by name
        await resident.say("Trần Thị Bình")
        await resident.say("0987 654 321")
    else:
        await resident.say("2")
    [sent] = await resident.say("1")  # send
    assert "Mã theo dõi của Ông/Bà là KN-26-0001." in sent
    return "KN-26-0001"
