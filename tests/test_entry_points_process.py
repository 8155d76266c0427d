"""ADMIN_IDS and staff notices at every entry point, as an operator starts them: a ward with
no Telegram token yet whose admin works from the console, the paper-form spreadsheet written
by a command, and a question filed in the console that reaches the admin through the running
bot (`python -m bot` against a fake Bot API server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support.fake_bot_api import FakeBotApi
from tests.support.polling import TOKEN
from tests.support.processes import bot_env, log_of, run_bot, running_bot, wait_until

pytestmark = pytest.mark.subprocess

ADMIN = "77"
ONLY_STAFF = "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."


def command(tmp_path: Path, *args: str, typed: str = ""):
    return run_bot(tmp_path, *args, env=bot_env(tmp_path, ADMIN_IDS=ADMIN), typed=typed)


def test_without_a_telegram_token_the_admin_works_from_the_console(tmp_path):
    template = tmp_path / "phieu-nhap.xlsx"
    written = command(tmp_path, "paper-template", "--out", str(template))
    assert written.returncode == 0, written.stderr
    assert f"paper-import {template} --session 1" in written.stderr

    book = load_workbook(template)
    assert book.sheetnames[:3] == ["Phiếu", "Mã trả lời", "Hướng dẫn"]
    assert book["Phiếu"]["B1"].value == "C1\nLĩnh vực"
    help_rows = [r for r in book["Hướng dẫn"].iter_rows(values_only=True) if any(r)]
    session_line = help_rows[1][0]
    assert session_line.startswith("Kỳ đối thoại: Hội nghị đối thoại tháng ")
    title = session_line.removeprefix("Kỳ đối thoại: ")

    out = tmp_path / "exports"
    console = command(
        tmp_path,
        "console",
        "--staff",
        ADMIN,
        "--out",
        str(out),
        typed="/sessions\n/stats\n/export\n",
    )
    assert console.returncode == 0, console.stderr
    assert ONLY_STAFF not in console.stdout
    assert f"#1 · {title}" in console.stdout
    assert "✅ Đã ghi " in console.stdout and "0 phiếu khảo sát, 0 câu hỏi." in console.stdout
    assert any(path.suffix == ".xlsx" for path in out.rglob("*"))


async def test_a_question_filed_in_the_console_reaches_the_admin_through_the_bot(tmp_path):
    typed = "\n".join(
        ["chào", "1", "1", "1", "2", "2", "Xin hỏi thủ tục đăng ký khai sinh?", "1", "2", "1", ""]
    )
    api = FakeBotApi()
    await api.start()
    env = bot_env(tmp_path, ADMIN_IDS=ADMIN, BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=api.base_url)
    filed = await asyncio.to_thread(
        run_bot, tmp_path, "console", "--user", "ba-tu", env=env, typed=typed
    )
    assert filed.returncode == 0, filed.stderr
    assert "Mã theo dõi của Ông/Bà là KN-" in filed.stdout
    code = filed.stdout.split("Mã theo dõi của Ông/Bà là ")[1][:10]
    assert api.calls == []  # the console sends nothing itself: the notice waits in the outbox

    try:
        async with running_bot(tmp_path, env=env, stop=signal.SIGINT) as process:
            await wait_until(lambda: api.texts_to(ADMIN))
    finally:
        await api.stop()
    assert process.returncode == 0, log_of(tmp_path)
    [notice] = api.texts_to(ADMIN)
    assert notice.startswith(f"🆕 <b>Câu hỏi mới {code}</b> · Tư pháp – Hộ tịch")
    assert "Xin hỏi thủ tục đăng ký khai sinh?" in notice
