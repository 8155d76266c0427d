"""The two text drivers as an operator starts them: `python -m bot console` in a terminal, and
`python -m bot` with only a Zalo token, polling a fake Zalo server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.fake_zalo import TOKEN, FakeZalo


def bot_env(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "ZALO_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}", WARD_NAME="Bình An")
    env.update(more)
    return env


def test_console_survey_from_a_terminal(tmp_path):
    typed = "\n".join(["chào", "1", "1", "2", "1", "10", "khong", "1 2", "bo qua", "2", "gui", ""])
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--user", "ba-tu"],
        input=typed,
        cwd=tmp_path,
        env=bot_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Vietnamese from the first line on.
    assert out.splitlines()[0] == (
        "Bảng điều khiển doithoai: Ông/Bà là người dân “ba-tu”. Gõ tin nhắn rồi nhấn Enter; "
        "Ctrl-D để thoát; gõ “English” để chuyển sang tiếng Anh."
    )
    assert "Đây là trợ lý tự động của UBND phường Bình An." in out
    assert "Khác · Câu 1/13" in out
    assert "Khác · Câu 2/4" in out
    assert "🙏 Cảm ơn Ông/Bà! Đánh giá về lĩnh vực Khác đã được ghi nhận." in out
    assert "Traceback" not in result.stderr

    again = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--user", "ba-tu"],
        input="dulieu\n",
        cwd=tmp_path,
        env=bot_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Phiếu đánh giá: 1 đã gửi" in again.stdout  # the same database, the same resident


async def test_zalo_only_process_polls_answers_and_stops(tmp_path):
    zalo = FakeZalo()
    await zalo.start()
    env = bot_env(tmp_path, ZALO_BOT_TOKEN=TOKEN, ZALO_API_BASE=zalo.base_url)
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
        zalo.push_text("z-ba", "Xin chào")
        for _ in range(300):
            if zalo.sent:
                break
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        await zalo.stop()
    log = err.decode()
    assert process.returncode == 0, log
    [(chat, text)] = zalo.sent
    assert chat == "z-ba" and text.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    assert "Zalo bot Bot UBND Phường Thử started (polling)" in log
    assert "Stopped" in log and "Traceback" not in log
    assert TOKEN.split(":")[1] not in log
    assert [name for name, _params in zalo.calls][:2] == ["getMe", "deleteWebhook"]
