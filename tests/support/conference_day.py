"""The people of a conference day for tests/test_conference_day.py: residents who ask and
support on Telegram (the real dispatcher on a FakeTelegram), on Zalo (the text conversation,
its answers sent to a fake Zalo Bot API), in the web chat (over HTTP, as a browser without
JavaScript) and on paper (forms typed into the template and imported); and the office's acts
through the conference services, each in its own transaction as a console page does them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.exports.conference import minutes_docx
from bot.exports.paper_template import paper_template
from bot.services import conference, paper_answers, questions
from models import QuestionSupport, ResidentQuestion
from tests.support.documents import docx_text
from tests.support.journey import consent_all, write_question
from tests.support.paper import FORMS, fill
from tests.support.resident import Resident
from tests.support.text_flow import agree_all
from tests.support.text_resident import TextResident
from tests.support.web_chat import WebChatResident
from tests.support.web_chat_consent import consent as web_consent

FIELD_LABELS = {"dc": "Địa chính (đất đai)", "tp": "Tư pháp – Hộ tịch"}
FIELD_NUMBERS = {"dc": "1", "tp": "2"}  # on the text channels' numbered list


@dataclass
class Asked:
    """A question as its asker sent it, and where the asker reads the answer."""

    channel: str
    who: object  # Resident, TextResident or WebChatResident
    field: str
    text: str
    code: str = ""
    id: int = 0
    hall: bool = False
    summary: str | None = None  # the answer given in the hall
    later: bool = False


@dataclass
class Day:
    session_id: int
    asked: list[Asked] = field(default_factory=list)


# --- residents ---------------------------------------------------------------------------------


async def telegram_asks(you: Resident, field_id: str, text: str) -> str:
    """From the main menu or the hall's deep link: the question form to the end."""
    if FIELD_LABELS[field_id] not in you.buttons:
        await write_question(you, FIELD_LABELS[field_id], text)
    else:
        await you.tap(FIELD_LABELS[field_id])
        await you.send(text)
    await you.tap("Tiếp tục ➡️")
    await you.tap("🕶 Gửi ẩn danh")
    await you.tap("📨 Gửi")
    return you.text


async def zalo_asks(you: TextResident, field_id: str, text: str) -> str:
    await you.say("hỏi")
    await you.say(FIELD_NUMBERS[field_id])
    await you.say(text)
    await you.say("1")  # no evidence: continue
    await you.say("2")  # anonymous
    return await you.say("1")  # send


async def web_asks(you: WebChatResident, field_id: str, text: str, *, opened: bool) -> str:
    """`opened`: the page already shows the field screen (the hall's poster link)."""
    if not opened:
        await you.say("hỏi")
    await you.tap(FIELD_LABELS[field_id])
    await you.say(text)
    await you.say("1")  # no evidence: continue
    await you.say("2")  # anonymous
    assert "📨 Gửi" in str(you.page.buttons), you.transcript[-6:]
    return await you.tap("📨 Gửi")


async def consent(channel: str, you) -> None:
    if channel == "telegram":
        await consent_all(you)
    elif channel == "zalo":
        await agree_all(you)
    else:
        await web_consent(you)


async def ask(item: Asked, *, opened: bool = False) -> Asked:
    if item.channel == "telegram":
        sent = await telegram_asks(item.who, item.field, item.text)
    elif item.channel == "zalo":
        sent = await zalo_asks(item.who, item.field, item.text)
    else:
        sent = await web_asks(item.who, item.field, item.text, opened=opened)
    assert "KN-26-" in sent, sent
    return item


async def paper_forms(app, front, session_id: int, opinions: list[str], now: datetime) -> int:
    """Paper survey forms, one opinion each, typed into the template and imported by the
    Fatherland Front (the upload's service, audited)."""
    rows = [
        {**FORMS[0][0], "FORM": f"P-{101 + i}", "F1": opinion} for i, opinion in enumerate(opinions)
    ]
    data = fill(paper_template(app.survey), rows)
    reading = await paper_answers.read_file(app.survey, data)
    assert reading.problems == []
    async with app.sessionmaker() as db:
        result = await paper_answers.import_upload(
            db, app.survey, front, reading, session_id=session_id, now=now
        )
        await db.commit()
    assert result.problems == [], result.problems
    return result.stored


# --- the office ---------------------------------------------------------------------------------


async def stored_questions(app) -> list[ResidentQuestion]:
    async with app.sessionmaker() as db:
        stmt = select(ResidentQuestion).order_by(ResidentQuestion.id)
        return list((await db.execute(stmt)).scalars())


async def support_count(app) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(QuestionSupport))


async def mark_for_conference(app, leader, question_ids: list[int], now: datetime) -> None:
    async with app.sessionmaker() as db, db.begin():
        for question_id in question_ids:
            await questions.mark_conference(db, leader, question_id, now)


async def answer_in_hall(app, secretary, session_id: int, item: Asked, official, now) -> None:
    """The secretary puts the question on the screen, records who answered and the summary,
    and the asker is told on their channel after the commit."""
    async with app.sessionmaker() as db, db.begin():
        await conference.pick_current(db, secretary, session_id, item.id, now=now)
        relay = await conference.record_answer(
            db, secretary, item.id, answered_by=official.id, summary=item.summary, now=now
        )
    assert await app.notifier.deliver(relay)


async def answer_later(app, secretary, item: Asked, owner, now) -> None:
    async with app.sessionmaker() as db, db.begin():
        await conference.answer_later(
            db, secretary, item.id, owner_id=owner.id, deadline=now + timedelta(days=15), now=now
        )


async def minutes_text(app, actor, session_id: int, now: datetime) -> str:
    """The minutes DOCX, read back with python-docx: paragraphs and every table cell."""
    async with app.sessionmaker() as db, db.begin():
        found = await conference.minutes(db, actor, session_id, app.survey, now=now)
    data = minutes_docx(
        found,
        app.survey,
        ward_name=app.settings.ward_name or "Bình An",
        locale="vi",
        zone=app.settings.zone,
    )
    return docx_text(data)
