"""/agenda on Telegram, through the real dispatcher: an official gets, in advance, the questions
of the conference they are to answer (the same service as the console's "Only the questions I
answer"), by field, with tracking code, supporters and a short text; a possible complaint is
never quoted; a long list comes as several messages within Telegram's limit; someone not on
staff is refused and the refusal audited; the day before, each answerer is told how many."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import questions, staff
from models import Delivery, ResidentQuestion
from tests.support.questions import audit_log, file, make_asker, make_session
from tests.support.scheduling import (  # noqa: F401
    add_question,
    add_resident,
    add_session,
    add_staff,
    at,
    local,
    schedulers,
    started,
)
from tests.support.staff_chat import (  # noqa: F401
    ADMIN,
    ONLY_STAFF,
    RESIDENT,
    TP,
    admin,
    official,
    person,
)

DC_OFFICIAL = 30
COMPLAINT = "Tố cáo cán bộ địa chính nhận tiền để làm nhanh hồ sơ của người quen."
USAGE = "/agenda [số]: các câu hỏi đồng chí sẽ trả lời tại hội nghị"


async def on_agenda(app, clock, session_id: int, field: str, text: str, **extra) -> str:
    """A resident's question on the conference agenda (sent there by the admin); its code."""
    asker = await make_asker(app, str(RESIDENT))
    filed = await file(app, asker, session_id, clock(), field=field, text=text, **extra)
    async with app.sessionmaker() as db, db.begin():
        await questions.mark_conference(db, await staff.find(db, ADMIN), filed.id, clock())
    return filed.code


async def test_an_official_gets_their_own_questions_for_the_conference(
    app, clock, admin, official, person
):
    await admin.send(f"/staff_add {DC_OFFICIAL} official Cán bộ Địa chính fields=dc")
    land = person(DC_OFFICIAL)
    session_id = await make_session(app)
    birth = await on_agenda(app, clock, session_id, "tp", "Thủ tục đăng ký khai sinh cần gì?")
    flagged = await on_agenda(app, clock, session_id, "tp", COMPLAINT, complaint_flag=True)
    parcel = await on_agenda(app, clock, session_id, "dc", "Bao giờ cấp sổ đỏ cho tổ 5?")

    await official.send("/agenda")  # the open session by default
    [listing] = official.messages[-1:]
    text = listing.text
    assert text.startswith(
        f"📋 Các câu hỏi đồng chí sẽ trả lời tại hội nghị của kỳ đối thoại số {session_id}: 2"
    )
    assert f"{TP} (2)" in text
    assert f"{birth} · 👥 người ủng hộ: 0\nThủ tục đăng ký khai sinh cần gì?" in text
    assert f"{flagged} · 👥 người ủng hộ: 0\n⚠️ Có thể là khiếu nại hoặc tố cáo" in text
    assert "nhận tiền" not in text
    assert parcel not in text and "sổ đỏ" not in text

    await land.send(f"/agenda {session_id}")
    text = land.last().text
    assert "Địa chính (đất đai) (1)" in text and parcel in text and "sổ đỏ" in text
    assert birth not in text and flagged not in text

    await official.send("/agenda 9999")
    assert official.last().text == "Không tìm thấy kỳ đối thoại này."
    await official.send("/agenda x")
    assert official.last().text.startswith(USAGE)
    await official.send("/help")
    assert USAGE in official.last().text

    views = [e for e in await audit_log(app) if e.action == "conference_agenda" and e.allowed]
    assert [(e.actor_telegram_id, e.detail) for e in views][:2] == [
        (20, {"answerer": 2}),
        (DC_OFFICIAL, {"answerer": 3}),
    ]


async def test_someone_not_on_staff_is_refused_and_audited(app, clock, admin, person):
    session_id = await make_session(app)
    await on_agenda(app, clock, session_id, "tp", "Thủ tục đăng ký khai sinh cần gì?")
    resident = person(RESIDENT)
    await resident.send(f"/agenda {session_id}")
    assert resident.last().text.startswith(ONLY_STAFF)
    assert "khai sinh" not in resident.last().text
    refused = [e for e in await audit_log(app) if e.action == "conference_agenda"]
    assert [(e.actor_telegram_id, e.allowed) for e in refused] == [(RESIDENT, False)]


