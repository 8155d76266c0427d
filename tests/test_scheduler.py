"""Reminders, staff digests and recurring sessions (scheduler/): what each job puts in the
outbox, at which ward time, for whom and in which language, and what survives a restart.

The clock is moved with time-machine; `Scheduler.run_due()` then runs what is due, as the
scheduler's timer would. The tests read the deliveries the jobs create and, where a resident
acts on a reminder, play the delivery engine's part; the last one runs the engine itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select, text, update

from bot.app import build_scheduler
from bot.conversation.engine import TextConversation
from bot.services import consent, sessions, staff
from bot.services.consent import Purpose
from bot.startup import StartupError
from models import (
    AuditEntry,
    Broadcast,
    Delivery,
    DialogueSession,
    utcnow,
)
from scheduler import Scheduler, jobs
from scheduler.config import parse_clock, parse_months, parse_offsets, sync_url
from tests.support.resident import Resident as TelegramUser
from tests.support.scheduling import (  # noqa: F401 (fixtures)
    ADMIN,
    PLACE,
    add_question,
    add_resident,
    add_session,
    add_staff,
    at,
    deliveries_of,
    key,
    local,
    schedulers,
    started,
)
from tests.support.text_resident import TextResident
from tests.support.zalo import zalo_settings


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- rows -------------------------------------------------------------------------------------


async def rounds(app, *kinds: str) -> list[Broadcast]:
    """The broadcasts made so far (of these kinds), oldest first."""
    stmt = select(Broadcast).order_by(Broadcast.id)
    if kinds:
        stmt = stmt.where(Broadcast.kind.in_(kinds))
    async with app.sessionmaker() as db:
        return list((await db.execute(stmt)).scalars())


async def mark_sent(app, chat_id: str) -> None:
    """What the delivery engine records once a platform accepted the message."""
    async with app.sessionmaker() as db, db.begin():
        await db.execute(
            update(Delivery)
            .where(Delivery.chat_id == chat_id)
            .values(status="sent", sent_at=utcnow())
        )


def reminder_jobs(instance: Scheduler) -> dict[str, datetime]:
    return {
        job.id: job.next_run_time
        for job in instance.aps.get_jobs("default")
        if job.id.startswith("reminder:")
    }


async def as_delivered_on_telegram(app, delivery: Delivery) -> None:
    """The delivery engine's part: the reminder appears in the resident's chat."""
    buttons = [
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row]
        for row in delivery.payload.get("buttons", [])
    ]
    await app.bot.send_message(
        int(delivery.chat_id),
        delivery.payload["text"],
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
    )


# --- reminders --------------------------------------------------------------------------------


async def test_each_reminder_goes_out_at_its_ward_time_in_each_residents_language(
    app, schedulers, at
):
    at(local(2026, 12, 1, 9))
    starts = local(2026, 12, 15, 8)  # 08:00 on 15/12 in the ward = 01:00 UTC
    sid = await add_session(app, starts)
    await add_resident(app, "telegram", "501", "vi")
    await add_resident(app, "zalo", "z-7", "en")
    await add_resident(app, "zalo", "z-8", "vi", reminders=False)
    instance = await started(schedulers)

    # One job per round, at 7 days, 1 day and 2 hours before: the last at 06:00 ward time,
    # which is 23:00 UTC the day before.
    assert reminder_jobs(instance) == {
        f"reminder:{sid}:7d": utc(2026, 12, 8, 1),
        f"reminder:{sid}:1d": utc(2026, 12, 14, 1),
        f"reminder:{sid}:2h": utc(2026, 12, 14, 23),
    }
    at(local(2026, 12, 8, 7, 59))
    await instance.run_due()
    assert await rounds(app, "reminder") == []

    at(local(2026, 12, 8, 8))
    await instance.run_due()
    week = await deliveries_of(app, key(sid, "7d", starts))
    assert set(week) == {"501", "z-7"}  # not the resident who declined reminders
    telegram = week["501"].payload
    assert telegram["html"] is True
    assert "🔔 <b>Nhắc lịch Hội nghị đối thoại</b>" in telegram["text"]
    assert "<b>Hội nghị đối thoại tháng 12/2026</b>" in telegram["text"]
    assert "🕘 08:00 15/12/2026" in telegram["text"]
    assert f"📍 {PLACE}" in telegram["text"]
    assert telegram["buttons"] == [
        [["✍️ Gửi câu hỏi", f"rmd:q:{sid}"]],
        [["⭐ Đánh giá một lĩnh vực", f"rmd:r:{sid}"]],
    ]
    zalo = week["z-7"].payload
    assert zalo["text"].startswith("🔔 Reminder: dialogue conference\nHội nghị đối thoại")
    assert "🕘 08:00 15/12/2026" in zalo["text"] and "<b>" not in zalo["text"]
    assert zalo["text"].endswith('Reply "ask" to send a question, or "rate" to rate a field.')
    assert "then" not in zalo  # the resident's conversation stays where it is
    assert "buttons" not in zalo
    assert {d.next_attempt_at for d in week.values()} == {utc(2026, 12, 8, 1)}
    assert {d.status for d in week.values()} == {"pending"}

    at(local(2026, 12, 14, 8))
    await instance.run_due()
    assert set(await deliveries_of(app, key(sid, "1d", starts))) == {"501", "z-7"}

    at(local(2026, 12, 15, 6))
    await instance.run_due()
    last = await deliveries_of(app, key(sid, "2h", starts))
    assert {d.next_attempt_at for d in last.values()} == {utc(2026, 12, 14, 23)}
    assert [b.key for b in await rounds(app, "reminder")] == [
        key(sid, "7d", starts),
        key(sid, "1d", starts),
        key(sid, "2h", starts),
    ]
    assert reminder_jobs(instance) == {}  # each job ran once and is gone


async def admin(app) -> None:
    async with app.sessionmaker() as db, db.begin():
        await staff.bootstrap_admins(db, [ADMIN], utcnow())


async def test_moving_a_session_stops_the_old_round_and_reschedules_the_reminders(
    app, schedulers, at
):
    at(local(2026, 12, 8, 8))
    starts = local(2026, 12, 15, 8)
    sid = await add_session(app, starts)
    await add_resident(app, "telegram", "501", "vi")
    await add_resident(app, "zalo", "z-7", "en")
    await admin(app)
    instance = await started(schedulers)
    old_round = key(sid, "7d", starts)
    assert set(await deliveries_of(app, old_round)) == {"501", "z-7"}
    await mark_sent(app, "501")  # one of them went out already

    at(local(2026, 12, 8, 10))
    moved = local(2026, 12, 16, 9)
    async with app.sessionmaker() as db, db.begin():
        await sessions.update_session(db, ADMIN, sid, starts_at=moved, now=utcnow())
    app.dispatcher["sync_session"](sid)  # what /sessions calls after a change
    at(local(2026, 12, 8, 10, 0, 5))
    await instance.run_due()

    old = await deliveries_of(app, old_round)
    assert {chat: d.status for chat, d in old.items()} == {"501": "sent", "z-7": "cancelled"}
    assert [b.status for b in await rounds(app, "reminder")] == ["cancelled"]
    assert reminder_jobs(instance) == {
        f"reminder:{sid}:7d": local(2026, 12, 9, 9),
        f"reminder:{sid}:1d": local(2026, 12, 15, 9),
        f"reminder:{sid}:2h": local(2026, 12, 16, 7),
    }

    at(local(2026, 12, 9, 9))
    await instance.run_due()
    new = await deliveries_of(app, key(sid, "7d", moved))
    assert set(new) == {"501", "z-7"}
    assert "🕘 09:00 16/12/2026" in new["501"].payload["text"]


async def test_cancelling_tells_only_those_already_reminded(app, schedulers, at):
    at(local(2026, 12, 8, 8))
    starts = local(2026, 12, 15, 8)
    sid = await add_session(app, starts)
    await add_resident(app, "telegram", "501", "vi")
    await add_resident(app, "zalo", "z-7", "en")
    withdrew = await add_resident(app, "telegram", "503", "vi")
    await admin(app)
    instance = await started(schedulers)
    await mark_sent(app, "501")
    await mark_sent(app, "503")
    async with app.sessionmaker() as db, db.begin():
        await consent.record(
            db,
            withdrew,
            Purpose.REMINDERS,
            False,
            channel="telegram",
            notice_version="2026-01",
            now=utcnow(),
        )

    at(local(2026, 12, 9, 14))
    async with app.sessionmaker() as db, db.begin():
        await sessions.cancel_session(db, ADMIN, sid, now=utcnow())
    # Without the /sessions hook: the reconciliation of the next minute finds it.
    at(local(2026, 12, 9, 14, 1))
    await instance.run_due()

    reminded = await deliveries_of(app, key(sid, "7d", starts))
    assert {chat: d.status for chat, d in reminded.items()} == {
        "501": "sent",
        "z-7": "cancelled",
        "503": "sent",
    }
    told = await deliveries_of(app, f"cancellation:{sid}")
    assert set(told) == {"501"}
    notice = told["501"].payload
    assert "✖ <b>Huỷ Hội nghị đối thoại</b>" in notice["text"]
    assert "<b>Hội nghị đối thoại tháng 12/2026</b>" in notice["text"]
    assert "🕘 08:00 15/12/2026" in notice["text"]
    assert "buttons" not in notice
    assert reminder_jobs(instance) == {}

    at(local(2026, 12, 14, 8))  # the 1-day reminder's time: nothing for a cancelled session
    await instance.run_due()
    assert [b.kind for b in await rounds(app, "reminder", "cancellation")] == [
        "reminder",
        "cancellation",
    ]


async def test_reminders_missed_while_down_go_out_once_and_never_after_the_start(
    app, schedulers, at
):
    at(local(2026, 12, 1, 9))
    starts = local(2026, 12, 15, 8)
    early = local(2026, 12, 15, 6, 45)
    sid = await add_session(app, starts)
    other = await add_session(app, early, title="Đối thoại với hộ kinh doanh")
    await add_resident(app, "zalo", "z-7", "en")
    await (await started(schedulers)).stop()

    # Down from 1/12 to 8/12 10:00: both 7-day reminders were due that morning.
    at(local(2026, 12, 8, 10))
    await (await started(schedulers)).stop()
    week = await deliveries_of(app, key(sid, "7d", starts))
    assert {d.next_attempt_at for d in week.values()} == {local(2026, 12, 8, 10)}
    await (await started(schedulers)).stop()  # restarted again: nothing twice
    assert {b.key for b in await rounds(app, "reminder")} == {
        key(sid, "7d", starts),
        key(other, "7d", early),
    }

    # Down again until 06:50 on the day: the 1-day and 2-hour reminders were missed. The
    # 08:00 session gets the 2-hour one only (the 1-day one would say the same, later); the
    # 06:45 one has started: nothing more, and its week-old reminder is not sent now either.
    at(local(2026, 12, 15, 6, 50))
    instance = await started(schedulers)
    assert {b.key for b in await rounds(app, "reminder")} == {
        key(sid, "7d", starts),
        key(other, "7d", early),
        key(sid, "2h", starts),
    }
    assert (await deliveries_of(app, key(other, "7d", early)))["z-7"].status == "cancelled"
    assert (await deliveries_of(app, key(sid, "7d", starts)))["z-7"].status == "cancelled"
    assert (await deliveries_of(app, key(sid, "2h", starts)))["z-7"].status == "pending"

    at(local(2026, 12, 15, 8, 5))  # the session started before the engine got to it
    await instance.run_due()
    assert (await deliveries_of(app, key(sid, "2h", starts)))["z-7"].status == "cancelled"

    # The morning job too ran once after each downtime (for the ward day it was due), and on
    # time on the last morning.
    assert [b.key for b in await rounds(app, "digest") if b.key.startswith("digest:")] == [
        "digest:2026-12-08",
        "digest:2026-12-14",
        "digest:2026-12-15",
    ]


async def test_the_job_store_keeps_the_jobs_across_a_restart(app, schedulers, at):
    at(local(2026, 12, 1, 9))
    sid = await add_session(app, local(2026, 12, 15, 8))
    first = await started(schedulers)
    stored = reminder_jobs(first)
    await first.stop()

    async with app.engine.connect() as connection:
        rows = await connection.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id"))
        ids = [row.id for row in rows]
    assert ids == sorted(["morning", *stored])
    assert len(stored) == 3

    second = schedulers()
    await second.start()  # read back before any job runs
    assert reminder_jobs(second) == stored
    assert (
        str(second.aps.get_job("morning", "default").next_run_time) == "2026-12-02 07:30:00+07:00"
    )
    assert second.aps.get_job(f"reminder:{sid}:7d", "default").args == (
        sid,
        "7d",
        "2026-12-15T01:00Z",
    )


# --- acting on a reminder ---------------------------------------------------------------------


async def test_a_zalo_resident_replies_with_the_reminders_words(app, settings, schedulers, at):
    at(local(2026, 12, 8, 7))
    starts = local(2026, 12, 15, 8)
    sid = await add_session(app, starts)
    zalo = TextResident(TextConversation(app.sessionmaker, app.survey, settings), "z-1", "zalo")
    for reply in ("Xin chào", "1", "1", "2"):  # survey yes, reminders yes, contact no
        await zalo.say(reply)
    assert "Menu chính" in zalo.last
    at(local(2026, 12, 8, 8))
    await started(schedulers)
    reminder = (await deliveries_of(app, key(sid, "7d", starts)))["z-1"]
    assert reminder.payload["text"].endswith(
        "Ông/Bà nhắn “hỏi” để gửi câu hỏi, hoặc “đánh giá” để đánh giá một lĩnh vực."
    )

    assert "Câu hỏi, kiến nghị thuộc lĩnh vực nào?" in await zalo.say("hỏi")
    await zalo.say("menu")
    assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in await zalo.say("danh gia")
    await zalo.say("menu")
    # Anything else is read against the screen the resident is on, as if no reminder came.
    assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in await zalo.say("1")


async def test_telegram_reminder_buttons_open_the_question_and_the_survey(
    app, telegram, resident, schedulers, at
):
    at(local(2026, 12, 8, 8))
    starts = local(2026, 12, 15, 8)
    sid = await add_session(app, starts)
    await add_resident(app, "telegram", str(resident.user_id), "vi")
    await started(schedulers)
    await as_delivered_on_telegram(app, (await deliveries_of(app, key(sid, "7d", starts)))["501"])
    reminder = resident.snapshot()
    assert reminder.buttons() == ["✍️ Gửi câu hỏi", "⭐ Đánh giá một lĩnh vực"]

    await resident.tap("✍️ Gửi câu hỏi", on=reminder)
    assert "Câu hỏi, kiến nghị thuộc lĩnh vực nào?" in resident.text
    await resident.tap("⭐ Đánh giá một lĩnh vực", on=reminder)
    assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in resident.text
    assert "Hội nghị đối thoại tháng 12/2026" in resident.text


# --- the morning: digests, exports, the next sessions -----------------------------------------


async def test_each_official_gets_the_new_and_unanswered_questions_of_their_fields(
    app, schedulers, at
):
    at(local(2026, 11, 30, 9))
    await add_session(app, local(2026, 12, 15, 8))
    await add_resident(app, "telegram", "501", "vi")
    await add_staff(app, 601, "official", ["tp"])
    await add_staff(app, 602, "official", ["dc"])
    await add_staff(app, 603, "official", ["ca"])
    await add_staff(app, 604, "leader")
    waiting = await add_question(app, 1, "tp", local(2026, 11, 30, 10))
    await add_question(app, 2, "tp", local(2026, 11, 30, 10), status="answered")
    await add_question(app, 3, "dc", local(2026, 11, 30, 10), status="answered")
    instance = await started(schedulers)

    at(local(2026, 12, 1, 7, 30))
    await instance.run_due()
    first = await deliveries_of(app, "digest:2026-12-01")
    assert set(first) == {"601", "602"}  # the leader and the official with nothing: none

    at(local(2026, 12, 1, 15))
    new = await add_question(
        app,
        4,
        "tp",
        local(2026, 12, 1, 15),
        text="Xin hỏi thủ tục đăng ký khai sinh cho con\nNhà tôi ở tổ 5",
        named=True,
        contact_name="Nguyễn Văn An",
        contact_phone="0901234567",
    )
    hidden = await add_question(app, 5, "tp", local(2026, 12, 1, 15), hidden=True)
    at(local(2026, 12, 2, 7, 30))
    await instance.run_due()

    digest = await deliveries_of(app, "digest:2026-12-02")
    assert set(digest) == {"601"}  # dc's only question was answered before the last digest
    message = digest["601"].payload
    assert message["html"] is True and "buttons" not in message
    assert message["text"] == "\n".join(
        [
            "☀️ <b>Câu hỏi thuộc lĩnh vực đồng chí phụ trách</b> · 02/12/2026",
            "",
            "<b>🆕 Mới từ bản tin trước: 1</b>",
            f"• <b>{new}</b> · Tư pháp – Hộ tịch · đã tiếp nhận",
            "  <i>Xin hỏi thủ tục đăng ký khai sinh cho con</i>",
            "",
            "<b>⏳ Chưa trả lời: 1</b>",
            f"• <b>{waiting}</b> · Tư pháp – Hộ tịch · đã tiếp nhận",
            "  <i>Câu hỏi số 1 về thủ tục</i>",
            "",
            "Xem chi tiết bằng lệnh /questions.",
        ]
    )
    assert hidden not in message["text"] and "0901234567" not in message["text"]

    await instance.jobs.morning()  # run twice the same day: nothing more
    assert len(await deliveries_of(app, "digest:2026-12-02")) == 1


def files_exist(paths) -> bool:
    return all(Path(path).is_file() for path in paths)


async def test_leaders_and_admins_get_the_conference_files_the_day_before(
    app, schedulers, at, tmp_path
):
    at(local(2026, 12, 14, 7))
    starts = local(2026, 12, 15, 8)
    sid = await add_session(app, starts)
    await add_staff(app, ADMIN, "admin")
    await add_staff(app, 604, "leader")
    await add_staff(app, 601, "official", ["tp"])
    instance = await started(schedulers)

    at(local(2026, 12, 14, 7, 30))
    await instance.run_due()
    export = f"export:{sid}:2026-12-15T01:00Z"
    async with app.sessionmaker() as db:
        stmt = (
            select(Delivery)
            .join(Broadcast, Delivery.broadcast_id == Broadcast.id)
            .where(Broadcast.key == export)
            .order_by(Delivery.id)
        )
        files = list((await db.execute(stmt)).scalars())
        audited = (
            await db.execute(select(AuditEntry).where(AuditEntry.action == "export"))
        ).scalar_one()
    by_chat: dict[str, list[dict]] = {}
    for delivery in files:
        by_chat.setdefault(delivery.chat_id, []).append(delivery.payload)
    assert set(by_chat) == {str(ADMIN), "604"}  # not the official
    sent = by_chat["604"]
    names = [p["media"]["name"] for p in sent]
    assert names[:3] == [
        f"doithoai-s{sid}-20261214.xlsx",
        f"doithoai-s{sid}-20261214-report.docx",
        f"doithoai-s{sid}-20261214-chart.png",
    ]
    assert all(n.endswith(".csv") for n in names[3:]) and len(names) > 3
    for payload in sent:
        media = payload["media"]
        assert media["kind"] == "document"
        assert media["path"].startswith(str(tmp_path / "exports")) and media["path"].endswith(
            media["name"]
        )
    assert files_exist(p["media"]["path"] for p in sent)
    assert sent[0]["text"].startswith(
        "📎 Tài liệu Hội nghị <b>Hội nghị đối thoại tháng 12/2026</b> (08:00 15/12/2026)"
    )
    assert [p["text"] for p in sent[1:]] == [""] * (len(sent) - 1)
    assert by_chat[str(ADMIN)] == sent
    assert audited.actor_telegram_id is None and audited.target == f"session:{sid}"
    assert audited.detail == {"via": "scheduler", "named": False}

    at(local(2026, 12, 15, 7, 30))  # the morning of the session: not again
    await instance.run_due()
    assert [b.key for b in await rounds(app) if b.key.startswith("export:")] == [export]

    # A week on, the files (residents' questions, pseudonymised) are removed from the server.
    folder = tmp_path / "exports" / f"session-{sid}-20261214-0730"
    assert folder.is_dir()
    at(local(2026, 12, 21, 7, 30))
    await instance.run_due()
    assert folder.is_dir()
    at(local(2026, 12, 22, 7, 30))
    await instance.run_due()
    assert not folder.exists()


async def test_the_next_session_is_drafted_and_admins_asked_once_per_period(
    app, telegram, schedulers, at
):
    await add_staff(app, ADMIN, "admin")
    await add_staff(app, 604, "leader")
    at(local(2027, 4, 15, 7))
    instance = await started(schedulers)
    assert await rounds(app) == []  # not before DIGEST_TIME

    at(local(2027, 4, 15, 7, 30))
    await instance.run_due()
    async with app.sessionmaker() as db:
        drafted = (await db.execute(select(DialogueSession))).scalar_one()
    assert (drafted.title, drafted.period, drafted.status, drafted.starts_at) == (
        "Hội nghị đối thoại tháng 6 năm 2027",
        "2027-H1",
        "planned",
        None,
    )
    notice = await deliveries_of(app, "plan:2027-H1")
    assert set(notice) == {str(ADMIN)}
    payload = notice[str(ADMIN)].payload
    assert payload["text"].startswith(
        "🗓 Đã lập dự thảo <b>Hội nghị đối thoại tháng 6 năm 2027</b>, chưa có ngày."
    )
    assert "/sessions" in payload["text"]
    assert payload["buttons"] == [[["🗓 Đặt ngày, giờ, địa điểm", f"plan:{drafted.id}"]]]

    at(local(2027, 4, 16, 7, 30))
    await instance.run_due()
    assert [b.key for b in await rounds(app)] == [
        "digest:2027-04-15",
        "plan:2027-H1",
        "digest:2027-04-16",
    ]
    async with app.sessionmaker() as db:
        assert len((await db.execute(select(DialogueSession))).all()) == 1

    # The admin taps the button: the session's screen in /sessions, ready to set the date.
    office = TelegramUser(app, telegram, ADMIN, "vi")
    await as_delivered_on_telegram(app, notice[str(ADMIN)])
    await office.tap("🗓 Đặt ngày, giờ, địa điểm", on=office.snapshot())
    assert "Hội nghị đối thoại tháng 6 năm 2027" in office.text
    assert "thời gian sẽ thông báo sau" in office.text
    assert "✏️ Sửa" in office.buttons

    # November: the office dated a session of the half-year itself; nothing is drafted.
    await add_session(app, local(2027, 11, 20, 8), title="Đối thoại cuối năm 2027")
    at(local(2027, 10, 1, 7, 30))
    await instance.run_due()
    assert not [b for b in await rounds(app) if b.key == "plan:2027-H2"]


async def test_someone_not_on_staff_cannot_open_a_drafted_session(app, telegram, schedulers, at):
    await add_staff(app, ADMIN, "admin")
    at(local(2027, 4, 15, 7, 30))
    await started(schedulers)
    notice = (await deliveries_of(app, "plan:2027-H1"))[str(ADMIN)]
    stranger = TelegramUser(app, telegram, 777, "vi")
    await as_delivered_on_telegram(app, notice)
    await stranger.tap_data(
        notice.payload["buttons"][0][0][1], on=telegram.chat_messages(ADMIN)[-1]
    )
    assert telegram.callback_answers[-1]  # refused, politely
    assert not telegram.chat_messages(777)


# --- settings ---------------------------------------------------------------------------------


def test_schedule_settings_are_read_once_and_refused_with_one_line():
    assert [(o.label, o.delta) for o in parse_offsets(" 2h, 7d,1d,24h")] == [
        ("7d", timedelta(days=7)),
        ("1d", timedelta(days=1)),
        ("2h", timedelta(hours=2)),
    ]
    assert parse_offsets("") == ()
    assert parse_clock("7:30").hour == 7 and parse_months("11, 6") == (6, 11)
    for bad in ("7x", "0d", "soon"):
        with pytest.raises(StartupError, match="REMINDER_OFFSETS"):
            parse_offsets(bad)
    with pytest.raises(StartupError, match="DIGEST_TIME"):
        parse_clock("25:00")
    with pytest.raises(StartupError, match="SESSION_MONTHS"):
        parse_months("6,13")
    assert str(sync_url("sqlite+aiosqlite:///./data/x.sqlite3")) == "sqlite:///./data/x.sqlite3"
    assert (
        sync_url("postgresql+asyncpg://u:p@h:5432/db").render_as_string(hide_password=False)
        == "postgresql+psycopg://u:p@h:5432/db"
    )
    assert str(sync_url("postgresql+asyncpg://h/db?ssl=require")) == (
        "postgresql+psycopg://h/db?sslmode=require"
    )


async def test_the_sessions_hook_does_nothing_without_a_running_scheduler(app, tmp_path):
    app.dispatcher["sync_session"](12)  # no scheduler in this process: no error
    standby = build_scheduler(app, export_dir=tmp_path / "exports")  # a worker that does not lead
    app.dispatcher["sync_session"](12)
    assert not standby.aps.running and standby.aps.get_jobs() == []


async def test_a_stored_job_runs_only_through_a_scheduler():
    with pytest.raises(RuntimeError, match="runs through a Scheduler"):
        await jobs.remind(12, "7d", "2026-12-15T01:00:00+00:00")


async def test_end_to_end_the_engine_sends_the_reminders_and_residents_act_on_them(
    make_app, settings, telegram, zalo, at, tmp_path
):
    """With the delivery engine: the reminder reaches a Telegram chat with its buttons and a
    Zalo chat with its numbered replies, and both lead where they say."""
    app = await make_app(settings=zalo_settings(settings, zalo))
    at(local(2026, 12, 8, 7))
    starts = local(2026, 12, 15, 8)
    sid = await add_session(app, starts)
    await add_resident(app, "telegram", "501", "vi")
    await add_resident(app, "zalo", "zu1", "en")
    instance = build_scheduler(app, export_dir=tmp_path / "exports")
    try:
        await instance.start()
        await instance.run_due()
        at(local(2026, 12, 8, 8))
        await instance.run_due()
        await app.delivery.drain()
    finally:
        await instance.stop()

    sent = await deliveries_of(app, key(sid, "7d", starts))
    assert {chat: d.status for chat, d in sent.items()} == {"501": "sent", "zu1": "sent"}
    [(chat, text_sent)] = zalo.sent
    assert chat == "zu1"
    assert text_sent.endswith('Reply "ask" to send a question, or "rate" to rate a field.')
    zalo_resident = TextResident(
        TextConversation(app.sessionmaker, app.survey, app.settings), "zu1", "zalo"
    )
    assert "Which field is it about?" in await zalo_resident.say("ask")

    resident = TelegramUser(app, telegram, 501, "vi")
    reminder = resident.snapshot()
    assert reminder.text.startswith("🔔 Nhắc lịch Hội nghị đối thoại\nHội nghị đối thoại")
    await resident.tap("⭐ Đánh giá một lĩnh vực", on=reminder)
    assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in resident.text
