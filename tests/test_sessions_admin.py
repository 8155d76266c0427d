"""Dialogue sessions managed by the ward office: the /sessions wizard through the real
dispatcher (times typed in the ward's zone, stored in UTC), edits, the survey window, cancelling
after a confirmation, refusals for everyone but admins (audited), what residents see under
/lich; the services' rules; and the parsing of typed dates and times."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import use_locale
from bot.services import sessions, staff
from bot.services.sessions import SessionError
from bot.services.staff import PermissionDenied
from models import DialogueSession
from models.sessions import open_session
from tests.support.journey import consent_all
from tests.support.questions import audit_log
from tests.support.sessions_admin import (  # noqa: F401 (fixtures)
    ADMIN,
    AGENDA,
    CREATE,
    LEADER,
    NEW,
    OFFICIAL,
    OTHER_ADMIN,
    PLACE,
    RESIDENT,
    TITLE,
    admin,
    create,
    entries,
    person,
    stored,
)
from tests.support.staff_chat import NOT_YOUR_ROLE, ONLY_STAFF, Person

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# The test clock: Thursday 26/11/2026, 09:00 in the ward.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
BACK = "⬅️ Quay lại"


async def add_session(app, title: str, starts_at: datetime, status: str = "planned") -> int:
    async with app.sessionmaker() as db, db.begin():
        session = DialogueSession(title=title, starts_at=starts_at, place=PLACE, status=status)
        db.add(session)
        await db.flush()
        return session.id


def row(title: str) -> str:
    """The pattern of a session's button in the list (its start · title · status)."""
    return f"^.* · {re.escape(title[:20])}.*"


async def open_screen(admin: Person, title: str) -> None:
    """/sessions, then the session's button."""
    await admin.send("/sessions")
    await admin.tap(row(title))


# --- the wizard -------------------------------------------------------------------------------


async def test_the_wizard_stores_a_local_time_in_utc_and_explains_wrong_input(app, admin, person):
    await admin.send("/sessions")
    assert admin.text.startswith("Các kỳ đối thoại")
    assert "Chưa có kỳ đối thoại nào." in admin.text
    assert "Chưa mở khảo sát cho kỳ nào" in admin.text
    assert admin.buttons == [NEW]

    await admin.tap(NEW)
    assert admin.text.startswith("Kỳ đối thoại mới · bước 1/5")
    assert admin.buttons == [BACK, "✖ Huỷ"]
    await admin.send("HN")
    assert admin.messages[-2].text == "Đồng chí vui lòng đặt tên từ 3 đến 200 ký tự."
    assert admin.text.startswith("Kỳ đối thoại mới · bước 1/5")
    await admin.send(TITLE)

    assert admin.text.startswith("Kỳ đối thoại mới · bước 2/5")
    assert "ví dụ 10/12/2026" in admin.text  # two weeks ahead: a date that would be taken
    refusals = {
        "15/12": "Đồng chí vui lòng gõ ngày theo dạng ngày/tháng/năm (dd/mm/yyyy), "
        "ví dụ 10/12/2026.",
        "31/11/2026": "Không có ngày 31/11/2026. Đồng chí vui lòng gõ ngày",
        "20/11/2026": "Ngày 20/11/2026 đã qua. Đồng chí vui lòng chọn từ hôm nay "
        "(26/11/2026) trở đi.",
    }
    for typed, explained in refusals.items():
        await admin.send(typed)
        assert admin.messages[-2].text.startswith(explained), typed
        assert admin.text.startswith("Kỳ đối thoại mới · bước 2/5"), typed
    await admin.send("15-12-2026")

    assert admin.text.startswith("Kỳ đối thoại mới · bước 3/5")
    for typed in ("25:00", "8 giờ sáng", "8"):
        await admin.send(typed)
        assert admin.messages[-2].text == (
            "Đồng chí vui lòng gõ giờ theo dạng giờ:phút, ví dụ 08:00, 7:30 hoặc 19h30."
        ), typed
    await admin.send("8:00")

    assert admin.text.startswith("Kỳ đối thoại mới · bước 4/5")
    await admin.send(PLACE)
    assert admin.text.startswith("Kỳ đối thoại mới · bước 5/5")
    assert admin.buttons == ["⏭ Không có nội dung", BACK, "✖ Huỷ"]
    await admin.send(AGENDA)

    review = admin.text
    assert review.startswith("Kỳ đối thoại mới · đồng chí vui lòng kiểm tra rồi bấm Tạo.")
    assert f"{TITLE}\n🕘 08:00 15/12/2026\n📍 {PLACE}\n📋 Nội dung:\n{AGENDA}" in review
    assert admin.buttons == [CREATE, BACK, "✖ Huỷ"]
    assert await stored(app) == []  # nothing before Create
    await admin.tap(CREATE)

    assert admin.text.startswith("✅ Đã tạo kỳ đối thoại.")
    assert "Trạng thái: dự kiến" in admin.text
    assert admin.buttons == ["✏️ Sửa", "🟢 Mở khảo sát", "✖ Huỷ kỳ đối thoại", BACK]
    [session] = await stored(app)
    assert session.starts_at == datetime(2026, 12, 15, 1, 0, tzinfo=UTC)  # 08:00 in the ward
    assert (session.title, session.place, session.agenda, session.status) == (
        TITLE,
        PLACE,
        AGENDA,
        "planned",
    )
    [created] = await entries(app, action="session_create")
    assert (created.actor_telegram_id, created.allowed, created.target) == (
        ADMIN,
        True,
        f"session:{session.id}",
    )

    await admin.tap(BACK)
    assert admin.buttons == [f"🗓 08:00 15/12/2026 · {TITLE} · dự kiến", NEW]

    resident = person(RESIDENT)
    await consent_all(resident)
    await resident.send("/lich")
    assert TITLE in resident.text
    assert "08:00 15/12/2026" in resident.text
    assert PLACE in resident.text
    assert "Báo cáo kết quả giải quyết thủ tục" in resident.text


