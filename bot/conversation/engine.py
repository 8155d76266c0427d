"""The resident's journey as numbered text (Zalo, console): one inbound message in, the
replies out.

`TextConversation.handle` serialises a resident's messages, loads who they are and which
screen they are on, reads the words that work everywhere (help, menu, language, /dulieu, the
asides), hands the reply to the screen it answers, then shows the screen the resident is on
now. The screens themselves are in `bot.conversation.screens` (`registry.SCREENS` names them);
the rules they share with Telegram are in `bot.journey`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import i18n
from bot.conversation import asides, delegate_reply, parsing
from bot.conversation.errors import Retry
from bot.conversation.inbound import Inbound, Kind
from bot.conversation.language import detect_language
from bot.conversation.parsing import Keyword
from bot.conversation.screens import ask, home, mine, survey
from bot.conversation.screens.ask import Download, OnQuestion
from bot.conversation.screens.registry import SCREENS
from bot.conversation.turn import Clock, Turn
from bot.i18n import _
from bot.journey.checks import Invalid
from bot.journey.steps import Step
from bot.services import residents
from bot.services.questions import clean_text
from bot.services.survey import InvalidAnswer
from bot.settings import Settings
from bot.storage import RecentlyUsed
from bot.survey.definition import Survey
from models import utcnow
from models.conversations import claim_delivery, load_state, save_state

log = logging.getLogger(__name__)

__all__ = ["Clock", "Download", "OnQuestion", "TextConversation", "Turn"]


class TextConversation:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        survey: Survey,
        settings: Settings,
        clock: Clock = utcnow,
        download: Download | None = None,
        on_question: OnQuestion | None = None,
    ) -> None:
        self.download = download
        self.on_question = on_question
        self.sessionmaker = sessionmaker
        self.survey = survey
        self.settings = settings
        self.clock = clock
        # Before consent nothing is stored: the notice step lives in memory only, for the most
        # recent first contacts (one who comes back after many others sees the notice again).
        self._pending: RecentlyUsed[tuple[str, str], dict[str, Any]] = RecentlyUsed()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def handle(self, inbound: Inbound) -> list[str]:
        key = (inbound.channel, inbound.user_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        # One message at a time per resident, whatever the driver does.
        after: list[Callable[[], Awaitable[None]]] = []
        async with lock:
            # Network first, with no database connection held: SQLite has only one.
            image = await ask.fetch_image(self, inbound)
            async with self.sessionmaker() as db:
                replies = await self._handle(db, inbound, after, image)
                await db.commit()
        if not lock.locked():
            self._locks.pop(key, None)
        for job in after:  # outside the resident's lock: these may wait on other services
            try:
                await job()
            except Exception as exc:  # what is stored stays stored; the resident gets replies
                log.warning("After-commit job failed: %s", type(exc).__name__)
        return replies

    async def reopen(self, inbound: Inbound, hall: int | None = None) -> list[str]:
        """The screen the resident is on, shown again without reading a message: a web chat
        page opened anew. Someone not yet stored gets the notice, as their first message would;
        their next reply answers it. `hall`: a live conference session the page was opened for
        (the hall's poster): the question form opens bound to it (consent first for someone
        new; the binding waits in the question's draft, as on Telegram)."""
        key = (inbound.channel, inbound.user_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock, self.sessionmaker() as db:
            turn = await self._load(db, inbound)
            with i18n.use_locale(turn.locale):
                if hall is not None:
                    turn.state.setdefault("ask", {})["hall"] = hall
                    if turn.resident is None:
                        turn.go(Step.NOTICE)
                    else:
                        await home.open_entry(self, turn, "ask")
                elif turn.state.get("screen") is None:
                    if turn.resident is None:
                        turn.go(Step.NOTICE)
                    else:
                        await home.land(self, turn)
                await self._show(turn)
            await self._store(turn)
            await db.commit()
        if not lock.locked():
            self._locks.pop(key, None)
        return turn.replies

    # --- before consent: kept in memory only ----------------------------------------------

    def forget_first_contact(self, inbound: Inbound) -> None:
        """The resident is stored now: their notice step leaves memory."""
        self._pending.pop((inbound.channel, inbound.user_id), None)

    def start_afresh(self, inbound: Inbound, locale: str) -> None:
        """Everything about the resident was erased: their next message gets the notice."""
        self._pending[(inbound.channel, inbound.user_id)] = {"locale": locale}

    # --- one message ---------------------------------------------------------------------

    async def _handle(
        self,
        db: AsyncSession,
        inbound: Inbound,
        after: list[Callable[[], Awaitable[None]]] | None = None,
        image: bytes | None = None,
    ) -> list[str]:
        if inbound.message_id and not await claim_delivery(db, inbound.channel, inbound.message_id):
            return []  # the platform delivered this message before
        turn = await self._load(db, inbound)
        turn.image = image
        if after is not None:
            turn.after_commit = after
        with i18n.use_locale(turn.locale):
            if inbound.is_group:
                return [_("Please write to the bot in a private chat.")]
            await self._respond(turn)
            if turn.screen not in asides.ANSWER_SCREENS:
                turn.state.pop(asides.BACK_TO, None)  # the resident went on from there
            await self._show(turn)
        await self._store(turn)
        return turn.replies

    async def _load(self, db: AsyncSession, inbound: Inbound) -> Turn:
        resident = await residents.find(db, inbound.channel, inbound.user_id)
        account_id = None
        if resident is not None:
            stored = await load_state(db, inbound.channel, inbound.user_id)
            account_id, state = (stored[0], dict(stored[1])) if stored else (None, {})
            locale = resident.locale
        else:
            state = self._pending.setdefault((inbound.channel, inbound.user_id), {})
            locale = state.get("locale") or self._first_language(inbound)
            state["locale"] = locale
        return Turn(db, inbound, state, resident, locale, self.clock(), account_id=account_id)

    def _first_language(self, inbound: Inbound) -> str:
        """Zalo says nothing about a user's language: read it from their first words."""
        detected = detect_language(inbound.text) if inbound.text else None
        return detected or self.settings.default_locale

    async def _store(self, turn: Turn) -> None:
        if turn.resident is None:  # never stored, or erased during this turn: nothing is kept
            return
        if turn.account_id is None:  # the account was created during this turn (consent)
            turn.account_id = await residents.account_id(
                turn.db, turn.inbound.channel, turn.inbound.user_id
            )
        await save_state(turn.db, turn.account_id, turn.state)

    async def _respond(self, turn: Turn) -> None:
        inbound = turn.inbound
        if turn.state.get("screen") is None:
            if turn.resident is None:
                turn.go(Step.NOTICE)  # a first message, whatever it says, is answered by the notice
                return
            await home.land(self, turn)  # known, with no conversation kept: read from the menu
            if turn.screen == Step.NOTICE:
                return
        if await ask.take_image(turn):
            return
        if inbound.kind is not Kind.TEXT or not clean_text(inbound.text):
            turn.replies.append(_("Please type your answer as a text message."))
            return
        text = inbound.text or ""
        word = parsing.keyword(text)
        if await self._global(turn, text, word):
            return
        try:
            await self.on_screen(turn, text, word)
        except Retry as hint:
            turn.replies.append(str(hint))
        except (InvalidAnswer, Invalid) as problem:
            turn.replies.append(str(problem))

    async def on_screen(self, turn: Turn, text: str, word: Keyword | None) -> None:
        """The reply, read against the screen the resident is on."""
        screen = SCREENS.get(turn.screen)
        if screen is None or screen.on_reply is None:
            await home.land(self, turn)
            return
        await screen.on_reply(self, turn, text, word)

    async def _global(self, turn: Turn, text: str, word: Keyword | None) -> bool:
        """Words that work on every screen once the notice was answered."""
        if word is Keyword.HELP:
            turn.replies.append(self._help())
            return True
        if word is Keyword.LANGUAGE:
            await home.switch_language(turn)
            return True
        if turn.resident is None:
            return False  # before consent only the notice's own answers count
        if word is Keyword.START:
            await home.land(self, turn, resume=True)
            return True
        if word is Keyword.RESTART:
            await survey.start_over(self, turn)
            return True
        if word is Keyword.MENU or (word is Keyword.CANCEL and turn.screen != Step.MENU):
            turn.go(Step.MENU)
            return True
        if word is Keyword.DATA:
            turn.go(Step.DATA)
            return True
        coming = delegate_reply.reply_word(text)
        if coming is not None and await delegate_reply.record(turn, coming):
            return True
        number = ask.support_number(text)
        if number is not None:
            await ask.support_in_hall(turn, number)
            return True
        aside = asides.read(text)
        if aside is asides.Aside.VIEW_ANSWER:
            await mine.view_answer(self, turn)
        elif aside is asides.Aside.ASK:
            await home.open_entry(self, turn, "ask")
        elif aside is asides.Aside.RATE:
            await home.rate_now(self, turn)
        return aside is not None

    async def _show(self, turn: Turn) -> None:
        turn.replies.append(await SCREENS[turn.screen].show(self, turn))

    def _help(self) -> str:
        return _(
            "This bot collects your rating of the ward's administrative procedures for the "
            "dialogue conference. Reply with the number of your choice. Words that always "
            "work: menu, quay lại (back), giúp (help), dulieu (your data), English / Tiếng "
            "Việt (language). Complaints and denunciations are not handled here: please go to "
            "the ward's citizen reception."
        )
