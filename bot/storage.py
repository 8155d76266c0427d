"""Where conversation state lives: in memory for one process (the default), or in Redis
(REDIS_URL) so that any of several workers can continue any resident's dialog.

What must survive a restart (answers, the position in the survey) is in the database either way;
Redis holds the aiogram FSM data and the aiogram-dialog stacks, and the per-chat lock that keeps
two workers from handling one resident's taps at the same time (event isolation).

In memory, aiogram's own classes keep a record for every chat ever read and a lock for every
chat ever locked, so memory grows with every first contact. Ours keep a record only while it
holds something, at most MEMORY_CHATS chats (the least recently used beyond are forgotten, as a
restart would forget them: the resident's next tap on an old screen says so and /start resumes
from the database), and a lock only while an update holds or awaits it. bench/first_contacts.py
measures it.

That state quotes the resident (a question being written, with name and phone; answers of a
rating in progress): `forget_user` removes all of it when they erase their data.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorageRecord
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
# Conversations kept in memory without Redis: a few hundred residents are mid-survey at once on a
# conference day; the least recently used conversation beyond this is forgotten.
MEMORY_CHATS = 2000


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
    if isinstance(storage, BoundedMemoryStorage):
        return storage.forget(user)
    records = getattr(storage, "storage", None)  # aiogram's MemoryStorage and its test twin
    if not isinstance(records, dict):
        return 0
    doomed = [key for key in records if user in (str(key.user_id), str(key.chat_id))]
    for key in doomed:
        del records[key]
    return len(doomed)


def conversation_storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    if not settings.redis_url:
        return BoundedMemoryStorage(), ChatLocks()
    redis = Redis.from_url(settings.redis_url)
    # aiogram-dialog keeps one key per dialog ("destiny"): the key builder must include it.
    keys = DefaultKeyBuilder(prefix=PREFIX, with_destiny=True)
    storage = RedisStorage(redis, key_builder=keys, state_ttl=STATE_TTL, data_ttl=STATE_TTL)
    isolation = RedisEventIsolation(
        redis, key_builder=keys, lock_kwargs={"timeout": LOCK_TIMEOUT, "sleep": LOCK_POLL}
    )
    return storage, isolation


ChatKey = tuple[Hashable, ...]
K = TypeVar("K")
V = TypeVar("V")


class BoundedMemoryStorage(BaseStorage):
    """aiogram's MemoryStorage, bounded: a record is kept only while it holds a state or data,
    and for at most `max_chats` chats, the least recently used forgotten first."""

    def __init__(self, max_chats: int = MEMORY_CHATS) -> None:
        self.max_chats = max_chats
        # chat -> destiny -> record; a chat's records (FSM, dialog stack, dialog contexts) go
        # together, so a stack is never kept without its contexts.
        self._chats: OrderedDict[ChatKey, dict[str, MemoryStorageRecord]] = OrderedDict()

    # Not __len__: aiogram takes a storage that is falsy for no storage at all.
    @property
    def chats(self) -> int:
        """How many chats are kept."""
        return len(self._chats)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        record = self._record(key)
        record.state = state.state if isinstance(state, State) else state
        self._drop_if_empty(key, record)

    async def get_state(self, key: StorageKey) -> str | None:
        record = self._find(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        record = self._record(key)
        record.data = data.copy()
        self._drop_if_empty(key, record)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = self._find(key)
        return record.data.copy() if record else {}

    async def close(self) -> None:
        self._chats.clear()

    def forget(self, user: str) -> int:
        """Drops every record of the chats of this user (or chat) id; returns how many."""
        doomed = [chat for chat in self._chats if user in (str(chat[1]), str(chat[2]))]
        return sum(len(self._chats.pop(chat)) for chat in doomed)

    @staticmethod
    def _chat(key: StorageKey) -> ChatKey:
        return (key.bot_id, key.chat_id, key.user_id, key.thread_id, key.business_connection_id)

    def _find(self, key: StorageKey) -> MemoryStorageRecord | None:
        """The record, if there is one; reading stores nothing."""
        records = self._chats.get(self._chat(key))
        return records.get(key.destiny) if records else None

    def _record(self, key: StorageKey) -> MemoryStorageRecord:
        """The record to write, made if need be; the chat becomes the most recently used."""
        chat = self._chat(key)
        records = self._chats.get(chat)
        if records is None:
            records = self._chats[chat] = {}
            while len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat)
        record = records.get(key.destiny)
        if record is None:
            record = records[key.destiny] = MemoryStorageRecord()
        return record

    def _drop_if_empty(self, key: StorageKey, record: MemoryStorageRecord) -> None:
        if record.state is not None or record.data:
            return
        chat = self._chat(key)
        records = self._chats.get(chat)
        if records is None:
            return
        records.pop(key.destiny, None)
        if not records:
            del self._chats[chat]


@dataclass
class _Lock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holding or waiting


class ChatLocks(BaseEventIsolation):
    """One update at a time per key, like aiogram's SimpleEventIsolation, but a key's lock is
    forgotten as soon as nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[StorageKey, _Lock] = {}

    @property
    def held(self) -> int:
        """How many locks exist (held or awaited)."""
        return len(self._locks)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _Lock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]

    async def close(self) -> None:
        self._locks.clear()


class RecentlyUsed(OrderedDict[K, V]):
    """A dict of at most `size` entries: the least recently set or `setdefault`-read one goes
    first. For what memory holds per person who wrote once and may never write again."""

    def __init__(self, size: int = MEMORY_CHATS) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def setdefault(self, key: K, default: V) -> V:  # type: ignore[override]
        if key in self:
            self.move_to_end(key)
            return self[key]
        self[key] = default
        return default
