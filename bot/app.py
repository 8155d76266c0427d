"""The composition root: the one place that builds the whole application (bot/core.py's parts,
then the dispatcher with its dialogs, the Telegram bot, the Zalo sender, the announcements'
progress tracker, and, for `python -m bot run`, the scheduler), and tears it down: every part
pushes its closing on the app's `AsyncExitStack` as it is made, so `close()` (or leaving
`open_app`) undoes them in reverse order. Production (bot/__main__.py) and the tests
(tests/conftest.py) wire the bot the same way.

Only this module and bot/__main__.py may import `handlers` and `scheduler` from `bot`: every
other part takes what it uses as arguments (tests/test_import_layers.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import LinkPreviewOptions
from aiogram_dialog import setup_dialogs
from aiogram_dialog.api.protocols import MessageManagerProtocol
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import handlers
from bot import startup
from bot.broadcast_progress import ProgressTracker
from bot.channels.zalo.client import ZaloClient, quiet_http_logs
from bot.core import Core, core_parts
from bot.delivery import reachability
from bot.delivery.senders import ZaloSender
from bot.exports.day_before import export_dir
from bot.metrics import Metrics, TelegramMetrics
from bot.notify import Notifier
from bot.settings import Settings
from bot.storage import ChatLocks, conversation_storage
from bot.survey.definition import Survey
from handlers.broadcasts import TRACKER
from handlers.middlewares import (
    AfterUpdateMiddleware,
    DbSessionMiddleware,
    ResidentMiddleware,
    commit_before_request,
    refuse_invisible_text,
    retry_replies_after_429,
)
from handlers.private_only import PrivateChatsOnly
from models import utcnow
from scheduler import Scheduler

Clock = Callable[[], datetime]


@dataclass(kw_only=True)
class App(Core):
    dispatcher: Dispatcher
    bot: Bot | None  # None without BOT_TOKEN (Zalo only)
    metrics: Metrics  # served at /metrics; also tells /healthz when the last update came
    # The progress messages of announcements being sent (also the dispatcher's TRACKER).
    progress: ProgressTracker


def no_scheduler_here(_session_id: int) -> None:
    """The /sessions wizard's hook where no scheduler runs (see `build_scheduler`)."""


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession()
        if settings.telegram_api_base:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_base)
    assert settings.token, "a Telegram bot needs BOT_TOKEN"
    return Bot(
        token=settings.token,
        session=session,
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML,
            link_preview=LinkPreviewOptions(is_disabled=True),
        ),
    )


def build_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    survey: Survey,
    *,
    storage: BaseStorage | None = None,
    message_manager: MessageManagerProtocol | None = None,
    clock: Clock = utcnow,
    notifier: Notifier | None = None,
    metrics: Metrics | None = None,
) -> Dispatcher:
    # Dialog stacks live in memory, or in Redis when several workers share them (REDIS_URL);
    # what must survive a restart (answers, the position in the survey) is in the database,
    # so a lost stack only costs the resident one tap.
    if storage is None:
        storage, events_isolation = conversation_storage(settings)
    else:
        events_isolation = ChatLocks()
    notifier = notifier or Notifier(sessionmaker, survey, settings)
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation,
        settings=settings,
        sessionmaker=sessionmaker,
        survey=survey,
        clock=clock,
        notifier=notifier,
        delivery=notifier.delivery,
        # Where the day-before files are written; an erasure rewrites those holding the resident.
        export_dir=export_dir(settings),
        # After /sessions changes a session: its reminders follow (`build_scheduler`).
        sync_session=no_scheduler_here,
    )
    if metrics is not None:  # first, so it times everything the update goes through
        dp.update.outer_middleware(TelegramMetrics(metrics))
    dp.update.outer_middleware(AfterUpdateMiddleware())  # outside: runs after the commit
    dp.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    dp.update.outer_middleware(ResidentMiddleware(settings.default_locale))
    # Last: a group gets one polite line, in the language just found, and no handler runs.
    dp.update.outer_middleware(PrivateChatsOnly())
    dp.include_router(reachability.create_router())
    handlers.include_routers(dp)
    dp.message.outer_middleware(refuse_invisible_text)  # before the dialogs' own
    setup_dialogs(dp, message_manager=message_manager, events_isolation=events_isolation)
    return dp


