"""Survey throughput: how many Telegram updates per second the real bot handles, against a
bare aiogram echo bot fed the same number of updates, in one process and without network.

What is measured
    1. Baseline: a bare `Dispatcher` whose only handler is `await message.answer(message.text)`.
    2. The app: `bot.app.build_app` exactly as production wires it (its default FSM storage,
       `storage=None`, named in the header; SQLite file in a temp dir, schema upgraded first),
       driven by simulated residents who each do the whole journey: /start,
       the three consent screens, "rate", a field, a procedure, every question (single choice,
       multiple choice toggles + Done, typed text or Skip, the contact consent when asked),
       then Submit.
    Residents run as asyncio tasks, each one sequential, `--concurrency` of them in flight, so
    the updates of different chats interleave as they do under polling. The echo baseline
    replays the same number of updates per chat with the same concurrency.

    Both bots talk to `NullTelegram`, a no-network aiogram session that answers sendMessage and
    editMessage* with a `Message` echoing the keyboard (and True for the rest) and keeps each
    chat's current screen, so a resident taps buttons by their aiogram-dialog widget id.
    `--api-latency-ms` makes every Bot API request wait that long, as a network round trip
    would (0 by default: the figures then are pure processing cost).

    Latency is the time around each `Dispatcher.feed_update`; under concurrency it includes the
    time spent waiting for the other in-flight updates (one event loop, one SQLite connection).
    Building the `Update` objects (as aiogram's polling does before `feed_update`) is outside
    the latency but inside the wall time; it is printed separately.

    Afterwards the database is checked: every resident must have exactly one submitted
    response, no draft may remain, and the consent and answer rows must match what the residents
    did. Any exception, error event (even one an error handler dealt with), unhandled update or
    failed check makes the exit status non-zero. Timing targets are reported, never asserted.

Run from the project root:
    .venv/bin/python -m bench.survey_throughput [--residents 200] [--concurrency 16]
        [--seed 1] [--api-latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import Chat, ErrorEvent, InlineKeyboardMarkup, Message, Update, User
from aiogram_dialog.utils import CB_SEP
from sqlalchemy import event, text

from bench import bare_dialog
from bot import db as database
from bot import i18n
from bot.app import App, build_app, build_bot
from bot.settings import Settings

TOKEN = "123456789:" + "B" * 35
BOT_ID = 123456789
BOT_USER = User(id=BOT_ID, is_bot=True, first_name="Phường", username="doithoai_bench_bot")
BOT_USER_PAYLOAD = BOT_USER.model_dump(exclude_none=True, by_alias=True)
DATE = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
DATE_TS = int(DATE.timestamp())
FIRST_USER_ID = 700_000
WARMUP_RESIDENTS = 10
TARGET_RATIO = 0.40
TARGET_P99_MS = 20.0
TYPED_ANSWERS = (
    "Thủ tục nhanh, cán bộ nhiệt tình.",
    "Chờ lâu quá, nên có thêm quầy tiếp nhận.",
    "Mong phường công khai lịch tiếp dân rõ hơn.",
)


# --- Telegram without network ---------------------------------------------------------------


@dataclass
class Screen:
    """The newest message with inline buttons in a chat: what a resident taps on."""

    message_id: int
    text: str
    markup: InlineKeyboardMarkup


class NullTelegram(BaseSession):
    """Answers like the Bot API, without validation or form conversion, and remembers the
    current screen of every chat. Shared by the echo baseline and the app."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency  # seconds each request waits, as a network round trip would
        self.last_message_id = 0
        self.screens: dict[int, Screen] = {}
        self.chats: dict[int, Chat] = {}
        self.requests: Counter[str] = Counter()
        self.alerts: Counter[str] = Counter()

    def new_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.requests[method.__api_method__] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if isinstance(method, SendMessage):
            return self._sent(bot, int(method.chat_id), method.text, method.reply_markup)
        if isinstance(method, EditMessageText):
            return self._edited(
                bot, method.chat_id, method.message_id, method.text, method.reply_markup
            )
        if isinstance(method, EditMessageReplyMarkup):
            screen = self.screens.get(int(method.chat_id))
            text = screen.text if screen and screen.message_id == method.message_id else ""
            return self._edited(bot, method.chat_id, method.message_id, text, method.reply_markup)
        if method.__api_method__ == "deleteMessage":
            screen = self.screens.get(int(method.chat_id))
            if screen is not None and screen.message_id == method.message_id:
                del self.screens[int(method.chat_id)]
            return True
        if method.__api_method__ == "answerCallbackQuery" and method.text:
            self.alerts[method.text] += 1
        if method.__api_method__ == "getMe":
            return BOT_USER
        return True

    def _sent(self, bot: Bot, chat_id: int, text: str, markup: Any) -> Message:
        message_id = self.new_message_id()
        if isinstance(markup, InlineKeyboardMarkup):
            self.screens[chat_id] = Screen(message_id, text, markup)
        return self._message(bot, chat_id, message_id, text, markup)

    def _edited(self, bot: Bot, chat_id: Any, message_id: Any, text: str, markup: Any) -> Message:
        chat_id = int(chat_id)
        screen = self.screens.get(chat_id)
        if screen is not None and screen.message_id == message_id:
            if isinstance(markup, InlineKeyboardMarkup):
                self.screens[chat_id] = Screen(message_id, text, markup)
            else:
                del self.screens[chat_id]
        return self._message(bot, chat_id, message_id, text, markup)

    def _message(self, bot: Bot, chat_id: int, message_id: int, text: str, markup: Any) -> Message:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(id=chat_id, type="private")
        return Message(
            message_id=message_id,
            date=DATE,
            chat=chat,
            from_user=BOT_USER,
            text=text,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
        ).as_(bot)

    async def stream_content(self, *args: Any, **kwargs: Any):  # pragma: no cover - unused
        yield b""

    async def close(self) -> None:
        pass


