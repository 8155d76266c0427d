"""Memory over first contacts: does the bot's memory stay flat while thousands of people write
to it for the first time and never come back?

What is measured
    The real bot (`python -m bot`, one process, SQLite, conversation state in memory as by
    default, Telegram and Zalo both by webhook on 127.0.0.1) against the fake Bot API and the
    fake Zalo server running in this process. Each first contact is a new person: on Telegram a
    /start, on Zalo a "Xin chào", taking turns; each is answered (the notice, with the consent
    question) and never followed up, as most people who open the bot once do. `--concurrency`
    contacts are in flight; the next one goes once the bot has answered.
    The bot's resident memory (VmRSS from /proc) is read after `--warmup` contacts (the
    baseline: imports, caches and pools are warm by then) and every `--step` contacts after.
    Printed: the RSS at each step, its growth over the baseline, the growth per contact since
    the baseline and over the step alone, and the final RSS as a ratio of the baseline. Target (issue "Personal data"): flat, i.e. the
    growth after the baseline a small fraction of what the contacts would cost if everything
    were kept. Printed, never asserted.

Run from the project root:
    .venv/bin/python -m bench.first_contacts [--contacts 12000] [--warmup 1000] [--step 1000]
        [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bench.webhook import AnsweringApi, message
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo
from tests.support.processes import (
    bot_env,
    free_port,
    log_of,
    start_bot,
    stop_bot,
    until_serving,
)

TOKEN = "123456789:" + "M" * 35
SECRET = "bench-first-contacts-0123456789"
ZALO_SECRET = "bench-zalo-secret"
ZALO_PATH = "/zalo/bench"
FIRST_CHAT = 5_000_000


class AnsweringZalo(FakeZalo):
    """The fake Zalo server, telling the generator when the bot answered a chat."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[str, asyncio.Event] = {}

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        response = super()._send_message(params)
        self.answered.setdefault(str(params.get("chat_id")), asyncio.Event()).set()
        return response


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def zalo_delivery(number: int, chat: str) -> dict[str, Any]:
    sender = {"id": chat, "display_name": "Cư dân", "is_bot": False}
    return {
        "ok": True,
        "result": {
            "event_name": "message.text.received",
            "message": {
                "message_id": f"m{number:012d}",
                "date": int(time.time() * 1000),
                "from": sender,
                "chat": {"id": chat, "chat_type": "PRIVATE"},
                "text": "Xin chào",
            },
        },
    }


class Contacts:
    """Sends first contacts, one new person each, and waits for the bot's answer."""

    def __init__(self, client: httpx.AsyncClient, api: AnsweringApi, zalo: AnsweringZalo):
        self.client, self.api, self.zalo = client, api, zalo
        self.sent = 0
        self.unanswered = 0

    async def one(self, number: int) -> None:
        if number % 2 == 0:
            chat = FIRST_CHAT + number
            update = message(number + 1, chat, "/start")
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            path, answered = "/telegram/webhook", self.api.answered
            key = str(chat)
        else:
            key = f"z{number:010d}"
            update = zalo_delivery(number, key)
            headers = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
            path, answered = ZALO_PATH, self.zalo.answered
        event = answered.setdefault(key, asyncio.Event())
        response = await self.client.post(path, json=update, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        try:
            await asyncio.wait_for(event.wait(), timeout=30)
        except TimeoutError:
            self.unanswered += 1
        answered.pop(key, None)  # the generator keeps nothing per contact either
        self.sent += 1

    async def run(self, numbers: range, concurrency: int) -> None:
        queue = iter(numbers)

        async def lane() -> None:
            for number in queue:
                await self.one(number)

        await asyncio.gather(*(lane() for _ in range(concurrency)))


def bot_settings(directory: Path, api: AnsweringApi, zalo: AnsweringZalo, port: int):
    return bot_env(
        directory,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        WEBHOOK_BASE_URL="https://bot.phuong.example.gov.vn",
        WEBHOOK_SECRET=SECRET,
        ZALO_BOT_TOKEN=ZALO_TOKEN,
        ZALO_API_BASE=zalo.base_url,
        ZALO_WEBHOOK_URL="https://bot.phuong.example.gov.vn" + ZALO_PATH,
        ZALO_WEBHOOK_SECRET=ZALO_SECRET,
        WEB_PORT=str(port),
        LOG_LEVEL="WARNING",
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=12_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    api, zalo = AnsweringApi(), AnsweringZalo()
    await api.start()
    await zalo.start()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="doithoai-contacts-") as folder:
        directory = Path(folder)
        process = await start_bot(directory, env=bot_settings(directory, api, zalo, port))
        limits = httpx.Limits(max_connections=args.concurrency)
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60)
        try:
            await until_serving(client, process, seconds=60)
            contacts = Contacts(client, api, zalo)
            started = time.perf_counter()
            await contacts.run(range(args.warmup), args.concurrency)
            await asyncio.sleep(1)  # what the last contacts started has finished
            baseline = rss_mb(process.pid)
            print(
                f"doithoai first contacts — {platform.node()}, Python {platform.python_version()}"
            )
            print(f"RSS after {args.warmup:,} warm-up contacts (baseline): {baseline:.1f} MB\n")
            print(
                f"{'contacts':>9} {'RSS MB':>8} {'growth MB':>10} {'KB/contact':>11} {'this step':>10}"
            )
            done, previous = args.warmup, baseline
            while done < args.contacts:
                upto = min(done + args.step, args.contacts)
                await contacts.run(range(done, upto), args.concurrency)
                await asyncio.sleep(0.5)
                rss = rss_mb(process.pid)
                per = (rss - baseline) * 1024 / (upto - args.warmup)
                step = (rss - previous) * 1024 / (upto - done)
                print(f"{upto:>9,} {rss:>8.1f} {rss - baseline:>10.1f} {per:>11.2f} {step:>10.2f}")
                done, previous = upto, rss
            final = rss_mb(process.pid)
            seconds = time.perf_counter() - started
            print(
                f"\n{done:,} contacts in {seconds:.0f} s ({done / seconds:.0f}/s), "
                f"{contacts.unanswered} unanswered"
            )
            print(
                f"final RSS / baseline: {final / baseline:.3f} "
                f"({final - baseline:+.1f} MB over {done - args.warmup:,} contacts)"
            )
        finally:
            await client.aclose()
            await stop_bot(process)
            await api.stop()
            await zalo.stop()
        tail = log_of(directory)
        if "Traceback" in tail:
            print("\nThe bot logged a traceback:\n" + tail[-3000:], file=sys.stderr)
            return 1
    return 1 if contacts.unanswered else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
