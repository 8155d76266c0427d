"""Signing in to the staff console through the page itself: a one-time code sent to the staff
member's Telegram chat (or its link), or a password an admin set; wrong tries slow down; the
form carries its own CSRF token before any session exists; every try is audited, never the
code or the password."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from bot.web import passwords
from models import AuditEntry, Delivery, SignInCode, StaffMember
from tests.support.browser import needs_chromium
from tests.support.web import add_staff, serve_console

CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')
SENT = "Nếu mã số Telegram này là của cán bộ phường, mã đăng nhập và liên kết đã được gửi"
WRONG_CODE = "Mã này không đúng, đã dùng hoặc đã hết hạn. Vui lòng xin mã mới."
WRONG_PASSWORD = "Mã số Telegram hoặc mật khẩu không đúng."
PASSWORD = "mật-khẩu-phường-2026"


async def form_token(client, path="/staff/sign-in") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return CSRF_INPUT.search(page.text).group(1)


async def post(client, token, **fields):
    return await client.post("/staff/sign-in", data={"csrf": token, **fields})


async def ask_code(client, telegram, staff_id: int) -> str:
    token = await form_token(client)
    answer = await post(client, token, action="send", staff_id=str(staff_id))
    assert answer.status_code == 200 and SENT in answer.text
    text = telegram.sent_texts(staff_id)[-1]
    assert "Mã đăng nhập trang quản trị của phường" in text
    return re.search(r"\b(\d{6})\b", text).group(1)


async def audit_rows(app) -> list[AuditEntry]:
    async with app.sessionmaker() as db:
        return list(
            (
                await db.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == "web_sign_in")
                    .order_by(AuditEntry.id)
                )
            ).scalars()
        )


async def test_a_code_from_telegram_signs_in_once_and_returns_to_the_page_asked(
    app, clock, telegram
):
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, served.client() as browser:
        asked = await browser.get("/staff/audit?outcome=refused")
        assert asked.headers["Location"] == "/staff/sign-in?next=/staff/audit?outcome%3Drefused"
        token = await form_token(browser, asked.headers["Location"])
        code = await ask_code(browser, telegram, 700)
        done = await post(
            browser,
            token,
            action="code",
            staff_id="700",
            code=code,
            next="/staff/audit?outcome=refused",
        )
        assert done.status_code == 303
        assert done.headers["Location"] == "/staff/audit?outcome=refused"
        page = await browser.get("/staff")
        assert f"Đăng nhập với tên {official.name}." in page.text

        async with served.client() as other:  # the same code again, elsewhere
            again = await post(
                other, await form_token(other), action="code", staff_id="700", code=code
            )
            assert again.status_code == 400 and WRONG_CODE in again.text

    async with app.sessionmaker() as db:
        stored = [row.digest for row in (await db.execute(select(SignInCode))).scalars()]
        payloads = [str(row.payload) for row in (await db.execute(select(Delivery))).scalars()]
    assert stored and all(code not in d for d in stored)
    assert all(code not in p for p in payloads)  # not kept in the outbox once sent
    rows = await audit_rows(app)
    assert [(r.actor_telegram_id, r.allowed, r.detail["result"]) for r in rows] == [
        (700, True, "signed_in"),
        (700, False, "wrong"),
    ]
    assert all(code not in str(r.detail) for r in rows)


async def test_two_tries_at_once_cannot_both_use_one_code(app, clock, telegram):
    await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with (
        serve_console(app, clock) as served,
        served.client() as first,
        served.client() as second,
    ):
        code = await ask_code(first, telegram, 700)
        tokens = [await form_token(first), await form_token(second)]
        answers = await asyncio.gather(
            *(
                post(client, token, action="code", staff_id="700", code=code)
                for client, token in zip((first, second), tokens, strict=True)
            )
        )
    assert sorted(a.status_code for a in answers) == [303, 400]


async def test_an_id_that_is_not_staff_gets_the_same_answer_and_nothing_is_sent(
    app, clock, telegram
):
    await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, served.client() as browser:
        token = await form_token(browser)
        staff_answer = await post(browser, token, action="send", staff_id="700")
        stranger = await post(browser, token, action="send", staff_id="555")
    assert staff_answer.status_code == stranger.status_code == 200
    assert SENT in stranger.text
    assert telegram.sent_texts(555) == []
    assert len(telegram.sent_texts(700)) == 1


async def test_an_expired_code_is_refused(app, clock, telegram):
    await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, served.client() as browser:
        code = await ask_code(browser, telegram, 700)
        clock.advance(minutes=11)
        late = await post(
            browser, await form_token(browser), action="code", staff_id="700", code=code
        )
        assert late.status_code == 400 and WRONG_CODE in late.text
        assert (await browser.get("/staff")).status_code == 303


async def test_the_link_sent_with_the_code_signs_in_once(app, clock, telegram):
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, served.client() as browser:
        await ask_code(browser, telegram, 700)
        link = re.search(r"(/staff/sign-in/link/\S+)", telegram.sent_texts(700)[-1]).group(1)
        opened = await browser.get(link)  # a link preview would stop here: nothing used
        assert opened.status_code == 200 and "Đăng nhập</button>" in opened.text
        token = CSRF_INPUT.search(opened.text).group(1)
        used = await browser.post(link, data={"csrf": token})
        assert used.status_code == 303 and used.headers["Location"] == "/staff"
        assert f"Đăng nhập với tên {official.name}." in (await browser.get("/staff")).text
    async with serve_console(app, clock) as served, served.client() as other:
        token = CSRF_INPUT.search((await other.get(link)).text).group(1)
        again = await other.post(link, data={"csrf": token})
        assert again.status_code == 410
        assert "Liên kết đăng nhập này đã được dùng hoặc đã hết hạn." in again.text


async def test_wrong_codes_slow_further_tries_down_and_success_resets(app, clock, telegram):
    await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served, served.client() as browser:
        code = await ask_code(browser, telegram, 700)
        token = await form_token(browser)
        wrong = "000000" if code != "000000" else "111111"
        for attempt in range(1, 6):
            answer = await post(browser, token, action="code", staff_id="700", code=wrong)
            assert answer.status_code == 400 and WRONG_CODE in answer.text
            assert ("Vui lòng chờ 30 giây trước khi thử lại." in answer.text) == (attempt == 5)
        # Even the right code waits now, and is not used up by the refused try.
        waiting = await post(browser, token, action="code", staff_id="700", code=code)
        assert waiting.status_code == 429
        assert "Đã nhập sai quá nhiều lần. Vui lòng chờ 30 giây rồi thử lại." in waiting.text
        clock.advance(seconds=31)
        # One more wrong one doubles the wait.
        answer = await post(browser, token, action="code", staff_id="700", code=wrong)
        assert "Vui lòng chờ 1 phút trước khi thử lại." in answer.text
        clock.advance(seconds=61)
        done = await post(browser, token, action="code", staff_id="700", code=code)
        assert done.status_code == 303
    async with app.sessionmaker() as db:
        from models import SignInFailures

        assert (await db.execute(select(SignInFailures))).scalars().all() == []
    results = [r.detail["result"] for r in await audit_rows(app)]
    assert results == ["wrong"] * 5 + ["throttled", "wrong", "signed_in"]


async def test_wrong_passwords_from_one_address_slow_down_every_id(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    await add_staff(app, clock, 800, "leader", "Lê Văn Minh")
    async with app.sessionmaker() as db, db.begin():
        await passwords.set_password(db, admin, 800, PASSWORD, now=clock())
    async with serve_console(app, clock) as served, served.client() as browser:
        token = await form_token(browser)
        for guess in range(5):
            answer = await post(
                browser, token, action="password", staff_id=str(900 + guess), password="x" * 12
            )
            assert answer.status_code == 400 and WRONG_PASSWORD in answer.text
        right = await post(browser, token, action="password", staff_id="800", password=PASSWORD)
        assert right.status_code == 429 and "Vui lòng chờ 30 giây" in right.text
        clock.advance(seconds=31)
        right = await post(browser, token, action="password", staff_id="800", password=PASSWORD)
        assert right.status_code == 303 and right.headers["Location"] == "/staff"


async def test_a_password_is_stored_hashed_and_signs_in(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    leader = await add_staff(app, clock, 800, "leader", "Lê Văn Minh")
    async with app.sessionmaker() as db, db.begin():
        await passwords.set_password(db, admin, 800, PASSWORD, now=clock())
    async with app.sessionmaker() as db:
        stored = await db.scalar(
            select(StaffMember.password_hash).where(StaffMember.telegram_user_id == 800)
        )
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    async with serve_console(app, clock) as served, served.client() as browser:
        token = await form_token(browser)
        wrong = await post(
            browser, token, action="password", staff_id="800", password="sai-rồi-1234"
        )
        assert wrong.status_code == 400 and WRONG_PASSWORD in wrong.text
        assert "sai-rồi-1234" not in wrong.text
        done = await post(browser, token, action="password", staff_id="800", password=PASSWORD)
        assert done.status_code == 303
        assert f"Đăng nhập với tên {leader.name}." in (await browser.get("/staff")).text
    for row in await audit_rows(app):
        assert PASSWORD not in str(row.detail) and "sai-rồi" not in str(row.detail)


async def test_the_sign_in_form_refuses_a_post_without_its_cookie_token(app, clock, telegram):
    await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served:
        async with served.client() as forger:  # never opened the page: no cookie
            answer = await forger.post(
                "/staff/sign-in", data={"csrf": "guess", "action": "send", "staff_id": "700"}
            )
            assert answer.status_code == 403 and "Biểu mẫu này đã hết hạn" in answer.text
        async with served.client() as browser:
            await form_token(browser)  # has the cookie, sends another value
            answer = await post(browser, "not-the-cookie", action="send", staff_id="700")
            assert answer.status_code == 403
    assert telegram.sent_texts(700) == []


async def test_after_sign_in_only_a_path_of_this_site_is_followed(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with app.sessionmaker() as db, db.begin():
        await passwords.set_password(db, admin, 1, PASSWORD, now=clock())
    async with serve_console(app, clock) as served, served.client() as browser:
        token = await form_token(browser)
        done = await post(
            browser,
            token,
            action="password",
            staff_id="1",
            password=PASSWORD,
            next="https://evil.example/staff",
        )
        assert done.status_code == 303 and done.headers["Location"] == "/staff"


async def shown_after_loading(browser, text: str) -> str:
    """`wait_for_text` across a page load: the old page's body may vanish while it is read."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(50):
        try:
            return await browser.wait_for_text(text)
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{text!r} not shown")


@needs_chromium
async def test_an_official_signs_in_in_a_browser_with_the_code_from_telegram(
    app, clock, telegram, browser_factory
):
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served:
        browser = browser_factory(served.base_url)
        await browser.open("/staff")
        await shown_after_loading(browser, "Đăng nhập cán bộ")
        assert browser.path.startswith("/staff/sign-in?next=")
        await browser.type_into("Mã số Telegram", "700")
        await browser.press("Gửi mã cho tôi")
        await shown_after_loading(browser, "mã đăng nhập và liên kết đã được gửi")
        message = telegram.sent_texts(700)[-1]
        code = re.search(r"\b(\d{6})\b", message).group(1)
        await browser.type_into("Mã (6 chữ số)", code)
        await browser.press("Đăng nhập bằng mã")
        shown = await shown_after_loading(browser, f"Đăng nhập với tên {official.name}.")
        assert "Câu hỏi" in shown
        assert browser.path == "/staff"
