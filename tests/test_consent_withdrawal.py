"""Withdrawing the consent to reminders stops what was already queued for the resident: the
pending reminders and announcements are cancelled at once, and the delivery engine checks
again when it claims a message and just before it sends one, so a message claimed a moment
before the withdrawal is not sent either. Over real HTTP, against the fake Bot API."""

from __future__ import annotations

import asyncio

from bot.delivery import outbox
from bot.delivery.outbox import Message
from tests.support.delivery import build, servers, until  # noqa: F401 (fixtures)
from tests.support.withdrawals import TEXT, announce, opted_in_residents, rows_by_chat, withdraw


async def test_withdrawing_mid_broadcast_stops_the_messages_already_queued(build, servers):
    servers.limit("telegram", per_second=None)
    app = await build(telegram_rate=10, per_chat_interval=0)
    chats = [str(7000 + n) for n in range(30)]
    ids = await opted_in_residents(app, chats)
    await announce(app)

    running = asyncio.create_task(app.delivery.run())
    await until(lambda: _sent_at_least(servers, 5))
    # Four residents whose messages the engine has already claimed and is about to send, and
    # four whose messages wait in the queue, withdraw their consent mid-broadcast.
    rows = await rows_by_chat(app)
    claimed = sorted(
        (d for d in rows.values() if d.status == "pending" and d.claimed_until is not None),
        key=lambda d: d.id,
    )[-4:]
    waiting = sorted(
        (d for d in rows.values() if d.status == "pending" and d.claimed_until is None),
        key=lambda d: d.id,
    )[:4]
    assert len(claimed) == 4 and len(waiting) == 4
    withdrawn = [d.chat_id for d in claimed + waiting]
    for chat in withdrawn:
        await withdraw(app, ids[chat])
    await until(lambda: _nothing_pending(app))
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    for chat in chats:
        expected = [] if chat in withdrawn else [TEXT]
        assert servers.telegram.texts_to(chat) == expected, chat
    rows = await rows_by_chat(app)
    assert {(rows[c].status, rows[c].last_error) for c in withdrawn} == {
        ("cancelled", "consent withdrawn")
    }
    assert sum(d.status == "sent" for d in rows.values()) == len(chats) - len(withdrawn)


async def test_a_round_queued_as_the_resident_withdrew_is_not_sent(build, servers):
    """A round that read the audience just before the withdrawal committed still holds the
    resident's message: the engine finds the consent gone when it claims it."""
    servers.limit("telegram", per_second=None)
    app = await build()
    ids = await opted_in_residents(app, ["7101", "7102"])
    async with app.sessionmaker() as db, db.begin():
        broadcast = await outbox.new_broadcast(db, kind="reminder", status="sending")
        audience = await outbox.opted_in(db)
    await withdraw(app, ids["7101"])  # commits between the round's read and its insert
    async with app.sessionmaker() as db, db.begin():
        rows = [(r, Message(TEXT), outbox.delivery_key(broadcast.id, r)) for r in audience]
        assert await outbox.add_many(db, rows, broadcast_id=broadcast.id) == 2

    await app.delivery.drain()

    assert servers.telegram.texts_to("7101") == []
    assert servers.telegram.texts_to("7102") == [TEXT]
    rows = await rows_by_chat(app)
    assert (rows["7101"].status, rows["7101"].last_error) == ("cancelled", "consent withdrawn")


async def test_withdrawing_leaves_answers_to_the_residents_questions(build, servers):
    """Only what needs the consent to reminders stops: an answer to a question still goes."""
    servers.limit("telegram", per_second=None)
    app = await build()
    ids = await opted_in_residents(app, ["7201"])
    async with app.sessionmaker() as db, db.begin():
        broadcast = await outbox.new_broadcast(db, kind="announcement", status="sending")
        [recipient] = await outbox.opted_in(db)
        await outbox.add(
            db,
            recipient,
            Message(TEXT),
            key=outbox.delivery_key(broadcast.id, recipient),
            broadcast_id=broadcast.id,
        )
        await outbox.add(db, recipient, Message("Trả lời câu hỏi KN-26-0001"), key="answer:1")
    await withdraw(app, ids["7201"])

    await app.delivery.drain()

    assert servers.telegram.texts_to("7201") == ["Trả lời câu hỏi KN-26-0001"]


async def _sent_at_least(servers, count: int) -> bool:
    return len(servers.telegram.accepted) >= count


async def _nothing_pending(app) -> bool:
    return all(d.status != "pending" for d in (await rows_by_chat(app)).values())
