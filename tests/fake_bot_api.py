"""A small Bot API server on 127.0.0.1 for tests where the real HTTP path matters: it serves
updates through getUpdates, records every request as the form aiogram posted, and answers
like Telegram."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiohttp import web

BOT_USER = {"id": 42, "is_bot": True, "first_name": "Phường", "username": "doithoai_test_bot"}


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent = asyncio.Queue()  # texts of sendMessage/editMessageText, in order
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # the port the OS picked
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

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

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.calls.append((method, form))
        return web.json_response({"ok": True, "result": await self._result(method, form)})

    async def _result(self, method: str, form: dict[str, str]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            try:  # a short long-poll: wait a little for an update, as Telegram would
                update = await asyncio.wait_for(self.updates.get(), timeout=0.5)
            except TimeoutError:
                return []
            return [update]
        if method in ("sendMessage", "editMessageText"):
            self.sent.put_nowait(form.get("text", ""))
            return {
                "message_id": int(form.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": int(form["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": form.get("text", ""),
            }
        return True