async def test_back_keeps_what_was_typed_and_a_time_already_passed_today_is_refused(app, admin):
    await admin.send("/sessions")
    await admin.tap(NEW)
    await admin.send(TITLE)
    await admin.send("26/11/2026")  # today is accepted...
    await admin.send("08:30")  # ...but 08:30 has passed (it is 09:00 in the ward)
    assert admin.messages[-2].text == (
        "Thời điểm này đã qua. Đồng chí vui lòng chọn thời điểm muộn hơn."
    )
    await admin.tap(BACK)
    assert admin.text.startswith("Kỳ đối thoại mới · bước 2/5")
    assert "Hiện tại: 26/11/2026" in admin.text
    await admin.send("27/11/2026")
    await admin.send("19h")
    await admin.send(PLACE)
    await admin.tap("⏭ Không có nội dung")
    assert "🕘 19:00 27/11/2026" in admin.text and "📋" not in admin.text
    await admin.tap(CREATE)
    [session] = await stored(app)
    assert session.starts_at == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert session.agenda is None

    await admin.send("/sessions")
    await admin.tap(NEW)
    await admin.tap("✖ Huỷ")
    assert admin.text.startswith("Các kỳ đối thoại")
    assert len(await stored(app)) == 1


async def test_a_start_that_passes_while_the_review_is_open_is_not_created(app, admin, clock):
    await admin.send("/sessions")
    await admin.tap(NEW)
    for typed in (TITLE, "26/11/2026", "10:00", PLACE):
        await admin.send(typed)
    await admin.tap("⏭ Không có nội dung")
    clock.advance(hours=2)  # 11:00 in the ward
    await admin.tap(CREATE)
    assert admin.text.endswith("⚠️ Thời điểm này đã qua. Đồng chí vui lòng chọn thời điểm muộn hơn.")
    assert admin.buttons == [CREATE, BACK, "✖ Huỷ"]
    assert await stored(app) == []


# --- editing ----------------------------------------------------------------------------------


