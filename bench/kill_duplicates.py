"""Duplicates under kill -9: two real workers (`python -m bot run` twice, as `python -m bot
--workers 2` starts them: one port, WORKERS=2; PostgreSQL and Redis, Telegram by webhook)
send announcements to the fake Bot API (in this process, on a thread of its own), and one
worker, picked at random, is killed (SIGKILL) at a random moment of each round; it is started
again a second later, as the supervisor's first restart does. The benchmark restarts it itself
because the supervisor's back-off (up to a minute for a worker killed again within a minute)
would make 100 kills take hours; what is measured, the messages doubled by a kill, does not
depend on who restarts the worker. `--supervisor` runs `python -m bot --workers 2` instead. Per kill it counts the residents who got the round's announcement
twice, and checks them against the bound: a message is doubled only if the killed worker had
it in flight, that is accepted by the API (or on its way there) and not yet recorded as sent
when it died. The victim's messages are those that did not come from the surviving worker's
connections (watched in /proc all along) before the kill. Such a message stays pending under the dead worker's claim and is sent again
once the claim ends (DELIVERY_LEASE); nothing can tell that the API accepted it.

What is printed
    per kill      the round, the victim (scheduler leader or standby), how far the round was,
                  the victim's messages in flight (accepted or arriving, not recorded), the
                  residents who got it twice, and whether any double is outside the bound
    at the end    kills, doubles in all and per kill (max), kills with a double, doubles
                  outside the bound (target: 0), messages lost (target: 0)
The exit status is 1 if a message was lost or a double is outside the bound. Each kill is
also appended as a JSON line to --out, so an interrupted run keeps its figures.

Run from the project root, on a database of its own (its schema is dropped first):
    .venv/bin/python -m bench.kill_duplicates --kills 100 --residents 300 \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        --redis-url redis://127.0.0.1:6379/3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import db as database
from bot.delivery import outbox
from bot.delivery.outbox import Message
from models import BroadcastKind, BroadcastStatus, Delivery
from tests.support import seed
from tests.support.fake_bot_api import FakeBotApi
from tests.support.processes import bot_env, client_ports, free_port

TOKEN = "123456789:" + "B" * 35
FIRST_CHAT = 800_000_000


@dataclass
class Kill:
    round: int
    victim: str  # leader or standby
    sent_before: int  # the round's messages accepted when it died
    in_flight: int  # the victim's messages accepted or arriving, not recorded as sent
    doubled: int  # residents who got the round's announcement twice
    outside_bound: int  # doubles that were not in flight (a bug if not 0)
    lost: int  # residents who never got it


RESTART_DELAY = 1.0  # seconds, as the supervisor's first restart (bot/__main__.py)


class Workers:
    """Two `python -m bot run` processes sharing one port, as the supervisor runs them; a
    killed one is started again after RESTART_DELAY."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = {**env, "DOITHOAI_WORKER": "1", "WORKERS": "2"}
        self._log = log.open("ab")
        self.processes: dict[int, asyncio.subprocess.Process] = {}
        self._restarts: set[asyncio.Task] = set()

    async def start_one(self) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=self._env, stderr=self._log
        )
        self.processes[process.pid] = process

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        task = asyncio.create_task(self._restart(self.processes.pop(pid)))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, killed: asyncio.subprocess.Process) -> None:
        await killed.wait()
        await asyncio.sleep(RESTART_DELAY)
        await self.start_one()

    async def stop(self) -> None:
        for task in list(self._restarts):
            await task
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            await asyncio.wait_for(process.wait(), timeout=120)
        self._log.close()


