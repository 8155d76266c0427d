"""Receiving Zalo updates by long polling: for development; production uses the webhook.

getUpdates has no offset and no acknowledgement, and most likely drops an update once returned
(zalo.md §6), so updates are handled one at a time, in order, before the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.zalo.client import ZaloAPIError, ZaloClient
from bot.channels.zalo.updates import RecentIds, parse_update
from bot.conversation.inbound import Inbound

log = logging.getLogger(__name__)

Handler = Callable[[Inbound], Awaitable[None]]
Sleep = Callable[[float], Awaitable[Any]]

ERROR_BACKOFF = (1, 2, 5, 10, 30)
# An idle answer sooner than this is padded, so a server answering 408 at once is not hammered.
MIN_IDLE_POLL = 1.0


async def poll_updates(
    client: ZaloClient,
    handle: Handler,
    *,
    stop: asyncio.Event,
    timeout: int = 30,
    backoff: tuple[float, ...] = ERROR_BACKOFF,
    min_idle: float = MIN_IDLE_POLL,
    sleep: Sleep | None = None,
    rng: Callable[[], float] = random.random,
) -> None:
    """Poll until `stop` is set, awaiting `handle` for each new message.

    The webhook is deleted first (getUpdates fails while one is set). A 401 is raised: the token is
    bad. Other errors wait per `backoff` (with jitter, the last value repeating) and poll again.
    `sleep` defaults to a wait that ends early when `stop` is set; tests inject their own.
    """
    wait = sleep if sleep is not None else _stoppable_sleep(stop)
    recent = RecentIds()
    failures = 0
    await client.delete_webhook()
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        try:
            update = await _next_update(client, timeout, stop)
        except ZaloAPIError as exc:
            if exc.fatal:
                raise
            failures += 1
            await _back_off(wait, backoff, failures, rng, f"{exc.code} {exc.description}")
            continue
        except Exception as exc:  # never let one odd failure end the channel
            failures += 1
            await _back_off(wait, backoff, failures, rng, type(exc).__name__)
            continue
        failures = 0
        if update is None:
            idle_for = loop.time() - started
            if idle_for < min_idle and not stop.is_set():
                await wait(min_idle - idle_for)
            continue
        await _dispatch(update, handle, recent)


async def _next_update(client: ZaloClient, timeout: int, stop: asyncio.Event) -> dict | None:
    """One long poll, abandoned as soon as `stop` is set rather than up to `timeout` s later."""
    poll = asyncio.ensure_future(client.get_update(timeout))
    stopped = asyncio.ensure_future(stop.wait())
    answered = False
    try:
        done, _ = await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
        answered = poll in done
    finally:
        stopped.cancel()
        if not answered:
            poll.cancel()  # an update already in flight is lost: acceptable at shutdown
    return poll.result() if answered else None


async def _dispatch(update: dict, handle: Handler, recent: RecentIds) -> None:
    inbound = parse_update(update)
    if inbound is None or recent.is_repeat(inbound.message_id):
        return
    try:
        await handle(inbound)
    except Exception:
        # The message id only: the resident's text stays out of the log.
        log.exception("Zalo update handler failed (message %s)", inbound.message_id)


async def _back_off(
    wait: Sleep, backoff: tuple[float, ...], failures: int, rng: Callable[[], float], why: str
) -> None:
    base = backoff[min(failures, len(backoff)) - 1]
    delay = base * (0.75 + 0.5 * rng())
    log.warning("Zalo polling failed (%s); polling again in %.1f s", why, delay)
    await wait(delay)


def _stoppable_sleep(stop: asyncio.Event) -> Sleep:
    async def sleep(delay: float) -> None:
        with contextlib.suppress(TimeoutError):  # the delay passed without a stop
            await asyncio.wait_for(stop.wait(), timeout=delay)

    return sleep
