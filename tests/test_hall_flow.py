"""Residents in the hall (issue 15): on Zalo and the console a question sent while the
conference is live joins its queue "from the hall" and a question already there is supported by
its number, once; on Telegram the poster's deep link opens the question form bound to the
session and `/hall` lists the queue with a support button; the poster itself (PNG and PDF, A4)
for those who conduct the conference."""

from __future__ import annotations

import asyncio
import io
import shutil
from asyncio.subprocess import PIPE

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.conversation.engine import TextConversation
from bot.services import conference
from bot.web.pages.poster import TELEGRAM_USERNAME
from models import Origin, QuestionSupport, ResidentQuestion
from tests.support.conference import go_live, with_secretary
from tests.support.journey import consent_all
from tests.support.questions import make_session
from tests.support.text_flow import agree_all
from tests.support.text_resident import TextResident
from tests.support.web import serve_console, signed_in

QUESTION = "Đề nghị niêm yết công khai thời gian trả kết quả hộ tịch tại bộ phận một cửa."
OTHER = "Xin hỏi bao giờ phường lắp thêm đèn chiếu sáng ở ngõ 12?"


async def stored(app) -> list[ResidentQuestion]:
    async with app.sessionmaker() as db:
        stmt = select(ResidentQuestion).order_by(ResidentQuestion.id)
        return list((await db.execute(stmt)).scalars())


async def supports(app) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(QuestionSupport))


async def read_pdf(tool: str, content: bytes, *arguments: str) -> str:
    """What a poppler tool reads from a PDF given on its standard input."""
    process = await asyncio.create_subprocess_exec(
        tool, "-", *arguments, stdin=PIPE, stdout=PIPE, stderr=PIPE
    )
    out, _err = await process.communicate(content)
    assert process.returncode == 0, (tool, _err)
    return out.decode()


async def ask_by_text(resident: TextResident, field: str, text: str) -> str:
    await resident.say("hỏi")
    await resident.say(field)
    await resident.say(text)
    await resident.say("1")  # no evidence: continue
    await resident.say("2")  # anonymous
    return await resident.say("1")  # send


async def test_on_zalo_and_the_console_hall_questions_are_tagged_and_supported_once(
    app, settings, clock
):
    conversation = TextConversation(app.sessionmaker, app.survey, settings, clock)
    lan = TextResident(conversation, "lan", channel="zalo")
    minh = TextResident(conversation, "minh", channel="console")
    await agree_all(lan)
    await agree_all(minh)
    # Before the conference: a support is refused, and nothing is stored.
    early = await minh.say("ủng hộ 1")
    assert early.startswith(
        "Hiện không có hội nghị nào đang diễn ra: lượt ủng hộ chỉ được tính trong hội nghị."
    )
    people, _secretary = await with_secretary(app, clock())
    session_id = await make_session(app)
    await go_live(app, people, session_id, clock())

    sent = await ask_by_text(lan, "2", QUESTION)
    assert "KN-26-0001" in sent
    [question] = await stored(app)
    assert (question.session_id, question.origin, question.status) == (
        session_id,
        Origin.HALL,
        "conference",
    )
    # Supported by its number, with or without diacritics; a second time is no change.
    first = await minh.say("ủng hộ 1")
    assert first.startswith("👍 Cảm ơn Ông/Bà: lượt ủng hộ câu hỏi 1 đã được ghi nhận.")
    assert "Menu chính" in first  # the screen the resident was on is shown again
    again = await minh.say("ung ho so 1")
    assert again.startswith("Ông/Bà đã ủng hộ câu hỏi 1 rồi.")
    by_code = await minh.say("support KN-26-0001")
    assert by_code.startswith("Ông/Bà đã ủng hộ câu hỏi KN-26-0001 rồi.")
    missing = await minh.say("ủng hộ 99")
    assert missing.startswith("Không có câu hỏi mang số này trong chương trình hội nghị.")
    assert await supports(app) == 1
    async with app.sessionmaker() as db:
        board = await conference.board(db, session_id)
    assert [(item.code, item.supporters) for item in board.waiting] == [("KN-26-0001", 1)]
    # A question that merely starts with the words is a question, not a support.
    await minh.say("hỏi")
    await minh.say("9")
    typed = await minh.say("Ủng hộ 12 hộ nghèo thì phường làm thủ tục thế nào?")
    assert "tối đa 5 ảnh" in typed
    assert await supports(app) == 1


