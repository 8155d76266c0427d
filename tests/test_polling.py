"""`python -m bot` end to end over real HTTP: migrations, long polling against a local Bot API
server, a resident's /start answered, and a clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.fake_bot_api import FakeBotApi
from tests.support.telegram_spec import assert_valid_requests

TOKEN = "123456789:" + "B" * 35


async def test_bot_polls_answers_and_stops_cleanly_on_ctrl_c(tmp_path: Path):
    api = FakeBotApi()
    await api.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.sqlite3'}",
        WARD_NAME="Bình An",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        api.push_text(501, "/start")
        first_text = await asyncio.wait_for(api.sent.get(), timeout=30)
        assert first_text.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        await api.stop()
    log = err.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert "Stopped" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    methods = [name for name, _form in api.calls]
    assert methods[:4] == ["getMe", "setMyCommands", "setMyCommands", "deleteWebhook"]
    assert "getUpdates" in methods and "sendMessage" in methods
    assert (tmp_path / "data" / "bot.sqlite3").exists()  # migrated on start-up
    assert_valid_requests(api.calls)
