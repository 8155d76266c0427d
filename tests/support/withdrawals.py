"""Consent to reminders withdrawn while an announcement is on its way: residents who opted in,
the announcement, the withdrawal and the deliveries by chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery import outbox
from bot.delivery.outbox import Message
from bot.services import consent, residents
from bot.services.consent import Purpose
from models import Delivery, utcnow

TEXT = "Kính mời bà con dự Hội nghị đối thoại ngày 15/12."


async def opted_in_residents(app, chats: list[str]) -> dict[str, str]:
    """Residents on Telegram who accepted reminders: {chat: resident id}."""
    found = {}
    async with app.sessionmaker() as db, db.begin():
        for chat in chats:
            ref = await residents.get_or_create(db, "telegram", chat, "vi")
            for purpose in (Purpose.SURVEY, Purpose.REMINDERS):
                await consent.record(
                    db, ref.id, purpose, True, channel="telegram", notice_version="t", now=utcnow()
                )
            found[chat] = ref.id
    return found


async def announce(app) -> int:
    """An announcement to everyone who opted in, as /broadcast queues it."""
    async with app.sessionmaker() as db, db.begin():
        broadcast = await outbox.new_broadcast(db, kind="announcement", status="sending")
        rows = [
            (r, Message(TEXT), outbox.delivery_key(broadcast.id, r))
            for r in await outbox.opted_in(db)
        ]
        await outbox.add_many(db, rows, broadcast_id=broadcast.id)
    return broadcast.id


async def withdraw(app, resident_id: str) -> None:
    """The resident withdraws the consent to reminders (/dulieu, on any channel)."""
    async with app.sessionmaker() as db, db.begin():
        await consent.record(
            db,
            resident_id,
            Purpose.REMINDERS,
            False,
            channel="telegram",
            notice_version="t",
            now=utcnow() + timedelta(seconds=1),
        )


async def rows_by_chat(app) -> dict[str, Delivery]:
    async with app.sessionmaker() as db:
        return {d.chat_id: d for d in (await db.execute(select(Delivery))).scalars()}