def build_app(
    settings: Settings,
    *,
    survey: Survey | None = None,
    storage: BaseStorage | None = None,
    message_manager: MessageManagerProtocol | None = None,
    bot_session: BaseSession | None = None,
    clock: Clock = utcnow,
) -> App:
    """Every part, none started: nothing talks to Telegram or Zalo yet. Close with `close()`."""
    stack = contextlib.AsyncExitStack()
    core = core_parts(settings, survey, stack)
    sessionmaker, notifier, delivery = core["sessionmaker"], core["notifier"], core["delivery"]
    metrics = Metrics()
    dp = build_dispatcher(
        settings,
        sessionmaker,
        core["survey"],
        storage=storage,
        message_manager=message_manager,
        clock=clock,
        notifier=notifier,
        metrics=metrics,
    )
    stack.push_async_callback(dp.storage.close)
    bot = build_bot(settings, bot_session) if settings.token else None
    if bot is not None:
        stack.push_async_callback(bot.session.close)
        bot.session.middleware(commit_before_request)
        bot.session.middleware(retry_replies_after_429)  # inside: nothing is held while it waits
    notifier.bot = bot  # the engine's Telegram sender
    if settings.zalo_token:
        quiet_http_logs()  # Zalo's URLs carry the token
        # Its own client without retries: the engine retries, and pauses Zalo on a 429.
        client = ZaloClient(settings.zalo_token, settings.zalo_api_base, retries=0)
        delivery.add_sender(ZaloSender(client, owned=True))
    # Stopped before the bot it sends through closes (its senders close after, with the core).
    stack.push_async_callback(delivery.stop)
    # Closed before the delivery engine and the bot it edits messages through.
    progress = ProgressTracker(sessionmaker, settings, clock, bot)
    stack.push_async_callback(progress.close)
    dp[TRACKER] = progress
    # The engine tells it when deliveries of a broadcast were recorded, so the figures move.
    delivery.on_broadcast_progress = progress.poke
    return App(**core, dispatcher=dp, bot=bot, metrics=metrics, progress=progress)


@contextlib.asynccontextmanager
async def open_app(settings: Settings, **options) -> AsyncIterator[App]:
    """`python -m bot run`'s app: the start-up checks of every entry point (bot/startup.py
    `prepare`: translations, survey, database migrated, ADMIN_IDS applied), then every part;
    closed on leaving, whatever else was pushed on its stack meanwhile included."""
    survey = await startup.prepare(settings)
    app = build_app(settings, survey=survey, **options)
    async with app.stack:
        yield app


def build_scheduler(app: App, *, export_dir: Path | None = None) -> Scheduler:
    """The scheduler, given the four parts it uses; the /sessions wizard's changes reach it
    (`sync_session`), and it stops before the rest of the app closes. A bad REMINDER_OFFSETS,
    DIGEST_TIME or SESSION_MONTHS stops start-up here. Started by the worker that leads
    (bot/leader.py)."""
    scheduler = Scheduler(
        app.settings, app.sessionmaker, app.survey, app.delivery.wake, export_dir=export_dir
    )
    app.dispatcher["sync_session"] = scheduler.sync_session
    app.stack.push_async_callback(scheduler.stop)
    return scheduler


async def bootstrap_admins(app: Core, settings: Settings) -> None:
    """ADMIN_IDS are active admins from now on, exactly as every entry point's start-up makes
    them (`prepare`); for an app built without it (the tests)."""
    await startup.apply_admin_ids(app.sessionmaker, settings)
