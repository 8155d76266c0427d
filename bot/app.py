"""The one app factory: production and tests wire the bot the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot import db as database
from bot.channels.zalo.client import ZaloClient, quiet_http_logs
from bot.delivery import reachability
from bot.delivery.engine import DeliveryEngine
from bot.delivery.senders import ZaloSender
from bot.metrics import Metrics, TelegramMetrics
from bot.notify import Notifier
from bot.settings import Settings
from bot.storage import ChatLocks, conversation_storage
from bot.survey.definition import Survey, load_survey
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
from scheduler import config

Clock = Callable[[], datetime]


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    survey: Survey
    dispatcher: Dispatcher
    bot: Bot | None
    notifier: Notifier
    # Sends every outgoing message; `python -m bot` runs it in the background (start/stop).
    delivery: DeliveryEngine
    metrics: Metrics  # served at /metrics; also tells /healthz when the last update came

    async def close(self) -> None:
        await self.delivery.close()
        if self.bot is not None:
            await self.bot.session.close()
        await self.dispatcher.storage.close()
        await self.engine.dispose()


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
        export_dir=config.export_dir(settings),
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
    survey = survey or load_survey(settings.survey_file)
    engine = database.create_engine(settings.database_url)
    sessionmaker = database.create_sessionmaker(engine)
    delivery = DeliveryEngine(sessionmaker, settings)
    metrics = Metrics()
    # Tells staff of new questions and residents of answers, through the delivery engine.
    notifier = Notifier(sessionmaker, survey, settings, delivery=delivery)
    dp = build_dispatcher(
        settings,
        sessionmaker,
        survey,
        storage=storage,
        message_manager=message_manager,
        clock=clock,
        notifier=notifier,
        metrics=metrics,
    )
    bot = build_bot(settings, bot_session) if settings.token else None
    if bot is not None:
        bot.session.middleware(commit_before_request)
        bot.session.middleware(retry_replies_after_429)  # inside: nothing is held while it waits
    notifier.bot = bot  # the engine's Telegram sender
    if settings.zalo_token:
        quiet_http_logs()  # Zalo's URLs carry the token
        # Its own client without retries: the engine retries, and pauses Zalo on a 429.
        client = ZaloClient(settings.zalo_token, settings.zalo_api_base, retries=0)
        delivery.add_sender(ZaloSender(client, owned=True))
    return App(settings, engine, sessionmaker, survey, dp, bot, notifier, delivery, metrics)
