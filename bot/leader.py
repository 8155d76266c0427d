"""Which worker runs the scheduler: exactly one at a time, taken over within seconds when it
dies.

On PostgreSQL the leader holds a session advisory lock on a connection of its own; if the
process dies, the server closes the connection and the lock is free at once, and the others,
trying every `retry` seconds, take it. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import db as database

log = logging.getLogger(__name__)

LOCK_KEY = 0x646F6974  # "doit": one number for this application's scheduler lock
RETRY_SECONDS = 2.0
CHECK_SECONDS = 5.0  # how often the leader checks that its connection (and so its lock) lives


class Leadership:
    """Runs `on_elected` when this worker becomes the leader and `on_deposed` if it loses the
    lock (its connection broke); `run()` until cancelled."""

    def __init__(
        self,
        url: str,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
        *,
        retry: float = RETRY_SECONDS,
        check: float = CHECK_SECONDS,
    ) -> None:
        self.url = url
        self.on_elected, self.on_deposed = on_elected, on_deposed
        self.retry, self.check = retry, check
        self.leading = False

    async def run(self) -> None:
        if database.is_sqlite(self.url):
            await self._lead_alone()
            return
        engine = database.create_engine(self.url, pool_size=1, max_overflow=0)
        try:
            while True:
                await self._term(engine)
                await asyncio.sleep(self.retry)
        finally:
            await engine.dispose()

    async def _lead_alone(self) -> None:
        self.leading = True
        await self.on_elected()
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            await self._step_down()

    async def _term(self, engine: AsyncEngine) -> None:
        """One attempt: take the lock, lead while the connection lives, then step down."""
        try:
            async with engine.connect() as connection:
                if not await _try_lock(connection):
                    return
                self.leading = True
                log.info("This worker leads the scheduler")
                await self.on_elected()
                # Lead while the connection, and so the lock, lives.
                while True:
                    await asyncio.sleep(self.check)
                    if not await _alive(connection):
                        break
        except (OSError, ConnectionError) as exc:
            log.warning("Scheduler lock connection lost: %s", type(exc).__name__)
        except Exception as exc:
            if not _is_disconnect(exc):
                raise
            log.warning("Scheduler lock connection lost: %s", type(exc).__name__)
        finally:
            await self._step_down()

    async def _step_down(self) -> None:
        if self.leading:
            self.leading = False
            with contextlib.suppress(Exception):
                await self.on_deposed()


async def _try_lock(connection: AsyncConnection) -> bool:
    result = await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
    await connection.commit()  # the lock is the session's, not the transaction's
    return bool(result.scalar())


async def _alive(connection: AsyncConnection) -> bool:
    try:
        await connection.execute(text("SELECT 1"))
        await connection.commit()
    except Exception:
        return False
    return True


def _is_disconnect(exc: Exception) -> bool:
    return bool(getattr(exc, "connection_invalidated", False))
