"""A small Bot API server on 127.0.0.1 for tests where the real HTTP path matters: it serves
updates through getUpdates, records every request as the form aiogram posted, and answers
like Telegram.

For the delivery engine it also behaves like Telegram under load (telegram.md §2–§3): with
`rate_limit` it refuses a message beyond that many per second (all chats together, any
sliding second) and, with `per_chat_interval`, a second message to one chat sooner than that,
answering 429 with `retry_after`; chats in `forbidden` get 403 (blocked by the user), chats in
`unknown` 400 "chat not found", and `fail_chat` scripts 5xx answers. Every accepted message is
recorded in `accepted` (chat, text, arrival time, and the client's port, which tells apart the
processes sending).

The server runs in a thread of its own with its own event loop (`own_thread`, the default), so
the arrival times it records and the limits it applies do not wait on the loop of the code under
test: a test's engine busy with the database cannot make two requests look bunched, or late.
What a test reads (`accepted`, `calls`, `limits.refused`) is appended there and read here;
`updates` and `sent` are queues either side can use.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

BOT_USER = {"id": 42, "is_bot": True, "first_name": "Phường", "username": "doithoai_test_bot"}
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


@dataclass(frozen=True)
class Accepted:
    chat_id: str
    text: str  # the text, or a photo's or document's caption
    at: float  # the event loop's time (time.monotonic()) when the request arrived
    method: str = "sendMessage"
    form: tuple[tuple[str, str], ...] = ()
    port: int = 0  # the client's end of the connection


def scripted_failure(scripts: dict[str, tuple[int, int]], chat_id: str) -> bool:
    """Whether this message is one `fail_chat` asked to fail; counts it either way."""
    after, times = scripts.get(chat_id, (0, 0))
    if after > 0:
        scripts[chat_id] = (after - 1, times)
        return False
    if times > 0:
        scripts[chat_id] = (0, times - 1)
        return True
    return False


class RateLimits:
    """A platform's limits as a fake server applies them. Every message request that passes
    counts (refused ones do not); the window is any sliding second."""

    def __init__(self, per_second: float | None, per_chat_interval: float | None) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        self._window: deque[float] = deque()
        self._last: dict[str, float] = {}
        self.refused: list[float] = []  # arrival times of the requests answered 429
        self.refused_chats: list[str] = []  # and their chats, in the same order

    def check(self, chat_id: str, now: float) -> int | None:
        """None if the request may go, else the seconds to wait (retry_after, at least 1)."""
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        wait = 0.0
        if self.per_second is not None and len(self._window) >= self.per_second:
            wait = self._window[0] + 1.0 - now
        last = self._last.get(chat_id)
        if self.per_chat_interval is not None and last is not None:
            wait = max(wait, last + self.per_chat_interval - now)
        if wait > 0:
            self.refused.append(now)
            self.refused_chats.append(chat_id)
            return max(1, math.ceil(wait))
        self._window.append(now)
        self._last[chat_id] = now
        return None

    @property
    def over_limit_after_first_429(self) -> int:
        """Requests beyond the limit that came after the first 429 (a good client sends none)."""
        return max(0, len(self.refused) - 1)


class SharedQueue:
    """A FIFO that the server's thread and the test's loop can both use: `put_nowait` and
    `get_nowait` from anywhere, `await get()` from any event loop."""

    POLL = 0.005  # seconds between looks while waiting

    def __init__(self) -> None:
        self._items: deque[Any] = deque()

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)

    def get_nowait(self) -> Any:
        try:
            return self._items.popleft()
        except IndexError:
            raise asyncio.QueueEmpty from None

    async def get(self) -> Any:
        while not self._items:  # noqa: ASYNC110 (an Event would belong to one loop)
            await asyncio.sleep(self.POLL)
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items


class ServerThread:
    """Runs an aiohttp application on 127.0.0.1 in a daemon thread with its own event loop."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def start(self, setup: Callable[[], Awaitable[str]]) -> str:
        """Starts the thread, runs `setup` (which returns the base URL) on its loop."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
        self._thread.start()
        return await self.run(setup())

    async def run(self, work: Awaitable[Any]) -> Any:
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    async def stop(self, cleanup: Callable[[], Awaitable[None]]) -> None:
        if self._loop is None or self._thread is None:
            return
        try:
            await self.run(cleanup())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 10)
            self._loop.close()
            self._loop = self._thread = None


class FakeBotApi:
    def __init__(
        self,
        *,
        rate_limit: float | None = None,
        per_chat_interval: float | None = None,
        own_thread: bool = True,
    ) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.updates = SharedQueue()  # updates getUpdates hands out, one per call
        self.sent = SharedQueue()  # texts of sendMessage/editMessageText, in order
        self.limits = RateLimits(rate_limit, per_chat_interval)
        self.accepted: list[Accepted] = []
        self.forbidden: set[str] = set()  # chats whose user blocked the bot: 403
        self.unknown: set[str] = set()  # chats Telegram does not know: 400 chat not found
        self._server_errors: dict[str, tuple[int, int]] = {}  # chat -> 5xx answers still to give
        self._server_status = 502
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._runner: web.AppRunner | None = None
        self._thread = ServerThread("fake-bot-api") if own_thread else None
        self.base_url = ""

    async def start(self, port: int = 0) -> None:
        if self._thread is not None:
            self.base_url = await self._thread.start(lambda: self._serve(port))
        else:
            self.base_url = await self._serve(port)

    async def stop(self) -> None:
        if self._thread is not None:
            await self._thread.stop(self._cleanup)
        else:
            await self._cleanup()

    async def _serve(self, port: int) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/record", self._record)  # for a benchmark in another process
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # the port the OS picked
        return f"http://127.0.0.1:{port}"

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def fail_chat(
        self, chat_id: int | str, times: int, status: int = 502, *, after: int = 0
    ) -> None:
        """After `after` more messages to this chat, the next `times` get a server error."""
        self._server_errors[str(chat_id)] = (after, times)
        self._server_status = status

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [m.text for m in self.accepted if m.chat_id == str(chat_id)]

    def push_text(self, user_id: int, text: str, language: str = "vi") -> None:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": "Cư dân",
                "language_code": language,
            },
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        self.updates.put_nowait({"update_id": next(self._update_ids), "message": message})

    async def _record(self, request: web.Request) -> web.Response:
        """What was accepted (chat, arrival) and when 429s were answered, as JSON."""
        return web.json_response(
            {
                "accepted": [[m.chat_id, m.at] for m in self.accepted],
                "refused": self.limits.refused,
            }
        )

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = asyncio.get_running_loop().time()  # time.monotonic(), or a test's fake clock
        method = request.match_info["method"]
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.calls.append((method, form))
        if method in MESSAGE_METHODS:
            refused = self._refuse(form, arrived)
            if refused is not None:
                return refused
            text = form.get("text", form.get("caption", ""))
            peer = request.transport.get_extra_info("peername") if request.transport else None
            self.accepted.append(
                Accepted(
                    form.get("chat_id", ""),
                    text,
                    arrived,
                    method,
                    tuple(form.items()),
                    port=peer[1] if peer else 0,
                )
            )
        return web.json_response({"ok": True, "result": await self._result(method, form)})

    def _refuse(self, form: dict[str, str], arrived: float) -> web.Response | None:
        chat_id = form.get("chat_id", "")
        retry_after = self.limits.check(chat_id, arrived)
        if retry_after is not None:
            return _error(
                429,
                f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
            )
        if chat_id in self.forbidden:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.unknown:
            return _error(400, "Bad Request: chat not found")
        if scripted_failure(self._server_errors, chat_id):
            return _error(self._server_status, "Bad Gateway")
        return None

    async def _result(self, method: str, form: dict[str, str]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            try:  # a short long-poll: wait a little for an update, as Telegram would
                update = await asyncio.wait_for(self.updates.get(), timeout=0.5)
            except TimeoutError:
                return []
            return [update]
        if method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
            if method in ("sendMessage", "editMessageText"):
                self.sent.put_nowait(form.get("text", ""))
            return {
                "message_id": int(form.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": int(form["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": form.get("text", form.get("caption", "")),
            }
        return True


def _error(code: int, description: str, **extra: Any) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description, **extra}, status=code
    )
