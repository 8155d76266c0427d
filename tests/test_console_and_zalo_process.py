"""The two text drivers as an operator starts them: `python -m bot console` in a terminal, and
`python -m bot` with only a Zalo token, polling a fake Zalo server on 127.0.0.1."""

from __future__ import annotations

import signal

import pytest

from tests.support.fake_zalo import TOKEN, FakeZalo
from tests.support.processes import bot_env, log_of, run_bot, running_bot, wait_until

pytestmark = pytest.mark.subprocess


def test_console_survey_from_a_terminal(tmp_path):
    typed = "\n".join(["chào", "1", "1", "2", "1", "10", "khong", "1 2", "bo qua", "2", "gui", ""])
    result = run_bot(tmp_path, "console", "--user", "ba-tu", env=bot_env(tmp_path), typed=typed)
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

    again = run_bot(tmp_path, "console", "--user", "ba-tu", env=bot_env(tmp_path), typed="dulieu\n")
    assert "Phiếu đánh giá: 1 đã gửi" in again.stdout  # the same database, the same resident


async def test_zalo_only_process_polls_answers_and_stops(tmp_path):
    zalo = FakeZalo()
    await zalo.start()
    env = bot_env(tmp_path, ZALO_BOT_TOKEN=TOKEN, ZALO_API_BASE=zalo.base_url)
    try:
        async with running_bot(tmp_path, env=env, stop=signal.SIGINT) as process:
            zalo.push_text("z-ba", "Xin chào")
            await wait_until(lambda: zalo.sent)
    finally:
        await zalo.stop()
    log = log_of(tmp_path)
    assert process.returncode == 0, log
    [(chat, text)] = zalo.sent
    assert chat == "z-ba" and text.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    assert "Zalo bot Bot UBND Phường Thử started (polling)" in log
    assert "Stopped" in log and "Traceback" not in log
    assert TOKEN.split(":")[1] not in log
    assert [name for name, _params in zalo.calls][:2] == ["getMe", "deleteWebhook"]
