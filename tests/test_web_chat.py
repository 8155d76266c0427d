"""The resident web chat at /chat: the text conversation of Zalo and the console in a browser,
with no app and no sign-in; the messages that wait for its page; the poster that leads to it."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import func, select

from bot.exports.paper_form import paper_form
from bot.web.chat_identity import CHAT_COOKIE
from models import Account, InboundMessage, QuestionAttachment, WebChatMessage
from tests.support.browser import needs_chromium
from tests.support.db_helpers import answers, counts, responses
from tests.support.question_loop import QUESTION, official  # noqa: F401 (a fixture)
from tests.support.questions import stored_questions
from tests.support.staff_chat import ANSWER, SIGNATURE
from tests.support.web import add_staff, serve_console
from tests.support.web_chat import WebChatResident
from tests.support.web_chat_consent import AGREE, DECLINE, MENU, NOTICE, consent

FIELD = "Địa chính (đất đai)"
PROCEDURE = "Đăng ký đất đai, cấp Giấy chứng nhận"
# (question, button tapped) for a whole rating of FIELD, by taps only.
TAPS = [
    ("C2", "Có"),
    ("C3", "Trực tiếp tại Trung tâm Phục vụ hành chính công"),
    ("Q1", "Rất hài lòng"),
    ("Q2", "Hài lòng"),
    ("Q3", "Bình thường"),
    ("Q4", "Không áp dụng"),
    ("Q5", "Không hài lòng"),
    ("Q6", "Rất không hài lòng"),
    ("Q7", "Hài lòng"),
    ("O1", "Không hài lòng"),
    ("O1b", "Trễ hẹn"),
    ("M1", "Dịch vụ công trực tuyến"),
    ("F1", "bỏ qua câu này"),
    ("F2", "Không"),
]
EXPECTED = {
    "C2": ("yes", None),
    "C3": ("tt", None),
    "Q1": ("5", 5.0),
    "Q2": ("4", 4.0),
    "Q3": ("3", 3.0),
    "Q4": ("na", None),
    "Q5": ("2", 2.0),
    "Q6": ("1", 1.0),
    "Q7": ("4", 4.0),
    "O1": ("ns", 0.0),
    "O1b": ("late", None),
    "M1": ("online", None),
    "F1": (None, None),
    "F2": ("no", None),
}


async def rate_by_taps(you: WebChatResident) -> None:
    await you.tap("📝 Đánh giá thủ tục theo lĩnh vực")
    await you.tap(FIELD)
    await you.tap(PROCEDURE)
    for _code, label in TAPS:
        await you.tap(label)
    assert "Kiểm tra lại câu trả lời" in you.page.bubbles[-1][1]
    done = await you.tap("📨 Gửi")
    assert done.startswith("🙏 Cảm ơn Ông/Bà!")


async def test_the_consent_screens_come_first_and_nothing_is_stored_before(app, clock):
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        page = await you.open()
        assert NOTICE in page.bubbles[-1][1]
        assert [label for _n, label in page.buttons] == [
            "1. " + AGREE,
            "2. " + DECLINE,
            "9. đọc đầy đủ thông báo",
        ]
        # The options are buttons, not lines of the bubble too.
        assert "1. ✅" not in page.bubbles[-1][1]
        assert "xóa dữ liệu trình duyệt (cookie) sẽ bắt đầu một cuộc trò chuyện mới" in page.html
        cookie = next(c for c in you.client.cookies.jar if c.name == CHAT_COOKIE)
        assert cookie.path == "/chat"
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert (await counts(app))["residents"] == 0
        await you.tap(AGREE)
        assert "2/3." in you.page.bubbles[-1][1]
        assert you.page.bubbles[0] == ("you", "1")


async def test_a_survey_by_taps_is_stored_with_channel_web(app, clock):
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        await consent(you)
        await rate_by_taps(you)
        [response] = await responses(app)
        assert (response.channel, response.field, response.status) == ("web", "dc", "submitted")
        stored = await answers(app, response.id)
        assert stored == EXPECTED
        async with app.sessionmaker() as db:
            [account] = (await db.execute(select(Account))).scalars().all()
        # The chat is known by the cookie's digest only.
        token = you.client.cookies[CHAT_COOKIE]
        assert account.channel == "web" and account.external_id == you.chat_id
        assert token not in account.external_id and len(account.external_id) == 64


async def test_a_refresh_shows_the_same_screen_and_sends_nothing_again(app, clock):
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        await consent(you)
        first = you.page
        again = await you.open()
        assert again.bubbles == first.bubbles and again.buttons == first.buttons
        # The same form posted twice (a double tap, the back button) is handled once.
        hidden = dict(first.hidden)
        for _ in range(2):
            sent = await you.client.post("/chat", data={**hidden, "text": "1"})
            assert sent.status_code == 303
        page = await you.open()
        assert "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?" in page.bubbles[-1][1]


async def test_forms_without_the_cookies_token_are_refused(app, clock):
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        await you.open()
        for data in ({"text": "1"}, {"text": "1", "csrf": "guess"}):
            refused = await you.client.post("/chat", data=data)
            assert refused.status_code == 403
            assert "Biểu mẫu này đã hết hạn" in refused.text
        # Another browser's token does not fit this cookie.
        async with WebChatResident(served.base_url) as other:
            await other.open()
            stolen = other.page.hidden["csrf"]
        refused = await you.client.post("/chat", data={"text": "1", "csrf": stolen})
        assert refused.status_code == 403
        # With no cookie at all, nothing is read either.
        async with served.client() as stranger:
            refused = await stranger.post("/chat", data={"text": "1", "csrf": stolen})
            assert refused.status_code == 403
        assert "2/3." not in (await you.open()).bubbles[-1][1]
        async with app.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(InboundMessage)) == 0


async def test_the_cookie_is_secure_behind_https(app, clock):
    async with serve_console(app, clock) as served, served.client() as browser:
        plain = await browser.get("/chat")
        assert "Secure" not in plain.headers["Set-Cookie"]
        browser.cookies.clear()
        https = await browser.get("/chat", headers={"X-Forwarded-Proto": "https"})
        cookie = https.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert https.headers["Cache-Control"] == "no-store"


async def test_a_cleared_cookie_is_a_new_resident(app, clock):
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        await consent(you)
        before = you.chat_id
        you.client.cookies.clear()
        you.page = None
        page = await you.open()
        assert NOTICE in page.bubbles[-1][1]
        assert you.chat_id != before
        await consent(you)
        assert (await counts(app))["residents"] == 2


async def test_a_named_question_reaches_staff_and_its_answer_waits_for_the_page(
    app, clock, official
):
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        await consent(you, contact=True)
        await you.tap("✉️ Gửi câu hỏi, kiến nghị")
        await you.tap("Tư pháp – Hộ tịch")
        await you.say(QUESTION)
        assert "Ảnh hoặc tài liệu" in you.page.html  # the evidence step takes files
        photo = b"\xff\xd8\xff\xe0" + b"0" * 2000
        sent = await you.send_file("giay-to.jpg", photo, "image/jpeg")
        assert sent.status_code == 303
        page = await you.open()
        assert page.bubbles[0] == ("you", "📎 giay-to.jpg")
        assert "Đã nhận: 1." in page.bubbles[-1][1]
        refused = await you.send_file("virus.exe", b"MZ" + b"0" * 100, "application/octet-stream")
        assert refused.status_code == 303
        page = await you.open()
        assert page.bubbles[1] == (
            "bot",
            "Không thể lưu tệp này. Ông/Bà vui lòng gửi ảnh hoặc tài liệu.",
        )
        pdf = b"%PDF-1.4\n" + b"0" * 500
        assert (await you.send_file("don.pdf", pdf, "application/pdf")).status_code == 303
        assert "Đã nhận: 2." in (await you.open()).bubbles[-1][1]
        # Larger than the attachments' limit (10 MB): refused, read no further than that.
        huge = b"\xff\xd8\xff\xe0" + bytes(10 * 1024 * 1024)
        assert (await you.send_file("to.jpg", huge, "image/jpeg")).status_code == 303
        page = await you.open()
        assert "10 MB" in page.bubbles[1][1]
        assert "Đã nhận: 2." in page.bubbles[-1][1]
        await you.tap("Tiếp tục ➡️")
        await you.tap("👤 Trả lời tôi theo tên")
        await you.say("Trần Thị Bình")
        await you.say("0987 654 321")
        sent = await you.tap("📨 Gửi")
        assert "Mã theo dõi của Ông/Bà là KN-26-0001." in sent

        notice = official.last("Câu hỏi mới")
        assert notice.text.startswith("🆕 Câu hỏi mới KN-26-0001 · Tư pháp – Hộ tịch")
        [question] = await stored_questions(app)
        assert question.channel == "web"
        async with app.sessionmaker() as db:
            stmt = select(
                QuestionAttachment.kind,
                QuestionAttachment.mime,
                QuestionAttachment.filename,
                QuestionAttachment.content,
            ).order_by(QuestionAttachment.id)
            files = [tuple(row) for row in (await db.execute(stmt)).all()]
        assert files == [
            ("photo", "image/jpeg", "giay-to.jpg", photo),
            ("document", "application/pdf", "don.pdf", pdf),
        ]
        await official.tap("📂 Mở", on=notice)
        card = official.last(QUESTION)
        assert "kênh: web" in card.text
        await official.tap("✍️ Trả lời", on=card)
        await official.send(ANSWER)
        assert official.last().text.startswith("✅ Câu trả lời cho KN-26-0001 đã được lưu")

        page = await you.open()
        [answer] = page.waiting
        assert answer.startswith(
            f"💬 Trả lời câu hỏi KN-26-0001 của Ông/Bà\n\n{ANSWER}\n— {SIGNATURE}"
        )
        assert "nhắn “xem”" in answer
        # Beside the screen the resident was on, which still takes their replies.
        assert "Mã theo dõi của Ông/Bà là KN-26-0001." in page.bubbles[-1][1]
        assert (await you.open()).waiting == []  # shown once
        async with app.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(WebChatMessage)) == 0
        detail = await you.say("xem")
        assert "Trạng thái: đã trả lời" in detail
        await you.tap("👍 Hài lòng")
        [question] = await stored_questions(app)
        assert question.answer_rating == "satisfied"


async def test_the_poster_carries_the_code_and_the_address(app, clock, settings):
    async with serve_console(app, clock) as served, served.client() as visitor:
        page = await visitor.get("/chat/poster")
        assert page.status_code == 200
        assert f"{settings.public_url}/chat" in page.text
        assert "<svg" in page.text and 'class="segno"' in page.text
        assert "UBND PHƯỜNG BÌNH AN" in page.text
        assert "Quét mã này bằng camera điện thoại" in page.text


def test_the_paper_form_carries_the_chat_link_and_its_code(app):
    url = "https://phuongbinhan.example/chat"
    doc = Document(io.BytesIO(paper_form(app.survey, ward_name="Bình An", chat_url=url)))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert f"Hoặc trả lời trên điện thoại: {url}" in text
    assert len(doc.inline_shapes) == 1  # the QR code


# --- in a real browser --------------------------------------------------------------------------

PHONE = {"width": 360, "height": 740}
FONT_STACK = {"Noto Sans", "DejaVu Sans", "Liberation Sans"}  # bot/web/static/style.css


async def page_nonce(browser) -> str:
    field = await browser.find("form.compose input[name=n]")
    return await browser.call(field.get_attribute, "value")


async def tap_in(browser, label: str) -> None:
    """Clicks the option button that reads `label` (after its number), then waits for the
    page that answers it."""
    before = await page_nonce(browser)
    for button in await browser.find_all("form.options button"):
        shown = (await browser.call(lambda b=button: b.text)).strip()
        if label in (shown, shown.split(". ", 1)[-1]):
            await browser.call(button.click)
            break
    else:
        raise AssertionError(f"no button {label!r}:\n{await browser.text()}")
    await until_new_page(browser, before)


async def until_new_page(browser, before: str) -> None:
    import asyncio

    for _ in range(200):
        try:
            if await page_nonce(browser) != before:
                return
        except Exception:  # the page is being replaced
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the chat did not answer")


async def scroll_width(browser) -> int:
    return await browser.call(
        browser.driver.execute_script, "return document.documentElement.scrollWidth"
    )


UNLABELLED = """
return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(e => !e.closest('label') && !(e.id && document.querySelector(`label[for="${e.id}"]`)))
  .map(e => e.outerHTML);