# --- feeding updates and recording what happened -----------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    build_seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    unhandled: int = 0
    wall_seconds: float = 0.0

    def error(self, label: str, detail: str) -> None:
        self.errors[label] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(detail)


class ErrorEventCounter(BaseMiddleware):
    """Sees every error event, including those an error handler turns into a polite reply."""

    def __init__(self, stats: Callable[[], Stats]) -> None:
        self.stats = stats

    async def __call__(self, handler, event: ErrorEvent, data: dict[str, Any]) -> Any:
        self.stats().error(
            f"error event {type(event.exception).__name__}",
            f"update {event.update.update_id}: {event.exception!r}",
        )
        return await handler(event, data)


class Feeder:
    """Feeds updates to one dispatcher, timing each `feed_update`."""

    def __init__(self, dp: Dispatcher, bot: Bot, telegram: NullTelegram) -> None:
        self.dp = dp
        self.bot = bot
        self.telegram = telegram
        self.stats = Stats()
        self.last_update_id = 0
        self.on_fed: Callable[[str], None] | None = None

    def build(self, payload: dict[str, Any]) -> Update:
        """Parse an update as aiogram's polling does: mounted on the bot, nested objects too."""
        started = time.perf_counter()
        self.last_update_id += 1
        update = Update.model_validate(
            {"update_id": self.last_update_id, **payload}, context={"bot": self.bot}
        )
        self.stats.build_seconds += time.perf_counter() - started
        return update

    async def feed(self, kind: str, payload: dict[str, Any]) -> None:
        update = self.build(payload)
        started = time.perf_counter()
        try:
            result = await self.dp.feed_update(self.bot, update)
        except Exception as exc:
            self.stats.error(f"raised {type(exc).__name__}", f"{kind}: {exc!r}")
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.stats.latencies.append(elapsed)
            self.stats.by_kind[kind].append(elapsed)
            if self.on_fed is not None:
                self.on_fed(kind)
        if result is UNHANDLED:
            self.stats.unhandled += 1
            self.stats.error(
                "unhandled update", f"{kind}: nobody handled update {update.update_id}"
            )


