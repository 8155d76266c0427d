"""The staff console's frame: nothing without signing in, a menu that lists only what the
role may open, CSRF on every form, sign-out that ends the session, the language switch."""

from __future__ import annotations

from sqlalchemy import func, select

from models import WebSession
from tests.support.browser import needs_chromium
from tests.support.web import add_staff, csrf_of, serve_console, signed_in

ALL_PAGES = [
    "Câu hỏi",
    "Số liệu",
    "Kỳ đối thoại",
    "Xuất tệp",
    "Phiếu giấy",
    "Thông báo",
    "Cán bộ",
    "Nhật ký",
]


async def sessions(app) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(WebSession))


async def test_a_visitor_without_a_session_is_sent_to_the_sign_in_page(app, clock):
    async with serve_console(app, clock) as served, served.client() as visitor:
        page = await visitor.get("/staff")
        assert page.status_code == 303
        assert page.headers["Location"] == "/staff/sign-in?next=/staff"
        posted = await visitor.post("/staff/sign-out", data={"csrf": "guess"})
        assert posted.status_code == 403
        assert "Vui lòng đăng nhập trước." in posted.text


async def test_the_menu_lists_what_the_role_may_open(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served:
        async with await signed_in(served, admin) as client:
            page = (await client.get("/staff")).text
            assert f"Đăng nhập với tên {admin.name}." in page
            for label in ALL_PAGES:
                assert f">{label}</a>" in page
        async with await signed_in(served, official) as client:
            page = (await client.get("/staff")).text
            assert ">Câu hỏi</a>" in page
            for label in ALL_PAGES[1:]:
                assert f">{label}</a>" not in page


async def test_sign_out_needs_the_forms_token_and_ends_the_session(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        refused = await client.post("/staff/sign-out", data={"csrf": "not-the-token"})
        assert refused.status_code == 403
        assert "Biểu mẫu này đã hết hạn" in refused.text
        assert await sessions(app) == 1
        token = await csrf_of(client, "/staff")
        done = await client.post("/staff/sign-out", data={"csrf": token})
        assert done.status_code == 303
        assert await sessions(app) == 0
        assert (await client.get("/staff")).status_code == 303


async def test_an_idle_session_ends(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        clock.advance(minutes=29)
        assert (await client.get("/staff")).status_code == 200
        clock.advance(minutes=31)  # seen 29 min in, so idle 31 min now
        assert (await client.get("/staff")).status_code == 303
        assert await sessions(app) == 0


async def test_a_removed_staff_member_is_signed_out(app, clock):
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, await signed_in(served, official) as client:
        assert (await client.get("/staff")).status_code == 200
        from bot.services import staff as staff_service

        async with app.sessionmaker() as db, db.begin():
            await staff_service.remove(db, 1, 700, now=clock())
        assert (await client.get("/staff")).status_code == 303


async def test_the_language_switch_keeps_the_page_and_refuses_other_sites(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        switched = await client.get("/lang/en", params={"next": "/staff"})
        assert switched.status_code == 303 and switched.headers["Location"] == "/staff"
        page = (await client.get("/staff")).text
        assert f"Signed in as {admin.name}." in page and ">Questions</a>" in page
        elsewhere = await client.get("/lang/vi", params={"next": "https://evil.example/"})
        assert elsewhere.headers["Location"] == "/staff"


@needs_chromium
async def test_the_start_page_in_a_browser_fits_a_phone_and_works_by_keyboard(
    app, clock, browser_factory
):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served:
        async with served.context.sessionmaker() as db, db.begin():
            from bot.web.auth import start_session

            token = await start_session(db, admin.id, clock())
        browser = browser_factory(served.base_url, width=360, height=740)
        await browser.open("/static/style.css")  # a page of the site, to set its cookie
        await browser.call(
            browser.driver.add_cookie, {"name": "doithoai_staff", "value": token, "path": "/"}
        )
        await browser.open("/staff")
        shown = await browser.wait_for_text(f"Đăng nhập với tên {admin.name}.")
        assert "Câu hỏi" in shown
        width = await browser.call(
            browser.driver.execute_script, "return document.documentElement.scrollWidth"
        )
        assert width <= 360
        # Keyboard alone: Tab to the skip link, then onwards to the first page of the menu.
        from selenium.webdriver.common.keys import Keys

        body = await browser.find("body")
        await browser.call(body.send_keys, Keys.TAB)
        focused = await browser.call(
            browser.driver.execute_script, "return document.activeElement.textContent"
        )
        assert focused.strip() == "Bỏ qua, đến nội dung"
