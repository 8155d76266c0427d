"""What every page of the web console and the web chat works with, kept on the aiohttp
application under `CONTEXT`: the same settings, survey, database, delivery engine and notifier
as the chat channels, so a page and its Telegram command go through the same services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.engine import DeliveryEngine
from bot.notify import Notifier
from bot.settings import Settings
from bot.survey.definition import Survey
from models import utcnow

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.core import Core


@dataclass(kw_only=True)
class WebContext:
    settings: Settings
    survey: Survey
    sessionmaker: async_sessionmaker[AsyncSession]
    delivery: DeliveryEngine
    notifier: Notifier
    # The resident web chat's numbered-text conversation (the same as Zalo's and the console's).
    conversation: TextConversation
    clock: Callable[[], datetime] = utcnow
    # Work that outlives a request (a large export, a broadcast's progress): by name, so a page
    # can show how far it got and the process can wait for it at shutdown.
    extras: dict[str, object] = field(default_factory=dict)
    # After a page changes a session: its reminders follow (the scheduler's `sync_session`, as
    # after /sessions on Telegram; a no-op where no scheduler runs).
    sync_session: Callable[[int], None] = lambda _session_id: None


CONTEXT = web.AppKey("doithoai_web_context", WebContext)


def web_context(core: Core, *, clock: Callable[[], datetime] = utcnow) -> WebContext:
    """The context of a core (or an App), for `build_web_app(..., console=...)`."""
    from bot.conversation.engine import TextConversation

    dispatcher = getattr(core, "dispatcher", None)

    def sync_session(session_id: int) -> None:
        # Looked up at each call: the scheduler is given to the dispatcher when it starts.
        if dispatcher is not None:
            dispatcher["sync_session"](session_id)

    return WebContext(
        settings=core.settings,
        survey=core.survey,
        sessionmaker=core.sessionmaker,
        delivery=core.delivery,
        notifier=core.notifier,
        conversation=TextConversation(
            core.sessionmaker,
            core.survey,
            core.settings,
            clock=clock,
            on_question=core.notifier.question_filed,
        ),
        clock=clock,
        sync_session=sync_session,
    )


def context_of(request: web.Request) -> WebContext:
    return request.app[CONTEXT]