class JourneyError(Exception):
    """The resident could not go on: the screen was not what the survey should show."""


class ChatUser:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, feeder: Feeder, user_id: int, language: str) -> None:
        self.feeder = feeder
        self.user_id = user_id
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": "Cư dân",
            "language_code": language,
        }
        self.chat = {"id": user_id, "type": "private", "first_name": "Cư dân"}
        self.updates = 0

    async def send(self, text: str, kind: str = "text") -> None:
        message = {
            "message_id": self.feeder.telegram.new_message_id(),
            "date": DATE_TS,
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self.updates += 1
        await self.feeder.feed(kind, {"message": message})

    def buttons(self) -> list[str]:
        """The widget part of each button's callback data on the current screen, e.g. "o:Q1.4"."""
        screen = self.feeder.telegram.screens.get(self.user_id)
        if screen is None:
            return []
        return [
            (button.callback_data or "").partition(CB_SEP)[2]
            for row in screen.markup.inline_keyboard
            for button in row
        ]

    async def tap(self, widget_data: str, kind: str) -> None:
        screen = self.feeder.telegram.screens.get(self.user_id)
        button = self._find(screen, widget_data)
        message = {
            "message_id": screen.message_id,
            "date": DATE_TS,
            "chat": self.chat,
            "from": BOT_USER_PAYLOAD,
            "text": screen.text,
            "reply_markup": screen.markup.model_dump(exclude_none=True),
        }
        callback = {
            "id": f"{self.user_id}-{self.feeder.last_update_id}",
            "from": self.user,
            "chat_instance": str(self.user_id),
            "message": message,
            "data": button.callback_data,
        }
        self.updates += 1
        await self.feeder.feed(kind, {"callback_query": callback})

    def _find(self, screen: Screen | None, widget_data: str):
        if screen is not None:
            for row in screen.markup.inline_keyboard:
                for button in row:
                    if (button.callback_data or "").partition(CB_SEP)[2] == widget_data:
                        return button
        raise JourneyError(f"user {self.user_id}: no button {widget_data!r}; have {self.buttons()}")


# --- the residents' journey ---------------------------------------------------------------------


@dataclass
class Expected:
    """What the residents did, to check the database against."""

    residents: int = 0
    consents: int = 0
    answers: int = 0


async def consent_screens(user: ChatUser, rng: random.Random, expected: Expected) -> None:
    await user.tap("y_sur", "consent")
    await user.tap(rng.choice(("y_rem", "n_rem")), "consent")
    await user.tap(rng.choice(("y_con", "n_con")), "consent")
    expected.consents += 3


async def pick_field(user: ChatUser, app: App, rng: random.Random) -> None:
    survey_field = rng.choice(app.survey.fields)
    await user.tap(f"f:{survey_field.id}", "field")
    if survey_field.procedures:
        choices = [f"p:{p.id}" for p in survey_field.procedures] + ["p_none"]
        await user.tap(rng.choice(choices), "procedure")


def choose_single(options: list[str], rng: random.Random) -> str:
    """Mostly people who did a procedure (C2 = yes), so the long branch is the common one."""
    if any(option.startswith("o:C2.") for option in options):
        return "o:C2.yes" if rng.random() < 0.8 else "o:C2.no"
    return rng.choice(options)


async def answer_one(
    user: ChatUser, buttons: list[str], rng: random.Random, expected: Expected
) -> None:
    options = [b for b in buttons if b.startswith("o:")]
    if "c_yes" in buttons:  # F2 = yes without the contact consent: asked once more
        await user.tap(rng.choice(("c_yes", "c_no")), "contact")
        expected.consents += 1
        return
    expected.answers += 1
    if "done" in buttons:
        for option in rng.sample(options, rng.randint(1, min(3, len(options)))):
            await user.tap(option, "toggle")
        await user.tap("done", "done")
    elif options:
        await user.tap(choose_single(options, rng), "option")
    elif "skip" in buttons and rng.random() < 0.3:
        await user.tap("skip", "skip")
    else:
        await user.send(rng.choice(TYPED_ANSWERS), "typed")


async def answer_questions(user: ChatUser, rng: random.Random, expected: Expected) -> None:
    for _step in range(40):
        buttons = user.buttons()
        if "submit" in buttons:
            return
        await answer_one(user, buttons, rng, expected)
    raise JourneyError(f"user {user.user_id}: never reached the review; buttons {user.buttons()}")


async def resident_journey(
    user: ChatUser, app: App, rng: random.Random, expected: Expected
) -> None:
    expected.residents += 1  # counted before anything can fail: each one must end up submitted
    await user.send("/start", "start")
    await consent_screens(user, rng, expected)
    await user.tap("rate", "rate")
    await pick_field(user, app, rng)
    await answer_questions(user, rng, expected)
    await user.tap("submit", "submit")
    if "another" not in user.buttons():
        raise JourneyError(f"user {user.user_id}: no thank-you screen; buttons {user.buttons()}")


async def echo_chat(user: ChatUser, count: int) -> None:
    for index in range(count):
        await user.send(TYPED_ANSWERS[index % len(TYPED_ANSWERS)])


# --- running ------------------------------------------------------------------------------------


async def run_bounded(
    jobs: list[Callable[[], Awaitable[None]]], concurrency: int
) -> list[Exception]:
    """Run the jobs with at most `concurrency` in flight; return the exceptions they raised."""
    pending = iter(jobs)
    failures: list[Exception] = []

    async def worker() -> None:
        for job in pending:
            try:
                await job()
            except Exception as exc:
                failures.append(exc)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


async def timed(
    feeder: Feeder, jobs: list[Callable[[], Awaitable[None]]], concurrency: int
) -> list[Exception]:
    started = time.perf_counter()
    failures = await run_bounded(jobs, concurrency)
    feeder.stats.wall_seconds = time.perf_counter() - started
    for failure in failures:
        if isinstance(failure, JourneyError):
            feeder.stats.error("journey broken", str(failure))
    return failures


def bench_settings(directory: Path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=f"sqlite+doithoai:///{directory / 'bench.sqlite3'}",
        ward_name="Bình An",
        admin_ids="1",
    )


def resident_jobs(
    feeder: Feeder, app: App, user_ids: range, seed: int, expected: Expected, users: list[ChatUser]
) -> list[Callable[[], Awaitable[None]]]:
    jobs = []
    for user_id in user_ids:
        rng = random.Random(seed * 1_000_003 + user_id)
        user = ChatUser(feeder, user_id, "vi" if rng.random() < 0.8 else "en")
        users.append(user)
        jobs.append(partial(resident_journey, user, app, rng, expected))
    return jobs


@dataclass
class AppRun:
    feeder: Feeder
    expected: Expected
    updates_per_user: list[int]
    queries_by_kind: dict[str, float]
    db: dict[str, int]
    db_problems: list[str]
    storage: str


def describe_storage(dp: Dispatcher) -> str:
    storage = dp.storage
    key_builder = getattr(storage, "key_builder", None)
    destiny = getattr(key_builder, "with_destiny", None)
    return f"{type(storage).__name__}" + ("" if destiny is None else f"(with_destiny={destiny})")


async def run_app(settings: Settings, args: argparse.Namespace) -> AppRun:
    residents, concurrency, seed = args.residents, args.concurrency, args.seed
    i18n.install()
    telegram = NullTelegram(args.api_latency_ms / 1000)
    app = build_app(settings, bot_session=telegram)  # storage=None: the production default
    await database.upgrade_schema(app.engine)
    feeder = Feeder(app.dispatcher, app.bot, telegram)
    app.dispatcher.errors.outer_middleware(ErrorEventCounter(lambda: feeder.stats))
    expected = Expected()
    try:
        queries_by_kind = await warm_up_app(feeder, app, seed, expected)
        feeder.stats = Stats()  # the measured run starts clean
        users: list[ChatUser] = []
        ids = range(FIRST_USER_ID, FIRST_USER_ID + residents)
        await timed(feeder, resident_jobs(feeder, app, ids, seed, expected, users), concurrency)
        counts, problems = await check_database(app, expected)
    finally:
        await app.close()
    updates_per_user = [user.updates for user in users]
    storage = describe_storage(app.dispatcher)
    return AppRun(feeder, expected, updates_per_user, queries_by_kind, counts, problems, storage)


async def warm_up_app(feeder: Feeder, app: App, seed: int, expected: Expected) -> dict[str, float]:
    """A few residents one at a time, not timed, counting SQL statements per kind of update."""
    statements = 0
    per_kind: dict[str, list[int]] = defaultdict(list)

    def on_statement(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    def on_fed(kind: str) -> None:
        nonlocal statements
        per_kind[kind].append(statements)
        statements = 0

    event.listen(app.engine.sync_engine, "before_cursor_execute", on_statement)
    feeder.on_fed = on_fed
    try:
        ids = range(FIRST_USER_ID - WARMUP_RESIDENTS, FIRST_USER_ID)
        await run_bounded(resident_jobs(feeder, app, ids, seed, expected, []), 1)
    finally:
        feeder.on_fed = None
        event.remove(app.engine.sync_engine, "before_cursor_execute", on_statement)
    if feeder.stats.errors:
        raise SystemExit(
            f"warm-up failed: {dict(feeder.stats.errors)}\n" + "\n".join(feeder.stats.error_samples)
        )
    return {kind: sum(counts) / len(counts) for kind, counts in per_kind.items()}


async def check_database(app: App, expected: Expected) -> tuple[dict[str, int], list[str]]:
    queries = {
        "residents": "SELECT count(*) FROM residents",
        "accounts": "SELECT count(*) FROM accounts",
        "consents": "SELECT count(*) FROM consents",
        "submitted responses": "SELECT count(*) FROM survey_responses WHERE status = 'submitted'",
        "residents with a submitted response": (
            "SELECT count(DISTINCT resident_id) FROM survey_responses WHERE status = 'submitted'"
        ),
        "draft responses": "SELECT count(*) FROM survey_responses WHERE status = 'draft'",
        "answers": "SELECT count(*) FROM survey_answers",
        "dialogue sessions": "SELECT count(*) FROM dialogue_sessions",
    }
    async with app.engine.connect() as connection:
        counts = {
            name: (await connection.execute(text(sql))).scalar_one()
            for name, sql in queries.items()
        }
    wanted = {
        "residents": expected.residents,
        "accounts": expected.residents,
        "consents": expected.consents,
        "submitted responses": expected.residents,
        "residents with a submitted response": expected.residents,
        "draft responses": 0,
        "answers": expected.answers,
        "dialogue sessions": 1,
    }
    problems = [
        f"{name}: {counts[name]} in the database, expected {value}"
        for name, value in wanted.items()
        if counts[name] != value
    ]
    return counts, problems


async def run_echo(
    settings: Settings, updates_per_user: list[int], args: argparse.Namespace
) -> Feeder:
    telegram = NullTelegram(args.api_latency_ms / 1000)
    bot = build_bot(settings, telegram)
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    dp = Dispatcher()
    dp.include_router(router)
    feeder = Feeder(dp, bot, telegram)
    dp.errors.outer_middleware(ErrorEventCounter(lambda: feeder.stats))
    warm_up = ChatUser(feeder, FIRST_USER_ID - 1, "vi")
    await echo_chat(warm_up, 200)
    feeder.stats = Stats()
    jobs = [
        partial(echo_chat, ChatUser(feeder, FIRST_USER_ID + index, "vi"), count)
        for index, count in enumerate(updates_per_user)
    ]
    await timed(feeder, jobs, args.concurrency)
    await bot.session.close()
    return feeder


async def run_bare_dialog(
    settings: Settings, updates_per_user: list[int], args: argparse.Namespace
) -> Feeder:
    telegram = NullTelegram(args.api_latency_ms / 1000)
    bot = build_bot(settings, telegram)
    dp = bare_dialog.bare_dispatcher()
    feeder = Feeder(dp, bot, telegram)
    dp.errors.outer_middleware(ErrorEventCounter(lambda: feeder.stats))
    await bare_dialog.tap_chat(ChatUser(feeder, FIRST_USER_ID - 1, "vi"), 200)
    feeder.stats = Stats()
    jobs = bare_dialog.jobs_for(
        lambda index: ChatUser(feeder, FIRST_USER_ID + index, "vi"), updates_per_user
    )
    failures = await timed(feeder, jobs, args.concurrency)
    if failures:
        feeder.stats.error("bare dialog", repr(failures[0]))
    await bot.session.close()
    return feeder


# --- reporting ----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def header(args: argparse.Namespace) -> None:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("doithoai survey throughput benchmark")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"aiogram {version('aiogram')}, aiogram-dialog {version('aiogram-dialog')}, "
        f"SQLAlchemy {version('SQLAlchemy')}, aiosqlite {version('aiosqlite')}"
    )
    print(f"{platform.platform()}, {os.cpu_count()} cores ({affinity} usable)")
    print(
        f"{args.residents} residents (+{WARMUP_RESIDENTS} untimed warm-up), concurrency "
        f"{args.concurrency}, seed {args.seed}, Bot API latency {args.api_latency_ms:g} ms"
    )


def row(name: str, stats: Stats) -> str:
    count = len(stats.latencies)
    return (
        f"{name:<14}{count:>9}{stats.wall_seconds:>9.2f}{count / stats.wall_seconds:>11.0f}"
        f"{stats.build_seconds:>10.2f}{count / (stats.wall_seconds - stats.build_seconds):>11.0f}"
        f"{percentile(stats.latencies, 50) * 1e3:>8.2f}{percentile(stats.latencies, 99) * 1e3:>8.2f}"
        f"{max(stats.latencies) * 1e3:>8.1f}"
    )


def report_throughput(echo: Stats, bare: Stats, app: Stats) -> tuple[bool, bool]:
    print(
        f"{'':<14}{'updates':>9}{'wall s':>9}{'upd/s':>11}{'build s':>10}"
        f"{'upd/s*':>11}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
    )
    print(row("echo baseline", echo))
    print(row("bare dialog", bare))
    print(row("survey app", app))
    print("  upd/s = updates / wall time")
    print("  upd/s* = updates / (wall time - time spent building Update objects, as polling does)")
    ratio = (len(app.latencies) / app.wall_seconds) / (len(echo.latencies) / echo.wall_seconds)
    ratio_handling = (len(app.latencies) / (app.wall_seconds - app.build_seconds)) / (
        len(echo.latencies) / (echo.wall_seconds - echo.build_seconds)
    )
    p99_ms = percentile(app.latencies, 99) * 1e3
    ratio_met, p99_met = ratio >= TARGET_RATIO, p99_ms <= TARGET_P99_MS
    print()
    print(f"throughput ratio app/echo: {ratio:.3f} (without update building: {ratio_handling:.3f})")
    bare_ratio = (len(bare.latencies) / bare.wall_seconds) / (
        len(echo.latencies) / echo.wall_seconds
    )
    app_vs_bare = (len(app.latencies) / app.wall_seconds) / (
        len(bare.latencies) / bare.wall_seconds
    )
    print(
        f"throughput ratio bare dialog/echo: {bare_ratio:.3f}; app/bare dialog: {app_vs_bare:.3f}"
    )
    print(f"target ratio >= {TARGET_RATIO:.2f}: {'met' if ratio_met else 'NOT met'}")
    p99_verdict = "met" if p99_met else "NOT met"
    print(f"target app p99 <= {TARGET_P99_MS:.0f} ms: {p99_verdict} ({p99_ms:.2f} ms)")
    return ratio_met, p99_met


def report_kinds(stats: Stats, queries: dict[str, float]) -> None:
    print()
    print("app latency by kind of update; SQL/upd = statements per update, counted in the")
    print("warm-up (one resident at a time, so each statement belongs to the update it ran in):")
    print(f"  {'kind':<10}{'count':>7}{'mean ms':>9}{'p50 ms':>8}{'p99 ms':>8}{'SQL/upd':>9}")
    for kind, values in sorted(stats.by_kind.items(), key=lambda item: -sum(item[1])):
        print(
            f"  {kind:<10}{len(values):>7}{sum(values) / len(values) * 1e3:>9.2f}"
            f"{percentile(values, 50) * 1e3:>8.2f}{percentile(values, 99) * 1e3:>8.2f}"
            f"{queries.get(kind, float('nan')):>9.1f}"
        )


def report_checks(run: AppRun, echo: Feeder, bare: Feeder) -> bool:
    print()
    print(f"database after the run (includes {WARMUP_RESIDENTS} warm-up residents):")
    for name, value in run.db.items():
        print(f"  {name:<38}{value:>7}")
    expected = run.expected
    print(
        f"  expected: {expected.residents} residents each with one submitted response, "
        f"{expected.consents} consents, {expected.answers} answers, no draft, one session"
    )
    telegram = run.feeder.telegram
    print(f"bot API requests (app): {dict(telegram.requests)}")
    print(f"callback alerts shown (app): {dict(telegram.alerts) or 'none'}")
    problems = list(run.db_problems)
    for name, feeder in (("app", run.feeder), ("echo", echo), ("bare dialog", bare)):
        if feeder.stats.errors:
            problems.append(f"{name}: {dict(feeder.stats.errors)}")
            problems.extend(f"  {sample}" for sample in feeder.stats.error_samples)
    print()
    if problems:
        print("FAILED: the run is not valid")
        for problem in problems:
            print(f"  {problem}")
        return False
    print("OK: every resident's response is stored as submitted; no errors, no unhandled updates")
    return True


# --- entry point --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.survey_throughput", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--residents", type=int, default=200, help="residents in the measured run")
    parser.add_argument("--concurrency", type=int, default=4, help="residents in flight at once")
    parser.add_argument("--seed", type=int, default=1, help="seed of the residents' choices")
    parser.add_argument(
        "--api-latency-ms", type=float, default=0.0, help="simulated Bot API round trip"
    )
    args = parser.parse_args(argv)
    if args.residents < 1 or args.concurrency < 1 or args.api_latency_ms < 0:
        parser.error("--residents and --concurrency must be at least 1, the latency not negative")
    return args


async def main(args: argparse.Namespace) -> int:
    header(args)
    with tempfile.TemporaryDirectory(prefix="doithoai-bench-") as directory:
        settings = bench_settings(Path(directory))
        app_run = await run_app(settings, args)
        echo = await run_echo(settings, app_run.updates_per_user, args)
        bare = await run_bare_dialog(settings, app_run.updates_per_user, args)
    print(f"app storage: {app_run.storage}; database: SQLite file in a temporary directory")
    print()
    report_throughput(echo.stats, bare.stats, app_run.feeder.stats)
    report_kinds(app_run.feeder.stats, app_run.queries_by_kind)
    return 0 if report_checks(app_run, echo, bare) else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(main(parse_args())))
