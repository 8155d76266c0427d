"""The conference in services: staff with a secretary, questions put on the agenda, the
session made live."""

from __future__ import annotations

from bot.services import conference, questions, staff
from tests.support.questions import (
    Staff,
    make_staff,
)

SECRETARY_ID = 50


async def with_secretary(app, now) -> tuple[Staff, staff.StaffRef]:
    people = await make_staff(app, now)
    async with app.sessionmaker() as db, db.begin():
        secretary = await staff.add(
            db, people.admin, SECRETARY_ID, "Thư ký hội nghị", "secretary", now=now
        )
    return people, secretary


async def on_agenda(app, people: Staff, question_id: int, now) -> None:
    async with app.sessionmaker() as db, db.begin():
        await questions.mark_conference(db, people.leader, question_id, now)


async def go_live(app, people: Staff, session_id: int, now) -> None:
    async with app.sessionmaker() as db, db.begin():
        await conference.set_live(db, people.admin, session_id, True, now=now)