async def test_edit_one_item_at_a_time(app, admin):
    await create(admin, agenda=AGENDA)
    await admin.tap("✏️ Sửa")
    assert admin.text == f"Sửa: {TITLE}\nĐồng chí muốn sửa mục nào?"
    assert admin.buttons == ["Tên", "Ngày", "Giờ", "Địa điểm", "Nội dung", BACK]

    await admin.tap("Giờ")
    assert admin.text.startswith(f"Sửa: {TITLE}\nBắt đầu lúc mấy giờ")
    assert "Hiện tại: 08:00" in admin.text
    assert admin.buttons == [BACK]  # back to the session, nothing changed
    await admin.send("7 giờ 61")
    assert admin.messages[-2].text.startswith("Đồng chí vui lòng gõ giờ theo dạng giờ:phút")
    await admin.send("19h30")
    assert admin.text.startswith("✅ Đã lưu.")
    assert "🕘 19:30 15/12/2026" in admin.text

    await admin.tap("✏️ Sửa")
    await admin.tap("Ngày")
    await admin.send("16.12.2026")  # the same time, another day
    assert "🕘 19:30 16/12/2026" in admin.text

    await admin.tap("✏️ Sửa")
    await admin.tap("Tên")
    await admin.send("  Hội nghị đối thoại   cuối năm 2026 ")
    assert "Hội nghị đối thoại cuối năm 2026" in admin.text

    await admin.tap("✏️ Sửa")
    await admin.tap("Nội dung")
    assert "Hiện tại: 1. Báo cáo" in admin.text
    await admin.tap("⏭ Không có nội dung")
    assert "📋" not in admin.text

    await admin.tap("✏️ Sửa")
    await admin.tap("Địa điểm")
    await admin.tap(BACK)
    assert admin.text.startswith("Hội nghị đối thoại cuối năm 2026")

    [session] = await stored(app)
    assert session.starts_at == datetime(2026, 12, 16, 12, 30, tzinfo=UTC)
    assert (session.title, session.place, session.agenda) == (
        "Hội nghị đối thoại cuối năm 2026",
        PLACE,
        None,
    )
    updates = await entries(app, action="session_update")
    assert [e.detail["changed"] for e in updates] == [
        ["starts_at"],
        ["starts_at"],
        ["title"],
        ["agenda"],
    ]
    assert {e.target for e in updates} == {f"session:{session.id}"}


async def test_the_time_of_a_session_without_a_date_asks_the_day_first(app, admin):
    # The session the bot creates by itself for the half-year, its date to be announced.
    async with app.sessionmaker() as db, db.begin():
        default = await sessions.session_for_answers(db, NOW, ZONE, "vi")
        title = default.title
    await open_screen(admin, title)
    assert "🕘 thời gian sẽ thông báo sau" in admin.text
    await admin.tap("✏️ Sửa")
    await admin.tap("Giờ")
    assert "Tổ chức ngày nào?" in admin.text
    await admin.send("04/12/2026")
    assert "Bắt đầu lúc mấy giờ" in admin.text
    await admin.send("14:00")
    assert "🕘 14:00 04/12/2026" in admin.text
    [session] = await stored(app)
    assert session.starts_at == datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


# --- the survey window and cancelling ---------------------------------------------------------


async def test_one_survey_window_at_a_time(app, admin):
    june = await add_session(app, "Hội nghị tháng 6/2027", datetime(2027, 6, 10, 1, 0, tzinfo=UTC))
    await add_session(app, TITLE, datetime(2026, 12, 15, 1, 0, tzinfo=UTC))

    await open_screen(admin, TITLE)
    await admin.tap("🟢 Mở khảo sát")
    assert admin.text.startswith("🟢 Đã mở khảo sát: phiếu của người dân từ nay")
    assert "Trạng thái: đang mở khảo sát" in admin.text
    assert admin.buttons == ["✏️ Sửa", "⏹ Đóng khảo sát", "✖ Huỷ kỳ đối thoại", BACK]
    await admin.tap(BACK)
    assert f"🟢 Đang mở khảo sát: {TITLE}" in admin.text

    await admin.tap(row("Hội nghị tháng 6/2027"))
    await admin.tap("🟢 Mở khảo sát")
    assert admin.text.startswith(
        f"⚠️ Kỳ “{TITLE}” đang mở khảo sát. Mỗi lúc phiếu chỉ được ghi nhận cho một kỳ"
    )
    assert "Trạng thái: dự kiến" in admin.text
    async with app.sessionmaker() as db:
        assert (await open_session(db)).title == TITLE

    await admin.tap(BACK)
    await admin.tap(row(TITLE))
    await admin.tap("⏹ Đóng khảo sát")
    assert admin.text.startswith("⏹ Đã đóng khảo sát.")
    assert "Trạng thái: đã đóng" in admin.text
    assert admin.buttons == ["✏️ Sửa", "🟢 Mở khảo sát", BACK]  # held: no cancelling
    await admin.tap(BACK)
    await admin.tap(row("Hội nghị tháng 6/2027"))
    await admin.tap("🟢 Mở khảo sát")
    async with app.sessionmaker() as db:
        assert (await open_session(db)).id == june
        answers_go_to = await sessions.session_for_answers(db, NOW, ZONE, "vi")
        assert answers_go_to.id == june

    audited = [
        (e.action, e.detail)
        for e in await audit_log(app)
        if e.action in ("session_open", "session_close")
    ]
    assert audited == [
        ("session_open", {"from": "planned", "to": "open"}),
        ("session_close", {"from": "open", "to": "closed"}),
        ("session_open", {"from": "planned", "to": "open"}),
    ]


