"""Receiving Zalo updates by webhook on an aiohttp.web application (zalo.md §7).

Each delivery: check the secret header, parse, drop an immediate repeat, answer 200 at once and
handle the message in a background task. Zalo documents neither its answer deadline nor its
retries, so the slow work (database, replies) must not hold up the answer.

    webhook = add_webhook_route(app, "/zalo/<random path>", secret, conversation.handle)
    ...
    await webhook.wait_idle()  # tests, or shutdown (also hooked to app.on_shutdown)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.channels.zalo.updates import RecentIds, is_event, parse_update
from bot.conversation.inbound import Inbound
from bot.webhook_request import json_object, secret_matches

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"

Handler = Callable[[Inbound], Awaitable[None]]


class ZaloWebhook:
    """The webhook endpoint of one bot; keeps its in-flight handler tasks for `wait_idle`."""

    def __init__(self, secret: str, handle: Handler, *, recent_size: int = 2000) -> None:
        if not secret:
            # An empty secret would accept requests that send no header at all.
            raise ValueError("a webhook secret is required")
        self._secret = secret
        self._handle = handle
        self._recent = RecentIds(recent_size)
        self._tasks: set[asyncio.Task[None]] = set()

    def route(self, app: web.Application, path: str) -> None:
        """Serve POST `path` on `app`; in-flight handlers are awaited when the app shuts down."""
        app.router.add_post(path, self.receive)
        app.on_shutdown.append(self._on_shutdown)

    async def receive(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "Forbidden"}, status=403)
        body = await json_object(request)
        if body is None:  # not JSON, or not one object of sane depth and numbers
            log.warning("Zalo webhook request that is not a JSON object refused")
            return web.json_response({"message": "Expected a JSON object"}, status=400)
        if not is_event(body):
            log.warning("Zalo webhook request that is not an event refused")
            return web.json_response({"message": "Expected a Zalo event"}, status=400)
        inbound = parse_update(body)
        if inbound is not None and not self._recent.is_repeat(inbound.message_id):
            self._start(inbound)
        return web.json_response({"message": "Success"})

    async def wait_idle(self) -> None:
        """Return once every handler started so far (and any they led to) has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def busy(self) -> int:
        """How many handlers are still running."""
        return len(self._tasks)

    def _authorised(self, request: web.Request) -> bool:
        # Checked before the body is read; the header's value is never logged.
        return secret_matches(request.headers.get(SECRET_HEADER), self._secret)

    def _start(self, inbound: Inbound) -> None:
        task = asyncio.create_task(self._handle(inbound), name=f"zalo-{inbound.message_id}")
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # The task name carries the message id; the resident's text stays out of the log.
            log.error("Zalo update handler failed (%s)", task.get_name(), exc_info=exc)

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.wait_idle()


def add_webhook_route(app: web.Application, path: str, secret: str, handle: Handler) -> ZaloWebhook:
    """Serve Zalo's webhook at `path` on `app`; returns the ZaloWebhook for `wait_idle`."""
    webhook = ZaloWebhook(secret, handle)
    webhook.route(app, path)
    return webhook
