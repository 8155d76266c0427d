"""The Zalo channel: inbound messages to the text conversation, its replies back to Zalo, by
polling (the default) or by webhook when ZALO_WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.channels.zalo.client import ZaloAPIError, ZaloClient, quiet_http_logs
from bot.channels.zalo.polling import poll_updates
from bot.channels.zalo.webhook import ZaloWebhook, add_webhook_route
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound
from bot.settings import Settings

log = logging.getLogger(__name__)


class ZaloChannel:
    def __init__(
        self, settings: Settings, conversation: TextConversation, client: ZaloClient | None = None
    ) -> None:
        assert settings.zalo_token, "the Zalo channel needs ZALO_BOT_TOKEN"
        quiet_http_logs()  # httpx would log every URL, and Zalo's URLs carry the token
        self.settings = settings
        self.conversation = conversation
        self.client = client or ZaloClient(settings.zalo_token, settings.zalo_api_base)
        self.webhook: ZaloWebhook | None = None

    @property
    def uses_webhook(self) -> bool:
        return bool(self.settings.zalo_webhook_url)

    async def check(self) -> str:
        """The bot's name; raises ZaloAPIError when the token is refused."""
        me = await self.client.get_me()
        return str(me.get("account_name") or me.get("id") or "?")

    async def handle(self, inbound: Inbound) -> None:
        replies = await self.conversation.handle(inbound)
        for reply in replies:
            try:
                await self.client.send_text(inbound.chat_id, reply)
            except ZaloAPIError as exc:  # logged without the reply, which may quote the resident
                log.warning("Zalo reply not delivered: %s %s", exc.code, exc.description)
                return

    async def poll(self, stop: asyncio.Event) -> None:
        await poll_updates(self.client, self.handle, stop=stop)

    def add_routes(self, app: web.Application) -> None:
        assert self.settings.zalo_webhook_url and self.settings.zalo_webhook_secret
        path = urlsplit(self.settings.zalo_webhook_url).path or "/zalo"
        secret = self.settings.zalo_webhook_secret.get_secret_value()
        self.webhook = add_webhook_route(app, path, secret, self.handle)

    async def register_webhook(self) -> None:
        assert self.settings.zalo_webhook_url and self.settings.zalo_webhook_secret
        await self.client.set_webhook(
            self.settings.zalo_webhook_url, self.settings.zalo_webhook_secret.get_secret_value()
        )

    async def close(self) -> None:
        if self.webhook is not None:
            await self.webhook.wait_idle()
        await self.client.aclose()
