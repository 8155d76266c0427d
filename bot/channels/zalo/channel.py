"""The Zalo channel: inbound messages to the text conversation, its replies back to Zalo, by
polling (the default) or by webhook when ZALO_WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from bot.channels.zalo.client import ZaloAPIError, ZaloClient, quiet_http_logs
from bot.channels.zalo.polling import poll_updates
from bot.channels.zalo.webhook import ZaloWebhook, add_webhook_route
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound
from bot.delivery import outbox
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outbox import Message, Recipient
from bot.metrics import Metrics
from bot.services.questions import MAX_ATTACHMENT_BYTES as MAX_DOWNLOAD
from bot.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "zalo"


class ZaloChannel:
    download_deadline = 120.0  # seconds for one image, however slowly it arrives

    def __init__(
        self,
        settings: Settings,
        conversation: TextConversation,
        client: ZaloClient | None = None,
        metrics: Metrics | None = None,
        delivery: DeliveryEngine | None = None,
    ) -> None:
        assert settings.zalo_token, "the Zalo channel needs ZALO_BOT_TOKEN"
        quiet_http_logs()  # httpx would log every URL, and Zalo's URLs carry the token
        self.settings = settings
        self.conversation = conversation
        self.client = client or ZaloClient(settings.zalo_token, settings.zalo_api_base)
        self.webhook: ZaloWebhook | None = None
        self.metrics = metrics
        self.delivery = delivery  # woken when replies are handed to the outbox
        self._http = httpx.AsyncClient(timeout=20, follow_redirects=True)
        conversation.download = self.download

    async def download(self, url: str) -> bytes | None:
        """An image a resident sent, fetched at once: Zalo's links may expire. A link that
        trickles is given up after `download_deadline` seconds (the sender waits meanwhile)."""
        try:
            async with (
                asyncio.timeout(self.download_deadline),
                self._http.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    return None
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_DOWNLOAD:
                        return None
                return bytes(content)
        except (httpx.HTTPError, TimeoutError):
            log.warning("An image from Zalo could not be fetched")
            return None

    @property
    def uses_webhook(self) -> bool:
        return bool(self.settings.zalo_webhook_url)

    async def check(self) -> str:
        """The bot's name; raises ZaloAPIError when the token is refused."""
        me = await self.client.get_me()
        return str(me.get("account_name") or me.get("id") or "?")

    async def handle(self, inbound: Inbound) -> None:
        started = time.perf_counter()
        try:
            await self._answer(inbound)
        finally:
            if self.metrics is not None:
                self.metrics.observe("zalo", str(inbound.kind), time.perf_counter() - started)

    async def _answer(self, inbound: Inbound) -> None:
        replies = await self.conversation.handle(inbound)
        for sent, reply in enumerate(replies):
            try:
                await self.client.send_text(inbound.chat_id, reply)
            except ZaloAPIError as exc:  # logged without the reply, which may quote the resident
                log.warning("Zalo reply not delivered: %s %s", exc.code, exc.description)
                if exc.retryable:  # quota, server or network: the outbox tries again later
                    await self._hand_over(inbound, replies[sent:])
                return

    async def _hand_over(self, inbound: Inbound, replies: list[str]) -> None:
        """Replies the client gave up on after its own retries become outbox deliveries: the
        delivery engine sends them, in order, when Zalo takes messages again."""
        key = inbound.message_id or uuid.uuid4().hex
        rows = [
            (
                Recipient(CHANNEL, inbound.chat_id, self.settings.default_locale),
                Message(text=reply),
                f"reply:{CHANNEL}:{key}:{number}",
            )
            for number, reply in enumerate(replies)
        ]
        async with self.conversation.sessionmaker() as db, db.begin():
            await outbox.add_many(db, rows)
        log.info("%d Zalo replies left to the delivery engine", len(rows))
        if self.delivery is not None:
            self.delivery.wake()

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
        await self._http.aclose()
