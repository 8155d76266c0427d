"""One ticker per projected session, shared by every projector stream of this process.

While at least one stream of a session is open, its ticker reads the board
(`bot.services.conference.board`) and the session's link digest every `interval` seconds,
renders the board once, and wakes the streams only when the rendered board changed. A stream
opened with a token that is no longer the session's (revoked, or replaced by a new link) is
told to close at the next tick; so is every stream when the server shuts down. With several
workers each runs its own tickers on the shared database, so a question filed through any
worker shows on every projector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import conference, projector
from bot.services.conference import Board

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between two reads of a projected board


class Closed(Exception):
    """The stream must end: its link was revoked or replaced, or the server is stopping."""


@dataclass
class _Channel:
    session_id: int
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    frame: str | None = None
    version: int = 0
    digest: str | None = None
    read: bool = False  # the digest has been read at least once
    closed: bool = False
    streams: int = 0
    task: asyncio.Task[None] | None = None


class Subscription:
    def __init__(self, channel: _Channel, digest: str) -> None:
        self._channel, self._digest, self._seen = channel, digest, 0

    def _ended(self) -> bool:
        ch = self._channel
        return ch.closed or (ch.read and ch.digest != self._digest)

    async def next(self, timeout: float) -> str | None:
        """The board when it differs from the last one given (the first: as soon as it is
        read); None when nothing changed within `timeout`; `Closed` when the stream must end."""
        ch = self._channel
        async with ch.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    ch.changed.wait_for(lambda: self._ended() or ch.version != self._seen),
                    timeout,
                )
            if self._ended():
                raise Closed
            if ch.version == self._seen:
                return None
            self._seen = ch.version
            return ch.frame


class ProjectorFeed:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        render: Callable[[Board], str],
        *,
        interval: float = INTERVAL,
    ) -> None:
        self.sessionmaker, self.render, self.interval = sessionmaker, render, interval
        self._channels: dict[int, _Channel] = {}
        self._closed = False

    @contextlib.asynccontextmanager
    async def subscribe(self, session_id: int, digest: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise Closed
        ch = self._channels.get(session_id)
        if ch is None:
            ch = self._channels[session_id] = _Channel(session_id)
            ch.task = asyncio.create_task(self._tick(ch))
        ch.streams += 1
        try:
            yield Subscription(ch, digest)
        finally:
            ch.streams -= 1
            if ch.streams == 0 and self._channels.get(session_id) is ch:
                del self._channels[session_id]
                if ch.task is not None:
                    ch.task.cancel()

    async def _tick(self, ch: _Channel) -> None:
        while True:
            try:
                async with self.sessionmaker() as db:
                    digest = await projector.digest_of(db, ch.session_id)
                    frame = self.render(await conference.board(db, ch.session_id))
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: the streams keep the last board
                log.exception("Projector board of session %s not read", ch.session_id)
            else:
                async with ch.changed:
                    ch.digest, ch.read = digest, True
                    if frame != ch.frame:
                        ch.frame, ch.version = frame, ch.version + 1
                    ch.changed.notify_all()
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        """Every stream ends (the server is stopping)."""
        self._closed = True
        channels = list(self._channels.values())
        for ch in channels:
            if ch.task is not None:
                ch.task.cancel()
            async with ch.changed:
                ch.closed = True
                ch.changed.notify_all()
