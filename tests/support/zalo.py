"""The Zalo channel against the fake Zalo server: its settings, and a running channel in
polling mode with a resident writing to it."""

from __future__ import annotations

import asyncio

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound
from bot.settings import Settings
from tests.support.fake_zalo import IDLE_WAIT, TOKEN, FakeZalo


def zalo_settings(settings: Settings, server: FakeZalo, **more) -> Settings:
    values = {**settings.model_dump(), "zalo_bot_token": TOKEN, "zalo_api_base": server.base_url}
    return Settings(_env_file=None, **{**values, **more})


class Poller:
    """A running Zalo channel in polling mode, and a resident writing to it."""

    def __init__(self, channel: ZaloChannel, server: FakeZalo, user_id: str = "zu1") -> None:
        self.channel = channel
        self.server = server
        self.user_id = user_id
        self.stop = asyncio.Event()
        self.handled: asyncio.Queue[str | None] = asyncio.Queue()
        handle = channel.handle

        async def recording(inbound: Inbound) -> None:
            await handle(inbound)
            self.handled.put_nowait(inbound.message_id)

        channel.handle = recording  # the poller calls the channel's handler through this
        self.task = asyncio.create_task(channel.poll(self.stop))

    async def say(self, text: str) -> list[str]:
        """Send a message; return the replies it got, in order."""
        before = len(self.server.sent)
        self.server.push_text(self.user_id, text)
        await asyncio.wait_for(self.handled.get(), timeout=10)
        return [t for chat, t in self.server.sent[before:] if chat == self.user_id]

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=10)
        await self.channel.close()
        # The long poll cut short by the stop may still be waiting on the server's side; let it
        # run out, or it would take the next update off the queue for a client that is gone.
        await asyncio.sleep(IDLE_WAIT + 0.2)


def make_channel(app, settings: Settings, clock, server: FakeZalo) -> ZaloChannel:
    zalo_set = zalo_settings(settings, server)
    conversation = TextConversation(app.sessionmaker, app.survey, zalo_set, clock)
    client = ZaloClient(TOKEN, server.base_url, backoff=(0.01,))
    return ZaloChannel(zalo_set, conversation, client)
