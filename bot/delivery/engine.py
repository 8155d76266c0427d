"""The delivery engine: the one place that sends outgoing messages (reminders, announcements,
answers to residents, staff notices) on every channel, within each channel's limits, and
survives restarts.

Every message is a `deliveries` row (bot/delivery/outbox.py puts them there). The engine
claims due pending rows for a while (`claimed_until`, a lease; on PostgreSQL with `FOR UPDATE
SKIP LOCKED`, so two worker processes never take the same row), sends them through the
channel's limiter (bot/delivery/limits.py) and sender (bot/delivery/senders.py), and records
each outcome: sent (with `sent_at`), pending again after a 5xx or network error (exponential
backoff, `delivery_attempts` tries in all), failed (with `last_error`, never the text) or
unreachable (403: the account is marked and nothing more is sent there until the resident
writes again).

Restarts: a row is marked sent right after the API accepted it (results are committed in
small groups, so the window is one commit). A message a killed process had sent but not yet
recorded (its requests in flight, its last group) is sent again after the restart, or by
another worker once the claim ends; nothing else is lost or doubled. Stopping the engine (task
cancellation) finishes the requests in flight, records them and releases the other claims,
so a clean restart resumes exactly where it stopped; it takes a few seconds at most (STOP_GRACE),
whatever the engine was waiting on: what could not be finished in time waits for its claim to
end, as after a kill. Claims of a killed process expire after
their lease (DELIVERY_LEASE, a minute and a half by default), then the rows are sent by whoever
runs.

A part is only sent while its claim has `guard` seconds left (LEASE_GUARD, or half a shorter
lease), checked once the limits let it go, and its request is cut off a third of the guard
before the claim ends, leaving that to record it: so a row is never sent by two live workers,
whatever the lease, the limits' pauses or the network do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.consent_checks import ConsentChecks
from bot.delivery.limits import ChannelLimiter
from bot.delivery.senders import Outcome, Sender, SendFailed
from bot.services import consent
from bot.settings import Settings
from models import Account, Delivery, DeliveryStatus, Resident, utcnow
from models.conversations import load_state, save_state

log = logging.getLogger(__name__)

SENT_PARTS = "sent_parts"  # payload: parts already accepted when a later one failed
RELEASE = "release"  # a result that gives the row back, untouched, to be claimed again
UNREACHABLE_ERROR = "account unreachable"  # last_error of a row not tried for that reason
DEFAULT_RETRY_AFTER = 5.0  # seconds, for a 429 that does not say (Zalo)
MAX_BACKOFF = 900.0  # seconds between two tries of one delivery, at most
# Seconds a claim must still have when a part is sent, with the default lease (half a shorter
# one). The request is cut off a third of this before the claim ends: by default it has 30 s at
# least, as long as the Zalo client's read timeout and longer than aiogram's 20 s.
LEASE_GUARD = 45.0
# Stopping: the requests in flight get this long (in all) to be answered and recorded; then they
# are cut off (their rows wait for the claim to end), so a stop never waits on a slow API or a
# stuck database much longer than this.
STOP_GRACE = 5.0
# A sending slot older than this when the consent check returns is taken again (seconds).
STALE_SLOT = 0.02
CUT_OFF_WAIT = 1.0  # seconds for what was cut off to let go, and for the claims' release

DELIVERIES = Delivery.__table__
ACCOUNTS = Account.__table__


@dataclass
class Claim:
    id: int
    key: str
    channel: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int
    broadcast_id: int | None
    resident_id: str | None
    lease: datetime
    locale: str


@dataclass
class Result:
    claim: Claim
    status: str  # a DeliveryStatus, or RELEASE
    attempts: int  # the row's attempts after this try
    error: str | None = None
    retry_at: datetime | None = None
    parts_done: int = 0


class DeliveryEngine:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_interval: float = 5.0,
        retry_delay: float = 15.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock  # wall-clock UTC: due times and leases are shared with other workers
        self.poll_interval = poll_interval  # when nobody calls wake()
        self.retry_delay = retry_delay  # first backoff after a 5xx; doubles each time
        self.lease = settings.delivery_lease  # seconds a claim lasts, plus the batch's sending
        self.guard = min(LEASE_GUARD, self.lease / 2)  # a part is sent while this much is left
        self.max_attempts = settings.delivery_attempts
        self.senders: dict[str, Sender] = {}
        self.limits: dict[str, ChannelLimiter] = {}
        # Per channel: sent, failed, unreachable, retried, rate_limited (429s).
        self.stats: dict[str, Counter[str]] = defaultdict(Counter)
        # Called with a broadcast id when some of its deliveries were recorded (e.g. to poke
        # the admin's progress message); the counts are in outbox.progress.
        self.on_broadcast_progress: Callable[[int], Any] | None = None
        bind = sessionmaker.kw.get("bind")
        self._postgres = bind is not None and bind.dialect.name == "postgresql"
        self._task: asyncio.Task[None] | None = None
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._inflight: Counter[str] = Counter()  # claimed rows not yet recorded, per channel
        self._claimed: dict[int, Claim] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # one per chat with rows in flight
        self._by_key: dict[str, asyncio.Task[None]] = {}
        self._waiting: set[asyncio.Task[Any]] = set()  # tasks waiting for a slot, not sending
        self._stopping = False
        self._running = False
        self._results: list[tuple[Result, asyncio.Future[None]]] = []
        self._writing = False
        self._retired: list[Sender] = []
        self._consent_checks = ConsentChecks(sessionmaker)

    # --- wiring -------------------------------------------------------------------------------

    def add_sender(self, sender: Sender) -> None:
        replaced = self.senders.get(sender.channel)
        if replaced is not None and replaced is not sender:
            self._retired.append(replaced)  # closed with the engine
        self.senders[sender.channel] = sender
        if sender.channel not in self.limits:
            rate = {"zalo": self.settings.zalo_rate}.get(
                sender.channel, self.settings.telegram_rate
            )
            # The rate is the bot's; each of the processes sharing it takes its part.
            self.limits[sender.channel] = ChannelLimiter(
                rate / self.settings.workers, self.settings.per_chat_interval
            )
        if self.running:
            self._start_loop(sender.channel)

    def remove_sender(self, channel: str) -> None:
        removed = self.senders.pop(channel, None)
        if removed is not None:
            self._retired.append(removed)

    @property
    def running(self) -> bool:
        return self._running

    def wake(self) -> None:
        """New deliveries were added: look now rather than at the next poll."""
        for event in self._changed.values():
            event.set()

    # --- running in the background --------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="delivery-engine")
        assert self._task is not None
        return self._task

    async def stop(self) -> None:
        """Finish the messages in flight, record them, release the other claims."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        await self.stop()
        for sender in [*self.senders.values(), *self._retired]:
            await sender.close()
        self._retired.clear()

    async def run(self) -> None:
        """Send due deliveries until cancelled; cancelling is a clean stop."""
        self._stopping, self._running = False, True
        for channel in list(self.senders):
            self._start_loop(channel)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await self._shutdown()
            raise
        finally:
            self._running = False

    def _start_loop(self, channel: str) -> None:
        loop = self._loops.get(channel)
        if loop is None or loop.done():
            self._loops[channel] = asyncio.create_task(
                self._channel_loop(channel), name=f"delivery-{channel}"
            )

    async def _channel_loop(self, channel: str) -> None:
        changed = self._changed[channel]
        while channel in self.senders and self._running and not self._stopping:
            try:
                changed.clear()
                batch = self._batch(channel)
                # Claim again when half the batch is out, so the pace never waits on the DB.
                if self._inflight[channel] <= batch // 2:
                    claims = await self._claim(channel, batch - self._inflight[channel])
                    if claims:
                        self._spawn(claims)
                        continue
                timeout = self.poll_interval
                if self._inflight[channel] == 0:
                    timeout = await self._until_due(channel)
                # Not asyncio.wait_for: on Python 3.11 it drops a cancellation that arrives
                # as the event is set, and the engine would not stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await changed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away a moment: try again later
                log.warning("Delivery loop (%s) failed: %s", channel, type(exc).__name__)
                await asyncio.sleep(self.poll_interval)

    async def _shutdown(self) -> None:
        self._stopping = True
        deadline = asyncio.get_running_loop().time() + STOP_GRACE

        def left() -> float:
            return max(0.0, deadline - asyncio.get_running_loop().time())

        try:
            loops = list(self._loops.values())
            for loop in loops:
                loop.cancel()
            if loops:
                await asyncio.wait(loops, timeout=left())
            self._loops.clear()
            for task in list(self._waiting):  # not sending yet: nothing to finish
                task.cancel()
            if self._tasks:  # requests in flight: answered and recorded, or cut off
                _done, late = await asyncio.wait(set(self._tasks), timeout=left())
                for task in late:
                    task.cancel()
                if late:
                    log.warning("Delivery stop: the messages to %d chats were cut off", len(late))
                    await asyncio.wait(late, timeout=CUT_OFF_WAIT)
            try:
                async with asyncio.timeout(max(left(), CUT_OFF_WAIT)):
                    await self._release(list(self._claimed.values()))
            except Exception as exc:  # their claims end by themselves
                log.warning("Delivery claims not released: %s", type(exc).__name__)
        finally:
            self._stopping = False

    # --- sending now: tests, the notifier ---------------------------------------------------------

    async def drain(self) -> None:
        """Send everything due now on this process's channels (and what is in flight), then
        return. Retries scheduled for later stay pending."""
        while True:
            claims: list[Claim] = []
            for channel in list(self.senders):
                claims += await self._claim(channel, self._batch(channel))
            self._spawn(claims)
            if not self._tasks:
                return
            await asyncio.wait(set(self._tasks))

    async def send_now(self, keys: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """Send these deliveries at once (within the limits) and return {key: (status,
        last_error)}; a row another worker holds is left to it (still pending here)."""
        keys = list(keys)
        claims = await self._claim(None, len(keys), keys=keys)
        self._spawn(claims)
        mine = {self._by_key[k] for k in keys if k in self._by_key}
        if mine:
            await asyncio.wait(mine)
        async with self.sessionmaker() as db:
            rows = await db.execute(
                select(Delivery.key, Delivery.status, Delivery.last_error).where(
                    Delivery.key.in_(keys)
                )
            )
            return {key: (status, error) for key, status, error in rows}

    # --- claiming -------------------------------------------------------------------------------

    def _batch(self, channel: str) -> int:
        """About two seconds of sending."""
        return max(10, min(1000, math.ceil(2 * self.limits[channel].configured_rate)))

    async def _claim(
        self, channel: str | None, limit: int, *, keys: list[str] | None = None
    ) -> list[Claim]:
        if limit <= 0 or not self.senders:
            return []
        now = self.clock()
        rate = self.limits[channel].rate if channel else 1.0
        lease = now + timedelta(seconds=self.lease + limit / rate)
        free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
        due = select(Delivery.id).where(Delivery.status == DeliveryStatus.PENDING, free)
        if keys is not None:
            due = due.where(Delivery.key.in_(keys), Delivery.channel.in_(list(self.senders)))
        else:
            due = (
                due.where(Delivery.channel == channel, Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
            )
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=lease)
            .returning(
                DELIVERIES.c.id,
                DELIVERIES.c.key,
                DELIVERIES.c.channel,
                DELIVERIES.c.chat_id,
                DELIVERIES.c.payload,
                DELIVERIES.c.attempts,
                DELIVERIES.c.broadcast_id,
                DELIVERIES.c.resident_id,
            )
        )
        async with self.sessionmaker() as db, db.begin():
            rows = (await db.execute(stmt)).all()
            if not rows:
                return []
            claims = [
                Claim(*row, lease=lease, locale=self.settings.default_locale)
                for row in sorted(rows, key=lambda r: r.id)
            ]
            claims = await self._skip_unreachable(db, claims)
            claims = await self._skip_withdrawn(db, claims)
            await self._resident_locales(db, claims)
        for claim in claims:
            self._claimed[claim.id] = claim
        return claims

    async def _skip_unreachable(self, db: AsyncSession, claims: list[Claim]) -> list[Claim]:
        """Rows for accounts already known to be unreachable are recorded so, unsent."""
        stmt = select(Account.channel, Account.external_id).where(
            Account.channel.in_({c.channel for c in claims}),
            Account.external_id.in_({c.chat_id for c in claims}),
            Account.unreachable_at.is_not(None),
        )
        gone = {(channel, chat) for channel, chat in await db.execute(stmt)}
        if not gone:
            return claims
        skipped = [c for c in claims if (c.channel, c.chat_id) in gone]
        await db.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_([c.id for c in skipped]))
            .values(
                status=DeliveryStatus.UNREACHABLE,
                claimed_until=None,
                last_error=UNREACHABLE_ERROR,
            )
        )
        for claim in skipped:
            self.stats[claim.channel]["unreachable"] += 1
        return [c for c in claims if (c.channel, c.chat_id) not in gone]

    async def _skip_withdrawn(self, db: AsyncSession, claims: list[Claim]) -> list[Claim]:
        """Reminders and announcements to a resident who withdrew that consent (perhaps while
        their round was being created) are cancelled, unsent."""
        ids = [c.id for c in claims if self._needs_consent(c)]
        withdrawn = await consent.without_consent(db, ids)
        if not withdrawn:
            return claims
        await db.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(withdrawn))
            .values(
                status=DeliveryStatus.CANCELLED,
                claimed_until=None,
                last_error=consent.WITHDRAWN_ERROR,
            )
        )
        return [c for c in claims if c.id not in withdrawn]

    @staticmethod
    def _needs_consent(claim: Claim) -> bool:
        return claim.resident_id is not None and claim.broadcast_id is not None

    async def _withdrawn(self, claim: Claim) -> bool:
        """Just before a resident's reminder or announcement goes: was the consent withdrawn
        (or the row cancelled) since it was claimed? Checked together with the other messages
        due at that moment: one query for all of them."""
        if not self._needs_consent(claim):
            return False
        return await self._consent_checks.withdrawn(claim.id)

    async def _resident_locales(self, db: AsyncSession, claims: list[Claim]) -> None:
        """A text channel writes its own line for a file it cannot send: in whose language."""
        wanted = {
            c.resident_id
            for c in claims
            if c.resident_id and c.payload.get("media") and self._text_channel(c.channel)
        }
        if not wanted:
            return
        stmt = select(Resident.id, Resident.locale).where(Resident.id.in_(wanted))
        locales = dict((await db.execute(stmt)).all())
        for claim in claims:
            claim.locale = locales.get(claim.resident_id, claim.locale)

    def _text_channel(self, channel: str) -> bool:
        sender = self.senders.get(channel)
        return bool(sender and sender.text_channel)

    async def _until_due(self, channel: str) -> float:
        """Seconds until a pending row of this channel may be claimed, at most a poll."""
        now = self.clock()
        base = select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == DeliveryStatus.PENDING, Delivery.channel == channel
        )
        async with self.sessionmaker() as db:
            due = await db.scalar(
                base.where(or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now))
            )
            lease_end = await db.scalar(
                select(func.min(Delivery.claimed_until)).where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.channel == channel,
                    Delivery.claimed_until >= now,
                )
            )
        times = [t for t in (due, lease_end) if t is not None]
        if not times:
            return self.poll_interval
        return min(self.poll_interval, max(0.05, (min(times) - now).total_seconds()))

    # --- sending --------------------------------------------------------------------------------

    def _spawn(self, claims: list[Claim]) -> None:
        """One task per chat, its rows in order (the limiter spaces them)."""
        by_chat: dict[tuple[str, str], list[Claim]] = defaultdict(list)
        for claim in claims:
            by_chat[claim.channel, claim.chat_id].append(claim)
        for rows in by_chat.values():
            task = asyncio.create_task(self._send_chat(rows))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            for claim in rows:
                self._inflight[claim.channel] += 1
                self._by_key[claim.key] = task

    async def _send_chat(self, claims: list[Claim]) -> None:
        left = list(claims)
        gone = False  # the chat refused a message: the others are not tried
        try:
            while left and not self._stopping:  # when stopping, the rest is released
                claim = left.pop(0)
                try:
                    if gone:
                        result = Result(
                            claim, DeliveryStatus.UNREACHABLE, claim.attempts, UNREACHABLE_ERROR
                        )
                    else:
                        result = await self._send(claim)
                        gone = result.status == DeliveryStatus.UNREACHABLE
                    await self._record(result)
                except Exception as exc:  # not recorded: the claim expires, the row is retried
                    log.warning("Delivery #%s not recorded: %s", claim.id, type(exc).__name__)
                finally:
                    self._done(claim)
        finally:
            for claim in left:
                self._done(claim)

    def _done(self, claim: Claim) -> None:
        self._inflight[claim.channel] -= 1
        if self._by_key.get(claim.key) is asyncio.current_task():
            del self._by_key[claim.key]
        self._changed[claim.channel].set()

    async def _send(self, claim: Claim) -> Result:
        sender = self.senders.get(claim.channel)
        if sender is None:
            return Result(claim, RELEASE, claim.attempts)
        limiter = self.limits[claim.channel]
        try:
            parts = sender.parts(claim.payload, claim.locale)
        except Exception as exc:  # a payload this sender cannot read
            return Result(claim, DeliveryStatus.FAILED, claim.attempts + 1, type(exc).__name__)
        done = int(claim.payload.get(SENT_PARTS, 0))
        attempts = claim.attempts
        checked = False  # the consent, once the limits let this message go
        task = asyncio.current_task()
        assert task is not None
        while done < len(parts):
            if self._stopping or self._time_left(claim) < self.guard:
                return Result(claim, RELEASE, attempts, parts_done=done)
            self._waiting.add(task)
            try:
                async with limiter.chat(claim.chat_id):
                    await limiter.slot()
                    self._waiting.discard(task)  # from here on the request is finished
                    left = self._time_left(claim)
                    if left < self.guard:  # the wait was too long (a 429's pause): no more time
                        return Result(claim, RELEASE, attempts, parts_done=done)
                    if not checked:
                        checked = True
                        loop = asyncio.get_running_loop()
                        asked = loop.time()
                        if await self._withdrawn(claim):
                            error = consent.WITHDRAWN_ERROR
                            return Result(claim, DeliveryStatus.CANCELLED, attempts, error)
                        if loop.time() - asked > STALE_SLOT or limiter.paused():
                            # The database answered slowly: the slot's moment has passed, and
                            # sending now would bunch with the messages granted since (or a
                            # 429 came meanwhile and the channel is paused).
                            await limiter.slot()
                    try:
                        async with asyncio.timeout(left - self.guard / 3):
                            await sender.send_part(claim.chat_id, parts[done])
                    except SendFailed as failure:
                        attempts += 1
                        result = self._failed(claim, failure, attempts, done)
                        if result is not None:
                            return result
                        continue  # a 429: the channel is paused, then this part again
                    except Exception as exc:  # a bug in a sender must not stop the engine
                        attempts += 1
                        failure = SendFailed(Outcome.RETRY, type(exc).__name__)
                        result = self._failed(claim, failure, attempts, done)
                        if result is not None:
                            return result
                        continue
                    limiter.accepted()
                    done += 1
            finally:
                self._waiting.discard(task)
        self.stats[claim.channel]["sent"] += 1
        return Result(claim, DeliveryStatus.SENT, attempts + 1, parts_done=done)

    def _time_left(self, claim: Claim) -> float:
        """Seconds until the claim on this row ends."""
        return (claim.lease - self.clock()).total_seconds()

    def _failed(self, claim: Claim, failure: SendFailed, attempts: int, done: int) -> Result | None:
        """What a failed try means; None: try this part again once the channel's pause ends."""
        stats = self.stats[claim.channel]
        if failure.outcome is Outcome.UNREACHABLE:
            stats["unreachable"] += 1
            return Result(claim, DeliveryStatus.UNREACHABLE, attempts, failure.error)
        if failure.outcome is Outcome.FAILED:
            stats["failed"] += 1
            return Result(claim, DeliveryStatus.FAILED, attempts, failure.error)
        if failure.outcome is Outcome.RATE_LIMITED:
            stats["rate_limited"] += 1
            self.limits[claim.channel].too_many(failure.retry_after or DEFAULT_RETRY_AFTER)
        if attempts >= self.max_attempts:
            stats["failed"] += 1
            return Result(claim, DeliveryStatus.FAILED, attempts, failure.error, parts_done=done)
        if failure.outcome is Outcome.RATE_LIMITED:
            return None
        stats["retried"] += 1
        return Result(
            claim,
            DeliveryStatus.PENDING,
            attempts,
            failure.error,
            retry_at=self.clock() + timedelta(seconds=self._backoff(attempts)),
            parts_done=done,
        )

    def _backoff(self, attempts: int) -> float:
        # Jitter keeps the retries of one outage from arriving together.
        delay = self.retry_delay * 2 ** (attempts - 1) * random.uniform(0.8, 1.2)
        return min(MAX_BACKOFF, delay)

    # --- recording ------------------------------------------------------------------------------

    async def _record(self, result: Result) -> None:
        """Results are committed in groups: whoever finds no write in progress writes
        everything queued until the queue is empty; the others wait for their own."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._results.append((result, future))
        if not self._writing:
            self._writing = True
            try:
                while self._results:
                    batch, self._results = self._results, []
                    try:
                        await self._write([r for r, _f in batch])
                    except Exception as exc:
                        for _r, f in batch:
                            if not f.done():
                                f.set_exception(exc)
                    else:
                        for _r, f in batch:
                            if not f.done():
                                f.set_result(None)
            finally:
                self._writing = False
        await future

    async def _write(self, results: list[Result]) -> None:
        now = self.clock()
        sent = [r for r in results if r.status == DeliveryStatus.SENT]
        final = [r for r in results if r.status not in (DeliveryStatus.SENT, RELEASE)]
        released = [r for r in results if r.status == RELEASE]
        async with self.sessionmaker() as db, db.begin():
            if sent:  # it was sent: recorded so even if the broadcast was stopped meanwhile
                await db.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.id == bindparam("d_id"))
                    .values(
                        status=DeliveryStatus.SENT,
                        sent_at=now,
                        attempts=bindparam("d_attempts"),
                        last_error=None,
                        claimed_until=None,
                    ),
                    [{"d_id": r.claim.id, "d_attempts": r.attempts} for r in sent],
                )
            if final:  # a row cancelled meanwhile stays cancelled
                await db.execute(
                    update(DELIVERIES)
                    .where(
                        DELIVERIES.c.id == bindparam("d_id"),
                        DELIVERIES.c.status == DeliveryStatus.PENDING,
                    )
                    .values(
                        status=bindparam("d_status"),
                        attempts=bindparam("d_attempts"),
                        last_error=bindparam("d_error"),
                        next_attempt_at=bindparam("d_next"),
                        claimed_until=None,
                    ),
                    [
                        {
                            "d_id": r.claim.id,
                            "d_status": str(r.status),
                            "d_attempts": r.attempts,
                            "d_error": r.error,
                            "d_next": r.retry_at or now,
                        }
                        for r in final
                    ],
                )
            if released:
                await self._release_in(
                    db, [r.claim for r in released], [r.attempts for r in released]
                )
            await self._keep_progress(db, results)
            await self._mark_unreachable(db, results, now)
            await self._apply_then(db, sent)
        for result in results:
            self._claimed.pop(result.claim.id, None)
            self._log(result)
        self._progress(results)

    async def _keep_progress(self, db: AsyncSession, results: list[Result]) -> None:
        """Parts already accepted are not sent again when the rest is retried."""
        for r in results:
            if r.status in (DeliveryStatus.PENDING, RELEASE) and r.parts_done > int(
                r.claim.payload.get(SENT_PARTS, 0)
            ):
                payload = {**r.claim.payload, SENT_PARTS: r.parts_done}
                await db.execute(
                    update(DELIVERIES).where(DELIVERIES.c.id == r.claim.id).values(payload=payload)
                )

    async def _mark_unreachable(
        self, db: AsyncSession, results: list[Result], now: datetime
    ) -> None:
        gone = {
            (r.claim.channel, r.claim.chat_id)
            for r in results
            if r.status == DeliveryStatus.UNREACHABLE
        }
        if not gone:
            return
        await db.execute(
            update(ACCOUNTS)
            .where(
                ACCOUNTS.c.channel == bindparam("a_channel"),
                ACCOUNTS.c.external_id == bindparam("a_chat"),
                ACCOUNTS.c.unreachable_at.is_(None),
            )
            .values(unreachable_at=now),
            [{"a_channel": channel, "a_chat": chat} for channel, chat in gone],
        )

    async def _apply_then(self, db: AsyncSession, sent: list[Result]) -> None:
        """On a text channel the resident's next "1" or "2" answers this message: its "then"
        goes into their conversation state, now that they can read it."""
        for r in sent:
            then = r.claim.payload.get("then")
            if not then or not self._text_channel(r.claim.channel):
                continue
            stored = await load_state(db, r.claim.channel, r.claim.chat_id)
            if stored is not None:  # None: the account was erased meanwhile
                account_id, state = stored
                await save_state(db, account_id, {**state, **then})

    async def _release(self, claims: list[Claim]) -> None:
        if claims:
            async with self.sessionmaker() as db, db.begin():
                await self._release_in(db, claims, [c.attempts for c in claims])
            for claim in claims:
                self._claimed.pop(claim.id, None)

    async def _release_in(self, db: AsyncSession, claims: list[Claim], attempts: list[int]) -> None:
        """Our claims end; a claim that already expired (and may be someone else's) is left."""
        await db.execute(
            update(DELIVERIES)
            .where(
                and_(
                    DELIVERIES.c.id == bindparam("d_id"),
                    DELIVERIES.c.status == DeliveryStatus.PENDING,
                    DELIVERIES.c.claimed_until == bindparam("d_lease"),
                )
            )
            .values(claimed_until=None, attempts=bindparam("d_attempts")),
            [
                {"d_id": c.id, "d_lease": c.lease, "d_attempts": n}
                for c, n in zip(claims, attempts, strict=True)
            ],
        )

    def _log(self, result: Result) -> None:
        """Which delivery and why, never its text or chat."""
        if result.status in (DeliveryStatus.SENT, RELEASE):
            return
        what = result.claim.key.split(":", 1)[0]
        level = logging.WARNING if result.status == DeliveryStatus.FAILED else logging.INFO
        log.log(
            level,
            "%s delivery #%s (%s) %s: %s",
            result.claim.channel.capitalize(),
            result.claim.id,
            what,
            "retried later" if result.status == DeliveryStatus.PENDING else result.status,
            (result.error or "").split(":", 1)[0],
        )

    def _progress(self, results: list[Result]) -> None:
        callback = self.on_broadcast_progress
        if callback is None:
            return
        for broadcast_id in {r.claim.broadcast_id for r in results if r.claim.broadcast_id}:
            try:
                callback(broadcast_id)
            except Exception as exc:
                log.warning("Broadcast progress callback failed: %s", type(exc).__name__)
