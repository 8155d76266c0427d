"""The Sessions page (admins): create, edit, cancel, open and close the survey window store the
same rows and audit entries as /sessions on Telegram; wrong dates and times are refused with
the services' messages on the form; every change reaches the scheduler (its reminders follow);
everyone but admins is refused, and audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.services import staff as staff_service
from tests.support.sessions_admin import (
    AGENDA,
    PLACE,
    TITLE,
    admin,  # noqa: F401
    create,
    entries,
    person,  # noqa: F401
    stored,
)
from tests.support.web import csrf_of, serve_console, signed_in

ADMIN, LEADER = 1, 10
NOT_YOUR_ROLE = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."


def columns(session) -> tuple:
    return (session.title, session.starts_at, session.place, session.agenda, session.status)


async def staff_ref(app, telegram_id: int):
    async with app.sessionmaker() as db:
        return await staff_service.find(db, telegram_id)


def form(token: str, **values) -> dict:
    typed = {"title": TITLE, "date": "15/12/2026", "time": "08:00", "place": PLACE, "agenda": ""}
    return {"csrf": token, **typed, **values}


async def test_create_stores_what_the_telegram_wizard_stores(app, clock, admin):
    await create(admin, agenda=AGENDA)  # on Telegram
    synced: list[int] = []
    app.dispatcher["sync_session"] = synced.append  # the scheduler's hook, as bot/app.py sets it
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, await staff_ref(app, ADMIN)) as client,
    ):
        token = await csrf_of(client, "/staff/sessions/new")
        done = await client.post(
            "/staff/sessions/new", data=form(token, agenda=AGENDA.replace("\n", "\r\n"))
        )
        assert done.status_code == 303
        listed = await client.get(done.headers["Location"])
        assert "✅ Đã tạo kỳ đối thoại." in listed.text
        assert "08:00 15/12/2026" in listed.text and "dự kiến" in listed.text
    telegram, web = await stored(app)
    assert columns(web) == columns(telegram)
    assert web.starts_at == datetime(2026, 12, 15, 1, 0, tzinfo=UTC)  # 08:00 in the ward
    created = await entries(app, action="session_create")
    assert [(e.actor_telegram_id, e.allowed, e.target) for e in created] == [
        (ADMIN, True, f"session:{telegram.id}"),
        (ADMIN, True, f"session:{web.id}"),
    ]
    assert synced == [web.id]


async def test_wrong_dates_and_times_are_refused_with_a_message(app, clock, admin):
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, await staff_ref(app, ADMIN)) as client,
    ):
        token = await csrf_of(client, "/staff/sessions/new")
        cases = {
            ("15/12", "08:00"): "Đồng chí vui lòng gõ ngày theo dạng ngày/tháng/năm (dd/mm/yyyy), "
            "ví dụ 10/12/2026.",
            ("31/11/2026", "08:00"): "Không có ngày 31/11/2026.",
            ("20/11/2026", "08:00"): "Ngày 20/11/2026 đã qua. Đồng chí vui lòng chọn từ hôm nay "
            "(26/11/2026) trở đi.",
            ("15/12/2026", "25:00"): "Đồng chí vui lòng gõ giờ theo dạng giờ:phút, ví dụ 08:00, "
            "7:30 hoặc 19h30.",
            ("26/11/2026", "07:00"): "Thời điểm này đã qua.",  # today, an hour already passed
        }
        for (day, at), message in cases.items():
            page = await client.post("/staff/sessions/new", data=form(token, date=day, time=at))
            assert page.status_code == 400, (day, at)
            assert message in page.text, (day, at, page.text)
            assert f'value="{day}"' in page.text  # what was typed stays on the form
            assert 'aria-invalid="true"' in page.text
        short = await client.post("/staff/sessions/new", data=form(token, title="HN"))
        assert "Đồng chí vui lòng đặt tên từ 3 đến 200 ký tự." in short.text
        await client.get("/lang/en")
        english = await client.post("/staff/sessions/new", data=form(token, date="31/11/2026"))
        assert "There is no such day as 31/11/2026." in english.text
        assert "Time (hh:mm, ward time)" in english.text
    assert await stored(app) == []


async def test_edit_open_close_and_cancel_as_on_telegram(app, clock, admin):
    await create(admin, agenda=AGENDA)  # the same changes on Telegram, for the comparison
    await admin.tap("✏️ Sửa")
    await admin.tap("Giờ")
    await admin.send("19h30")
    await admin.tap("🟢 Mở khảo sát")
    await admin.tap("⏹ Đóng khảo sát")
    await admin.send("/sessions")
    await admin.tap(r"^.* · Hội nghị đối thoại tháng.*")
    await admin.tap("🟢 Mở khảo sát")
    await admin.tap("⏹ Đóng khảo sát")
    [telegram] = await stored(app)

    synced: list[int] = []
    app.dispatcher["sync_session"] = synced.append
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, await staff_ref(app, ADMIN)) as client,
    ):
        token = await csrf_of(client, "/staff/sessions/new")
        created = await client.post("/staff/sessions/new", data=form(token, agenda=AGENDA))
        web_id = int(re.search(r"#session-(\d+)", created.headers["Location"]).group(1))
        edit = await client.get(f"/staff/sessions/{web_id}/edit")
        assert 'value="15/12/2026"' in edit.text and 'value="08:00"' in edit.text
        saved = await client.post(
            f"/staff/sessions/{web_id}/edit", data=form(token, time="19h30", agenda=AGENDA)
        )
        assert saved.status_code == 303
        assert "✅ Đã lưu." in (await client.get(saved.headers["Location"])).text
        for change in ("open", "close", "open", "close"):
            done = await client.post(f"/staff/sessions/{web_id}/{change}", data={"csrf": token})
            assert done.status_code == 303, change
        web = next(s for s in await stored(app) if s.id == web_id)
        assert columns(web) == columns(telegram)
        assert web.starts_at == datetime(2026, 12, 15, 12, 30, tzinfo=UTC)

        # Refusals of the services, shown politely on the list.
        closed = await client.post(f"/staff/sessions/{web_id}/close", data={"csrf": token})
        assert closed.status_code == 400
        assert "Kỳ này hiện không mở khảo sát." in closed.text
        cancelled = await client.post(f"/staff/sessions/{web_id}/cancel", data={"csrf": token})
        assert "không thể huỷ" in cancelled.text

        # A planned session is cancelled: then it can no longer be changed.
        other = await client.post("/staff/sessions/new", data=form(token, title="Kỳ thứ hai"))
        other_id = int(re.search(r"#session-(\d+)", other.headers["Location"]).group(1))
        gone = await client.post(f"/staff/sessions/{other_id}/cancel", data={"csrf": token})
        assert gone.status_code == 303
        listed = (await client.get(gone.headers["Location"])).text
        assert "✖ Đã huỷ kỳ đối thoại. Người dân không còn thấy kỳ này." in listed
        late = await client.post(f"/staff/sessions/{other_id}/edit", data=form(token))
        assert "Kỳ đối thoại này đã bị huỷ" in late.text
    actions = [e.action for e in await entries(app, target=f"session:{web_id}")]
    telegram_actions = [e.action for e in await entries(app, target=f"session:{telegram.id}")]
    assert actions[: len(telegram_actions)] == telegram_actions
    assert synced == [web_id, web_id, web_id, web_id, web_id, web_id, other_id, other_id]


async def test_only_admins_manage_sessions_and_refusals_are_audited(app, clock, admin):
    await admin.send("/staff_add 10 leader Chủ tịch UBND")
    await create(admin)
    [session] = await stored(app)
    leader = await staff_ref(app, LEADER)
    async with serve_console(app, clock) as served, await signed_in(served, leader) as client:
        page = await client.get("/staff/sessions")
        assert page.status_code == 403 and NOT_YOUR_ROLE in page.text
        token = await csrf_of(client, "/staff")
        for path, data in (
            ("/staff/sessions/new", form(token, title="Kỳ của lãnh đạo")),
            (f"/staff/sessions/{session.id}/edit", form(token, title="Đổi tên")),
            (f"/staff/sessions/{session.id}/open", {"csrf": token}),
            (f"/staff/sessions/{session.id}/cancel", {"csrf": token}),
        ):
            refused = await client.post(path, data=data)
            assert refused.status_code == 403, path
            assert NOT_YOUR_ROLE in refused.text
        no_token = await client.post(f"/staff/sessions/{session.id}/cancel", data={})
        assert no_token.status_code == 403
    [after] = await stored(app)
    assert columns(after) == columns(session)
    refusals = [
        (e.action, e.target) for e in await entries(app, actor_telegram_id=LEADER, allowed=False)
    ]
    assert refusals == [
        ("sessions", None),
        ("session_create", None),
        ("session_update", f"session:{session.id}"),
        ("session_open", f"session:{session.id}"),
        ("session_cancel", f"session:{session.id}"),
    ]
