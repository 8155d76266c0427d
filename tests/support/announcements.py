"""Announcements as tests see them: the texts residents get, Zalo residents and ratings to
address, what the delivery engine records, and the stored rows and audit entries."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.services import consent, residents
from bot.services.consent import Purpose
from models import Delivery, SurveyResponse
from tests.support.questions import audit_log

TEXT = (
    "Kính mời bà con dự Hội nghị đối thoại lúc 8 giờ ngày 15/12/2026 tại Hội trường "
    "UBND phường. Bà con có thể gửi câu hỏi trước qua bot này."
)
HEADER_VI = "📢 Thông báo của UBND phường Bình An"
PHOTO_NOTE = (
    "📎 Thông báo này có kèm một hình ảnh trên bot Telegram của phường; Ông/Bà cũng có thể "
    "xem tại trụ sở UBND phường."
)


async def zalo_resident(app, clock, external_id: str, locale: str = "vi") -> str:
    async with app.sessionmaker() as db, db.begin():
        ref = await residents.get_or_create(db, "zalo", external_id, locale)
        for purpose in (Purpose.SURVEY, Purpose.REMINDERS):
            await consent.record(
                db, ref.id, purpose, True, channel="zalo", notice_version="t", now=clock()
            )
        return ref.id


async def rated(app, rid: str, field: str, session_id: int) -> None:
    async with app.sessionmaker() as db, db.begin():
        db.add(
            SurveyResponse(
                resident_id=rid,
                session_id=session_id,
                field=field,
                status="submitted",
                channel="telegram",
            )
        )


async def stored(app, model) -> list:
    async with app.sessionmaker() as db:
        return list((await db.execute(select(model).order_by(model.id))).scalars())


async def entries(app, **where):
    return [e for e in await audit_log(app) if all(getattr(e, k) == v for k, v in where.items())]


async def deliver(app, outcomes: dict[str, str]) -> None:
    """What the delivery engine records, chat by chat: sent, failed, unreachable."""
    async with app.sessionmaker() as db, db.begin():
        for chat_id, status in outcomes.items():
            await db.execute(
                update(Delivery).where(Delivery.chat_id == chat_id).values(status=status)
            )
