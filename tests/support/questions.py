"""Residents' questions through the services: askers, sessions, staff of every role, filing
a question, acting as staff, and the stored questions and audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from bot.i18n import use_locale
from bot.services import consent, questions, residents, staff
from bot.services.consent import Purpose
from bot.services.questions import (
    InvalidAction,
    InvalidQuestion,
    QuestionNotFound,
)
from bot.services.staff import InvalidStaff, PermissionDenied, StaffRef
from models import (
    Account,
    AuditEntry,
    DialogueSession,
    ResidentQuestion,
)
from models.questions import ResidentQuestion

ADMIN_ID = 1  # ADMIN_IDS of the test settings
CONSENTED_AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Asker:
    resident_id: str
    account_id: int
    channel: str
    external_id: str


async def make_asker(
    app, external_id: str = "501", *, channel: str = "telegram", locale: str = "vi", p3=True
) -> Asker:
    async with app.sessionmaker() as db, db.begin():
        ref = await residents.get_or_create(db, channel, external_id, locale)
        for purpose in (Purpose.SURVEY, Purpose.CONTACT):
            given = purpose is Purpose.SURVEY or p3
            await consent.record(
                db,
                ref.id,
                purpose,
                given,
                channel=channel,
                notice_version="t",
                now=CONSENTED_AT,
            )
        account_id = await db.scalar(
            select(Account.id).where(Account.channel == channel, Account.external_id == external_id)
        )
    return Asker(ref.id, account_id, channel, external_id)


async def make_session(app) -> int:
    async with app.sessionmaker() as db, db.begin():
        session = DialogueSession(title="Hội nghị tháng 12", status="open")
        db.add(session)
        await db.flush()
        return session.id


def filing(asker: Asker, session_id: int, now: datetime, **overrides) -> dict:
    values = dict(
        resident_id=asker.resident_id,
        account_id=asker.account_id,
        session_id=session_id,
        field="tp",
        text="Xin hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?",
        language="vi",
        named=False,
        contact_name=None,
        contact_phone=None,
        complaint_flag=False,
        channel=asker.channel,
        attachments=[],
        now=now,
    )
    values.update(overrides)
    return values


async def file(app, asker: Asker, session_id: int, now: datetime, **overrides):
    async with app.sessionmaker() as db, db.begin():
        return await questions.file_question(db, **filing(asker, session_id, now, **overrides))


@dataclass(frozen=True)
class Staff:
    admin: StaffRef
    leader: StaffRef
    official_tp: StaffRef  # Tư pháp – Hộ tịch
    official_dc: StaffRef  # Địa chính
    front: StaffRef


async def make_staff(app, now: datetime) -> Staff:
    async with app.sessionmaker() as db, db.begin():
        [admin] = await staff.bootstrap_admins(db, [ADMIN_ID], now)
        leader = await staff.add(db, admin, 10, "Chủ tịch phường", "leader", now=now)
        official_tp = await staff.add(db, admin, 20, "Cán bộ tư pháp", "official", ["tp"], now=now)
        official_dc = await staff.add(
            db, admin, 30, "Cán bộ địa chính", "official", ["dc"], now=now
        )
        front = await staff.add(db, admin, 40, "MTTQ phường", "front", now=now)
    return Staff(admin, leader, official_tp, official_dc, front)


async def audit_log(app) -> list[AuditEntry]:
    async with app.sessionmaker() as db:
        return list((await db.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())


async def act(app, call, *args, **kwargs):
    """Run a service in its own transaction, committed even when it refuses (as the update
    middleware does when a handler answers a refusal), and return the result or the error
    (its message in English)."""
    with use_locale("en"):
        return await _act(app, call, *args, **kwargs)


async def _act(app, call, *args, **kwargs):
    async with app.sessionmaker() as db:
        try:
            result = await call(db, *args, **kwargs)
        except (
            PermissionDenied,
            InvalidStaff,
            InvalidAction,
            QuestionNotFound,
            InvalidQuestion,
        ) as error:
            await db.commit()
            return error
        await db.commit()
        return result


async def stored_questions(app) -> list[ResidentQuestion]:
    async with app.sessionmaker() as db:
        return list(
            (await db.execute(select(ResidentQuestion).order_by(ResidentQuestion.id))).scalars()
        )
