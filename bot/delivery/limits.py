"""How fast one channel may send: a global pace (messages per second to all chats together),
at most one message per `per_chat_interval` to each chat, and a pause for the whole channel
when the platform answers 429 (telegram.md §2, §3).

Everything is measured on the clock of the event loop whose timers do the waiting (the monotonic
clock of this process; a fake one in tests); several worker processes share the platform's
limit, so each should be given its share of the rate.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# After a grant the timer (or a busy event loop) delivered late, the following ones may come
# this much sooner, so lateness does not lower the achieved rate; any n+1 grants still span at
# least n gaps minus this, which a rate a few per cent below the platform's limit absorbs.
CATCH_UP = 0.01
MIN_RATE = 1.0  # messages per second: the slowest a 429 can make us
SLOW_DOWN = 0.9  # after a 429: this share of what the platform accepted in the last second
RECOVER_AFTER = 30.0  # seconds without a 429 before the pace goes up again ...
RECOVER_STEP = 0.1  # ... by this share of the configured rate, ...
CEILING = 0.97  # ... up to this share of what was accepted when the 429 came, ...
FORGET_AFTER = 600.0  # ... or up to the configured rate after this long without a 429
WINDOW = 1.0  # seconds over which accepted messages are counted


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ready: float = 0.0  # monotonic time from which the next message may go
    users: int = 0


class ChannelLimiter:
    """Shared by every task sending on one channel in this process."""

    def __init__(
        self,
        rate: float,
        per_chat_interval: float,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.configured_rate = rate
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self._clock = clock or _loop_time
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.Handle | None = None
        self._next = 0.0  # the earliest time of the next grant
        self.paused_until = 0.0
        self._accepted: deque[float] = deque()
        self._last_429 = 0.0
        self._ceiling = rate  # what the platform seems to allow, learnt from its 429s
        self._last_step = 0.0  # when the pace last went up again
        self._chats: dict[str, _Chat] = {}
        self.rate_limited = 0  # 429 answers received

    # -- the global pace -------------------------------------------------------------------------

    async def slot(self) -> None:
        """Wait for this channel's next sending slot (and for the end of a 429 pause). A slot
        granted just before a 429 reached us, the task not yet resumed, is not used: the task
        waits for the pause's end and the next slot."""
        while True:
            granted = asyncio.get_running_loop().create_future()
            self._waiters.append(granted)
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_soon(self._grant)
            await granted
            if not self.paused():
                return

    def paused(self) -> bool:
        """Whether a 429's pause is running."""
        return self._clock() < self.paused_until

    def _grant(self) -> None:
        """Hand out every slot that is due, first come first served, then sleep until the next
        one. Several grants can go in one turn of the event loop, so a busy loop does not cap
        the rate at one message per turn."""
        self._timer = None
        now = self._clock()
        while self._waiters:
            if self._waiters[0].done():  # its task was cancelled while waiting
                self._waiters.popleft()
                continue
            ready = max(self._next, self.paused_until)
            if now < ready:
                self._timer = asyncio.get_running_loop().call_later(ready - now, self._grant)
                return
            self._waiters.popleft().set_result(None)
            self._recover(now)
            gap = 1.0 / self.rate
            # Keep to the schedule when the timer woke us late (no drift), but never let an
            # idle spell turn into a burst: at most CATCH_UP sooner than a full gap.
            self._next = max(self._next + gap, now + gap - CATCH_UP)

    def accepted(self) -> None:
        """The platform took a message: counted to estimate its limit if it says 429."""
        now = self._clock()
        self._accepted.append(now)
        while self._accepted and self._accepted[0] < now - WINDOW:
            self._accepted.popleft()

    def too_many(self, retry_after: float) -> None:
        """A 429: nobody sends on this channel until `retry_after` has passed, and from then on
        a little below what the platform accepted in the last second."""
        now = self._clock()
        self.rate_limited += 1
        self._last_429 = now
        self.paused_until = max(self.paused_until, now + retry_after)
        while self._accepted and self._accepted[0] < now - WINDOW:
            self._accepted.popleft()
        allowed = len(self._accepted)
        self.rate = max(MIN_RATE, min(self.rate, SLOW_DOWN * allowed))
        self._ceiling = max(self.rate, min(self._ceiling, CEILING * allowed))

    def _recover(self, now: float) -> None:
        """Back up slowly after a 429: step by step to just below the pace that drew it, and
        to the configured rate once the platform has been quiet for long."""
        if self.rate >= self.configured_rate:
            return
        if now - self._last_429 > FORGET_AFTER:
            self._ceiling = self.configured_rate
        if now - max(self._last_429, self._last_step) < RECOVER_AFTER:
            return
        step = self.rate + RECOVER_STEP * self.configured_rate
        self.rate = min(self.configured_rate, self._ceiling, step)
        self._last_step = now

    # -- one chat --------------------------------------------------------------------------------

    @asynccontextmanager
    async def chat(self, chat_id: str) -> AsyncIterator[None]:
        """Exclusive use of one chat, in arrival order, `per_chat_interval` after the previous
        message to it was answered. Measured from the answer, not the request, so the platform
        sees at least the interval between two arrivals whatever the network does."""
        entry = self._chats.get(chat_id)
        if entry is None:
            entry = self._chats[chat_id] = _Chat()
        entry.users += 1
        try:
            async with entry.lock:
                delay = entry.ready - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    yield
                finally:
                    entry.ready = self._clock() + self.per_chat_interval
        finally:
            entry.users -= 1
            if entry.users == 0 and len(self._chats) > 1000:
                self._forget_idle_chats()

    def queued(self, chat_id: str) -> int:
        """Messages to this chat that are being sent or waiting for it."""
        entry = self._chats.get(chat_id)
        return entry.users if entry is not None else 0

    def _forget_idle_chats(self) -> None:
        now = self._clock()
        for chat_id in [c for c, e in self._chats.items() if e.users == 0 and e.ready <= now]:
            del self._chats[chat_id]
