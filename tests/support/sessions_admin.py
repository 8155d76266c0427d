"""Dialogue sessions managed on Telegram by an admin: creating one through the dialog, and the
stored sessions and audit entries."""

from __future__ import annotations

from sqlalchemy import select

from models import DialogueSession
from tests.support.questions import audit_log
from tests.support.staff_chat import Person, admin, person  # noqa: F401 (fixtures)

ADMIN, OTHER_ADMIN, LEADER, OFFICIAL, RESIDENT = 1, 2, 10, 20, 501
TITLE = "Hội nghị đối thoại tháng 12/2026"
PLACE = "Hội trường UBND phường Bình An"
AGENDA = "1. Báo cáo kết quả giải quyết thủ tục\n2. Người dân phát biểu, hỏi đáp"
NEW = "➕ Kỳ đối thoại mới"
CREATE = "✅ Tạo"


async def stored(app) -> list[DialogueSession]:
    async with app.sessionmaker() as db:
        stmt = select(DialogueSession).order_by(DialogueSession.id)
        return list((await db.execute(stmt)).scalars())


async def entries(app, **where):
    return [e for e in await audit_log(app) if all(getattr(e, k) == v for k, v in where.items())]


async def create(
    admin: Person, title=TITLE, day="15/12/2026", at="08:00", place=PLACE, agenda=None
):
    """The whole wizard, each step accepted."""
    await admin.send("/sessions")
    await admin.tap(NEW)
    for typed in (title, day, at, place):
        await admin.send(typed)
    if agenda is None:
        await admin.tap("⏭ Không có nội dung")
    else:
        await admin.send(agenda)
    await admin.tap(CREATE)