class Supervised:
    """`python -m bot --workers 2`: its supervisor restarts a killed worker (with back-off)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env, self._log = env, log.open("ab")
        self._supervisor: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._supervisor = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--workers", "2", env=self._env, stderr=self._log
        )

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    async def stop(self) -> None:
        assert self._supervisor is not None
        self._supervisor.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self._supervisor.wait(), timeout=120)
        self._log.close()


@contextlib.asynccontextmanager
async def workers(
    api: FakeBotApi,
    database_url: str,
    redis_url: str,
    settings: dict[str, str],
    log: Path,
    *,
    supervisor: bool,
) -> AsyncIterator[tuple[int, Workers | Supervised]]:
    port = free_port()
    env = bot_env(
        log.parent,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api.base_url,
        WEBHOOK_BASE_URL="https://bot.phuong.example.gov.vn",
        WEBHOOK_SECRET="s" * 32,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        WEB_PORT=str(port),
        **settings,
    )
    if supervisor:
        pool: Workers | Supervised = Supervised(env, log)
        await pool.start()
    else:
        pool = Workers(env, log)
        for _ in range(2):
            await pool.start_one()
    try:
        yield port, pool
    finally:
        await pool.stop()


async def roles(client: httpx.AsyncClient) -> dict[int, str]:
    """{pid: leader|standby} once two workers answer and one leads."""
    async with asyncio.timeout(180):
        while True:
            seen: dict[int, str] = {}
            for _ in range(40):
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    body = (await client.get("/healthz")).json()
                    seen[body["worker"]] = body["scheduler"]
                if len(seen) == 2:
                    break
                await asyncio.sleep(0.05)
            if sorted(seen.values()) == ["leader", "standby"]:
                return seen
            await asyncio.sleep(0.5)


async def residents(sessions, count: int) -> None:
    async with sessions() as db, db.begin():
        await seed.opted_in_residents(db, count, FIRST_CHAT)


async def announce(sessions, text_: str) -> int:
    async with sessions() as db, db.begin():
        recipients = await outbox.opted_in(db)
        broadcast = await outbox.new_broadcast(
            db, kind=BroadcastKind.ANNOUNCEMENT, status=BroadcastStatus.SENDING, text=text_
        )
        rows = [(r, Message(text_), outbox.delivery_key(broadcast.id, r)) for r in recipients]
        await outbox.add_many(db, rows, broadcast_id=broadcast.id)
    return broadcast.id


async def recorded(sessions, broadcast_id: int) -> set[str]:
    async with sessions() as db:
        stmt = select(Delivery.chat_id).where(
            Delivery.broadcast_id == broadcast_id, Delivery.status == "sent"
        )
        return set((await db.execute(stmt)).scalars())


async def one_round(
    number: int,
    api: FakeBotApi,
    sessions,
    client: httpx.AsyncClient,
    count: int,
    pool: Workers | Supervised,
) -> Kill:
    began = time.monotonic()
    pids = await roles(client)
    ready = time.monotonic()
    label = f"Thông báo vòng {number}"
    of_round = lambda: [m for m in api.accepted if m.text == label]  # noqa: E731
    broadcast_id = await announce(sessions, label)
    kill_after = random.randint(count // 10, count * 8 // 10)
    victim = random.choice(list(pids))
    [survivor] = [pid for pid in pids if pid != victim]
    # The survivor's connections, gathered all along (it lives, so none is missed for long):
    # a message from any other port before the kill came from the victim, whichever of its
    # connections (some live only a moment) carried it.
    ports: set[int] = set()
    async with asyncio.timeout(300):
        while True:
            ports |= client_ports(survivor)
            if len(of_round()) >= kill_after:
                break
            await asyncio.sleep(0.01)
    pool.kill(victim)
    killed_at = time.monotonic()
    sent_before = len(of_round())
    done = await recorded(sessions, broadcast_id)  # a dead worker records nothing more
    async with asyncio.timeout(300):
        while True:
            ports |= client_ports(survivor)
            if len(await recorded(sessions, broadcast_id)) >= count:
                break
            await asyncio.sleep(0.05)
    received = Counter(m.chat_id for m in of_round())
    first = min(m.at for m in of_round())
    print(
        f"  phases: both up {ready - began:.1f} s, first message {first - ready:.1f} s, "
        f"kill {killed_at - first:.1f} s, rest {time.monotonic() - killed_at:.1f} s",
        file=sys.stderr,
    )
    # Requests on their way when it died arrive a moment later; the restarted worker needs
    # RESTART_DELAY and its start-up before it sends anything.
    from_victim = [m for m in of_round() if m.at <= killed_at + 1.0 and m.port not in ports]
    in_flight = {m.chat_id for m in from_victim} - done
    doubled = {chat for chat, times in received.items() if times > 1}
    for chat in sorted(doubled - in_flight):  # what a double outside the bound looked like
        copies = [
            (round(m.at - killed_at, 3), m.port in ports) for m in of_round() if m.chat_id == chat
        ]
        print(
            f"  outside the bound: chat {chat}, recorded at the kill: {chat in done}, "
            f"copies (seconds after the kill, from the survivor): {copies}",
            file=sys.stderr,
        )
    return Kill(
        round=number,
        victim=pids[victim],
        sent_before=sent_before,
        in_flight=len(in_flight),
        doubled=len(doubled),
        outside_bound=len(doubled - in_flight),
        lost=count - len(received),
    )


async def main(args: argparse.Namespace) -> int:
    engine = create_async_engine(args.database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    engine = database.create_engine(args.database_url)
    await database.upgrade_schema(engine)
    sessions = database.create_sessionmaker(engine)
    await residents(sessions, args.residents)
    api = FakeBotApi(rate_limit=args.rate * 1.05)
    await api.start()
    log = Path(tempfile.mkdtemp(prefix="kill-bench-")) / "workers.log"
    settings = {"TELEGRAM_RATE": str(args.rate), "DELIVERY_LEASE": "10", "LOG_LEVEL": "WARNING"}
    kills: list[Kill] = []
    print(f"{args.residents} residents per round at {args.rate}/s, lease 10 s; log: {log}")
    print("round victim  sent-before in-flight doubled outside-bound lost seconds")
    began = time.monotonic()
    try:
        async with workers(
            api, args.database_url, args.redis_url, settings, log, supervisor=args.supervisor
        ) as (port, pool):
            fresh = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=2, limits=fresh
            ) as client:
                for number in range(1, args.kills + 1):
                    if time.monotonic() - began > args.minutes * 60:
                        print(f"stopped after {args.minutes} minutes (--minutes)")
                        break
                    kill = await one_round(number, api, sessions, client, args.residents, pool)
                    kills.append(kill)
                    print(
                        f"{kill.round:5} {kill.victim:7} {kill.sent_before:11} "
                        f"{kill.in_flight:9} {kill.doubled:7} {kill.outside_bound:13} "
                        f"{kill.lost:4} {time.monotonic() - began:7.0f}",
                        flush=True,
                    )
                    with args.out.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(asdict(kill)) + "\n")
                    api.accepted.clear()
    finally:
        await api.stop()
        await engine.dispose()
    doubles = [k.doubled for k in kills]
    print(
        f"kills {len(kills)} · doubles {sum(doubles)} (max {max(doubles, default=0)} per kill, "
        f"{sum(1 for d in doubles if d)} kills with one) · in flight per kill: mean "
        f"{sum(k.in_flight for k in kills) / max(1, len(kills)):.1f}, max "
        f"{max((k.in_flight for k in kills), default=0)} · outside the bound "
        f"{sum(k.outside_bound for k in kills)} (target 0) · lost {sum(k.lost for k in kills)} "
        "(target 0)"
    )
    bad = any(k.outside_bound or k.lost for k in kills)
    return 1 if bad else 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--residents", type=int, default=300, help="per round")
    parser.add_argument(
        "--minutes", type=float, default=float("inf"), help="no new round after this long"
    )
    parser.add_argument("--rate", type=float, default=100, help="TELEGRAM_RATE (both workers)")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--out", type=Path, default=Path("kill-duplicates.jsonl"))
    parser.add_argument(
        "--supervisor",
        action="store_true",
        help="run `python -m bot --workers 2` and let its supervisor restart (with back-off)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    started = time.monotonic()
    status = asyncio.run(main(parse_args()))
    print(f"{time.monotonic() - started:.0f} s")
    sys.exit(status)
