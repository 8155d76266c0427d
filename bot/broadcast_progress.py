"""The progress message of an announcement being sent (/broadcast): one task per announcement
edits the admin's message as its deliveries go out, with a Stop button, until the summary.
Built by bot/app.py with what it uses (the database, the settings, the clock and the bot);
the /broadcast wizard (handlers/broadcasts.py) starts it, `python -m bot run` resumes it at
start-up and closes it at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import _, use_locale
from bot.services import broadcasts
from bot.services.broadcasts import Figures
from bot.settings import Settings
from models import Broadcast, BroadcastStatus

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

EDIT_INTERVAL = 3.0  # seconds between two edits of a progress message, at least
# How often each worker looks for announcements nobody follows any more (the worker that did
# died) whose deliveries are all settled, to finish them and show their summary.
SWEEP_INTERVAL = 20.0


class StopCb(CallbackData, prefix="bs"):
    """Stop sending broadcast b."""

    b: int


# --- texts of the progress message (the wizard shows some too) ----------------------------


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    if seconds < 3600:
        return _("{minutes} min {seconds} s").format(minutes=seconds // 60, seconds=seconds % 60)
    return _("{hours} h {minutes} min").format(hours=seconds // 3600, minutes=seconds // 60 % 60)


def channel_counts(telegram: int, zalo: int, web: int = 0) -> str:
    if web:
        return _("{total} residents (Telegram {telegram}, Zalo {zalo}, web chat {web})").format(
            total=telegram + zalo + web, telegram=telegram, zalo=zalo, web=web
        )
    return _("{total} residents (Telegram {telegram}, Zalo {zalo})").format(
        total=telegram + zalo, telegram=telegram, zalo=zalo
    )


def progress_text(figures: Figures, settings: Settings) -> str:
    telegram = sum(figures.counts.get("telegram", {}).values())
    zalo = sum(figures.counts.get("zalo", {}).values())
    web = sum(figures.counts.get("web", {}).values())
    return "\n".join(
        (
            _("📤 Sending the announcement to {audience}.").format(
                audience=channel_counts(telegram, zalo, web)
            ),
            _("Sent {sent} · failed {failed} · remaining {remaining} · about {eta} left").format(
                sent=figures.sent,
                failed=figures.failed + figures.unreachable,
                remaining=figures.pending,
                eta=duration_text(figures.seconds_left(settings)),
            ),
        )
    )


def summary_text(broadcast: Broadcast, figures: Figures) -> str:
    took = duration_text(
        (broadcast.finished_at - broadcast.started_at).total_seconds()
        if broadcast.finished_at and broadcast.started_at
        else 0
    )
    if broadcast.status == BroadcastStatus.CANCELLED:
        first = _("⏹ Sending was stopped after {duration}.").format(duration=took)
    else:
        first = _("✅ The announcement was sent in {duration}.").format(duration=took)
    figures_line = _(
        "Delivered {sent} · failed {failed} · unreachable {unreachable} (blocked the bot or "
        "left the chat)"
    ).format(sent=figures.sent, failed=figures.failed, unreachable=figures.unreachable)
    if figures.cancelled:
        figures_line += " · " + _("not sent {cancelled}").format(cancelled=figures.cancelled)
    return f"{first}\n{figures_line}"


def stop_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("⏹ Stop sending"), callback_data=StopCb(b=broadcast_id).pack()
                )
            ]
        ]
    )


# --- the task -----------------------------------------------------------------------------------


class ProgressTracker:
    """One task per announcement being sent: it reads the delivery figures, edits the admin's
    progress message when they change (never faster than `interval`), and once nothing is
    pending marks the broadcast done and shows the summary. A restart loses the tasks, not
    the progress: `resume` starts them again for what is still unfinished.

    The task lives in the worker that sent the announcement (or was started after it). If
    that worker dies and is not restarted, the others' sweeps (every `sweep_interval`) finish
    the announcement once its deliveries are settled: whichever worker finishes it first
    shows the summary, exactly once."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        bot: Bot | None,
        interval: float = EDIT_INTERVAL,
        sweep_interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bot = bot  # None without a Telegram token: the figures move, nothing is edited
        self.settings = settings
        self.clock = clock
        self.interval = interval
        self.sweep_interval = sweep_interval
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.pokes: dict[int, asyncio.Event] = {}
        self._sweeping: asyncio.Task[None] | None = None

    def start(self, broadcast_id: int) -> None:
        """Follow the broadcast; if it is followed already, look again now."""
        task = self.tasks.get(broadcast_id)
        if task is not None and not task.done():
            self.poke(broadcast_id)
            return
        self.pokes[broadcast_id] = asyncio.Event()
        self.tasks[broadcast_id] = asyncio.create_task(
            self._follow(broadcast_id), name=f"broadcast-progress-{broadcast_id}"
        )

    def poke(self, broadcast_id: int) -> None:
        """Something changed (e.g. it was stopped): look now rather than at the next tick."""
        if broadcast_id in self.pokes:
            self.pokes[broadcast_id].set()

    async def wait(self, broadcast_id: int) -> None:
        """Until the summary is shown (tests, shutdown)."""
        task = self.tasks.get(broadcast_id)
        if task is not None:
            await task

    async def resume(self) -> int:
        """At start-up: follow again every announcement still being sent (or stopped just
        before the restart), so its progress message reaches the summary, and from then on
        sweep up those another worker followed and died with. Returns how many are followed."""
        async with self.sessionmaker() as db:
            found = await broadcasts.unfinished(db)
        for broadcast in found:
            self.start(broadcast.id)
        self.start_sweeping()
        return len(found)

    async def sweep(self) -> list[int]:
        """Follow, to their summary, the unfinished announcements whose deliveries are all
        settled and that no task here follows; their ids."""
        async with self.sessionmaker() as db:
            found = [b.id for b in await broadcasts.unfinished(db)]
            settled = []
            for broadcast_id in found:
                task = self.tasks.get(broadcast_id)
                if task is not None and not task.done():
                    continue
                if not (await broadcasts.figures(db, broadcast_id)).pending:
                    settled.append(broadcast_id)
        for broadcast_id in settled:
            self.start(broadcast_id)
        return settled

    def start_sweeping(self) -> None:
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = asyncio.create_task(self._sweep_forever(), name="broadcast-sweep")

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except Exception as exc:  # the database went away a moment: the next sweep
                log.warning("Announcements not swept: %s", type(exc).__name__)

    async def close(self) -> None:
        """At shutdown: the tasks end (they resume at the next start)."""
        tasks = list(self.tasks.values())
        if self._sweeping is not None:
            tasks.append(self._sweeping)
            self._sweeping = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()

    async def _follow(self, broadcast_id: int) -> None:
        shown: str | None = None
        last_edit: float | None = None
        loop = asyncio.get_running_loop()
        poke = self.pokes[broadcast_id]
        try:
            while True:
                if last_edit is not None:  # Telegram frowns on rapid edits of one message
                    await asyncio.sleep(max(0.0, last_edit + self.interval - loop.time()))
                try:
                    finished, text, markup = await self._look(broadcast_id)
                    if text is not None and text != shown:
                        await self._edit(broadcast_id, text, markup)
                        shown, last_edit = text, loop.time()
                    if finished:
                        return
                except Exception:  # the database went away a moment: try again later
                    log.exception("Progress of broadcast %s not followed", broadcast_id)
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can drop a
                # cancellation that comes as the poke does, and close() would wait forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(self.interval, 0.01)):
                        await poke.wait()
                poke.clear()
        finally:
            if self.pokes.get(broadcast_id) is poke:
                del self.pokes[broadcast_id]

    async def _look(self, broadcast_id: int) -> tuple[bool, str | None, Any]:
        """(finished, the message's text, its buttons) as the figures are now."""
        with use_locale(self.settings.default_locale):
            async with self.sessionmaker() as db:
                figures = await broadcasts.figures(db, broadcast_id)
                if figures.pending:
                    return False, progress_text(figures, self.settings), stop_markup(broadcast_id)
            async with self.sessionmaker() as db, db.begin():
                finished = await broadcasts.finish(db, broadcast_id, now=self.clock())
            if finished is None:  # a delivery came back to pending (a retry): go on
                return False, None, None
            if not finished.now:  # another worker finished it and shows the summary
                return True, None, None
            return True, summary_text(finished.broadcast, figures), None

    async def _edit(self, broadcast_id: int, text: str, markup: Any) -> None:
        async with self.sessionmaker() as db:
            broadcast = await db.get(Broadcast, broadcast_id)
        bot = self.bot
        if bot is None or broadcast is None or broadcast.progress_message_id is None:
            return
        if markup is not None and broadcast.finished_at is not None:
            return  # finished meanwhile, elsewhere: its summary stays
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=markup,
            )
        except TelegramBadRequest as exc:  # e.g. "message is not modified", or deleted
            log.info("Progress message of broadcast %s not edited: %s", broadcast_id, exc.message)
        except TelegramAPIError as exc:
            log.warning("Progress message of broadcast %s not edited: %s", broadcast_id, exc)
