"""Delivery benchmark: one announcement to N subscribers through the real delivery engine, over
real HTTP, against the fake Telegram Bot API enforcing L messages per second (any sliding
second, all chats together) and one message per second per chat, answering 429 beyond them.

What is printed per run
    achieved      subscribers / seconds from the engine's start to the last delivery recorded
                  as sent, and as a fraction of L (target: >= 0.95)
    429s          refusals the server answered, and the requests beyond the limit after the
                  first 429 (target: 0)
    lost          deliveries never accepted by the server, or not recorded as sent (target: 0)
    duplicated    messages the server accepted more than once for one delivery (target: 0)
    statements    SQL statements the engine's process ran, per delivery
The fake server runs in a child process, so it does not share the engine's event loop or CPU.
Targets are printed, never asserted; the exit status is 1 if a message was lost or doubled.

With --consent, the subscribers are residents who accepted reminders (a row each in `residents`
and `consents`), so the engine checks each announcement's consent when it claims the row and
again just before it goes; every run is then made twice in the same process, with and without
those checks (`DeliveryEngine._needs_consent` answering no), and the ratios are printed.

Run from the project root:
    .venv/bin/python -m bench.delivery                      # L=30 x 1,000, then L=300 x 10,000
    .venv/bin/python -m bench.delivery --limit 30 --subscribers 1000 [--rate 29]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench]
    .venv/bin/python -m bench.delivery --consent --limit 300 --subscribers 10000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.request import urlopen

from sqlalchemy import event, func, insert, select, text

from bot import db as database
from bot import i18n
from bot.app import build_app
from bot.delivery import outbox
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outbox import Message, Recipient
from bot.services.consent import Purpose
from bot.settings import Settings
from models import Consent, Delivery, DeliveryStatus, Resident, utcnow

TOKEN = "123456789:" + "B" * 35
DEFAULT_RUNS = ((30, 1_000), (300, 10_000))
SHARE = 0.97  # of L, the engine's default rate: a little below, so timer jitter never trips it
TARGET = 0.95


@dataclass
class Figures:
    limit: float
    rate: float
    subscribers: int
    seconds: float
    accepted: int
    refused: int
    beyond_after_first_429: int
    lost: int
    duplicated: int
    engine_429s: int
    cpu: float  # seconds of CPU the engine's process used
    server_rate: float  # messages per second between the first and the last arrival
    statements: int = 0  # SQL statements run while the engine sent

    @property
    def achieved(self) -> float:
        return self.subscribers / self.seconds

    def show(self) -> str:
        share = self.achieved / self.limit
        return (
            f"L={self.limit:g}/s, engine rate {self.rate:g}/s, {self.subscribers:,} subscribers: "
            f"{self.seconds:.1f} s, achieved {self.achieved:.1f}/s = {share:.3f} L "
            f"({'meets' if share >= TARGET else 'misses'} {TARGET} L), at the server "
            f"{self.server_rate:.1f}/s, engine CPU {self.cpu / self.seconds:.0%}, "
            f"{self.statements / self.subscribers:.2f} statements per delivery; "
            f"429s {self.refused} (engine saw {self.engine_429s}), "
            f"beyond the limit after the first 429: {self.beyond_after_first_429}; "
            f"lost {self.lost}, duplicated {self.duplicated}"
        )


# --- the fake server, in its own process ------------------------------------------------------


async def serve(limit: float) -> None:
    from tests.support.fake_bot_api import FakeBotApi

    api = FakeBotApi(rate_limit=limit, per_chat_interval=1.0)
    await api.start()
    print(api.base_url, flush=True)
    await asyncio.Event().wait()


async def start_server(limit: float) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.delivery",
        "--serve",
        "--limit",
        str(limit),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    base_url = (await process.stdout.readline()).decode().strip()
    return process, base_url


def server_record(base_url: str) -> dict:
    with urlopen(f"{base_url}/record", timeout=60) as response:
        return json.load(response)


# --- one run --------------------------------------------------------------------------------------


async def run(
    limit: float, subscribers: int, rate: float, database_url: str, residents: bool = False
) -> Figures:
    process, base_url = await start_server(limit)
    try:
        settings = Settings(
            _env_file=None,
            bot_token=TOKEN,
            telegram_api_base=base_url,
            database_url=database_url,
            telegram_rate=rate,
            log_level="WARNING",
        )
        app = build_app(settings)
        try:
            await database.upgrade_schema(app.engine)
            await reset(app)
            chats = [str(10_000_000 + n) for n in range(subscribers)]
            await queue(app, chats, residents)
            gc.collect()  # as `python -m bot` does before it starts the engine
            gc.freeze()
            statements = count_statements(app.engine)
            started, cpu = utcnow(), time.process_time()
            app.delivery.start()
            while await pending(app):  # noqa: ASYNC110 (the database says when it is done)
                await asyncio.sleep(0.2)
            await app.delivery.stop()
            seconds = (await last_sent(app) - started).total_seconds()
            cpu = time.process_time() - cpu
            statements = statements()
            sent = await count_sent(app)
            engine_429s = app.delivery.stats["telegram"]["rate_limited"]
        finally:
            await app.close()
        record = await asyncio.to_thread(server_record, base_url)
    finally:
        process.terminate()
        await process.wait()
    accepted = Counter(chat for chat, _at in record["accepted"])
    refused = len(record["refused"])
    return Figures(
        limit=limit,
        rate=rate,
        subscribers=subscribers,
        seconds=seconds,
        accepted=sum(accepted.values()),
        refused=refused,
        beyond_after_first_429=max(0, refused - 1),
        lost=sum(1 for chat in chats if chat not in accepted) + (subscribers - sent),
        duplicated=sum(n - 1 for n in accepted.values() if n > 1),
        engine_429s=engine_429s,
        cpu=cpu,
        server_rate=server_rate(record["accepted"]),
        statements=statements,
    )


def count_statements(engine) -> Callable[[], int]:
    """Counts the statements run on `engine` from now; call the result to stop and read."""
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(engine.sync_engine, "before_cursor_execute", counted)

    def stop() -> int:
        event.remove(engine.sync_engine, "before_cursor_execute", counted)
        return count

    return stop


def server_rate(accepted: list) -> float:
    times = sorted(at for _chat, at in accepted)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def reset(app) -> None:
    async with app.engine.begin() as connection:
        await connection.execute(text("DELETE FROM deliveries"))
        await connection.execute(text("DELETE FROM broadcasts"))
        await connection.execute(text("DELETE FROM consents"))
        await connection.execute(text("DELETE FROM residents"))


async def queue(app, chats: list[str], residents: bool = False) -> None:
    """One announcement to `chats`; with `residents`, each chat a resident who accepted
    reminders (so the engine checks the consent)."""
    ids = {chat: f"bench{chat}" if residents else None for chat in chats}
    async with app.sessionmaker() as db, db.begin():
        if residents:
            now = utcnow()
            await db.execute(
                insert(Resident.__table__),
                [{"id": ids[chat], "locale": "vi", "created_at": now} for chat in chats],
            )
            await db.execute(
                insert(Consent.__table__),
                [
                    {
                        "resident_id": ids[chat],
                        "purpose": Purpose.REMINDERS,
                        "given": True,
                        "notice_version": "bench",
                        "channel": "telegram",
                        "recorded_at": now,
                    }
                    for chat in chats
                ],
            )
        broadcast = await outbox.new_broadcast(db, kind="announcement", status="sending")
        assert broadcast is not None
        message = Message(
            "📢 <b>Thông báo</b> của UBND phường: Hội nghị đối thoại 26/11.", html=True
        )
        rows = (
            (Recipient("telegram", chat, "vi", ids[chat]), message, f"bench:{broadcast.id}:{chat}")
            for chat in chats
        )
        await outbox.add_many(db, rows, broadcast_id=broadcast.id)


async def pending(app) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.PENDING)
        )


async def last_sent(app) -> datetime:
    async with app.sessionmaker() as db:
        return await db.scalar(select(func.max(Delivery.sent_at)))


async def count_sent(app) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.SENT)
        )


async def main(args: argparse.Namespace) -> int:
    if args.serve:
        await serve(args.limit)
        return 0
    i18n.install()
    runs = [(args.limit, args.subscribers)] if args.limit else DEFAULT_RUNS
    print(f"{platform.python_version()} on {os.cpu_count()} cores, {args.database_url or 'SQLite'}")
    bad = False
    for limit, subscribers in runs:
        rate = args.rate or round(SHARE * limit, 2)
        compared = []
        for checks in (True, False) if args.consent else (True,):
            with tempfile.TemporaryDirectory() as tmp, consent_checks(checks):
                url = args.database_url or f"sqlite+doithoai:///{Path(tmp) / 'bench.sqlite3'}"
                figures = await run(limit, subscribers or 1000, rate, url, args.consent)
            if args.consent:
                print("consent checked" if checks else "consent not checked", end=": ")
            print(figures.show(), flush=True)
            compared.append(figures)
            bad = bad or figures.lost > 0 or figures.duplicated > 0
        if args.consent:
            checked, unchecked = compared
            print(
                "with / without the consent checks: "
                f"CPU {checked.cpu / unchecked.cpu:.2f}, "
                f"statements {checked.statements / unchecked.statements:.2f}, "
                f"achieved {checked.achieved / unchecked.achieved:.3f}",
                flush=True,
            )
    return 1 if bad else 0


@contextlib.contextmanager
def consent_checks(on: bool) -> Iterator[None]:
    """The engine as it is, or as if no delivery needed a consent (the baseline)."""
    if on:
        yield
        return
    original = DeliveryEngine._needs_consent
    DeliveryEngine._needs_consent = staticmethod(lambda claim: False)
    try:
        yield
    finally:
        DeliveryEngine._needs_consent = original


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=float, help="L: the server's messages per second")
    parser.add_argument("--subscribers", type=int, help="deliveries (one per chat)")
    parser.add_argument("--rate", type=float, help=f"the engine's rate (default {SHARE} L)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument(
        "--consent",
        action="store_true",
        help="residents who accepted reminders; each run with and without the consent checks",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main(parse_args())))
