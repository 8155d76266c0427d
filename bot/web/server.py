"""The one aiohttp web application of a worker: the Telegram webhook (when WEBHOOK_BASE_URL is
set), the Zalo webhook (when ZALO_WEBHOOK_URL is set), /healthz and /metrics.

Telegram posts each update with the secret token in a header; a request without the right one
gets 401 and nothing is processed, a body that is not an update gets 400 (bot/webhook_request.py).
A good one is answered at once and handled in a task, so a slow handler never makes Telegram
retry; an update id already handled (a replay, by Telegram or anyone holding the secret, to this
worker or another sharing the database) is acknowledged and not handled again. On shutdown the
server stops taking requests first, then waits for those tasks, then the caller closes the
database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import CONTENT_TYPE, Metrics
from bot.web.context import CONTEXT, WebContext
from bot.webhook_request import json_object, secret_matches
from models.conversations import claim_delivery

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 3.0  # seconds for the database to answer /healthz
MAX_UPDATE_BYTES = 1024 * 1024
TELEGRAM_CHANNEL = "telegram"  # of the update ids kept in inbound_messages


class TelegramWebhook:
    """Checks the secret and the body, acknowledges, and feeds the update to the dispatcher in a
    task, once per update id."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.dispatcher, self.bot, self.secret = dispatcher, bot, secret
        self.sessionmaker = sessionmaker
        self.tasks: set[asyncio.Task[Any]] = set()

    async def receive(self, request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), self.secret):
            log.warning("Telegram webhook request with a wrong secret refused")
            return web.Response(status=401, text="Unauthorized")
        if request.content_length and request.content_length > MAX_UPDATE_BYTES:
            return web.Response(status=413)
        update = self._update(await json_object(request))
        if update is None:
            log.warning("Telegram webhook request that is not an update refused")
            return web.Response(status=400, text="Bad Request")
        task = asyncio.create_task(self._handle(update))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.Response(status=200)

    def _update(self, body: dict[str, Any] | None) -> Update | None:
        if body is None:
            return None
        try:
            return Update.model_validate(body, context={"bot": self.bot})
        except ValidationError:
            return None

    async def _handle(self, update: Update) -> None:
        try:
            if not await self._first_delivery(update.update_id):
                log.info("Telegram update %s delivered again: not handled twice", update.update_id)
                return
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:  # the error handlers have had their say; keep the worker alive
            log.exception("Telegram update not handled")

    async def _first_delivery(self, update_id: int) -> bool:
        """Claimed in the database, so every worker sharing it sees the claim at once. The
        bot's id is part of the key: another bot's update ids start over."""
        async with self.sessionmaker() as db, db.begin():
            return await claim_delivery(db, TELEGRAM_CHANNEL, f"{self.bot.id}:{update_id}")

    async def wait_idle(self, timeout: float) -> None:
        """Until the updates in flight are handled (or the timeout passes)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)


async def health(
    sessionmaker: async_sessionmaker[AsyncSession],
    metrics: Metrics,
    scheduler_state: Callable[[], str],
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 when the database answers, 503 otherwise."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), sessionmaker() as db:
            await db.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:
        database = f"error: {type(exc).__name__}"
    last = metrics.last_update_at
    body = {
        "worker": os.getpid(),
        "database": database,
        "scheduler": scheduler_state(),
        "last_update": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
        "seconds_since_last_update": round(time.time() - last, 1) if last else None,
        "updates_in_flight": metrics.in_flight,
    }
    return (200 if database == "ok" else 503), body


def build_web_app(
    sessionmaker: async_sessionmaker[AsyncSession],
    metrics: Metrics,
    *,
    telegram: TelegramWebhook | None = None,
    scheduler_state: Callable[[], str] = lambda: "absent",
    console: WebContext | None = None,
) -> web.Application:
    """`console`: also serve the staff web console and the resident web chat."""
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    if console is not None:
        add_console(app, console)

    async def healthz(_request: web.Request) -> web.Response:
        status, body = await health(sessionmaker, metrics, scheduler_state)
        return web.json_response(body, status=status)

    async def metrics_page(_request: web.Request) -> web.Response:
        async with sessionmaker() as db:
            await metrics.refresh(db)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    if telegram is not None:
        app.router.add_post(TELEGRAM_PATH, telegram.receive)
    return app


STATIC = os.path.join(os.path.dirname(__file__), "static")


@web.middleware
async def page_headers(request: web.Request, handler) -> web.StreamResponse:
    """No framing by other sites (clickjacking), no guessing of content types, no address
    leaking to other sites, and no caching of pages that show residents' questions."""
    response = await handler(request)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_console(app: web.Application, console: WebContext) -> None:
    from bot.web.locale import locale_middleware
    from bot.web.pages import ROUTE_TABLES
    from bot.web.pages.projector import close_feeds

    app[CONTEXT] = console
    app.middlewares.extend([page_headers, locale_middleware])
    app.router.add_static("/static/", STATIC, name="static")
    for table in ROUTE_TABLES:
        app.router.add_routes(table)

    async def front_door(_request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/staff")

    app.router.add_get("/", front_door)
    app.on_shutdown.append(close_feeds)  # open projector streams end, not waited for


async def register_telegram_webhook(
    bot: Bot, dispatcher: Dispatcher, base_url: str, secret: str
) -> None:
    """Telegram posts to us from now on, with the secret and only the update types the
    dispatcher handles; updates waiting since polling stopped are delivered, not dropped."""
    await bot.set_webhook(
        url=base_url.rstrip("/") + TELEGRAM_PATH,
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
        drop_pending_updates=False,
    )