async def test_cancel_after_a_confirmation_and_residents_no_longer_see_it(app, admin, person):
    await create(admin)
    resident = person(RESIDENT)
    await consent_all(resident)
    await resident.send("/lich")
    assert TITLE in resident.text

    await admin.tap("✖ Huỷ kỳ đối thoại")
    assert admin.text == (
        f"Huỷ kỳ đối thoại {TITLE} (08:00 15/12/2026)? Người dân sẽ không còn thấy kỳ này."
    )
    assert admin.buttons == ["✖ Đồng ý huỷ kỳ đối thoại", "⬅️ Không, giữ lại"]
    await admin.tap("⬅️ Không, giữ lại")
    assert "Trạng thái: dự kiến" in admin.text
    assert (await stored(app))[0].status == "planned"

    await admin.tap("✖ Huỷ kỳ đối thoại")
    await admin.tap("✖ Đồng ý huỷ kỳ đối thoại")
    assert admin.text.startswith("✖ Đã huỷ kỳ đối thoại. Người dân không còn thấy kỳ này.")
    assert "Trạng thái: đã huỷ" in admin.text
    assert admin.buttons == [BACK]  # a cancelled session is final
    [session] = await stored(app)
    assert session.status == "cancelled"
    assert [e.target for e in await entries(app, action="session_cancel")] == [
        f"session:{session.id}"
    ]

    await resident.send("/lich")
    assert TITLE not in resident.text
    assert "Hiện chưa có lịch Hội nghị đối thoại." in resident.text


# --- who may -----------------------------------------------------------------------------------


async def test_only_admins_manage_sessions_and_refusals_are_audited(app, admin, person):
    await admin.send("/staff_add 10 leader Chủ tịch phường")
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    resident = person(RESIDENT)
    await consent_all(resident)
    for who, refusal in (
        (person(LEADER), NOT_YOUR_ROLE),
        (person(OFFICIAL, "en"), NOT_YOUR_ROLE),  # staff read the ward's language
        (resident, ONLY_STAFF),
    ):
        await who.send("/sessions")
        assert who.last_message.startswith(refusal), who.user_id
    denied = await entries(app, action="sessions", allowed=False)
    assert [(e.actor_telegram_id, e.actor_role) for e in denied] == [
        (LEADER, "leader"),
        (OFFICIAL, "official"),
        (RESIDENT, None),
    ]
    await resident.send("/lich")  # residents keep their own list
    assert resident.text.startswith("Lịch Hội nghị đối thoại sắp tới")


async def test_an_admin_demoted_while_the_screen_is_open_is_refused(app, admin, person):
    await admin.send("/staff_add 2 admin Văn phòng UBND")
    other = person(OTHER_ADMIN)
    await other.send("/sessions")
    await other.tap(NEW)
    await admin.send("/staff_set 2 role=leader")
    await other.send(TITLE)
    assert other.last_message.startswith(NOT_YOUR_ROLE)
    await other.tap(BACK)
    assert other.last_alert.startswith(NOT_YOUR_ROLE)
    assert await stored(app) == []
    denied = await entries(app, actor_telegram_id=OTHER_ADMIN, allowed=False)
    assert [(e.action, e.actor_role) for e in denied] == [("sessions", "leader")] * 2


