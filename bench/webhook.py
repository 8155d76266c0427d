"""Webhook benchmark: real worker processes (`python -m bot run`) serving Telegram by webhook on
127.0.0.1, fed by a load generator, first one worker, then two sharing the port, PostgreSQL and
Redis.

What is measured
    Simulated residents, `--concurrency` of them in flight, each doing what residents do first:
    /start, the three consent taps (callback queries on the buttons the bot sent), then three
    typed questions. Every update is POSTed to the webhook with the secret; its latency is the
    time from the POST to the bot's answer arriving at the fake Bot API (sendMessage or
    editMessageText for that chat), so it includes the worker's whole handling, the database
    and Redis. Throughput is updates answered per second over the run.
    The fake Bot API runs in this process; the workers reach it through TELEGRAM_API_BASE.
    Target (issue "Production deployment"): p99 ≤ 50 ms at the load one worker sustains, and
    two workers ≥ 1.6 × one. Printed, never asserted. The generator and the fake API share the
    machine's two cores with the workers: the two-worker figure is a floor.

Run from the project root (PostgreSQL and Redis required):
    .venv/bin/python -m bench.webhook [--residents 150] [--concurrency 16]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_webhook]
        [--redis-url redis://127.0.0.1:6379/13]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.fake_bot_api import FakeBotApi

TOKEN = "123456789:" + "W" * 35
SECRET = "bench-webhook-secret-0123456789"
AGREE = "✅ Tôi đồng ý"
QUESTIONS = (
    "Xin hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?",
    "Bao giờ phường tổ chức hội nghị đối thoại?",
    "Cho hỏi giờ làm việc của bộ phận một cửa",
)


class AnsweringApi(FakeBotApi):
    """The fake Bot API, telling the generator when the bot answered a chat and with which
    buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[str, asyncio.Event] = {}
        self.buttons: dict[str, list[dict[str, Any]]] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        response = await super()._handle(request)
        method = request.match_info["method"]
        if method in ("sendMessage", "editMessageText"):
            form = self.calls[-1][1]
            chat = form.get("chat_id", "")
            markup = json.loads(form.get("reply_markup") or "{}")
            rows = markup.get("inline_keyboard") or []
            self.buttons[chat] = [button for row in rows for button in row]
            self.answered.setdefault(chat, asyncio.Event()).set()
        return response


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def message(update_id: int, chat: int, text_: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": update_id,
        "date": int(datetime.now(UTC).timestamp()),
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Dân", "language_code": "vi"},
        "text": text_,
    }
    if text_.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text_)}]
    return {"update_id": update_id, "message": body}


def tap(update_id: int, chat: int, data: str) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "Dân", "language_code": "vi"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": user,
            "chat_instance": str(chat),
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": chat, "type": "private"},
                "text": "…",
            },
        },
    }


async def resident(
    chat: int, client: httpx.AsyncClient, api: AnsweringApi, ids, load: Load
) -> None:
    key = str(chat)

    async def post(update: dict[str, Any]) -> None:
        answered = api.answered.setdefault(key, asyncio.Event())
        answered.clear()
        started = time.perf_counter()
        await client.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        try:
            await asyncio.wait_for(answered.wait(), timeout=10)
        except TimeoutError:
            load.timeouts += 1
            return
        load.latencies.append(time.perf_counter() - started)

    await post(message(next(ids), chat, "/start"))
    for _ in range(3):
        agree = next((b for b in api.buttons.get(key, []) if b.get("text") == AGREE), None)
        if agree is None:
            break
        await post(tap(next(ids), chat, agree["callback_data"]))
    for question in QUESTIONS:
        await post(message(next(ids), chat, question))


async def reset(database_url: str, redis_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()


async def run_workers(
    count: int, args: argparse.Namespace, api: AnsweringApi, first_chat: int
) -> tuple[float, Load]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ZALO_"))}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        WEBHOOK_BASE_URL="https://bench.example.gov.vn",
        WEBHOOK_SECRET=SECRET,
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        WEB_PORT=str(port),
        WARD_NAME="Bình An",
        LOG_LEVEL="WARNING",
        TELEGRAM_RATE="1000",
        PER_CHAT_INTERVAL="0",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--workers", str(count), env=env
    )
    fresh = httpx.Limits(max_keepalive_connections=0)  # connections spread over the workers
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=10, limits=fresh
    ) as client:
        seen: set[int] = set()
        async with asyncio.timeout(90):
            while len(seen) < count:
                try:
                    seen.add((await client.get("/healthz")).json()["worker"])
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
        load = Load()
        ids = itertools.count(1)
        chats = iter(range(first_chat, first_chat + args.residents))
        started = time.perf_counter()

        async def lane() -> None:
            for chat in chats:
                await resident(chat, client, api, ids, load)

        await asyncio.gather(*(lane() for _ in range(args.concurrency)))
        wall = time.perf_counter() - started
    process.terminate()
    await process.wait()
    return wall, load


def report(name: str, wall: float, load: Load) -> float:
    done = len(load.latencies)
    ordered = sorted(load.latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else float("nan")
    rate = done / wall if wall else 0.0
    print(f"{name:<10}{rate:>10.1f}{p50:>10.1f}{p99:>10.1f}{done:>10}{load.timeouts:>10}")
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_webhook"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    target = make_url(args.database_url)
    admin = create_async_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    async with admin.connect() as connection:
        exists = await connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    await admin.dispose()
    await reset(args.database_url, args.redis_url)
    api = AnsweringApi()
    await api.start()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs;"
        f" {args.residents} residents × 7 updates, {args.concurrency} in flight"
    )
    print(
        f"{'workers':<10}{'upd/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'answered':>10}{'timeouts':>10}"
    )
    wall, load = await run_workers(1, args, api, 700_000)
    one = report("1", wall, load)
    wall, load = await run_workers(2, args, api, 800_000)
    two = report("2", wall, load)
    await api.stop()
    print(f"two workers / one = {two / one:.2f}   (target ≥ 1.6; p99 target ≤ 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
