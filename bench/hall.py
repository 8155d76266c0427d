"""The conference hall under load (issue 15): N residents in the hall each send one question or
one support within a minute, through the numbered-text conversation (as on Zalo and the web
chat), while one projector stream is open.

What is measured
    The real app (`bot.app.open_app`: migrated database, the text conversation Zalo and the web
    chat use, the web server with the projector page) in one process; a session is live with
    `--seed` questions already in its queue. Residents are stored and consented beforehand (not
    measured). Each resident starts at a random moment of the first `--spread` seconds; about
    half write a question ("hỏi", a field, the text, continue, anonymous, send: six messages
    with a short pause between them), the others type "ủng hộ <n>" for a question already in
    the queue (one message). One client reads the projector's server-sent events.

    Printed:
    - every question and support stored once (rows counted in the database against what was
      sent; a duplicate or a missing one makes the exit status 1);
    - the residents' reply time per message (around `TextConversation.handle`: the reply is
      ready, the turn committed), p50 / p99 / max;
    - the projector's delay from store to event: for each question or support, from the moment
      its reply came back (its row committed) to the first event whose counts ("Câu hỏi: n",
      "Lượt ủng hộ: n") reach the number stored by then; p50 / p99 / max.
    Targets (issue 15): projector p99 <= 2 s, residents' p99 <= 200 ms. Printed, not asserted.

Run from the project root:
    .venv/bin/python -m bench.hall [--residents 300] [--spread 45] [--seed 10]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot import i18n
from bot.app import open_app
from bot.conversation.inbound import Inbound, Kind
from bot.metrics import Metrics
from bot.services import conference, consent, projector, residents, staff
from bot.services.consent import Purpose
from bot.settings import Settings
from bot.web import build_web_app
from bot.web.context import web_context
from models import DialogueSession, Origin, QuestionSupport, ResidentQuestion, utcnow

FIELDS = ("1", "2", "3", "9", "10")
TEXTS = (
    "Đề nghị niêm yết công khai thời gian trả kết quả hộ tịch tại bộ phận một cửa số {n}.",
    "Xin hỏi bao giờ phường lắp thêm đèn chiếu sáng ở ngõ {n}?",
    "Đề nghị bố trí thêm ghế chờ cho người cao tuổi, góp ý số {n}.",
)
COUNTS = re.compile(r"Câu hỏi: <b>(\d+)</b>.*?Lượt ủng hộ: <b>(\d+)</b>", re.S)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(name: str, values: list[float]) -> str:
    return (
        f"{name}: n={len(values)} p50 {percentile(values, 0.5) * 1000:.0f} ms · "
        f"p99 {percentile(values, 0.99) * 1000:.0f} ms · max {max(values) * 1000:.0f} ms"
    )


class Projector:
    """One projector stream: the time and the counts of every event."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, int]] = []  # (monotonic, questions, supports)
        self.changed = asyncio.Event()

    async def read(self, url: str) -> None:
        async with aiohttp.ClientSession() as http, http.get(url) as stream:
            data: list[str] = []
            async for raw in stream.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    data.append(line[6:])
                elif not line and data:
                    found = COUNTS.search("\n".join(data))
                    if found:
                        self.events.append(
                            (time.monotonic(), int(found.group(1)), int(found.group(2)))
                        )
                        self.changed.set()
                    data = []

    def delay(self, stored_at: float, questions: int, supports: int) -> float | None:
        for moment, shown_questions, shown_supports in self.events:
            if (
                moment >= stored_at - 1
                and shown_questions >= questions
                and (shown_supports >= supports)
            ):
                return max(0.0, moment - stored_at)
        return None


