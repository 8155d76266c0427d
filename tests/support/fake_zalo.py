"""A small Zalo Bot API server on 127.0.0.1 for tests where the real HTTP path matters.

It answers `POST /bot{token}/{method}` with the envelopes of zalo.md §3–§6: a wrong token gets
HTTP 200 `ok:false, error_code:401` (as seen live); getUpdates hands out one queued update, or
after a short wait the idle answer `ok:false, error_code:408`, sent with HTTP status
`idle_status` (200 by default, since the live status is unverified; pass 408 to test the other).
Failures are scripted with `fail_next`.

For the delivery engine, the same limits as the fake Bot API (tests/support/fake_bot_api.py): with
`rate_limit` and `per_chat_interval` a message beyond them gets 429 (Zalo documents no
retry_after; this fake says "retry after N" in the description), chats in `unreachable` get
403, `fail_chat` scripts 5xx answers, and every accepted message is kept in `accepted` with
its arrival time.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

from tests.support.fake_bot_api import Accepted, RateLimits, scripted_failure

TOKEN = "1234567890:fake-zalo-secret-token"
BOT_INFO = {
    "id": "5c1f0b2d9e8a7f6c4b3a",
    "account_name": "Bot UBND Phường Thử",
    "account_type": "BASIC",
    "can_join_groups": False,
}
IDLE_WAIT = 0.3  # seconds getUpdates waits for an update before answering 408
MAX_TEXT = 2000


class FakeZalo:
    def __init__(
        self,
        token: str = TOKEN,
        *,
        idle_status: int = 200,
        rate_limit: float | None = None,
        per_chat_interval: float | None = None,
    ) -> None:
        self.token = token
        self.limits = RateLimits(rate_limit, per_chat_interval)
        self.accepted: list[Accepted] = []
        self.unreachable: set[str] = set()  # chats answered 403
        self._server_errors: dict[str, tuple[int, int]] = {}
        self._arrived = 0.0
        self.idle_status = idle_status
        self.base_url = ""
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every request, failed ones too
        self.sent: list[tuple[str, str]] = []  # (chat_id, text) of accepted sendMessage calls
        self.photos: list[tuple[str, str, str | None]] = []  # (chat_id, photo, caption)
        self.actions: list[tuple[str, str]] = []  # (chat_id, action)
        self.webhook_url = ""
        self.images = {}
        # Set when an image is asked for; while `image_gate` is set and not open, the image
        # download hangs there (a slow link on Zalo's side).
        self.image_requested = asyncio.Event()
        self.image_gate: asyncio.Event | None = None
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._failures: dict[str, deque[tuple[int, dict[str, Any] | None]]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        # Images residents send arrive as links to Zalo's servers; this serves them.
        app.router.add_get("/img/{name}", self._image)
        # No access log: it would print the token, and tests check that nothing logs it.
        # Cancel a long poll whose client went away, as a real server would, instead of letting
        # the orphaned request take the next update off the queue.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # the port the OS picked
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    images: dict[str, bytes]

    async def _image(self, request: web.Request) -> web.Response:
        self.image_requested.set()
        if self.image_gate is not None:
            await self.image_gate.wait()
        content = self.images.get(request.match_info["name"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="image/jpeg")

    def push_image(self, user_id: str, content: bytes, caption: str | None = None) -> str:
        """Queue an image message whose link serves `content`; returns the link."""
        name = self.new_message_id()
        self.images[name] = content
        url = f"{self.base_url}/img/{name}"
        self.push_event(
            "message.image.received",
            message_id=self.new_message_id(),
            date=int(time.time() * 1000),
            photo_url=url,
            caption=caption,
            chat={"id": user_id, "chat_type": "PRIVATE"},
            **{"from": {"id": user_id, "display_name": "Cư dân", "is_bot": False}},
        )
        return url

    # -- scripting -------------------------------------------------------------------------------

    def push_event(self, event_name: str, **message_fields: Any) -> dict[str, Any]:
        """Queue an update; with no fields it has no `message` at all, like some unsupported events."""
        update: dict[str, Any] = {"event_name": event_name}
        if message_fields:
            update["message"] = message_fields
        self.updates.put_nowait(update)
        return update

    def push_text(self, user_id: str, text: str, message_id: str | None = None) -> dict[str, Any]:
        """Queue a private text message from `user_id`, as Zalo would deliver it."""
        return self.push_event(
            "message.text.received",
            message_id=message_id or self.new_message_id(),
            date=int(time.time() * 1000),
            text=text,
            chat={"id": user_id, "chat_type": "PRIVATE"},
            **{"from": {"id": user_id, "display_name": "Cư dân", "is_bot": False}},
        )

    def fail_next(
        self, method: str, status: int, body: dict[str, Any] | None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with `status` and `body` (None: a non-JSON page)."""
        self._failures[method].extend([(status, body)] * times)

    def fail_chat(self, chat_id: str, times: int, *, after: int = 0) -> None:
        """After `after` more messages to this chat, the next `times` get HTTP 502 with a
        non-JSON page."""
        self._server_errors[chat_id] = (after, times)

    def texts_to(self, chat_id: str) -> list[str]:
        return [m.text for m in self.accepted if m.chat_id == chat_id]

    def new_message_id(self) -> str:
        return f"{next(self._ids):020x}"

    # -- serving ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = asyncio.get_running_loop().time()  # time.monotonic(), or a test's fake clock
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        self._arrived = arrived  # read by _send_message before anything else runs
        if method in ("sendMessage", "sendPhoto"):
            refused = self._refuse(str(params.get("chat_id", "")), arrived)
            if refused is not None:
                return refused
        if self._failures[method]:
            status, body = self._failures[method].popleft()
            if body is None:
                return web.Response(status=status, text="<html>Bad Gateway</html>")
            return web.json_response(body, status=status)
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        return await self._answer(method, params)

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "getMe":
            return _ok(BOT_INFO)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            return self._set_webhook(params)
        if method in ("deleteWebhook", "getWebhookInfo"):
            if method == "deleteWebhook":
                self.webhook_url = ""
            return _ok({"url": self.webhook_url, "updated_at": _now_ms()})
        if method == "sendMessage":
            return self._send_message(params)
        if method == "sendPhoto":
            if not params.get("chat_id") or not params.get("photo"):
                return _error(400, "Bad Request")
            self.photos.append((str(params["chat_id"]), params["photo"], params.get("caption")))
            return _ok({"message_id": self.new_message_id(), "date": _now_ms()})
        if method == "sendChatAction":
            self.actions.append((str(params.get("chat_id")), str(params.get("action"))))
            return web.json_response({"ok": True})
        return _error(400, "Bad Request")  # unknown method (doc: 400)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook_url:
            return _error(400, "Webhook is set")  # as seen: polling fails while a webhook is set
        wait = min(IDLE_WAIT, float(params.get("timeout", 30)))
        try:
            update = await asyncio.wait_for(self.updates.get(), timeout=wait)
        except TimeoutError:
            return _error(408, "Request timeout", status=self.idle_status)
        return _ok(update)

    def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        url, secret = params.get("url", ""), params.get("secret_token", "")
        if not str(url).startswith("https://") or not 8 <= len(str(secret)) <= 256:
            return _error(400, "Bad Request")
        self.webhook_url = url
        return _ok({"url": url, "updated_at": _now_ms()})

    def _refuse(self, chat_id: str, arrived: float) -> web.Response | None:
        retry_after = self.limits.check(chat_id, arrived)
        if retry_after is not None:
            return _error(429, f"Too Many Requests: retry after {retry_after}", status=429)
        if chat_id in self.unreachable:
            return _error(403, "Forbidden")
        if scripted_failure(self._server_errors, chat_id):
            return web.Response(status=502, text="<html>Bad Gateway</html>")
        return None

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        chat_id, text = params.get("chat_id"), params.get("text")
        if not chat_id or not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return _error(400, "Bad Request")
        self.sent.append((str(chat_id), text))
        self.accepted.append(Accepted(str(chat_id), text, self._arrived))
        return _ok({"message_id": self.new_message_id(), "date": _now_ms()})


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    return {key: str(value) for key, value in (await request.post()).items()}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, status: int = 200) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=status
    )


def _now_ms() -> int:
    return int(time.time() * 1000)
