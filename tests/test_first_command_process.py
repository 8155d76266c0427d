"""The newcomer's first command: `python -m bot` with neither token serves the web console and
the web chat on 127.0.0.1 and prints the two addresses and how to sign in as an admin (a
one-time link for each ADMIN_IDS entry; with no ADMIN_IDS, an admin created on the first run
with its password printed once). A real process, opened with an HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import LOG, bot_env, log_of, stop_bot

pytestmark = pytest.mark.subprocess

LINK = re.compile(r"(http://127\.0\.0\.1:\d+)(/staff/sign-in/link/\S+)")
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


@contextlib.asynccontextmanager
async def first_command(directory: Path, env: dict[str, str], out: str) -> AsyncIterator[Path]:
    """`python -m bot` with its standard output in `directory / out` (what the terminal shows)."""
    printed = directory / out
    with printed.open("wb") as stdout, (directory / LOG).open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=directory, env=env, stdout=stdout, stderr=stderr
        )
    try:
        yield printed
    finally:
        await stop_bot(process, signal.SIGINT)


def shown(printed: Path) -> str:
    return printed.read_text(encoding="utf-8")


async def printed_line(printed: Path, pattern: str) -> str:
    """The first line printed that contains `pattern`, once the process has printed it."""
    for _ in range(1200):  # start-up applies the migrations first
        for line in shown(printed).splitlines():
            if pattern in line:
                return line
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pattern!r} never printed:\n{shown(printed)}")


async def sign_in_by_link(line: str) -> str:
    """Open the printed link as a browser would; the console's start page after signing in."""
    base, path = LINK.search(line).groups()
    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as browser:
        page = await browser.get(path)
        assert page.status_code == 200, page.text
        token = CSRF_INPUT.search(page.text).group(1)
        used = await browser.post(path, data={"csrf": token})
        assert used.status_code == 303 and used.headers["Location"] == "/staff"
        console = await browser.get("/staff")
        assert console.status_code == 200
        again = await browser.post(path, data={"csrf": token})  # once only
        assert again.status_code != 303
        return console.text


async def test_with_no_token_the_first_command_serves_the_web_and_signs_the_admin_in(tmp_path):
    env = bot_env(tmp_path, ADMIN_IDS="77")
    port = env["WEB_PORT"]
    async with first_command(tmp_path, env, "terminal.txt") as printed:
        line = await printed_line(printed, "Sign in as admin 77")
        terminal = shown(printed)
        assert f"http://127.0.0.1:{port}/staff" in terminal
        assert f"http://127.0.0.1:{port}/chat" in terminal
        assert "password" not in terminal  # ADMIN_IDS set: nobody is created
        console = await sign_in_by_link(line)
        assert "Đăng nhập với tên Admin 77." in console
        assert ">Cán bộ</a>" in console and ">Nhật ký</a>" in console
    token = LINK.search(line).group(2).rsplit("/", 1)[1]
    assert token not in log_of(tmp_path)  # the link went to the terminal, not to the log
    assert "No channel is configured" not in log_of(tmp_path)


async def test_with_no_admin_ids_a_first_admin_is_created_with_a_password_shown_once(tmp_path):
    env = bot_env(tmp_path)
    async with first_command(tmp_path, env, "first.txt") as printed:
        line = await printed_line(printed, "Telegram id: 0")
        password = line.split("password:")[1].strip()
        base = LINK.search(await printed_line(printed, "Sign in as admin 0")).group(1)
        async with httpx.AsyncClient(base_url=base, follow_redirects=False) as browser:
            page = await browser.get("/staff/sign-in")
            assert "Bot chưa kết nối Telegram nên chưa gửi được mã" in page.text
            token = CSRF_INPUT.search(page.text).group(1)
            done = await browser.post(
                "/staff/sign-in",
                data={"csrf": token, "action": "password", "staff_id": "0", "password": password},
            )
            assert done.status_code == 303 and done.headers["Location"] == "/staff"
            console = (await browser.get("/staff")).text
            assert "Đăng nhập với tên Quản trị (lần chạy đầu)." in console
    assert password not in log_of(tmp_path)

    # The next start makes nobody and shows no password; a new link signs the admin in.
    async with first_command(tmp_path, env, "second.txt") as printed:
        line = await printed_line(printed, "Sign in as admin 0")
        assert "password" not in shown(printed)
        assert "Đăng nhập với tên Quản trị (lần chạy đầu)." in await sign_in_by_link(line)