async def main(args: argparse.Namespace) -> int:
    i18n.install()
    workdir = tempfile.mkdtemp(prefix="bench-hall-")
    url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'hall.db'}"
    settings = Settings(_env_file=None, database_url=url, ward_name="Bình An", admin_ids="1")
    rng = random.Random(args.random_seed)
    async with open_app(settings) as app:
        async with app.sessionmaker() as db, db.begin():
            [admin] = await staff.bootstrap_admins(db, [1], utcnow())
            session = DialogueSession(title="Hội nghị đối thoại (bench)", status="open")
            db.add(session)
            await db.flush()
            session_id = session.id
            await conference.set_live(db, admin, session_id, True, now=utcnow())
            token = await projector.projector_link(db, admin, session_id, now=utcnow())
        # Residents, consented (not measured); the first `seed` have a question in the queue.
        people = [f"hall{i:05d}" for i in range(args.residents + args.seed)]
        async with app.sessionmaker() as db, db.begin():
            for external in people:
                ref = await residents.get_or_create(db, "zalo", external, "vi")
                for purpose in (Purpose.SURVEY, Purpose.REMINDERS, Purpose.CONTACT):
                    await consent.record(
                        db,
                        ref.id,
                        purpose,
                        purpose is not Purpose.CONTACT,
                        channel="zalo",
                        notice_version=settings.notice_version,
                        now=utcnow(),
                    )
        context = web_context(app)
        conversation = context.conversation
        web_app = build_web_app(app.sessionmaker, Metrics(), console=context)
        runner = web.AppRunner(web_app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]

        message_ids = iter(range(1, 10**9))
        replies: list[float] = []
        stored: list[tuple[float, str]] = []  # (monotonic, "q" | "s") once committed
        counted = {"q": 0, "s": 0}

        async def say(user: str, text: str) -> str:
            inbound = Inbound(
                channel="zalo",
                chat_id=user,
                user_id=user,
                kind=Kind.TEXT,
                text=text,
                message_id=f"bench-{next(message_ids)}",
            )
            started = time.monotonic()
            answer = await conversation.handle(inbound)
            replies.append(time.monotonic() - started)
            return "\n".join(answer)

        async def ask(user: str, number: int) -> None:
            await say(user, "hỏi")
            for text in (
                rng.choice(FIELDS),
                rng.choice(TEXTS).format(n=number),
                "1",
                "2",
            ):
                await asyncio.sleep(rng.uniform(0.2, 0.8))
                await say(user, text)
            await asyncio.sleep(rng.uniform(0.2, 0.8))
            answer = await say(user, "1")
            if "KN-" not in answer:
                raise RuntimeError(f"{user}: no tracking code in {answer!r}")
            counted["q"] += 1
            stored.append((time.monotonic(), "q"))

        async def support(user: str) -> None:
            target = rng.randint(1, counted["q"])  # a question stored by now
            answer = await say(user, f"ủng hộ {target}")
            if "đã được ghi nhận" not in answer:
                raise RuntimeError(f"{user}: support not counted: {answer!r}")
            counted["s"] += 1
            stored.append((time.monotonic(), "s"))

        for user in people[: args.seed]:  # the queue before the hall fills
            await ask(user, 0)
        baseline = dict(counted)
        counted["s"] = 0
        stored.clear()
        replies.clear()

        screen = Projector()
        reader = None
        if not args.no_projector:
            reader = asyncio.create_task(
                screen.read(f"http://127.0.0.1:{port}/projector/{token}/events")
            )
            await asyncio.wait_for(screen.changed.wait(), 10)

        async def resident(index: int, user: str) -> None:
            await asyncio.sleep(rng.uniform(0, args.spread))
            if index % 2 == 0:
                await ask(user, index)
            else:
                await support(user)

        started = time.monotonic()
        await asyncio.gather(*(resident(i, user) for i, user in enumerate(people[args.seed :])))
        took = time.monotonic() - started
        await asyncio.sleep(3)  # the last events
        if reader is not None:
            reader.cancel()
        await runner.cleanup()

        async with app.sessionmaker() as db:
            questions = await db.scalar(
                select(func.count(ResidentQuestion.id)).where(
                    ResidentQuestion.origin == Origin.HALL
                )
            )
            supports = await db.scalar(select(func.count(QuestionSupport.id)))

    # The projector's delay: each stored item against the counts reached by then.
    delays, missing = [], 0
    so_far = {"q": baseline["q"], "s": 0}
    for moment, kind in sorted(stored) if reader is not None else ():
        so_far[kind] += 1
        found = screen.delay(moment, so_far["q"], so_far["s"])
        if found is None:
            missing += 1
        else:
            delays.append(found)
    asked = counted["q"] - baseline["q"]
    print(
        f"hall bench · {platform.python_version()} · {url.split(':', 1)[0]} · "
        f"{args.residents} residents over {args.spread:.0f} s (done in {took:.1f} s)"
    )
    print(f"questions sent {asked} (+{baseline['q']} before) · stored from the hall {questions}")
    print(f"supports sent {counted['s']} · stored {supports}")
    ok = questions == counted["q"] and supports == counted["s"]
    print("every one stored once:", "yes" if ok else "NO")
    print(figures("residents' reply per message", replies), "(target p99 <= 200 ms)")
    if delays:
        print(figures("projector, store to event", delays), "(target p99 <= 2000 ms)")
    print(f"projector events {len(screen.events)} · items never shown {missing}")
    return 0 if ok and not missing else 1


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--spread", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=10, help="questions queued beforehand")
    parser.add_argument("--random-seed", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--no-projector", action="store_true", help="no stream open (to compare reply times)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
