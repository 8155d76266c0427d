"""Answers go to the next conference that has not yet taken place: in December, after
November's conference, they are for next June's, and November's is no longer listed as
upcoming, whether it was dated or its date was never announced."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.conversation.engine import TextConversation
from models import DialogueSession
from tests.support.db_helpers import responses, rows_of
from tests.support.text_resident import TextResident

DECEMBER = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 09:00 on 5/12/2026 in the ward
JUNE_AFTER = datetime(2026, 6, 20, 2, 0, tzinfo=UTC)


async def add(app, **values) -> int:
    async with app.sessionmaker() as db, db.begin():
        session = DialogueSession(**values)
        db.add(session)
        await db.flush()
        return session.id


async def resident_at(app, settings, clock, now: datetime) -> TextResident:
    clock.now = now
    an = TextResident(TextConversation(app.sessionmaker, app.survey, settings, clock), "an")
    await an.say("xin chào")
    await an.say("1")  # survey
    await an.say("2")  # no reminders
    await an.say("2")  # no contact
    return an


async def test_in_december_answers_go_to_next_june_and_november_is_not_upcoming(
    app, settings, clock
):
    # November's default session, its date never announced, and a dated one held on 26/11.
    await add(app, title="Hội nghị đối thoại tháng 11 năm 2026", period="2026-H2", status="planned")
    await add(
        app,
        title="Hội nghị tháng 11 (đã họp)",
        starts_at=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
        status="planned",
    )
    an = await resident_at(app, settings, clock, DECEMBER)

    listing = await an.say("4")
    assert "Lịch Hội nghị đối thoại sắp tới" in listing
    assert "tháng 11" not in listing
    assert "Hiện chưa có lịch Hội nghị đối thoại." in listing

    await an.say("menu")
    fields = await an.say("1")
    assert "Đánh giá thủ tục theo lĩnh vực · Hội nghị đối thoại tháng 6 năm 2027" in fields
    await an.say("2")  # Tư pháp – Hộ tịch
    await an.say("1")  # a procedure: the draft is stored with its session
    [response] = await responses(app)
    async with app.sessionmaker() as db:
        chosen = await db.get(DialogueSession, response.session_id)
    assert (chosen.title, chosen.period, chosen.starts_at) == (
        "Hội nghị đối thoại tháng 6 năm 2027",
        "2027-H1",
        None,
    )

    await an.say("menu")
    listing = await an.say("5")  # the menu now offers "continue" first
    assert "Hội nghị đối thoại tháng 6 năm 2027" in listing
    assert "tháng 11" not in listing


async def test_a_half_years_default_session_held_already_is_not_chosen_again(app, settings, clock):
    held = await add(
        app,
        title="Hội nghị đối thoại tháng 6 năm 2026",
        period="2026-H1",
        starts_at=datetime(2026, 6, 10, 1, 0, tzinfo=UTC),
        status="planned",
    )
    an = await resident_at(app, settings, clock, JUNE_AFTER)
    fields = await an.say("1")
    assert "· Hội nghị đối thoại tháng 11 năm 2026" in fields
    async with app.sessionmaker() as db:
        periods = {s.id: s.period for s in await rows_of(db, DialogueSession)}
    assert periods[held] == "2026-H1" and sorted(periods.values()) == ["2026-H1", "2026-H2"]
