"""The Staff page: admins list, add, change and remove staff and set or clear a web password,
through the same services as /staff_add, /staff_set and /staff_remove; everyone else is
refused, by URL and by replayed form posts, and the refusal is audited."""

from __future__ import annotations

from sqlalchemy import func, select

from models import AuditEntry, StaffMember, WebSession
from tests.support.web import add_staff, csrf_of, serve_console, signed_in

NOT_ALLOWED = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."
PASSWORD = "mật-khẩu-phường-2026"


async def member(app, telegram_id: int) -> StaffMember | None:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(StaffMember).where(StaffMember.telegram_user_id == telegram_id)
        )


async def sessions_of(app, staff_id: int) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.staff_id == staff_id)
        )


async def refusals(app, action: str) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.allowed.is_(False))
        )


async def test_an_admin_adds_changes_and_removes_staff(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        page = await client.get("/staff/members")
        assert page.status_code == 200 and "Cán bộ đang làm việc" in page.text
        token = await csrf_of(client, "/staff/members")
        added = await client.post(
            "/staff/members/add",
            data={
                "csrf": token,
                "telegram_id": "700",
                "name": "Trần Thị Lan",
                "role": "official",
                "fields": "tp, dd",
            },
        )
        assert added.status_code == 303
        page = await client.get(added.headers["Location"])
        assert "Đã thêm cán bộ." in page.text and "Trần Thị Lan" in page.text
        stored = await member(app, 700)
        assert stored.role == "official" and stored.fields == ["tp", "dd"]

        changed = await client.post(
            "/staff/members/700/change",
            data={"csrf": token, "name": "Trần Thị Lan", "role": "leader", "fields": ""},
        )
        assert changed.status_code == 303
        assert "Đã lưu thay đổi." in (await client.get(changed.headers["Location"])).text
        assert (await member(app, 700)).role == "leader"

        # Errors of the service are shown politely, with the form as typed.
        invalid = await client.post(
            "/staff/members/add",
            data={"csrf": token, "telegram_id": "701", "name": "Lê Văn B", "role": "official"},
        )
        assert invalid.status_code == 400
        assert "Công chức phải phụ trách ít nhất một lĩnh vực." in invalid.text
        assert 'value="Lê Văn B"' in invalid.text
        assert await member(app, 701) is None
        last_admin = await client.post("/staff/members/1/remove", data={"csrf": token})
        assert last_admin.status_code == 400
        assert "Phải còn ít nhất một quản trị viên." in last_admin.text
        assert (await member(app, 1)).active

        removed = await client.post("/staff/members/700/remove", data={"csrf": token})
        assert removed.status_code == 303
        assert not (await member(app, 700)).active


async def test_a_password_set_or_cleared_signs_the_member_out(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    leader = await add_staff(app, clock, 800, "leader", "Lê Văn Minh")
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, admin) as client,
        await signed_in(served, leader) as leader_client,
    ):
        assert (await leader_client.get("/staff")).status_code == 200
        token = await csrf_of(client, "/staff/members")
        short = await client.post(
            "/staff/members/800/password", data={"csrf": token, "password": "ngắn"}
        )
        assert short.status_code == 400
        assert "Vui lòng chọn mật khẩu có ít nhất 10 ký tự." in short.text
        assert (await member(app, 800)).password_hash is None

        done = await client.post(
            "/staff/members/800/password", data={"csrf": token, "password": PASSWORD}
        )
        assert done.status_code == 303
        page = (await client.get(done.headers["Location"])).text
        assert "Đã đặt mật khẩu; các trình duyệt của người đó đã được đăng xuất." in page
        stored = (await member(app, 800)).password_hash
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert PASSWORD not in page
        assert await sessions_of(app, leader.id) == 0
        assert (await leader_client.get("/staff")).status_code == 303

        cleared = await client.post("/staff/members/800/password/clear", data={"csrf": token})
        assert cleared.status_code == 303
        assert (await member(app, 800)).password_hash is None
    async with app.sessionmaker() as db:
        details = (
            (
                await db.execute(
                    select(AuditEntry.detail).where(AuditEntry.action == "staff_password")
                )
            )
            .scalars()
            .all()
        )
    assert details == [{"change": "set"}, {"change": "cleared"}]


async def test_removing_a_member_ends_their_sessions(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        await signed_in(served, official)
        assert await sessions_of(app, official.id) == 1
        token = await csrf_of(client, "/staff/members")
        removed = await client.post("/staff/members/700/remove", data={"csrf": token})
        assert removed.status_code == 303
        assert await sessions_of(app, official.id) == 0


async def test_non_admins_are_refused_the_page_and_its_forms(app, clock):
    await add_staff(app, clock, 1, "admin", "Quản trị")
    leader = await add_staff(app, clock, 800, "leader", "Lê Văn Minh")
    async with serve_console(app, clock) as served, await signed_in(served, leader) as client:
        page = await client.get("/staff/members")
        assert page.status_code == 403 and NOT_ALLOWED in page.text
        assert await refusals(app, "staff_list") == 1
        token = await csrf_of(client, "/staff")  # the leader's own, valid token
        posts = {
            "/staff/members/add": {"telegram_id": "900", "name": "X", "role": "admin"},
            "/staff/members/1/change": {"name": "X", "role": "leader"},
            "/staff/members/1/remove": {},
            "/staff/members/800/password": {"password": PASSWORD},
            "/staff/members/1/password/clear": {},
            "/staff/members/not-an-id/remove": {},
        }
        for path, fields in posts.items():
            without = await client.post(path, data=fields)
            assert without.status_code == 403, path
            with_token = await client.post(path, data={"csrf": token, **fields})
            assert with_token.status_code == 403 and NOT_ALLOWED in with_token.text, path
    assert await refusals(app, "staff_add") == 1
    assert await refusals(app, "staff_change") == 1
    assert await refusals(app, "staff_remove") == 2
    assert await refusals(app, "staff_password") == 2
    assert await member(app, 900) is None
    assert (await member(app, 1)).role == "admin" and (await member(app, 1)).active
    assert (await member(app, 800)).password_hash is None


async def test_a_visitor_is_sent_to_sign_in_and_their_posts_refused(app, clock):
    await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, served.client() as visitor:
        page = await visitor.get("/staff/members")
        assert page.status_code == 303
        assert page.headers["Location"] == "/staff/sign-in?next=/staff/members"
        posted = await visitor.post(
            "/staff/members/add",
            data={"csrf": "x", "telegram_id": "900", "name": "X", "role": "admin"},
        )
        assert posted.status_code == 403
    assert await member(app, 900) is None
