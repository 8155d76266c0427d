"""The console's Questions page: the list (filters, pages, an official's fields only), the card
(text, contact, attachments, what is withheld) and its actions, which store the same rows and
tell the resident the same things as the question card in Telegram (tests/test_staff_telegram.py),
and a Chromium test in which an official answers and the Telegram resident reads the answer."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.services import questions
from bot.services.questions import AttachmentIn
from models import AuditEntry, ResidentQuestion
from tests.support.browser import needs_chromium
from tests.support.journey import consent_all, write_question
from tests.support.questions import file, make_asker, make_session, make_staff
from tests.support.web import csrf_of, serve_console, signed_in

TP = "Tư pháp – Hộ tịch"
QUESTION = "Xin hỏi thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"
ANSWER = "Ông/Bà mang theo giấy chứng sinh và căn cước của cha mẹ đến bộ phận một cửa."
SIGNATURE = "Tư pháp – Hộ tịch — Công chức phụ trách"
NOT_YOUR_FIELD = "Xin lỗi, câu hỏi này thuộc lĩnh vực mà đồng chí không phụ trách."
NOT_YOUR_ROLE = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."
WITHHELD = "chỉ lãnh đạo và Văn phòng được xem nội dung"
CODE_LINK = re.compile(r'<a href="/staff/questions/(KN-\d\d-\d{4})">')


async def stored(app) -> list[ResidentQuestion]:
    async with app.sessionmaker() as db:
        found = await db.execute(select(ResidentQuestion).order_by(ResidentQuestion.id))
        return list(found.scalars())


async def audit(app, **where) -> list[AuditEntry]:
    async with app.sessionmaker() as db:
        rows = (await db.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [e for e in rows if all(getattr(e, k) == v for k, v in where.items())]


async def seeded(app, clock, **first):
    """Staff (tests/test_question_services.py), a session, a Telegram asker (user 501) and one
    question on TP; returns (people, asker, session id, filed)."""
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    filed = await file(app, asker, session_id, clock(), **({"text": QUESTION} | first))
    return people, asker, session_id, filed


def codes(page: str) -> list[str]:
    return CODE_LINK.findall(page)


async def post(client, path: str, **form: str):
    token = await csrf_of(client, path.rsplit("/", 1)[0])
    return await client.post(path, data={"csrf": token, **form})


# --- the list ---------------------------------------------------------------------------------


async def test_the_list_filters_by_field_status_and_flag_newest_first(app, clock):
    people, asker, session_id, first = await seeded(app, clock)
    clock.advance(minutes=5)
    land = await file(app, asker, session_id, clock(), field="dc", text="Hỏi về sổ đỏ.")
    clock.advance(minutes=5)
    flagged = await file(
        app,
        asker,
        session_id,
        clock(),
        text="Tôi muốn khiếu nại việc chậm trễ.",
        complaint_flag=True,
    )
    async with serve_console(app, clock) as served, await signed_in(served, people.admin) as client:
        page = await client.get("/staff/questions")
        assert page.status_code == 200
        assert codes(page.text) == [flagged.code, land.code, first.code]  # newest first
        assert "Trang 1/1 · tổng cộng 3" in page.text
        assert "Tôi muốn khiếu nại việc chậm trễ." in page.text  # admins read flagged texts
        assert codes((await client.get("/staff/questions?field=dc")).text) == [land.code]
        assert codes((await client.get("/staff/questions?flagged=1")).text) == [flagged.code]
        assert codes((await client.get("/staff/questions?status=answered")).text) == []
        assert "Không có câu hỏi nào." in (await client.get("/staff/questions?status=closed")).text
        # An unknown filter is left out rather than refused.
        assert len(codes((await client.get("/staff/questions?field=zz&page=x")).text)) == 3
    listed = [e.detail for e in await audit(app, action="list", actor_telegram_id=1)]
    assert listed[1] == {"field": "dc", "page": 0}  # audited as /questions is


async def test_an_official_sees_only_their_fields_as_in_telegram(app, clock):
    people, asker, session_id, first = await seeded(app, clock)
    await file(app, asker, session_id, clock(), field="dc", text="Hỏi về sổ đỏ.")
    flagged = await file(
        app,
        asker,
        session_id,
        clock(),
        text="Tôi muốn khiếu nại việc chậm trễ.",
        complaint_flag=True,
    )
    async with app.sessionmaker() as db, db.begin():
        in_telegram = await questions.list_for_staff(db, people.official_tp, now=clock())
    async with serve_console(app, clock) as served:
        async with await signed_in(served, people.official_tp) as client:
            page = await client.get("/staff/questions")
            assert codes(page.text) == [item.code for item in in_telegram.items]
            assert codes(page.text) == [flagged.code, first.code]
            assert "Tôi muốn khiếu nại" not in page.text and WITHHELD in page.text
            assert ">Địa chính" not in page.text  # only their fields to filter by
            refused = await client.get("/staff/questions?field=dc")
            assert refused.status_code == 403 and NOT_YOUR_FIELD in refused.text
            card = await client.get(f"/staff/questions/{flagged.code}")
            assert card.status_code == 200 and "Tôi muốn khiếu nại" not in card.text
            assert WITHHELD in card.text
        async with await signed_in(served, people.leader) as client:
            card = await client.get(f"/staff/questions/{flagged.code}")
            assert "Tôi muốn khiếu nại việc chậm trễ." in card.text
    denied = await audit(app, actor_telegram_id=20, allowed=False)
    assert [(e.action, e.detail) for e in denied] == [
        ("list", {"permission": "view_questions", "field": "dc"})
    ]


async def test_questions_come_twenty_a_page(app, clock):
    people, asker, session_id, _first = await seeded(app, clock)
    for number in range(24):
        clock.advance(minutes=1)
        await file(app, asker, session_id, clock(), text=f"Câu hỏi số {number + 2}")
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, people.official_tp) as client,
    ):
        first = await client.get("/staff/questions?field=tp")
        assert "Trang 1/2 · tổng cộng 25" in first.text
        assert len(codes(first.text)) == 20 and "Câu hỏi số 25" in first.text
        assert 'href="/staff/questions?field=tp&amp;page=2" rel="next"' in first.text
        second = await client.get("/staff/questions?field=tp&page=2")
        assert len(codes(second.text)) == 5 and "Trang 2/2" in second.text
        beyond = await client.get("/staff/questions?field=tp&page=9")
        assert "Trang 2/2" in beyond.text  # the last page


# --- the card ---------------------------------------------------------------------------------


async def test_the_card_shows_the_question_its_contact_and_attachments(app, clock, telegram):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    telegram.files["doc7"] = b"%PDF-1.4 giay to"
    filed = await file(
        app,
        asker,
        session_id,
        clock(),
        text=QUESTION,
        named=True,
        contact_name="Nguyễn Văn An",
        contact_phone="0912 345 678",
        attachments=[
            AttachmentIn(kind="photo", content=b"\x89PNG anh", mime="image/png"),
            AttachmentIn(
                kind="document",
                telegram_file_id="doc7",
                mime="application/pdf",
                filename="Giấy chứng sinh.pdf",
                size=16,
            ),
        ],
    )
    async with serve_console(app, clock) as served:
        async with await signed_in(served, people.admin) as client:
            card = await client.get(f"/staff/questions/{filed.code}")
            assert card.status_code == 200
            assert QUESTION in card.text and TP in card.text and "đã tiếp nhận" in card.text
            assert "Nguyễn Văn An, 0912345678" in card.text
            links = re.findall(r'href="(/staff/questions/attachments/\d+)">([^<]+)</a>', card.text)
            assert [name.strip() for _l, name in links] == ["Ảnh 1/2", "Giấy chứng sinh.pdf 2/2"]
            photo = await client.get(links[0][0])
            assert photo.content == b"\x89PNG anh"
            assert photo.headers["Content-Type"] == "image/png"
            document = await client.get(links[1][0])
            assert document.content == b"%PDF-1.4 giay to"  # fetched from Telegram
            assert document.headers["Content-Disposition"].startswith("attachment;")
            by_id = await client.get(f"/staff/questions/{filed.id}")
            assert by_id.status_code == 200 and filed.code in by_id.text
            for missing in ("KN-26-9999", "99999999999999", "attachments"):
                answer = await client.get(f"/staff/questions/{missing}")
                assert answer.status_code == 404 and "Không tìm thấy câu hỏi này." in answer.text
        async with await signed_in(served, people.official_tp) as client:
            card = await client.get(f"/staff/questions/{filed.code}")
            assert QUESTION in card.text and "0912345678" not in card.text  # not assigned
            assert "chỉ hiển thị cho lãnh đạo, quản trị viên và công chức được giao" in card.text
            assert ">Giao xử lý</button>" not in card.text and ">Ẩn</button>" not in card.text
            assert (await client.get(links[0][0])).status_code == 200
        async with await signed_in(served, people.official_dc) as client:
            for path in (f"/staff/questions/{filed.code}", links[0][0]):
                refused = await client.get(path)
                assert refused.status_code == 403 and NOT_YOUR_FIELD in refused.text
                assert QUESTION not in refused.text
    assert [e.action for e in await audit(app, allowed=False)] == ["view", "attachment"]


# --- the actions, as in Telegram ------------------------------------------------------------


async def test_an_answer_is_stored_and_relayed_as_from_telegram(app, clock, telegram):
    people, _asker, _session, filed = await seeded(
        app, clock, named=True, contact_name="Nguyễn Văn An", contact_phone="0912345678"
    )
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, people.official_tp) as client,
    ):
        empty = await post(client, f"/staff/questions/{filed.code}/answer", answer="  ")
        assert empty.status_code == 400
        assert "Vui lòng viết câu trả lời bằng tin nhắn văn bản." in empty.text
        done = await post(client, f"/staff/questions/{filed.code}/answer", answer=ANSWER)
        assert done.status_code == 303
        assert done.headers["Location"] == f"/staff/questions/{filed.code}?done=answered"
        card = await client.get(done.headers["Location"])
        assert "Câu trả lời đã được lưu và gửi tới người dân." in card.text
        assert ANSWER in card.text and "chưa đánh giá" in card.text
        again = await post(client, f"/staff/questions/{filed.code}/answer", answer="Lần hai")
        assert again.status_code == 400 and "Câu hỏi này đã được trả lời." in again.text
    await app.delivery.drain()
    # What tests/test_staff_telegram.py asserts of an answer given in Telegram.
    relay = telegram.chat_messages(501)[-1]
    assert relay.text.startswith(f"💬 Trả lời câu hỏi {filed.code} của Ông/Bà")
    assert f"{ANSWER}\n— {SIGNATURE}" in relay.text
    assert relay.buttons() == ["👍 Hài lòng", "👎 Không hài lòng"]
    [question] = await stored(app)
    assert (question.status, question.answer_text, question.answered_role) == (
        "answered",
        ANSWER,
        "official",
    )
    assert question.answered_by == people.official_tp.id
    answered = await audit(app, action="answer")
    assert [(e.actor_telegram_id, e.allowed, e.target) for e in answered] == [
        (20, True, f"question:{filed.code}")
    ]


async def test_a_leader_assigns_sends_to_the_conference_and_closes(app, clock, telegram):
    people, _asker, _session, filed = await seeded(
        app, clock, named=True, contact_name="Nguyễn Văn An", contact_phone="0912345678"
    )
    code = filed.code
    async with serve_console(app, clock) as served:
        async with await signed_in(served, people.leader) as client:
            card = (await client.get(f"/staff/questions/{code}")).text
            for button in ("Giao xử lý", "Gửi câu trả lời", "Trả lời tại Hội nghị", "Đóng", "Ẩn"):
                assert f">{button}</button>" in card
            assert re.search(r'<option value="\d+">Cán bộ tư pháp</option>', card)
            assert "Cán bộ địa chính" not in card  # officials of the field only
            wrong = await post(client, f"/staff/questions/{code}/assign", official="999")
            assert wrong.status_code == 400
            assert "Công chức này không phụ trách lĩnh vực của câu hỏi." in wrong.text
            done = await post(
                client, f"/staff/questions/{code}/assign", official=str(people.official_tp.id)
            )
            assert done.headers["Location"].endswith("?done=assigned")
            assigned = telegram.chat_messages(20)[-1].text
            assert assigned == f"📌 Câu hỏi {code} ({TP}) đã được giao cho đồng chí."
            await post(client, f"/staff/questions/{code}/conference")
            await app.delivery.drain()
            assert telegram.chat_messages(501)[-1].text == (
                f"Câu hỏi {code} của Ông/Bà hiện ở trạng thái: sẽ trả lời tại Hội nghị."
            )
            clock.advance(minutes=1)
            closed = await post(client, f"/staff/questions/{code}/close")
            card = (await client.get(closed.headers["Location"])).text
            assert "Đã đóng." in card and ">Đóng</button>" not in card
            assert ">Ẩn</button>" in card  # as the Telegram card: only Hide is left
            await app.delivery.drain()
            assert telegram.chat_messages(501)[-1].text.endswith("hiện ở trạng thái: đã đóng.")
        async with await signed_in(served, people.official_tp) as client:
            card = (await client.get(f"/staff/questions/{code}")).text
            assert "Nguyễn Văn An, 0912345678" in card  # assigned to them now
    [question] = await stored(app)
    assert (question.status, question.assigned_to) == ("closed", people.official_tp.id)
    actions = [e.action for e in await audit(app, actor_telegram_id=10, allowed=True)]
    assert [a for a in actions if a != "view"] == ["assign", "mark_conference", "close"]


async def test_hiding_needs_a_reason_and_a_reclassified_question_leaves_the_dialogue(
    app, clock, telegram
):
    people, asker, session_id, filed = await seeded(app, clock)
    other = await file(app, asker, session_id, clock(), text="Cán bộ nhận phong bì.")
    async with serve_console(app, clock) as served:
        async with await signed_in(served, people.admin) as client:
            empty = await post(client, f"/staff/questions/{filed.code}/hide", reason=" ")
            assert empty.status_code == 400 and "Vui lòng nêu lý do ẩn câu hỏi này." in empty.text
            await post(client, f"/staff/questions/{filed.code}/hide", reason="Nội dung xúc phạm")
            card = (await client.get(f"/staff/questions/{filed.code}")).text
            assert "Nội dung xúc phạm" in card and ">Hiện lại</button>" in card
            done = await post(client, f"/staff/questions/{other.code}/reclassify", kind="complaint")
            assert done.headers["Location"].endswith("?done=reclassified")
        async with await signed_in(served, people.official_tp) as client:
            listing = (await client.get("/staff/questions")).text
            assert codes(listing) == []  # hidden, and out of the dialogue
            hidden = await client.get(f"/staff/questions/{filed.code}")
            assert hidden.status_code == 403
        async with await signed_in(served, people.admin) as client:
            await post(client, f"/staff/questions/{filed.code}/unhide")
    await app.delivery.drain()
    assert f"Câu hỏi {other.code} của Ông/Bà" in telegram.chat_messages(501)[-1].text
    first, second = await stored(app)
    assert (first.hidden, first.hidden_reason) == (False, None)
    assert (second.status, second.reclassified_as) == ("reclassified", "complaint")
    [hidden] = await audit(app, action="hide")
    assert "xúc phạm" not in json.dumps(hidden.detail)  # the reason stays off the log
    [moved] = await audit(app, action="reclassify")
    assert moved.detail == {"as": "complaint"}


async def test_an_official_is_refused_what_their_role_does_not_allow(app, clock):
    people, _asker, _session, filed = await seeded(app, clock)
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, people.official_tp) as client,
    ):
        card = (await client.get(f"/staff/questions/{filed.code}")).text
        assert ">Gửi câu trả lời</button>" in card and ">Đóng</button>" not in card
        for action, form in (
            ("assign", {"official": str(people.official_tp.id)}),
            ("close", {}),
            ("hide", {"reason": "Thử"}),
        ):
            refused = await post(client, f"/staff/questions/{filed.code}/{action}", **form)
            assert refused.status_code == 403 and NOT_YOUR_ROLE in refused.text
    denied = await audit(app, actor_telegram_id=20, allowed=False)
    assert [e.action for e in denied] == ["assign", "close", "hide"]  # as in Telegram
    assert (await stored(app))[0].status == "received"


# --- in a browser ---------------------------------------------------------------------------


@needs_chromium
async def test_an_official_answers_in_the_browser_and_the_resident_reads_it(
    app, clock, resident, telegram, browser_factory
):
    """Signed in with a session made here; signing in through the page itself is tested in
    tests/test_web_sign_in.py."""
    people = await make_staff(app, clock())
    await make_session(app)
    await consent_all(resident, contact=True)
    await write_question(resident, TP, QUESTION)
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("👤 Trả lời tôi theo tên")
    await resident.send("Nguyễn Văn An")
    await resident.send("0912 345 678")
    await resident.tap("📨 Gửi")
    [question] = await stored(app)
    clock.advance(minutes=3)
    async with serve_console(app, clock) as served:
        async with served.context.sessionmaker() as db, db.begin():
            from bot.web.auth import start_session

            token = await start_session(db, people.official_tp.id, clock())
        browser = browser_factory(served.base_url)
        await browser.open("/static/style.css")  # a page of the site, to set its cookie
        await browser.call(
            browser.driver.add_cookie, {"name": "doithoai_staff", "value": token, "path": "/"}
        )
        await browser.open("/staff/questions")
        await browser.wait_for_text("Trang 1/1 · tổng cộng 1")
        await browser.press(question.code)
        await browser.wait_for_text(QUESTION)
        await browser.type_into("Câu trả lời gửi người dân", ANSWER)
        await browser.press("Gửi câu trả lời")
        shown = await browser.wait_for_text("Câu trả lời đã được lưu và gửi tới người dân.")
        assert ANSWER in shown and browser.path == f"/staff/questions/{question.code}?done=answered"
    await app.delivery.drain()
    seen = resident.last_message
    assert seen.startswith(f"💬 Trả lời câu hỏi {question.code} của Ông/Bà")
    assert f"{ANSWER}\n— {SIGNATURE}" in seen
