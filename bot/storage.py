"""Where conversation state lives: in memory for one process (the default), or in Redis
(REDIS_URL) so that any of several workers can continue any resident's dialog.

What must survive a restart (answers, the position in the survey) is in the database either way;
Redis holds the aiogram FSM data and the aiogram-dialog stacks, and the per-chat lock that keeps
two workers from handling one resident's taps at the same time (event isolation).

That state quotes the resident (a question being written, with name and phone; answers of a
rating in progress): `forget_user` removes all of it when they erase their data.
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


def _names_user(parts: list[str], user: str) -> bool:
    """prefix:chat:user:… (DefaultKeyBuilder without bot id): the user's own chats and keys."""
    return len(parts) > 3 and user in (parts[1], parts[2]) and parts[-1] != "lock"


async def forget_user(storage: BaseStorage, user_id: int) -> int:
    """Deletes every conversation key of this Telegram user: FSM data and dialog stacks, in
    memory or in Redis (the lock of the update being handled stays; it holds no data and goes
    when the update ends). Returns how many keys went."""
    user = str(user_id)
    if isinstance(storage, RedisStorage):
        builder = storage.key_builder
        prefix = getattr(builder, "prefix", PREFIX)
        separator = getattr(builder, "separator", ":")
        doomed = [
            key
            async for key in storage.redis.scan_iter(match=f"{prefix}{separator}*{user}*")
            if _names_user(key.decode().split(separator), user)
        ]
        if doomed:
            await storage.redis.delete(*doomed)
        return len(doomed)
    records = getattr(storage, "storage", None)  # aiogram's MemoryStorage and its test twin
    if not isinstance(records, dict):
        return 0
    doomed = [key for key in records if user in (str(key.user_id), str(key.chat_id))]
    for key in doomed:
        del records[key]
    return len(doomed)


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
