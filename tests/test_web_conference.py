"""The console's conference pages (bot/web/pages/conference*.py) on the services of
bot/services/conference/: the agenda by field with its counts and who answers, delegates and
their invitations, the live switch (admins only, refusals audited), the secretary's page in the
hall (an answer reaches the asker once, questions from the floor, conclusions as tasks), the
documents read back with python-docx and openpyxl, the commitments; and a Chromium test of the
secretary answering in the hall."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import docx
import openpyxl
from sqlalchemy import select

from bot.services import conference
from models import (
    AuditEntry,
    Commitment,
    Conclusion,
    ConferenceItem,
    Delegate,
    Delivery,
    ResidentQuestion,
)
from tests.support.browser import needs_chromium
from tests.support.conference import go_live, on_agenda, with_secretary
from tests.support.questions import file, make_asker, make_session
from tests.support.web import csrf_of, serve_console, signed_in

QUESTION = "Xin hỏi thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"
LAND = "Bao giờ cấp sổ đỏ cho khu phố 3?"
SUMMARY = "Mang căn cước của cha mẹ và giấy chứng sinh, làm xong trong ngày."
NOT_YOUR_ROLE = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."


async def seeded(app, clock):
    """Staff with a secretary, a session, a TP question on Telegram (user 501) with two
    supporters, a Địa chính question on Zalo, both sent to the conference, and one question
    that is not."""
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    tp = await file(app, asker, session_id, now, text=QUESTION)
    dc = await file(
        app, await make_asker(app, "502", channel="zalo"), session_id, now, field="dc", text=LAND
    )
    await file(app, await make_asker(app, "503"), session_id, now, text="Không lên hội nghị.")
    for question in (tp, dc):
        await on_agenda(app, people, question.id, now)
    for number in ("601", "602"):
        supporter = await make_asker(app, number)
        async with app.sessionmaker() as db, db.begin():
            await conference.support(
                db,
                tp.id,
                resident_id=supporter.resident_id,
                account_id=supporter.account_id,
                now=now,
            )
    return people, secretary, session_id, tp, dc


async def post(client, page: str, action: str, **form: str):
    token = await csrf_of(client, page)
    return await client.post(action, data={"csrf": token, **form})


async def rows(app, model, *where):
    async with app.sessionmaker() as db:
        key = model.question_id if model is ConferenceItem else model.id
        return list((await db.execute(select(model).where(*where).order_by(key))).scalars())


def docx_text(content: bytes) -> str:
    """Every paragraph and table cell of a DOCX file."""
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for t in document.tables for r in t.rows for cell in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def without_tags(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_agenda_shows_the_questions_their_counts_and_who_answers(app, clock):
    people, _secretary, session_id, tp, _dc = await seeded(app, clock)
    page = f"/staff/conference?session={session_id}"
    async with serve_console(app, clock) as served:
        async with await signed_in(served, people.admin) as client:
            menu = (await client.get("/staff")).text
            assert 'href="/staff/conference">Hội nghị</a>' in menu
            assert 'href="/staff/commitments">Cam kết</a>' in menu
            missing = await client.get("/staff/conference?session=999")
            assert missing.status_code == 404 and "Không tìm thấy kỳ đối thoại này." in missing.text
            shown = await client.get(page)
            assert shown.status_code == 200
            text = without_tags(shown.text)
            assert QUESTION in text and LAND in text
            assert "Không lên hội nghị." not in text  # not sent to the conference
            # Per field: questions, supporters, channels, paper opinions.
            assert "Câu hỏi: 1 · Người ủng hộ: 2 · Telegram: 1 · Ý kiến trên phiếu giấy: 0" in text
            assert "Câu hỏi: 1 · Người ủng hộ: 0 · Zalo: 1" in text
            assert "Cán bộ tư pháp (công chức phụ trách lĩnh vực)" in text
            # The office gives the TP question to the leader.
            changed = await post(
                client,
                page,
                f"/staff/conference/{session_id}/answerer",
                question=str(tp.id),
                staff=str(people.leader.id),
            )
            assert changed.status_code == 303
            after = await client.get(changed.headers["Location"])
            assert "Đã thay đổi người trả lời câu hỏi." in after.text
            row = re.search(rf'<tr id="q{tp.id}">.*?</tr>', after.text, re.S).group(0)
            assert "Chủ tịch phường" in row and "công chức phụ trách lĩnh vực)" not in row
            agenda = await client.get(f"/staff/conference/{session_id}/agenda.docx")
            assert agenda.status_code == 200
            read = docx_text(agenda.content)
            assert QUESTION in read and LAND in read
        # An official sees their own field's questions, and may not change who answers.
        async with await signed_in(served, people.official_tp) as client:
            fields = without_tags((await client.get(page)).text)
            assert QUESTION in fields and LAND not in fields
            # Their own list in advance: the TP question is now the leader's to answer.
            mine = without_tags((await client.get(page + "&mine=1")).text)
            assert QUESTION not in mine
            assert "Chưa có câu hỏi nào trong chương trình hội nghị." in mine
            refused = await post(
                client,
                page,
                f"/staff/conference/{session_id}/answerer",
                question=str(tp.id),
                staff="",
            )
            assert refused.status_code == 403 and NOT_YOUR_ROLE in refused.text
    [item] = await rows(app, ConferenceItem)
    assert (item.question_id, item.answerer_id) == (tp.id, people.leader.id)
    refusals = await rows(app, AuditEntry, AuditEntry.allowed.is_(False))
    assert [(e.action, e.actor_telegram_id) for e in refusals] == [("conference_answerer", 20)]


async def test_delegates_are_added_changed_invited_and_removed(app, clock, telegram):
    people, secretary, session_id, _tp, _dc = await seeded(app, clock)
    page = f"/staff/conference?session={session_id}"
    base = f"/staff/conference/{session_id}/delegates"
    async with serve_console(app, clock) as served:
        async with await signed_in(served, people.admin) as client:
            added = await post(
                client,
                page,
                base,
                name="Ông Trần Văn Bình",
                group="groups",
                position="Tổ trưởng tổ dân phố 3",
                staff="",
            )
            assert added.status_code == 303
            await post(
                client,
                page,
                base,
                name="Chủ tịch phường",
                group="leaders",
                staff=str(people.leader.id),
            )
            empty = await post(client, page, base, name=" ", group="groups")
            assert empty.status_code == 400  # shown again with the reason
            bình, chair = await rows(app, Delegate)
            await post(
                client,
                page,
                f"{base}/change",
                delegate=str(bình.id),
                name="Ông Trần Văn Bình",
                group="groups",
                position="Bí thư chi bộ tổ 3",
            )
            await post(client, page, f"{base}/reply", delegate=str(bình.id), coming="1")
            invited = await post(
                client, page, f"/staff/conference/{session_id}/invite", reminder="0"
            )
            assert invited.status_code == 303
            shown = without_tags((await client.get(invited.headers["Location"])).text)
            assert "Đã gửi giấy mời." in shown
            assert "Đại biểu không có kênh trò chuyện (vui lòng gọi điện): 1" in shown
            assert "Bí thư chi bộ tổ 3" in shown and "Tham dự" in shown
            removed = await post(client, page, f"{base}/remove", delegate=str(bình.id))
            assert removed.status_code == 303
        # The secretary may mark attendance but not change the list.
        async with await signed_in(served, secretary) as client:
            present = await post(
                client, page, f"{base}/attendance", delegate=str(chair.id), attended="1"
            )
            assert present.status_code == 303
            refused = await post(client, page, base, name="Khách mời", group="guests")
            assert refused.status_code == 403 and NOT_YOUR_ROLE in refused.text
    [kept] = await rows(app, Delegate)
    assert (kept.name, kept.staff_id, kept.attended) == ("Chủ tịch phường", people.leader.id, True)
    assert kept.invited_at is not None
    [invitation] = await rows(app, Delivery, Delivery.key == f"delegate:invite:{chair.id}")
    assert (invitation.chat_id, invitation.status) == ("10", "sent")
    assert any("Hội nghị tháng 12" in t for t in telegram.sent_texts(10))


async def test_the_live_switch_is_for_admins_and_a_refusal_is_audited(app, clock):
    people, secretary, session_id, _tp, _dc = await seeded(app, clock)
    page = f"/staff/conference?session={session_id}"
    switch = f"/staff/conference/{session_id}/live-switch"
    async with serve_console(app, clock) as served:
        for who in (secretary, people.leader):
            async with await signed_in(served, who) as client:
                assert "Bắt đầu trực tiếp" not in (await client.get(page)).text
                refused = await post(client, page, switch, live="1")
                assert refused.status_code == 403 and NOT_YOUR_ROLE in refused.text
        async with await signed_in(served, people.admin) as client:
            on = await post(client, page, switch, live="1")
            assert on.status_code == 303
            shown = await client.get(on.headers["Location"])
            assert "Hội nghị đang diễn ra trực tiếp." in shown.text
            assert "Kết thúc phần trực tiếp" in shown.text
    async with app.sessionmaker() as db:
        assert (await conference.live_state(db, session_id)).live is True
    switched = await rows(app, AuditEntry, AuditEntry.action == "conference_live")
    assert [(e.actor_telegram_id, e.allowed) for e in switched] == [
        (50, False),
        (10, False),
        (1, True),
    ]


async def test_an_answer_in_the_hall_is_recorded_and_reaches_the_asker_once(app, clock, telegram):
    people, secretary, session_id, tp, _dc = await seeded(app, clock)
    await go_live(app, people, session_id, clock())
    live = f"/staff/conference/{session_id}/live"
    async with serve_console(app, clock) as served, await signed_in(served, secretary) as client:
        queue = (await client.get(live + "?order=support")).text
        # By support: the TP question (2 supporters) before the Địa chính one (none).
        assert queue.index(f"queue-{tp.id}") < queue.index(
            "queue-", queue.index(f"queue-{tp.id}") + 1
        )
        picked = await post(client, live, live + "/current", question=str(tp.id))
        assert picked.status_code == 303
        page = (await client.get(live)).text
        assert "Ghi nhận câu trả lời" in page and QUESTION in page
        answered = await post(
            client,
            live,
            live + "/answer",
            question=str(tp.id),
            answered_by=str(people.official_tp.id),
            summary=SUMMARY,
        )
        assert answered.status_code == 303
        assert answered.headers["Location"].endswith("done=answered")
        again = await post(
            client,
            live,
            live + "/answer",
            question=str(tp.id),
            answered_by=str(people.official_tp.id),
            summary="Lần hai",
        )
        assert again.status_code == 400
        assert "Câu hỏi này đã được xử lý tại hội nghị." in again.text
        dealt = without_tags((await client.get(live)).text)
        assert f"{tp.code} · Đã trả lời tại hội nghị · Cán bộ tư pháp: {SUMMARY}" in dealt
    await app.delivery.drain()
    [sent] = await rows(app, Delivery, Delivery.key.startswith(f"answer:{tp.id}:"))
    assert (sent.chat_id, sent.status) == ("501", "sent")
    assert sum(SUMMARY in text for text in telegram.sent_texts(501)) == 1
    [question] = await rows(app, ResidentQuestion, ResidentQuestion.id == tp.id)
    assert (question.status, question.answer_text) == ("answered", SUMMARY)


async def test_floor_questions_conclusions_tasks_and_answers_later_become_commitments(
    app, clock, telegram
):
    people, secretary, session_id, _tp, dc = await seeded(app, clock)
    await go_live(app, people, session_id, clock())
    live = f"/staff/conference/{session_id}/live"
    async with serve_console(app, clock) as served:
        async with await signed_in(served, secretary) as client:
            floor = await post(
                client,
                live,
                live + "/floor",
                field="dc",
                text="Đường ngõ 5 ngập mỗi khi mưa.",
                speaker="Bà Lan",
            )
            assert floor.status_code == 303
            page = without_tags((await client.get(floor.headers["Location"])).text)
            assert "Đã thêm ý kiến phát biểu tại hội trường vào hàng chờ." in page
            assert "Đường ngõ 5 ngập mỗi khi mưa. — Bà Lan" in page
            no_field = await post(client, live, live + "/floor", field="zz", text="Ý kiến")
            assert no_field.status_code == 400
            await post(client, live, live + "/current", question=str(dc.id))
            later = await post(
                client,
                live,
                live + "/later",
                question=str(dc.id),
                owner=str(people.official_dc.id),
                deadline="2027-01-15",
            )
            assert later.status_code == 303
            task = await post(
                client,
                live,
                live + "/conclusions",
                text="Giao Địa chính rà soát hồ sơ sổ đỏ khu phố 3.",
                owner=str(people.official_dc.id),
                deadline="2027-02-01",
            )
            assert task.status_code == 303
            plain = await post(
                client, live, live + "/conclusions", text="Hội nghị thành công tốt đẹp."
            )
            assert plain.status_code == 303
            half = await post(
                client, live, live + "/conclusions", text="Thiếu hạn", owner=str(people.admin.id)
            )
            assert half.status_code == 400
            assert "A task needs" in half.text or "thời hạn" in half.text
        async with await signed_in(served, people.admin) as client:
            listed = without_tags((await client.get("/staff/commitments")).text)
            assert "Giao Địa chính rà soát hồ sơ sổ đỏ khu phố 3." in listed
            assert LAND in listed and "Cán bộ địa chính" in listed
            assert "15/01/2027" in listed and "01/02/2027" in listed
        async with await signed_in(served, people.official_tp) as client:
            theirs = without_tags((await client.get("/staff/commitments")).text)
            assert "Không có cam kết nào." in theirs  # an official sees only their own
    async with app.sessionmaker() as db:
        floor_question = await db.scalar(
            select(ResidentQuestion).where(ResidentQuestion.origin == "floor")
        )
        assert (floor_question.field, floor_question.contact_name) == ("dc", "Bà Lan")
    conclusions = await rows(app, Conclusion)
    assert [c.text for c in conclusions] == [
        "Giao Địa chính rà soát hồ sơ sổ đỏ khu phố 3.",
        "Hội nghị thành công tốt đẹp.",
    ]
    later_one, task_one = await rows(app, Commitment)
    assert (later_one.question_id, later_one.owner_id) == (dc.id, people.official_dc.id)
    assert (task_one.conclusion_id, task_one.owner_id) == (conclusions[0].id, people.official_dc.id)
    # The end of the chosen day in Hanoi, stored in UTC.
    assert later_one.deadline.astimezone(UTC) == datetime(2027, 1, 15, 16, 59, tzinfo=UTC)


async def test_a_commitment_is_closed_and_the_asker_and_supporters_are_told(app, clock, telegram):
    people, secretary, session_id, tp, _dc = await seeded(app, clock)
    await go_live(app, people, session_id, clock())
    async with app.sessionmaker() as db, db.begin():
        commitment_id = await conference.answer_later(
            db,
            secretary,
            tp.id,
            owner_id=people.official_tp.id,
            deadline=datetime(2026, 1, 2, tzinfo=UTC),
            now=clock(),
        )
    result = "Phường đã niêm yết danh mục giấy tờ tại bộ phận một cửa."
    async with (
        serve_console(app, clock) as served,
        await signed_in(served, people.official_tp) as client,
    ):
        listed = without_tags((await client.get("/staff/commitments")).text)
        assert QUESTION in listed and "Quá hạn" in listed
        closed = await post(
            client,
            "/staff/commitments",
            "/staff/commitments/close",
            commitment=str(commitment_id),
            result=result,
        )
        assert closed.status_code == 303
        shown = without_tags((await client.get(closed.headers["Location"])).text)
        assert "Đã đóng cam kết; người hỏi và những người ủng hộ đã được thông báo." in shown
        assert QUESTION not in shown  # the open ones only
        everything = without_tags((await client.get("/staff/commitments?status=all")).text)
        assert result in everything
    await app.delivery.drain()
    told = await rows(app, Delivery, Delivery.key.startswith(f"commitment:{commitment_id}:"))
    assert sorted(d.chat_id for d in told) == ["501", "601", "602"]
    for chat in (501, 601, 602):
        assert sum(result in text for text in telegram.sent_texts(chat)) == 1


async def test_the_minutes_and_proposals_download_and_read_back(app, clock):
    people, secretary, session_id, tp, dc = await seeded(app, clock)
    await go_live(app, people, session_id, clock())
    async with app.sessionmaker() as db, db.begin():
        await conference.set_chair_and_secretary(
            db, secretary, session_id, chair_name="Ông Chủ tịch", now=clock()
        )
        await conference.record_answer(
            db, secretary, tp.id, answered_by=people.official_tp.id, summary=SUMMARY, now=clock()
        )
    minutes = f"/staff/conference/{session_id}/minutes"
    async with serve_console(app, clock) as served:
        async with await signed_in(served, secretary) as client:
            page = await client.get(minutes)
            assert page.status_code == 200 and "Chưa đánh dấu ý kiến nào." in page.text
            # The secretary may not mark proposals (the office and officials of the field do).
            refused = await post(
                client, minutes, f"/staff/conference/{session_id}/proposal", question=str(dc.id)
            )
            assert refused.status_code == 403
            got = await client.get(f"/staff/conference/{session_id}/minutes.docx")
            assert got.status_code == 200
            assert got.headers["Content-Disposition"].endswith(f"bien-ban-{session_id}.docx")
            read = docx_text(got.content)
            assert SUMMARY in read and QUESTION in read and "Ông Chủ tịch" in read
        async with await signed_in(served, people.admin) as client:
            marked = await post(
                client,
                minutes,
                f"/staff/conference/{session_id}/proposal",
                question=str(dc.id),
                proposal="1",
                back="minutes",
            )
            assert marked.status_code == 303 and marked.headers["Location"].startswith(minutes)
            page = without_tags((await client.get(marked.headers["Location"])).text)
            assert "Đã đánh dấu là kiến nghị sửa đổi quy định, thủ tục." in page
            assert "Địa chính (đất đai): 1" in page
            proposals = await client.get(f"/staff/conference/{session_id}/proposals.docx")
            read = docx_text(proposals.content)
            assert LAND in read and QUESTION not in read
            book = await client.get(f"/staff/conference/{session_id}/proposals.xlsx")
            sheets = openpyxl.load_workbook(io.BytesIO(book.content))
            values = [c for s in sheets for r in s.iter_rows(values_only=True) for c in r]
            assert LAND in values
        async with await signed_in(served, people.official_tp) as client:
            refused = await client.get(f"/staff/conference/{session_id}/minutes.docx")
            assert refused.status_code == 403 and NOT_YOUR_ROLE in refused.text
    [question] = await rows(app, ResidentQuestion, ResidentQuestion.id == dc.id)
    assert question.proposal is True


@needs_chromium
async def test_the_secretary_answers_in_the_hall_in_a_browser(
    app, clock, telegram, browser_factory
):
    people, secretary, session_id, tp, _dc = await seeded(app, clock)
    await go_live(app, people, session_id, clock())
    async with serve_console(app, clock) as served:
        async with served.context.sessionmaker() as db, db.begin():
            from bot.web.auth import start_session

            token = await start_session(db, secretary.id, clock())
        browser = browser_factory(served.base_url)
        await browser.open("/static/style.css")  # a page of the site, to set its cookie
        await browser.call(
            browser.driver.add_cookie, {"name": "doithoai_staff", "value": token, "path": "/"}
        )
        await browser.open(f"/staff/conference/{session_id}/live")
        await browser.wait_for_text("Hàng chờ (2)")
        await browser.press(f"Trả lời {tp.code} ngay")
        await browser.wait_for_text("Đã đổi câu hỏi đang trả lời.")
        await browser.type_into("Tóm tắt câu trả lời", SUMMARY)
        await browser.press("Ghi nhận câu trả lời")
        shown = await browser.wait_for_text("Đã ghi nhận câu trả lời và gửi tới người hỏi.")
        assert f"{tp.code} · Đã trả lời tại hội nghị" in shown
        assert "Hàng chờ (1)" in shown
        # A question from the floor typed elsewhere joins the queue without a reload.
        async with app.sessionmaker() as db, db.begin():
            await conference.add_floor_question(
                db, secretary, session_id, field="tp", text="Phí sao y bản chính cao.", now=clock()
            )
        await browser.wait_for_text("Phí sao y bản chính cao.")
        assert "Hàng chờ (2)" in await browser.text()
    await app.delivery.drain()
    assert sum(SUMMARY in text for text in telegram.sent_texts(501)) == 1
