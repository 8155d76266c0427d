"""The scheduler's tests' world: the ward's time, a frozen clock, scheduler instances on the
app's database, and sessions, residents, staff, questions and deliveries added directly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import build_scheduler
from bot.services import consent
from bot.services.consent import Purpose
from models import (
    Account,
    Broadcast,
    Delivery,
    DialogueSession,
    Resident,
    ResidentQuestion,
    StaffMember,
    utcnow,
)
from scheduler import Scheduler

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PLACE = "Hội trường UBND phường Bình An"
ADMIN = 1  # ADMIN_IDS in the test settings


def local(*parts: int) -> datetime:
    """A moment in the ward's time (UTC+7)."""
    return datetime(*parts, tzinfo=ZONE)


@pytest.fixture
def at(time_machine):
    """Moves the clock (frozen) to a moment."""

    def move(moment: datetime) -> None:
        time_machine.move_to(moment, tick=False)

    return move


@pytest.fixture
async def schedulers(app, tmp_path, caplog):
    """Builds scheduler instances on the app's database; a new one is a restarted bot."""
    made: list[Scheduler] = []

    def make() -> Scheduler:
        made.append(build_scheduler(app, export_dir=tmp_path / "exports"))
        return made[-1]

    yield make
    for instance in made:
        await instance.stop()
    # APScheduler logs a job's exception and goes on: a failing job must fail the test.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def started(make) -> Scheduler:
    instance = make()
    await instance.start()
    await instance.run_due()
    return instance


async def add_session(app, starts: datetime | None, title="Hội nghị đối thoại tháng 12/2026"):
    async with app.sessionmaker() as db, db.begin():
        session = DialogueSession(
            title=title,
            starts_at=starts.astimezone(UTC) if starts else None,
            place=PLACE,
            status="planned",
        )
        db.add(session)
        await db.flush()
        return session.id


async def add_resident(app, channel: str, chat_id: str, locale: str, *, reminders=True) -> str:
    async with app.sessionmaker() as db, db.begin():
        person = Resident(locale=locale, created_at=utcnow())
        db.add(person)
        await db.flush()
        db.add(Account(resident_id=person.id, channel=channel, external_id=chat_id))
        for purpose, given in ((Purpose.SURVEY, True), (Purpose.REMINDERS, reminders)):
            await consent.record(
                db,
                person.id,
                purpose,
                given,
                channel=channel,
                notice_version="2026-01",
                now=utcnow(),
            )
        return person.id


async def add_staff(app, telegram_id: int, role: str, fields=()) -> None:
    async with app.sessionmaker() as db, db.begin():
        db.add(
            StaffMember(
                telegram_user_id=telegram_id,
                name=f"Cán bộ {telegram_id}",
                role=role,
                fields=list(fields),
            )
        )


async def deliveries_of(app, key: str) -> dict[str, Delivery]:
    """{chat id: delivery} of the broadcast with this key."""
    async with app.sessionmaker() as db:
        stmt = (
            select(Delivery)
            .join(Broadcast, Delivery.broadcast_id == Broadcast.id)
            .where(Broadcast.key == key)
            .order_by(Delivery.id)
        )
        found = list((await db.execute(stmt)).scalars())
    return {d.chat_id: d for d in found}


def key(session_id: int, offset: str, starts: datetime) -> str:
    return f"reminder:{session_id}:{offset}:{starts.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


async def add_question(app, n: int, field: str, created: datetime, **values) -> str:
    async with app.sessionmaker() as db, db.begin():
        account = (
            await db.execute(select(Account).where(Account.external_id == "501"))
        ).scalar_one()
        session_id = (await db.execute(select(DialogueSession.id).limit(1))).scalar_one()
        code = f"KN-26-{n:04d}"
        db.add(
            ResidentQuestion(
                code=code,
                resident_id=account.resident_id,
                account_id=account.id,
                session_id=session_id,
                field=field,
                text=values.pop("text", f"Câu hỏi số {n} về thủ tục\ndòng thứ hai"),
                language="vi",
                named=values.pop("named", False),
                channel="telegram",
                status=values.pop("status", "received"),
                created_at=created.astimezone(UTC),
                **values,
            )
        )
    return code