# --- the services -------------------------------------------------------------------------------


async def act(app, call, *args, **kwargs):
    """A service call in its own transaction, committed even when refused (as the update
    middleware does); the result, or the error with its message in English."""
    with use_locale("en"):
        async with app.sessionmaker() as db:
            try:
                result = await call(db, *args, **kwargs)
            except (PermissionDenied, SessionError) as error:
                await db.commit()
                return error
            await db.commit()
            return result


async def test_services_check_the_role_and_the_values(app):
    async with app.sessionmaker() as db, db.begin():
        [boss] = await staff.bootstrap_admins(db, [ADMIN], NOW)
        leader = await staff.add(db, boss, LEADER, "Chủ tịch phường", "leader", now=NOW)
    start = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
    values = {"title": TITLE, "starts_at": start, "place": PLACE, "now": NOW}

    refused = await act(app, sessions.create_session, leader, **values)
    assert isinstance(refused, PermissionDenied)
    refused = await act(app, sessions.create_session, RESIDENT, **values)
    assert str(refused) == "Sorry, this is only for ward staff."
    assert [(e.actor_telegram_id, e.action, e.allowed) for e in await audit_log(app)][-2:] == [
        (LEADER, "session_create", False),
        (RESIDENT, "session_create", False),
    ]

    problems = {
        "title": ({"title": " a "}, "Please give a title of 3 to 200 characters."),
        "long title": ({"title": "x" * 201}, "Please give a title of 3 to 200 characters."),
        "place": ({"place": "x" * 301}, "Please give a place of at most 300 characters."),
        "agenda": (
            {"agenda": "x" * 2001},
            "The agenda has 2001 characters; the limit is 2000. Please shorten it.",
        ),
        "past": (
            {"starts_at": NOW},
            "This date and time have already passed. Please give a later one.",
        ),
    }
    for name, (change, message) in problems.items():
        refused = await act(app, sessions.create_session, boss, **(values | change))
        assert str(refused) == message, name
    assert await stored(app) == []

    created = await act(app, sessions.create_session, boss, **values)
    moved = await act(app, sessions.update_session, boss, created.id, starts_at=NOW, now=NOW)
    assert str(moved) == "This date and time have already passed. Please give a later one."
    kept = await act(app, sessions.update_session, boss, created.id, agenda="  ", now=NOW)
    assert (kept.place, kept.agenda, kept.starts_at) == (PLACE, None, start)
    cleared = await act(app, sessions.update_session, boss, created.id, place=None, now=NOW)
    assert cleared.place is None
    missing = await act(app, sessions.open_survey, boss, 999, now=NOW)
    assert str(missing) == "This session was not found."


async def test_services_allow_only_sensible_transitions(app):
    async with app.sessionmaker() as db, db.begin():
        [boss] = await staff.bootstrap_admins(db, [ADMIN], NOW)

    async def new(title: str) -> int:
        start = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
        made = await act(
            app, sessions.create_session, boss, title=title, starts_at=start, place=None, now=NOW
        )
        return made.id

    first, second = await new("First session"), await new("Second session")

    async def do(call, session_id: int) -> str:
        result = await act(app, call, boss, session_id, now=NOW)
        return str(result) if isinstance(result, Exception) else result.status

    assert await do(sessions.close_survey, first) == (
        "The survey window of this session is not open."
    )
    assert await do(sessions.open_survey, first) == "open"
    assert await do(sessions.open_survey, first) == (
        "The survey window of this session is already open."
    )
    assert await do(sessions.open_survey, second) == (
        "The survey window of “First session” is open. Answers go to one session at a time: "
        "please close that window first."
    )
    assert await do(sessions.close_survey, first) == "closed"
    assert await do(sessions.cancel_session, first) == (
        "This session is closed: it has been held and cannot be cancelled."
    )
    assert await do(sessions.open_survey, first) == "open"  # reopened after a mistake
    assert await do(sessions.cancel_session, first) == "cancelled"  # the window ends with it
    async with app.sessionmaker() as db:
        assert await open_session(db) is None
    for call in (sessions.open_survey, sessions.close_survey):
        assert await do(call, first) in (
            "This session is cancelled and can no longer be changed.",
            "The survey window of this session is not open.",
        )
    renamed = await act(app, sessions.update_session, boss, first, title="New name", now=NOW)
    assert str(renamed) == "This session is cancelled and can no longer be changed."
    assert await do(sessions.cancel_session, first) == "This session is already cancelled."
    assert await do(sessions.open_survey, second) == "open"


