"""Where conversation state lives: in memory for one process (the default), or in Redis
(REDIS_URL) so that any of several workers can continue any resident's dialog.

What must survive a restart (answers, the position in the survey) is in the database either way;
Redis holds the aiogram FSM data and the aiogram-dialog stacks, and the per-chat lock that keeps
two workers from handling one resident's taps at the same time (event isolation).
"""

from __future__ import annotations

from datetime import timedelta

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage
from redis.asyncio import Redis

from bot.settings import Settings

PREFIX = "doithoai"
# A conversation left alone this long starts over from the database (Redis frees the memory).
STATE_TTL = timedelta(days=30)
# Longer than any update takes; a worker that dies holding a chat's lock frees it by then.
LOCK_TIMEOUT = 60
# How often a waiting update asks again for its chat's lock. redis-py's default, 0.1 s, added
# a tenth of a second to every other tap (the previous update still finishing after its reply
# was sent); bench/webhook.py.
LOCK_POLL = 0.005


def conversation_storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    if not settings.redis_url:
        return MemoryStorage(), SimpleEventIsolation()
    redis = Redis.from_url(settings.redis_url)
    # aiogram-dialog keeps one key per dialog ("destiny"): the key builder must include it.
    keys = DefaultKeyBuilder(prefix=PREFIX, with_destiny=True)
    storage = RedisStorage(redis, key_builder=keys, state_ttl=STATE_TTL, data_ttl=STATE_TTL)
    isolation = RedisEventIsolation(
        redis, key_builder=keys, lock_kwargs={"timeout": LOCK_TIMEOUT, "sleep": LOCK_POLL}
    )
    return storage, isolation
