"""The delivery engine's last consent check, just before a reminder or announcement goes, made
for many messages at once.

At a few hundred messages a second, one query per message was most of the engine's database
work and queued behind claims and records (bench/delivery.py --consent: 2.4 statements per
delivery instead of 0.5, and less than half the rate). Here whoever asks while no check is
running runs one query for every delivery asked about until then; those who ask meanwhile wait
for the next one. Each answer is still read after its message asked, so a withdrawal committed
before a message's turn still stops it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import consent


class _Interrupted(Exception):
    """The task running the check was cancelled before it answered: ask again."""


class ConsentChecks:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._asked: list[tuple[int, asyncio.Future[bool]]] = []
        self._checking = False

    async def withdrawn(self, delivery_id: int) -> bool:
        """Was the consent this delivery needs withdrawn (or the row cancelled) by now?"""
        while True:
            try:
                return await self._ask(delivery_id)
            except _Interrupted:
                continue

    async def _ask(self, delivery_id: int) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._asked.append((delivery_id, future))
        if not self._checking:
            self._checking = True
            try:
                while self._asked:
                    batch, self._asked = self._asked, []
                    await self._check(batch)
            finally:
                self._checking = False
                for _id, waiting in self._asked:  # this task was cancelled: nobody checks them
                    waiting.set_exception(_Interrupted())
                self._asked = []
        return await future

    async def _check(self, batch: list[tuple[int, asyncio.Future[bool]]]) -> None:
        try:
            async with self.sessionmaker() as db:
                found = await consent.without_consent(
                    db, [delivery_id for delivery_id, _f in batch], or_cancelled=True
                )
        except BaseException as exc:  # each asker gets the error, or asks again
            failure = exc if isinstance(exc, Exception) else _Interrupted()
            for _id, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if failure is not exc:
                raise
            return
        for delivery_id, future in batch:
            if not future.done():
                future.set_result(delivery_id in found)
