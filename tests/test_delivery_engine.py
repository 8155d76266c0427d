"""The delivery engine over real HTTP, against the fake Telegram and Zalo servers on 127.0.0.1
with their rate limits on: every message goes out once, within the limits, a 429 pauses and
slows the channel, a blocked chat is left alone, server errors are retried a bounded number of
times, and a restart (or a second worker) neither loses nor doubles a message.

These run on the real clock: the fake Bot API serves from a thread of its own (so its arrival
times do not wait on the engine's loop) and measures real time. The limiter alone is tested
over minutes of a fake clock in test_delivery_limits.py."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import (
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Update,
    User,
)
from sqlalchemy import func, select, text

from bot import db as database
from bot.app import App
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound, Kind
from bot.delivery import outbox
from bot.delivery.engine import STOP_GRACE
from bot.delivery.outbox import Message, Recipient
from bot.settings import ConfigError, load_settings
from models import Account, Delivery, Resident, utcnow
from models.conversations import load_state, save_state
from tests.conftest import FakeClock
from tests.support.delivery import build, deliveries, servers, settle, statuses, until  # noqa: F401 (fixtures)
from tests.support.fake_bot_api import BOT_USER

# Each test runs real servers and engines: a hung one fails in two minutes, not five.
pytestmark = pytest.mark.timeout(120)

CHANNELS = ["telegram", "zalo"]


async def queue(app: App, channel: str, chats: list[str], text: str = "Thông báo") -> int:
    """An announcement to these chats (a chat named twice gets two messages); its id."""
    async with app.sessionmaker() as db, db.begin():
        broadcast = await outbox.new_broadcast(db, kind="announcement", status="sending")
        assert broadcast is not None
        rows = [
            (Recipient(channel, chat, "vi"), Message(f"{text} {n}"), f"t:{broadcast.id}:{n}")
            for n, chat in enumerate(chats)
        ]
        await outbox.add_many(db, rows, broadcast_id=broadcast.id)
    return broadcast.id


async def account(app: App, channel: str, chat: str, locale: str = "vi") -> str:
    async with app.sessionmaker() as db, db.begin():
        person = Resident(locale=locale)
        db.add(person)
        await db.flush()
        db.add(Account(resident_id=person.id, channel=channel, external_id=chat))
    return person.id


async def unreachable_at(app: App, channel: str, chat: str) -> datetime | None:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(Account.unreachable_at).where(
                Account.channel == channel, Account.external_id == chat
            )
        )


# --- limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_broadcast_goes_out_once_within_both_limits(build, servers, channel):
    servers.limit(channel, per_second=20, per_chat=1.0)
    # A quarter below the limit: on a busy machine a request can reach the server a few tenths
    # of a second after its slot, and a sliding second may then hold more than the pace.
    app = await build(telegram_rate=15, zalo_rate=15)
    progress: list[int] = []
    app.delivery.on_broadcast_progress = progress.append
    chats = [str(1000 + n) for n in range(30)] + ["1000", "1000"]  # three for one chat
    broadcast_id = await queue(app, channel, chats)

    await app.delivery.drain()

    server = servers.of(channel)
    assert server.limits.refused == []  # not one request beyond either limit
    assert Counter(m.chat_id for m in server.accepted) == Counter(chats)
    assert server.texts_to("1000") == ["Thông báo 0", "Thông báo 30", "Thông báo 31"]
    arrivals = [m.at for m in server.accepted if m.chat_id == "1000"]
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(arrivals))
    rows = await deliveries(app)
    assert {d.status for d in rows} == {"sent"}
    assert all(d.sent_at is not None and d.claimed_until is None for d in rows)
    async with app.sessionmaker() as db:
        assert await outbox.progress(db, broadcast_id) == {"sent": 32}
    assert broadcast_id in progress


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_429_pauses_the_channel_which_then_stays_under_the_limit(build, servers, channel):
    # The platform allows fewer messages than the engine was told: it learns from the 429.
    servers.limit(channel, per_second=8, per_chat=None)
    app = await build(telegram_rate=40, zalo_rate=40)
    requests = EngineRequests(app, channel)
    chats = [str(2000 + n) for n in range(20)]
    await queue(app, channel, chats)

    await app.delivery.drain()

    server = servers.of(channel)
    # Nothing beyond the limit once the engine knew: a request refused after the first 429 is
    # one the engine had started before that 429 reached it (on a busy machine one or two are
    # on their way by then, and no client can call them back).
    assert requests.started_before_the_first_429(server.limits.refused_chats)
    heard = requests.heard_429[0]
    assert requests.started_between(heard, heard + 1.0) == []  # the channel waited retry_after
    assert Counter(m.chat_id for m in server.accepted) == Counter(chats)
    assert app.delivery.stats[channel]["rate_limited"] == len(server.limits.refused)
    rows = await deliveries(app)
    assert {d.status for d in rows} == {"sent"}
    refusals = Counter(server.limits.refused_chats)  # a refused message counts twice
    assert {d.chat_id: d.attempts for d in rows} == {c: 1 + refusals[c] for c in chats}


class EngineRequests:
    """When the engine started each request to the platform (per chat, in order) and when a
    429 reached it: what tells a request refused on its way from one sent after the engine knew."""

    def __init__(self, app: App, channel: str) -> None:
        self.started: dict[str, list[float]] = defaultdict(list)
        self.heard_429: list[float] = []
        sender, limiter = app.delivery.senders[channel], app.delivery.limits[channel]
        send_part, too_many = sender.send_part, limiter.too_many

        async def timed_send_part(chat_id: str, part: Any) -> None:
            self.started[chat_id].append(time.monotonic())
            await send_part(chat_id, part)

        def timed_too_many(retry_after: float) -> None:
            self.heard_429.append(time.monotonic())
            too_many(retry_after)

        sender.send_part = timed_send_part
        limiter.too_many = timed_too_many

    def started_between(self, begin: float, end: float) -> list[float]:
        return sorted(t for times in self.started.values() for t in times if begin <= t < end)

    def started_before_the_first_429(self, refused_chats: list[str]) -> bool:
        """Whether every refused request (the k-th refusal of a chat is its k-th request) was
        started before the engine heard of the first 429."""
        assert refused_chats and self.heard_429
        seen: Counter[str] = Counter()
        for chat in refused_chats:
            started = self.started[chat][seen[chat]]
            seen[chat] += 1
            if started >= self.heard_429[0]:
                return False
        return True


# --- 403, chat not found ------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_blocked_chat_is_unreachable_until_the_resident_writes_again(
    build, servers, channel
):
    app = await build(zalo_rate=25)
    server = servers.of(channel)
    blocked, other = "3001", "3002"
    for chat in (blocked, other):
        await account(app, channel, chat)
    if channel == "telegram":
        server.forbidden.add(blocked)
    else:
        server.unreachable.add(blocked)
    await queue(app, channel, [blocked, other, blocked])

    await app.delivery.drain()

    tried = [params for method, params in server.calls if method == "sendMessage"]
    assert [str(p["chat_id"]) for p in tried].count(blocked) == 1  # never tried again
    rows = await deliveries(app)
    assert [(d.chat_id, d.status) for d in rows] == [
        (blocked, "unreachable"),
        (other, "sent"),
        (blocked, "unreachable"),
    ]
    assert rows[0].last_error.startswith(
        "TelegramForbiddenError" if channel == "telegram" else "ZaloAPIError: 403"
    )
    assert await unreachable_at(app, channel, blocked) is not None
    assert await unreachable_at(app, channel, other) is None

    await writes_again(app, channel, blocked)
    assert await unreachable_at(app, channel, blocked) is None
    server.forbidden.discard(blocked) if channel == "telegram" else server.unreachable.clear()
    await queue(app, channel, [blocked], text="Lần sau")
    await app.delivery.drain()
    assert server.texts_to(blocked) == ["Lần sau 0"]


async def writes_again(app: App, channel: str, chat: str) -> None:
    if channel == "zalo":
        conversation = TextConversation(app.sessionmaker, app.survey, app.settings)
        await conversation.handle(
            Inbound(channel="zalo", chat_id=chat, user_id=chat, kind=Kind.TEXT, text="chào")
        )
        return
    bot = User(**BOT_USER)
    unblocked = ChatMemberUpdated(
        chat=Chat(id=int(chat), type="private"),
        from_user=User(id=int(chat), is_bot=False, first_name="Cư dân"),
        date=datetime.now(UTC),
        old_chat_member=ChatMemberBanned(user=bot, until_date=0),
        new_chat_member=ChatMemberMember(user=bot),
    )
    await app.dispatcher.feed_update(app.bot, Update(update_id=1, my_chat_member=unblocked))


async def test_telegram_chat_not_found_and_a_block_seen_as_an_update(build, servers):
    app = await build()
    await account(app, "telegram", "3101")
    await account(app, "telegram", "3102")
    servers.telegram.unknown.add("3101")
    await queue(app, "telegram", ["3101"])
    await app.delivery.drain()
    [row] = await deliveries(app)
    assert (row.status, row.last_error) == (
        "unreachable",
        "TelegramBadRequest: Bad Request: chat not found",
    )
    # A resident who blocks the bot is known to be unreachable before any message fails.
    bot = User(**BOT_USER)
    blocked = ChatMemberUpdated(
        chat=Chat(id=3102, type="private"),
        from_user=User(id=3102, is_bot=False, first_name="Cư dân"),
        date=datetime.now(UTC),
        old_chat_member=ChatMemberMember(user=bot),
        new_chat_member=ChatMemberBanned(user=bot, until_date=0),
    )
    await app.dispatcher.feed_update(app.bot, Update(update_id=2, my_chat_member=blocked))
    assert await unreachable_at(app, "telegram", "3102") is not None
    await queue(app, "telegram", ["3102"])
    await app.delivery.drain()
    assert servers.telegram.texts_to("3102") == []
    assert (await deliveries(app))[-1].status == "unreachable"


# --- server errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_server_errors_are_retried_then_recorded_as_failed(build, servers, channel):
    app = await build(delivery_attempts=3, zalo_rate=25)
    server = servers.of(channel)
    server.fail_chat("4001", times=2)  # recovers at the third try
    server.fail_chat("4002", times=10)  # does not
    await queue(app, channel, ["4001", "4002"], text="Nội dung riêng tư")

    await settle(app)

    rows = await deliveries(app)
    assert [(d.status, d.attempts) for d in rows] == [("sent", 3), ("failed", 3)]
    error = rows[1].last_error
    expected = "TelegramServerError" if channel == "telegram" else "ZaloAPIError: 502"
    assert error.startswith(expected) and "Nội dung" not in error
    tried = Counter(str(p.get("chat_id")) for m, p in server.calls if m == "sendMessage")
    assert (tried["4001"], tried["4002"]) == (3, 3)
    assert server.texts_to("4001") == ["Nội dung riêng tư 0"]
    assert app.delivery.stats[channel]["retried"] == 4


# --- restarts and workers -----------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "total"), [("telegram", 300), ("zalo", 150)])
async def test_a_restart_mid_broadcast_sends_the_rest_once(build, servers, channel, total):
    servers.limit(channel, per_second=None)
    app = await build(telegram_rate=200, zalo_rate=100)
    chats = [str(5000 + n) for n in range(total)]
    await queue(app, channel, chats)
    server = servers.of(channel)

    running = asyncio.create_task(app.delivery.run())
    await until(lambda: _at_least(server, total // 3))
    running.cancel()  # the process is stopped halfway
    with pytest.raises(asyncio.CancelledError):
        await running

    halfway = await statuses(app)
    assert 0 < halfway["sent"] < total
    assert halfway["sent"] == len(server.accepted)  # what went out is recorded as sent
    assert all(d.claimed_until is None for d in await deliveries(app))  # claims released

    restarted = await build(telegram_rate=200, zalo_rate=100)
    restarted.delivery.start()
    await until(lambda: _all_sent(restarted, total))
    await restarted.delivery.stop()

    assert Counter(m.chat_id for m in server.accepted) == Counter(chats)  # none lost, none twice


async def _at_least(server, count: int) -> bool:
    return len(server.accepted) >= count


async def _all_sent(app: App, total: int) -> bool:
    return (await statuses(app))["sent"] == total


async def test_two_workers_never_send_one_delivery_twice(build, servers):
    servers.limit("telegram", per_second=None)
    first = await build(telegram_rate=100)
    second = await build(telegram_rate=100)
    chats = [str(6000 + n) for n in range(400)]  # two batches of two seconds
    await queue(first, "telegram", chats)

    await asyncio.gather(first.delivery.drain(), second.delivery.drain())

    assert Counter(m.chat_id for m in servers.telegram.accepted) == Counter(chats)
    assert first.delivery.stats["telegram"]["sent"] > 0
    assert second.delivery.stats["telegram"]["sent"] > 0
    assert (await statuses(first)) == {"sent": 400}


async def test_workers_sharing_the_bot_split_its_rate(build, servers):
    # TELEGRAM_RATE is the bot's: two workers at the full rate each (60/s) would be refused.
    # A quarter below the limit, as above: arrivals wander a few tenths on a busy machine.
    servers.limit("telegram", per_second=40, per_chat=None)
    first = await build(telegram_rate=30, workers=2)
    second = await build(telegram_rate=30, workers=2)
    chats = [str(6500 + n) for n in range(120)]
    await queue(first, "telegram", chats)

    await asyncio.gather(first.delivery.drain(), second.delivery.drain())

    assert servers.telegram.limits.refused == []
    assert Counter(m.chat_id for m in servers.telegram.accepted) == Counter(chats)
    assert first.delivery.stats["telegram"]["sent"] > 0
    assert second.delivery.stats["telegram"]["sent"] > 0


async def test_the_lease_is_a_setting_and_the_guard_follows_it(build):
    for lease, guard in [(90, 45), (10, 5), (600, 45)]:
        app = await build(delivery_lease=lease)
        assert (app.delivery.lease, app.delivery.guard) == (lease, guard)
    with pytest.raises(ConfigError, match="DELIVERY_LEASE"):
        load_settings(_env_file=None, delivery_lease=5)  # no time left for a request


async def test_a_claim_that_ends_while_the_limits_hold_it_is_left_to_another_worker(build, servers):
    first = await build(delivery_lease=10, per_chat_interval=0)
    second = await build(delivery_lease=10, per_chat_interval=0)
    await queue(first, "telegram", ["8001"])
    clock = FakeClock(utcnow())  # the claims' clock, shared by both workers
    first.delivery.clock = second.delivery.clock = clock

    async with first.delivery.limits["telegram"].chat("8001"):  # first's message waits here
        sending = asyncio.create_task(first.delivery.drain())
        await until(lambda: _waiting_for_chat(first, "8001"))  # claimed, held by the limits
        clock.advance(seconds=60)  # meanwhile its claim ended: the row is the second's now
        await second.delivery.drain()
    await sending

    assert servers.telegram.texts_to("8001") == ["Thông báo 0"]
    assert first.delivery.stats["telegram"]["sent"] == 0
    assert (await statuses(first)) == {"sent": 1}


async def _waiting_for_chat(app: App, chat: str) -> bool:
    """Its message to the chat is claimed and waits behind the one holding the chat."""
    return app.delivery.limits["telegram"].queued(chat) == 2


async def test_the_running_engine_sends_as_soon_as_it_is_woken(build, servers):
    app = await build()
    app.delivery.poll_interval = 60  # it would not look again for a minute by itself
    app.delivery.start()
    await asyncio.sleep(0.1)  # idle now
    await queue(app, "telegram", ["7001"])
    app.delivery.wake()
    await until(lambda: _at_least(servers.telegram, 1))
    await app.delivery.stop()
    assert servers.telegram.texts_to("7001") == ["Thông báo 0"]


async def test_the_engine_stops_within_seconds_while_it_waits_on_the_database(
    build, servers, database_url
):
    app = await build()
    await queue(app, "telegram", ["7101"])
    limiter = app.delivery.limits["telegram"]
    holder = database.create_engine(database_url)
    try:
        async with holder.connect() as connection:
            async with limiter.chat("7101"):  # the engine's message waits here, claimed
                app.delivery.start()
                await until(lambda: _waiting_for_chat(app, "7101"))
                # Another session holds the row: the engine sends, then waits to record it.
                if database.is_sqlite(database_url):
                    await connection.execute(text("UPDATE deliveries SET attempts = attempts"))
                else:
                    await connection.execute(text("SELECT id FROM deliveries FOR UPDATE"))
            await until(lambda: _at_least(servers.telegram, 1))
            async with asyncio.timeout(STOP_GRACE + 3):  # a few seconds, not until it is free
                await app.delivery.stop()
            await connection.rollback()
    finally:
        await holder.dispose()

    # Accepted but not recorded, as if the process had died: its claim keeps it from other
    # workers until the lease ends, then it is sent again (the one case of a double).
    assert servers.telegram.texts_to("7101") == ["Thông báo 0"]
    [row] = await deliveries(app)
    assert (row.status, row.claimed_until is not None) == ("pending", True)


# --- what is sent ---------------------------------------------------------------------------------


async def test_telegram_text_buttons_photos_and_documents(build, servers, tmp_path: Path):
    app = await build(per_chat_interval=0.05)  # six messages to one chat
    report = tmp_path / "bao-cao.txt"
    report.write_text("Báo cáo", encoding="utf-8")
    messages = [
        Message("<b>Nhắc lịch</b>", html=True, buttons=[[("Có", "rm:1:y"), ("Không", "rm:1:n")]]),
        Message("a < b, không phải thẻ"),
        Message("Ảnh hội nghị", media={"kind": "photo", "file_id": "PHOTO-1"}),
        Message(
            "Báo cáo kèm theo", media={"kind": "document", "path": str(report), "name": "bc.txt"}
        ),
        Message("x" * 1500, buttons=[[("Mở", "o:1")]], media={"kind": "photo", "file_id": "P2"}),
    ]
    async with app.sessionmaker() as db, db.begin():
        for n, message in enumerate(messages):
            await outbox.add(db, Recipient("telegram", "8001", "vi"), message, key=f"m:{n}")

    await app.delivery.drain()

    sent = [(m.method, dict(m.form)) for m in servers.telegram.accepted]
    assert [method for method, _form in sent] == [
        "sendMessage",
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendPhoto",  # a caption over 1,024 characters: the photo, then the text
        "sendMessage",
    ]
    first, plain, photo, document, long_photo, long_text = (form for _m, form in sent)
    assert (first["text"], first["parse_mode"]) == ("<b>Nhắc lịch</b>", "HTML")
    assert '"callback_data": "rm:1:y"' in first["reply_markup"]
    assert plain["text"] == "a < b, không phải thẻ" and "parse_mode" not in plain
    assert (photo["photo"], photo["caption"]) == ("PHOTO-1", "Ảnh hội nghị")
    assert document["caption"] == "Báo cáo kèm theo"
    assert "caption" not in long_photo and "reply_markup" not in long_photo
    assert long_text["text"] == "x" * 1500 and "o:1" in long_text["reply_markup"]
    assert (await statuses(app)) == {"sent": 5}


async def test_zalo_plain_text_media_lines_long_texts_and_then(build, servers):
    app = await build(zalo_rate=25, per_chat_interval=0.05)  # six messages to one chat
    resident_id = await account(app, "zalo", "z-en", locale="en")
    async with app.sessionmaker() as db, db.begin():
        account_id, _state = await load_state(db, "zalo", "z-en")
        await save_state(db, account_id, {"screen": "menu", "locale": "en"})
        rows = [
            (Message("<b>Reminder</b> &amp; more", html=True), "z:1"),
            (Message("Poster", media={"kind": "photo", "file_id": "P"}), "z:2"),
            (Message("Choose 1 or 2", then={"screen": "reminder", "session": 12}), "z:3"),
            (Message("Dòng dài. " * 300), "z:4"),  # 3,000 characters: two messages
        ]
        for message, key in rows:
            await outbox.add(db, Recipient("zalo", "z-en", "en", resident_id), message, key=key)
    servers.zalo.fail_chat("z-en", times=1, after=4)  # the long text's second part, once

    await settle(app)

    texts = servers.zalo.texts_to("z-en")
    assert texts[0] == "Reminder & more"
    assert (
        texts[1] == "Poster\n\n📷 (This message comes with a photo, which cannot be sent on Zalo.)"
    )
    assert texts[2] == "Choose 1 or 2"
    assert len(texts) == 5 and "".join(texts[3:]).count("Dòng dài.") == 300  # no part twice
    async with app.sessionmaker() as db:
        _id, state = await load_state(db, "zalo", "z-en")
    assert state == {"screen": "reminder", "locale": "en", "session": 12}
    assert (await statuses(app)) == {"sent": 4}


async def test_then_is_applied_only_once_zalo_accepted_the_message(build, servers):
    app = await build(zalo_rate=25)
    await account(app, "zalo", "z-gone")
    servers.zalo.unreachable.add("z-gone")
    async with app.sessionmaker() as db, db.begin():
        account_id, _state = await load_state(db, "zalo", "z-gone")
        await save_state(db, account_id, {"screen": "menu"})
        message = Message("Rate it: 1 or 2", then={"screen": "mine:detail", "question": 7})
        await outbox.add(db, Recipient("zalo", "z-gone", "vi"), message, key="answer:7:x")
    assert await app.delivery.send_now(["answer:7:x"]) == {
        "answer:7:x": ("unreachable", "ZaloAPIError: 403 Forbidden")
    }
    async with app.sessionmaker() as db:
        _id, state = await load_state(db, "zalo", "z-gone")
        claimed = await db.scalar(select(func.count()).where(Delivery.claimed_until.is_not(None)))
    assert state == {"screen": "menu"}
    assert claimed == 0
