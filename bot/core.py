"""The parts of the application below any channel: the settings, the survey, the database
(engine and sessionmaker), the delivery engine and the notifier. Built here for every entry
point (`python -m bot` and its subcommands, the consoles, the tests), and torn down by one
`AsyncExitStack` that each part registers its own closing on as it is made; bot/app.py puts
the Telegram parts, the scheduler and the web application on the same stack.

Kept apart from bot/app.py because it needs nothing of `handlers` or `scheduler`: the consoles
(bot/channels/) use it without depending on the Telegram layer (tests/test_import_layers.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import db as database
from bot.conversation.engine import TextConversation
from bot.delivery.engine import DeliveryEngine
from bot.delivery.senders import WebSender
from bot.notify import Notifier
from bot.settings import Settings
from bot.startup import prepare
from bot.survey.definition import Survey, load_survey


@dataclass(kw_only=True)
class Core:
    settings: Settings
    survey: Survey
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # Sends every outgoing message; `python -m bot run` runs it in the background. Elsewhere
    # (a console, a subcommand) what is queued waits in the outbox for the bot's process.
    delivery: DeliveryEngine
    # Tells staff of new questions and residents of answers, through the delivery engine: the
    # same on every channel and entry point.
    notifier: Notifier
    # Every part's closing, in the reverse order of building; `close()` runs them.
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def close(self) -> None:
        await self.stack.aclose()

    def text_conversation(self) -> TextConversation:
        """The numbered-text conversation of Zalo and the console, built alike for both: a
        question filed on either reaches staff through the same notifier."""
        return TextConversation(
            self.sessionmaker, self.survey, self.settings, on_question=self.notifier.question_filed
        )


def core_parts(settings: Settings, survey: Survey | None, stack: contextlib.AsyncExitStack) -> dict:
    """The core's parts, each one's closing pushed on `stack` as it is made (for `Core` and
    `App` alike)."""
    survey = survey or load_survey(settings.survey_file)
    engine = database.create_engine(settings.database_url)
    stack.push_async_callback(engine.dispose)  # last: everything above may still use it
    sessionmaker = database.create_sessionmaker(engine)
    delivery = DeliveryEngine(sessionmaker, settings)
    # The web chat is always served: what it is sent waits in the database for its page.
    delivery.add_sender(WebSender(sessionmaker))
    stack.push_async_callback(delivery.close)
    notifier = Notifier(sessionmaker, survey, settings, delivery=delivery)
    return dict(
        settings=settings,
        survey=survey,
        engine=engine,
        sessionmaker=sessionmaker,
        delivery=delivery,
        notifier=notifier,
        stack=stack,
    )


def build_core(settings: Settings, *, survey: Survey | None = None) -> Core:
    return Core(**core_parts(settings, survey, contextlib.AsyncExitStack()))


@contextlib.asynccontextmanager
async def open_core(settings: Settings) -> AsyncIterator[Core]:
    """What a command without a channel works with (export, paper-import, the consoles), after
    the start-up checks every entry point makes (bot/startup.py `prepare`: translations, survey
    file, database reachable and migrated, ADMIN_IDS applied); closed on leaving."""
    survey = await prepare(settings)
    core = build_core(settings, survey=survey)
    async with core.stack:
        yield core