"""


@needs_chromium
async def test_a_resident_completes_the_survey_by_tapping_on_a_phone(app, clock, browser_factory):
    async with serve_console(app, clock) as served:
        browser = browser_factory(served.base_url, **PHONE)
        await browser.open("/chat")
        await browser.wait_for_text(NOTICE)
        assert await scroll_width(browser) <= 360
        assert await browser.call(browser.driver.execute_script, UNLABELLED) == []
        for label in (AGREE, AGREE, DECLINE, "📝 Đánh giá thủ tục theo lĩnh vực", FIELD):
            await tap_in(browser, label)
        assert await scroll_width(browser) <= 360  # the longest labels: the fields
        await tap_in(browser, PROCEDURE)
        for _code, label in TAPS:
            await tap_in(browser, label)
        await browser.wait_for_text("Kiểm tra lại câu trả lời")
        assert await scroll_width(browser) <= 360
        await tap_in(browser, "📨 Gửi")
        await browser.wait_for_text("Cảm ơn Ông/Bà!")
        assert await scroll_width(browser) <= 360
        assert await browser.call(browser.driver.execute_script, UNLABELLED) == []
    [response] = await responses(app)
    assert (response.channel, response.field, response.status) == ("web", "dc", "submitted")
    assert await answers(app, response.id) == EXPECTED


@needs_chromium
async def test_the_chat_works_with_the_keyboard_alone(app, clock, browser_factory):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    async def press(*keys: str) -> None:
        chain = ActionChains(browser.driver)
        for key in keys:
            chain.send_keys(key)
        await browser.call(chain.perform)

    async def focused() -> str:
        return await browser.call(
            browser.driver.execute_script, "return document.activeElement.textContent.trim()"
        )

    async with serve_console(app, clock) as served:
        browser = browser_factory(served.base_url, **PHONE)
        await browser.open("/chat")
        await browser.wait_for_text(NOTICE)
        for _ in range(15):  # Tab through the page to the first option
            await press(Keys.TAB)
            if await focused() == "1. " + AGREE:
                break
        else:
            raise AssertionError("Tab never reached the first option")
        before = await page_nonce(browser)
        await press(Keys.ENTER)
        await until_new_page(browser, before)
        await browser.wait_for_text("2/3.")
        # The message box: Tab to it, type the number, Enter sends it.
        for _ in range(15):
            await press(Keys.TAB)
            tag = await browser.call(
                browser.driver.execute_script, "return document.activeElement.id"
            )
            if tag == "chat-text":
                break
        else:
            raise AssertionError("Tab never reached the message box")
        before = await page_nonce(browser)
        await press("1", Keys.ENTER)
        await until_new_page(browser, before)
        await browser.wait_for_text("3/3.")


@needs_chromium
async def test_vietnamese_diacritics_render_in_one_real_font(app, clock, browser_factory):
    async with serve_console(app, clock) as served:
        browser = browser_factory(served.base_url, **PHONE)
        await browser.open("/chat")
        await browser.wait_for_text(NOTICE)
        text = await browser.call(
            browser.driver.execute_script,
            "return document.querySelector('.bubble.bot').textContent",
        )
        assert "Ông/Bà" in text
        # Every glyph of the bubble drawn by one font of the stylesheet's stack: no fallback
        # font for the letters with diacritics, no missing-glyph boxes.
        cdp = browser.driver.execute_cdp_cmd
        root = await browser.call(cdp, "DOM.getDocument", {})
        await browser.call(cdp, "CSS.enable", {})
        found = await browser.call(
            cdp,
            "DOM.querySelector",
            {"nodeId": root["root"]["nodeId"], "selector": ".bubble.bot"},
        )
        fonts = await browser.call(cdp, "CSS.getPlatformFontsForNode", {"nodeId": found["nodeId"]})
        families = {font["familyName"] for font in fonts["fonts"]}
        assert len(families) == 1 and families <= FONT_STACK, fonts


async def test_an_announcement_waits_for_the_page_and_goes_with_an_erasure(app, clock, settings):
    from bot.services import broadcasts

    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as you:
        await consent(you)  # reminders and announcements: yes
        async with app.sessionmaker() as db, db.begin():
            audience = await broadcasts.recipients(db, admin, now=clock())
            assert (audience.telegram, audience.zalo, audience.web) == (0, 0, 1)
            sent = await broadcasts.confirm(
                db,
                admin,
                broadcasts.Draft("Thứ Bảy này phường làm việc cả ngày."),
                settings=settings,
                now=clock(),
            )
        keys = [f"b:{sent.id}:web:{you.chat_id}"]
        assert await app.delivery.send_now(keys) == {keys[0]: ("sent", None)}
        page = await you.open()
        assert page.waiting == [
            "📢 Thông báo của UBND phường Bình An\n\nThứ Bảy này phường làm việc cả ngày."
        ]
        assert MENU in page.bubbles[-1][1]  # the screen the resident was on
        assert (await you.open()).waiting == []

        # Another one waiting when the resident erases everything: it goes too.
        async with app.sessionmaker() as db, db.begin():
            again = await broadcasts.confirm(
                db,
                admin,
                broadcasts.Draft("Lịch tiếp dân tuần sau."),
                settings=settings,
                now=clock(),
            )
        await app.delivery.send_now([f"b:{again.id}:web:{you.chat_id}"])
        async with app.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(WebChatMessage)) == 1
        for reply in ("dulieu", "4", "1"):  # My data → delete everything → yes
            await you.say(reply)
        assert "Toàn bộ dữ liệu của Ông/Bà đã được xóa." in you.page.bubbles[-1][1]
        assert (await counts(app))["residents"] == 0
        async with app.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(WebChatMessage)) == 0