async def test_the_telegram_deep_link_binds_the_session_and_hall_lists_the_queue(
    app, clock, resident_factory
):
    people, _secretary = await with_secretary(app, clock())
    before = await make_session(app)  # another session, not live
    session_id = await make_session(app)
    asker, supporter = resident_factory(501), resident_factory(502)
    await consent_all(asker)
    await consent_all(supporter)

    await asker.send(f"/start hall_{before}")  # not live: the form, as usual
    assert "Hội nghị hiện chưa diễn ra." in asker.telegram.sent_texts(asker.user_id)[-2]
    await go_live(app, people, session_id, clock())
    await asker.send(f"/start hall_{session_id}")
    welcome = asker.telegram.sent_texts(asker.user_id)[-2]
    assert welcome.startswith("Chào mừng Ông/Bà đến hội nghị đối thoại!")
    assert "Câu hỏi, kiến nghị thuộc lĩnh vực nào?" in asker.text
    await asker.tap("Tư pháp – Hộ tịch")
    await asker.send(QUESTION)
    await asker.tap("Tiếp tục ➡️")
    await asker.tap("🕶 Gửi ẩn danh")
    await asker.tap("📨 Gửi")
    assert "KN-26-0001" in asker.text
    [question] = await stored(app)
    assert (question.session_id, question.origin, question.channel) == (
        session_id,
        Origin.HALL,
        "telegram",
    )

    await supporter.send("/hall")
    listing = supporter.screen
    assert listing.text.startswith("Câu hỏi tại hội trường")
    assert "KN-26-0001" in listing.text and QUESTION in listing.text
    assert listing.buttons() == ["👍 Ủng hộ KN-26-0001"]
    await supporter.tap("👍 Ủng hộ KN-26-0001", on=listing)
    assert supporter.last_alert == "👍 Cảm ơn Ông/Bà: lượt ủng hộ đã được ghi nhận."
    await supporter.tap("👍 Ủng hộ KN-26-0001", on=listing)
    assert supporter.last_alert == "Ông/Bà đã ủng hộ câu hỏi này rồi."
    assert await supports(app) == 1
    await supporter.send("/hall")
    assert "👍 1" in supporter.screen.text


async def test_the_poster_is_one_a4_page_for_those_who_conduct_the_conference(app, clock):
    people, secretary = await with_secretary(app, clock())
    session_id = await make_session(app)
    await go_live(app, people, session_id, clock())
    async with serve_console(app, clock) as served:
        served.context.extras[TELEGRAM_USERNAME] = "phuong_binh_an_bot"
        office = await signed_in(served, secretary)
        png = await office.get(f"/staff/conference/{session_id}/poster.png")
        assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(png.content))
        width, height = image.size
        assert width >= 1200 and abs(height / width - 297 / 210) < 0.01
        pdf = await office.get(f"/staff/conference/{session_id}/poster.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        official = await signed_in(served, people.official_tp)
        refused = await official.get(f"/staff/conference/{session_id}/poster.pdf")
        assert refused.status_code == 403
        assert "vai trò của đồng chí không được phép" in refused.text
        await office.aclose()
        await official.aclose()
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    info = await read_pdf("pdfinfo", pdf.content)
    assert "Pages:           1" in info and "(A4)" in info
    if shutil.which("pdftotext"):
        text = await read_pdf("pdftotext", pdf.content, "-")
        assert "HỘI NGHỊ ĐỐI THOẠI" in text and "Phường Bình An" in text
        assert f"bot.t.me/phuong_binh_an_bot?start=hall_{session_id}" not in text
        assert f"t.me/phuong_binh_an_bot?start=hall_{session_id}" in text
        assert f"/chat?s={session_id}" in text
        assert "ủng hộ 12" in text
