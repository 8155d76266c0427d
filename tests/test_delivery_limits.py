"""A channel's sending limits (bot/delivery/limits.py) on a fake clock: the event loop's time
jumps to the next timer instead of waiting for it, so a minute of sending is checked in
milliseconds, exactly, whatever the machine's load (telegram.md §2, §3)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.delivery import limits
from bot.delivery.limits import ChannelLimiter

pytestmark = pytest.mark.looptime


def now() -> float:
    return asyncio.get_running_loop().time()


async def send(limiter: ChannelLimiter, chat: str, log: list[tuple[str, float]]) -> None:
    """What the engine does for one message: the channel's slot, then the chat, then the send."""
    await limiter.slot()
    async with limiter.chat(chat):
        log.append((chat, now()))
        limiter.accepted()


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_the_channel_keeps_its_pace_for_half_a_minute():
    limiter = ChannelLimiter(rate=20, per_chat_interval=1.0)
    log: list[tuple[str, float]] = []
    start = now()

    await asyncio.gather(*(send(limiter, str(n), log) for n in range(600)))

    times = [at for _chat, at in log]
    assert len(times) == 600
    assert times[-1] - start == pytest.approx(599 / 20)  # not a second sooner
    assert min(gaps(times)) >= 1 / 20 - limits.CATCH_UP
    for first in range(0, 600 - 20):
        assert times[first + 20] - times[first] >= 1.0 - limits.CATCH_UP  # any second: 20


async def test_one_chat_gets_one_message_per_interval_measured_from_the_answer():
    limiter = ChannelLimiter(rate=30, per_chat_interval=1.0)
    log: list[tuple[str, float]] = []

    await asyncio.gather(*(send(limiter, chat, log) for chat in ["a", "a", "b", "a", "c"]))

    to_a = [at for chat, at in log if chat == "a"]
    assert gaps(to_a) == pytest.approx([1.0, 1.0])
    others = [at for chat, at in log if chat != "a"]
    assert max(others) < 0.2  # other chats do not wait for "a"
    assert limiter.queued("a") == 0


async def test_a_429_pauses_the_whole_channel_then_it_sends_below_what_was_accepted():
    limiter = ChannelLimiter(rate=40, per_chat_interval=0)
    log: list[tuple[str, float]] = []
    await asyncio.gather(*(send(limiter, str(n), log) for n in range(20)))  # 20 in half a second
    refused_at = now()

    limiter.too_many(retry_after=3)
    await asyncio.gather(*(send(limiter, str(n), log) for n in range(20, 60)))

    after = [at for _chat, at in log[20:]]
    assert min(after) >= refused_at + 3  # nobody sent during the pause
    assert limiter.rate == pytest.approx(limits.SLOW_DOWN * 20)  # 90% of the 20 accepted
    assert min(gaps(after)) >= 1 / limiter.rate - limits.CATCH_UP
    assert limiter.rate_limited == 1


async def test_after_a_429_the_pace_climbs_back_slowly_and_stays_below_the_refused_pace():
    limiter = ChannelLimiter(rate=100, per_chat_interval=0)
    log: list[tuple[str, float]] = []
    await asyncio.gather(*(send(limiter, str(n), log) for n in range(50)))
    limiter.too_many(retry_after=1)  # 50 were accepted in the last second: 45/s from now
    assert limiter.rate == pytest.approx(45)

    async def keep_sending(seconds: int) -> None:
        """A message a second: the pace is only reconsidered when a message goes."""
        for _ in range(seconds):
            await asyncio.sleep(1)
            await send(limiter, "x", log)

    await keep_sending(int(limits.RECOVER_AFTER) - 2)
    assert limiter.rate == pytest.approx(45)  # not before RECOVER_AFTER quiet seconds
    await keep_sending(3)
    assert limiter.rate == pytest.approx(limits.CEILING * 50)  # up, but below what drew the 429
    await keep_sending(int(limits.RECOVER_AFTER) * 2)
    assert limiter.rate == pytest.approx(limits.CEILING * 50)  # and no further
    await keep_sending(int(limits.FORGET_AFTER))  # quiet for long: the 429 is forgotten ...
    assert limits.CEILING * 50 < limiter.rate < 100  # ... and the pace climbs step by step ...
    await keep_sending(int(limits.RECOVER_AFTER) * 6)
    assert limiter.rate == pytest.approx(100)  # ... to the configured rate, and no further