async def test_a_long_list_comes_in_messages_within_the_limit(app, clock, official):
    session_id = await make_session(app)
    long_text = "Đề nghị phường giải thích rõ quy trình chứng thực bản sao giấy tờ. " * 10
    codes = [await on_agenda(app, clock, session_id, "tp", long_text) for _ in range(40)]
    before = len(official.messages)
    await official.send("/agenda")
    sent = official.messages[before:]  # the bot's messages
    assert len(sent) > 1
    assert all(len(m.raw_text) <= 4096 for m in sent)  # with the HTML tags
    together = "\n".join(m.text for m in sent)
    assert [c for c in codes if together.count(c) == 1] == codes
    assert all(m.text.startswith(f"{TP} (40)") for m in sent[1:])


# --- the day before: each answerer is told how many -------------------------------------------


async def agenda_notices(app) -> dict[str, str]:
    """{chat id: text} of the day-before notices in the outbox."""
    async with app.sessionmaker() as db:
        stmt = select(Delivery).where(Delivery.key.startswith("agenda:")).order_by(Delivery.id)
        return {d.chat_id: d.payload["text"] for d in (await db.execute(stmt)).scalars()}


async def test_the_day_before_each_answerer_is_told_how_many_questions_are_theirs(
    app, schedulers, at
):
    at(local(2026, 12, 13, 7))
    sid = await add_session(app, local(2026, 12, 15, 8))
    await add_resident(app, "telegram", "501", "vi")
    await add_staff(app, 601, "official", ["tp"])
    await add_staff(app, 602, "official", ["dc"])
    await add_staff(app, 603, "official", ["ca"])  # nothing on the agenda for them
    await add_staff(app, 604, "leader")
    await add_question(app, 1, "tp", local(2026, 12, 1, 10), status="conference")
    await add_question(app, 2, "tp", local(2026, 12, 1, 10), status="conference")
    await add_question(app, 3, "tp", local(2026, 12, 1, 10))  # not sent to the conference
    await add_question(app, 4, "dc", local(2026, 12, 1, 10), status="conference")
    instance = await started(schedulers)

    at(local(2026, 12, 13, 7, 30))  # two days before: nothing yet
    await instance.run_due()
    assert await agenda_notices(app) == {}

    at(local(2026, 12, 14, 7, 30))
    await instance.run_due()
    intro = "📋 Hội nghị đối thoại <b>Hội nghị đối thoại tháng 12/2026</b> (08:00 15/12/2026)"
    assert await agenda_notices(app) == {
        "601": f"{intro}: số câu hỏi đồng chí sẽ trả lời: 2. /agenda {sid} liệt kê theo lĩnh vực.",
        "602": f"{intro}: số câu hỏi đồng chí sẽ trả lời: 1. /agenda {sid} liệt kê theo lĩnh vực.",
    }

    at(local(2026, 12, 15, 7, 30))  # the morning of the conference: not again
    await instance.run_due()
    assert len(await agenda_notices(app)) == 2


async def test_a_question_the_office_gives_an_official_outside_their_fields_is_on_their_list(
    app, clock, admin, official
):
    from bot.services import conference

    session_id = await make_session(app)
    parcel = await on_agenda(app, clock, session_id, "dc", "Bao giờ cấp sổ đỏ cho tổ 5?")
    await official.send("/agenda")
    assert parcel not in official.last().text  # not their field, not theirs to answer

    async with app.sessionmaker() as db, db.begin():
        question = await db.scalar(select(ResidentQuestion).where(ResidentQuestion.code == parcel))
        chosen = await staff.find(db, official.user_id)
        await conference.set_answerer(
            db, await staff.find(db, ADMIN), question.id, chosen.id, now=clock()
        )
    await official.send("/agenda")
    text = official.last().text
    assert parcel in text and "Bao giờ cấp sổ đỏ cho tổ 5?" in text