async def test_two_windows_opened_at_once_give_one_open_session(app):
    async with app.sessionmaker() as db, db.begin():
        [boss] = await staff.bootstrap_admins(db, [ADMIN], NOW)
    start = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
    ids = [await add_session(app, f"Session {n}", start) for n in (1, 2)]
    outcomes = await asyncio.gather(
        *(act(app, sessions.open_survey, boss, session_id, now=NOW) for session_id in ids)
    )
    assert sum(isinstance(o, DialogueSession) for o in outcomes) == 1
    assert sum(isinstance(o, SessionError) for o in outcomes) == 1
    assert [s.status for s in await stored(app)].count("open") == 1


# --- typed dates and times -----------------------------------------------------------------------

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("15/12/2026", date(2026, 12, 15)),
        ("5/1/2027", date(2027, 1, 5)),
        ("15-12-2026", date(2026, 12, 15)),
        ("15.12.2026", date(2026, 12, 15)),
        (" 15 / 12 / 2026 ", date(2026, 12, 15)),
        ("26/11/2026", TODAY),
    ],
)
def test_dates_typed_day_first(typed, day):
    assert sessions.parse_date(typed, TODAY) == day


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please type the date as day/month/year (dd/mm/yyyy), for example 10/12/2026."),
        ("15/12", "Please type the date as day/month/year (dd/mm/yyyy), for example 10/12/2026."),
        (
            "15/12/26",
            "Please type the date as day/month/year (dd/mm/yyyy), for example 10/12/2026.",
        ),
        (
            "15/12-2026",
            "Please type the date as day/month/year (dd/mm/yyyy), for example 10/12/2026.",
        ),
        (
            "2026-12-15",
            "Please type the date as day/month/year (dd/mm/yyyy), for example 10/12/2026.",
        ),
        ("30/02/2027", "There is no such day as 30/02/2027. Please type the date as"),
        ("15/13/2026", "There is no such day as 15/13/2026."),
        (
            "25/11/2026",
            "25/11/2026 has already passed. Please give a day from today (26/11/2026) on.",
        ),
    ],
)
def test_dates_refused_with_the_expected_format(typed, message):
    with use_locale("en"), pytest.raises(SessionError) as refused:
        sessions.parse_date(typed, TODAY)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("typed", "at"),
    [
        ("08:00", time(8, 0)),
        ("7:30", time(7, 30)),
        ("7.30", time(7, 30)),
        ("19h30", time(19, 30)),
        ("19H", time(19, 0)),
        ("19h", time(19, 0)),
        ("7 giờ 30", time(7, 30)),
        ("7 giờ 30 phút", time(7, 30)),
        ("14g", time(14, 0)),
        ("0:05", time(0, 5)),
    ],
)
def test_times_typed_in_the_usual_ways(typed, at):
    assert sessions.parse_time(typed) == at


@pytest.mark.parametrize("typed", ["", "8", "24:00", "7:60", "7:5", "8 giờ sáng", "noon", "8:00pm"])
def test_times_refused_with_an_example(typed):
    with use_locale("en"), pytest.raises(SessionError) as refused:
        sessions.parse_time(typed)
    assert str(refused.value) == (
        "Please type the time as hours:minutes, for example 08:00, 7:30 or 19h30."
    )


def test_a_local_day_and_time_is_stored_in_utc():
    assert sessions.starts_at_utc(date(2026, 12, 15), time(8, 0), ZONE) == datetime(
        2026, 12, 15, 1, 0, tzinfo=UTC
    )
    assert sessions.starts_at_utc(date(2027, 1, 1), time(3, 0), ZONE) == datetime(
        2026, 12, 31, 20, 0, tzinfo=UTC
    )
