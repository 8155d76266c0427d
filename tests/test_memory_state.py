"""What memory keeps per person without Redis stays bounded: a chat's dialog state only while it
holds something and for the most recent MEMORY_CHATS chats, a chat's lock only while an update
holds it, a Zalo first contact's notice step only for the most recent ones. A resident whose
state was forgotten is answered as after a restart (bench/first_contacts.py measures memory)."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.base import StorageKey

from bot.app import build_app
from bot.conversation.engine import TextConversation
from bot.storage import BoundedMemoryStorage, ChatLocks, conversation_storage, forget_user
from tests.support.journey import RATE, consent_all
from tests.support.resident import Resident
from tests.support.text_resident import TextResident


def key(chat: int, destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=42, chat_id=chat, user_id=chat, destiny=destiny)


def test_without_redis_the_state_is_bounded(settings) -> None:
    storage, isolation = conversation_storage(settings)
    assert isinstance(storage, BoundedMemoryStorage) and storage.max_chats == 2000
    assert isinstance(isolation, ChatLocks)


async def test_reading_stores_nothing_and_an_emptied_chat_is_dropped() -> None:
    storage = BoundedMemoryStorage(max_chats=10)
    assert await storage.get_state(key(1)) is None
    assert await storage.get_data(key(1)) == {}
    assert storage.chats == 0

    await storage.set_state(key(1), "Consent:notice")
    await storage.set_data(key(1, "aiogd_stack"), {"intents": ["a1"]})
    assert storage.chats == 1
    assert await storage.get_state(key(1)) == "Consent:notice"
    assert await storage.get_value(key(1, "aiogd_stack"), "intents") == ["a1"]

    await storage.set_state(key(1), None)
    await storage.set_data(key(1, "aiogd_stack"), {})
    assert storage.chats == 0


async def test_erasing_a_resident_forgets_their_chat_and_no_other() -> None:
    storage = BoundedMemoryStorage(max_chats=10)
    for chat in (1, 2):
        await storage.set_state(key(chat), "Question:text")
        await storage.set_data(key(chat, "aiogd_stack"), {"intents": [f"draft{chat}"]})
    assert await forget_user(storage, 1) == 2
    assert await storage.get_data(key(1, "aiogd_stack")) == {}
    assert await storage.get_state(key(1)) is None
    assert await storage.get_data(key(2, "aiogd_stack")) == {"intents": ["draft2"]}


async def test_the_least_recently_used_chats_are_forgotten_together() -> None:
    storage = BoundedMemoryStorage(max_chats=3)
    for chat in (1, 2, 3):
        await storage.set_state(key(chat), "S:one")
        await storage.set_data(key(chat, "aiogd_stack"), {"intents": [str(chat)]})
    await storage.set_data(key(1), {"step": 2})  # chat 1 is used again
    await storage.set_state(key(4), "S:one")

    assert storage.chats == 3
    assert await storage.get_state(key(2)) is None  # the least recently used, all of it
    assert await storage.get_data(key(2, "aiogd_stack")) == {}
    assert await storage.get_data(key(1)) == {"step": 2}
    assert await storage.get_data(key(3, "aiogd_stack")) == {"intents": ["3"]}


async def test_a_chat_lock_serialises_and_is_forgotten_when_free() -> None:
    locks = ChatLocks()
    inside: list[str] = []

    async def update(name: str) -> None:
        async with locks.lock(key(1)):
            inside.append(f"{name} in")
            await asyncio.sleep(0.01)
            inside.append(f"{name} out")

    await asyncio.gather(update("a"), update("b"), update("c"))
    assert inside == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert locks.held == 0


async def test_a_forgotten_resident_continues_as_after_a_restart(settings, telegram, clock):
    storage = BoundedMemoryStorage(max_chats=3)
    app = build_app(settings, storage=storage, bot_session=telegram, clock=clock)
    try:
        first = Resident(app, telegram, 600, "vi")
        await consent_all(first)
        await first.tap(RATE["vi"])
        await first.tap("Tư pháp – Hộ tịch")
        await first.tap("Đăng ký kết hôn")
        await first.tap("Có")
        old_screen = first.snapshot()
        assert "Câu 2/13" in old_screen.text

        for user_id in range(601, 611):  # ten first contacts after the first resident
            await Resident(app, telegram, user_id, "vi").send("/start")
        assert app.dispatcher.storage is storage and storage.chats == 3
        assert app.dispatcher.fsm.events_isolation.held == 0

        await first.tap("Trực tuyến", on=old_screen)
        assert first.last_alert == "Nút này đã cũ. Mời Ông/Bà tiếp tục tại đây."
        assert "Câu 2/13" in first.text  # the draft in the database: nothing lost
    finally:
        await app.close()


async def test_zalo_first_contacts_are_remembered_up_to_a_bound(app, settings) -> None:
    conversation = TextConversation(app.sessionmaker, app.survey, settings)
    conversation._pending.size = 5
    early = TextResident(conversation, "z-early", "zalo")
    assert (await early.say("Xin chào")).startswith("Đây là trợ lý tự động")

    for number in range(20):
        await TextResident(conversation, f"z-{number}", "zalo").say("Xin chào")
    assert len(conversation._pending) == 5

    # Forgotten: the notice again, as to anyone writing for the first time; then as usual.
    assert (await early.say("1")).startswith("Đây là trợ lý tự động")
    assert not (await early.say("1")).startswith("Đây là trợ lý tự động")
