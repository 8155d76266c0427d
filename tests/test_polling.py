"""`python -m bot` end to end over real HTTP: migrations, long polling against a local Bot API
server, a resident's /start answered, and a clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.support.fake_bot_api import FakeBotApi
from tests.support.polling import TOKEN
from tests.support.processes import bot_env, log_of, running_bot
from tests.support.telegram_spec import assert_valid_requests

pytestmark = pytest.mark.subprocess


async def test_bot_polls_answers_and_stops_cleanly_on_ctrl_c(tmp_path: Path):
    api = FakeBotApi()
    await api.start()
    env = bot_env(
        tmp_path,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        DATABASE_URL=f"sqlite+doithoai:///{tmp_path / 'data' / 'bot.sqlite3'}",
    )
    try:
        async with running_bot(tmp_path, env=env, stop=signal.SIGINT) as process:
            api.push_text(501, "/start")
            first_text = await asyncio.wait_for(api.sent.get(), timeout=30)
            assert first_text.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    finally:
        await api.stop()
    log = log_of(tmp_path)
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert "Stopped" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    methods = [name for name, _form in api.calls]
    assert methods[:4] == ["getMe", "setMyCommands", "setMyCommands", "deleteWebhook"]
    assert "getUpdates" in methods and "sendMessage" in methods
    assert (tmp_path / "data" / "bot.sqlite3").exists()  # migrated on start-up
    assert_valid_requests(api.calls)
