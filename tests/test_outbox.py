"""The outbox: who counts as opted in (the latest decision on reminders, reachable accounts,
interest in a field), and deliveries created once whatever runs twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.services import consent
from bot.services.consent import Purpose
from models import Account, Delivery, Resident, SurveyResponse
from tests.support.questions import make_session


async def resident(db, n: int, channel: str, clock, decisions: list[bool]) -> Resident:
    person = Resident(locale="vi" if n % 2 else "en", created_at=clock())
    db.add(person)
    await db.flush()
    db.add(Account(resident_id=person.id, channel=channel, external_id=str(900 + n)))
    for i, given in enumerate(decisions):
        await consent.record(
            db,
            person.id,
            Purpose.REMINDERS,
            given,
            channel=channel,
            notice_version="2026-01",
            now=clock() + timedelta(minutes=i),
        )
    return person


async def test_opted_in_follows_the_latest_decision_and_reachability(app, clock):
    session_id = await make_session(app)
    async with app.sessionmaker() as db, db.begin():
        yes = await resident(db, 1, "zalo", clock, [True])
        await resident(db, 2, "telegram", clock, [True, False])  # withdrew
        again = await resident(db, 3, "telegram", clock, [False, True])  # changed their mind
        await resident(db, 4, "zalo", clock, [])  # never asked
        await resident(db, 5, "console", clock, [True])  # the bot cannot write first
        gone = await resident(db, 6, "zalo", clock, [True])
        await db.execute(
            Account.__table__.update()
            .where(Account.resident_id == gone.id)
            .values(unreachable_at=clock())
        )
        db.add(
            SurveyResponse(
                resident_id=again.id,
                session_id=session_id,
                field="tp",
                status="submitted",
                channel="telegram",
            )
        )
    async with app.sessionmaker() as db:
        everyone = await outbox.opted_in(db)
        tp = await outbox.opted_in(db, field="tp")
    assert [(r.channel, r.chat_id, r.resident_id) for r in everyone] == [
        ("zalo", "901", yes.id),
        ("telegram", "903", again.id),
    ]
    assert [r.chat_id for r in tp] == ["903"]
    assert everyone[1].locale == "vi" and everyone[0].locale == "vi"


async def test_deliveries_and_rounds_are_created_once(app, clock):
    async with app.sessionmaker() as db, db.begin():
        first = await outbox.new_broadcast(db, key="reminder:1:P1D", kind="reminder")
        assert first is not None
        assert await outbox.new_broadcast(db, key="reminder:1:P1D", kind="reminder") is None
        recipients = [Recipient("zalo", str(n), "vi") for n in range(2500)]
        rows = [
            (r, Message(f"Xin chào {r.chat_id}"), outbox.delivery_key(first.id, r))
            for r in recipients
        ]
        assert await outbox.add_many(db, rows, broadcast_id=first.id) == 2500
        assert await outbox.add_many(db, rows[:10], broadcast_id=first.id) == 0
        assert await outbox.add(db, recipients[0], Message("x"), key="answer:7") is True
        assert await outbox.add(db, recipients[0], Message("x"), key="answer:7") is False
        assert await outbox.progress(db, first.id) == {"pending": 2500}
        assert await outbox.cancel_pending(db, first.id) == 2500
    async with app.sessionmaker() as db:
        stored = (await db.execute(select(Delivery).where(Delivery.key == "answer:7"))).scalar_one()
    assert stored.payload == {"text": "x", "html": False}
    assert stored.status == "pending" and stored.attempts == 0


async def test_scheduled_rounds_are_done_when_nothing_is_pending(app, clock):
    async with app.sessionmaker() as db, db.begin():
        round_ = await outbox.new_broadcast(
            db, key="reminder:9:PT2H", kind="reminder", status="sending"
        )
        news = await outbox.new_broadcast(db, kind="announcement", status="sending")
        await db.flush()
        for broadcast in (round_, news):
            rows = [
                (Recipient("zalo", str(n), "vi"), Message("Nhắc lịch"), f"{broadcast.id}:{n}")
                for n in range(2)
            ]
            await outbox.add_many(db, rows, broadcast_id=broadcast.id)
        await db.execute(
            Delivery.__table__.update()
            .where(Delivery.key == f"{round_.id}:0")
            .values(status="sent")
        )
        assert await outbox.finish_sent_rounds(db, clock()) == 0  # one still pending
        await db.execute(
            Delivery.__table__.update()
            .where(Delivery.key == f"{round_.id}:1")
            .values(status="failed")
        )
        await db.execute(
            Delivery.__table__.update()
            .where(Delivery.broadcast_id == news.id)
            .values(status="sent")
        )
        assert await outbox.finish_sent_rounds(db, clock()) == 1
        await db.refresh(round_)
        await db.refresh(news)
    assert (round_.status, news.status) == ("done", "sending")  # the progress message ends it
    assert round_.finished_at == clock()
