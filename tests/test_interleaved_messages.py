"""Nothing a resident sends on a text channel is lost when something arrives beside their
conversation. On every screen of the text journey, a Zalo resident (the fake Zalo server, over
HTTP) gets an answer to their earlier question, a reminder and an announcement, sent by the
delivery engine; their next reply is still read against the screen they were on, and what it
means is stored. Then "xem" opens the answer beside that screen, "1" rates it and brings them
back where they were."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.conversation import asides
from bot.conversation.asides import Aside
from bot.conversation.engine import TextConversation
from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.services import consent, staff
from bot.services import questions as question_service
from bot.services.consent import Purpose
from models import Account, DialogueSession, ResponseStatus, utcnow
from models.conversations import load_state
from scheduler.reminders import reminder_message
from tests.support.db_helpers import answers, responses
from tests.support.journey import ASK
from tests.support.question_loop import ask_on_zalo, zalo_resident
from tests.support.questions import stored_questions
from tests.support.staff_chat import ask, person  # noqa: F401 (a fixture)
from tests.support.text_resident import TextResident

ADMIN = 1  # ADMIN_IDS in the test settings
ANSWER = "Hồ sơ gồm tờ khai và giấy tờ tuỳ thân; phường trả kết quả trong 3 ngày."
ANNOUNCEMENT = "📢 Phường thông báo: bộ phận một cửa làm việc cả sáng thứ Bảy."
ANSWER_HINT = "Để đánh giá câu trả lời này, Ông/Bà nhắn “xem”."
REMINDER_HINT = "Ông/Bà nhắn “hỏi” để gửi câu hỏi, hoặc “đánh giá” để đánh giá một lĩnh vực."
FIELD_SCREEN = "Ông/Bà đã thực hiện thủ tục thuộc lĩnh vực nào?"
DENUNCIATION = "Tôi làm đơn tố cáo cán bộ địa chính nhận tiền"
NEW_QUESTION = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ cần những gì?"

Check = Callable[..., Awaitable[None]]


async def nothing_more(app) -> None:
    """No survey response was started by the reply."""
    assert await responses(app) == []


async def draft_answer(app, code: str, value: str) -> None:
    [response] = await responses(app)
    assert response.status == ResponseStatus.DRAFT
    assert (await answers(app, response.id))[code][0] == value


async def ask_draft(app) -> dict:
    async with app.sessionmaker() as db:
        _account, state = await load_state(db, "zalo", "zu1")
    return state.get("ask") or {}


@dataclass(frozen=True)
class Case:
    screen: str
    path: tuple[str, ...]  # from the main menu
    reply: str  # the resident's next message, meant for that screen
    shows: str  # what the screen after it says
    stored: Check = field(default=nothing_more)
    # Where rating the answer leaves the resident: the screen they were on, unless that was
    # one of their questions' own screens (then the answer's, rated).
    back_to_it: bool = True


async def procedure_chosen(app) -> None:
    [response] = await responses(app)
    assert (response.field, response.procedure) == ("tp", "ks")


async def c2_yes(app) -> None:
    await draft_answer(app, "C2", "yes")


async def q1_five(app) -> None:
    await draft_answer(app, "Q1", "5")


async def m1_two_priorities(app) -> None:
    await draft_answer(app, "M1", "info prem")


async def opinion_kept(app) -> None:
    await draft_answer(app, "F1", "Nên có thêm ghế ở phòng chờ")


async def submitted(app) -> None:
    [response] = await responses(app)
    assert response.status == ResponseStatus.SUBMITTED


async def one_submitted(app) -> None:
    assert [r.status for r in await responses(app)] == [ResponseStatus.SUBMITTED]


async def reminders_withdrawn(app) -> None:
    async with app.sessionmaker() as db:
        [account] = (await db.execute(select(Account))).scalars()
        decisions = await consent.decisions(db, account.resident_id)
    assert not consent.granted(decisions, Purpose.REMINDERS)
    assert consent.granted(decisions, Purpose.SURVEY)


async def still_stored(app) -> None:
    assert len(await stored_questions(app)) == 1


async def field_chosen(app) -> None:
    assert (await ask_draft(app)).get("field") == "xd"


async def text_kept(app) -> None:
    assert (await ask_draft(app))["text"] == NEW_QUESTION


async def flagged(app) -> None:
    draft = await ask_draft(app)
    assert (draft["text"], draft["flag"]) == (DENUNCIATION, True)


async def anonymous_chosen(app) -> None:
    draft = await ask_draft(app)
    assert draft["text"] == NEW_QUESTION and draft["named"] is False


async def name_kept(app) -> None:
    assert (await ask_draft(app))["name"] == "Trần Văn Ba"


async def phone_kept(app) -> None:
    assert (await ask_draft(app))["phone"] == "0912345678"


async def second_question_filed(app) -> None:
    first, second = await stored_questions(app)
    assert (second.text, second.field, second.named) == (NEW_QUESTION, "xd", False)
    assert first.code == "KN-26-0001"


TO_REVIEW = ("1", "10", "khong", "1 2", "bo qua", "2")  # Khác: no procedure, nothing done
TO_ASK_TEXT = ("2", "9")  # Xây dựng
CASES = [
    Case("menu", (), "1", FIELD_SCREEN),
    Case("sessions", ("4",), "0", "Menu chính"),
    Case("field", ("1",), "2", "Đó là thủ tục nào? (không bắt buộc)"),
    Case("procedure", ("1", "2"), "1", "Tư pháp – Hộ tịch · Câu 1/13", procedure_chosen),
    Case("question: yes or no", ("1", "2", "1"), "1", "Câu 2/13", c2_yes),
    Case("question: a score", ("1", "2", "1", "1", "2"), "5", "Câu 4/13", q1_five),
    Case("question: several choices", ("1", "10", "khong"), "1 2", "Khác · Câu 3/4", m1_two_priorities),
    Case("question: free text", ("1", "10", "khong", "1 2"), "Nên có thêm ghế ở phòng chờ", "Khác · Câu 4/4", opinion_kept),
    Case("review", TO_REVIEW, "gửi", "🙏 Cảm ơn Ông/Bà!", submitted),
    Case("done", (*TO_REVIEW, "gửi"), "2", "Menu chính", submitted),
    Case("replace", (*TO_REVIEW, "gửi", "1", "10"), "2", FIELD_SCREEN, one_submitted),
    Case("data", ("6",), "2", "Dữ liệu trợ lý tự động của phường đang lưu", reminders_withdrawn),
    Case("data:delete", ("6", "4"), "2", "🗑 Xóa toàn bộ dữ liệu của tôi", still_stored),
    Case("ask:field", ("2",), "9", "Ông/Bà viết câu hỏi hoặc kiến nghị", field_chosen),
    Case("ask:text", TO_ASK_TEXT, NEW_QUESTION, "Ông/Bà có thể gửi tối đa", text_kept),
    Case("ask:redirect", (*TO_ASK_TEXT, DENUNCIATION), "1", "Ông/Bà có thể gửi tối đa", flagged),
    Case("ask:attachments", (*TO_ASK_TEXT, NEW_QUESTION), "1", "Ông/Bà có muốn được trả lời riêng", text_kept),
    Case("ask:identity", (*TO_ASK_TEXT, NEW_QUESTION, "1"), "2", "Gửi ẩn danh", anonymous_chosen),
    Case("ask:name", (*TO_ASK_TEXT, NEW_QUESTION, "1", "1"), "Trần Văn Ba", "số điện thoại", name_kept),
    Case("ask:phone", (*TO_ASK_TEXT, NEW_QUESTION, "1", "1", "Trần Văn Ba"), "0912 345 678", "Gửi kèm tên: Trần Văn Ba", phone_kept),
    Case("ask:review", (*TO_ASK_TEXT, NEW_QUESTION, "1", "2"), "1", "Mã theo dõi của Ông/Bà là KN-26-0002", second_question_filed),
    Case("ask:sent", (*TO_ASK_TEXT, NEW_QUESTION, "1", "2", "1"), "2", "Menu chính", second_question_filed),
    Case("mine", ("3",), "0", "Menu chính", still_stored),
    # The question's screen was shown before the answer came: it offered no rating.
    Case("mine:detail", ("3", "1"), "1", "Câu hỏi của tôi", still_stored, back_to_it=False),
]  # fmt: skip


async def answer_arrives(app, code: str) -> None:
    """An admin answers the earlier question; the notifier relays it to the resident's chat."""
    [question] = [q for q in await stored_questions(app) if q.code == code]
    async with app.sessionmaker() as db, db.begin():
        await staff.bootstrap_admins(db, [ADMIN], utcnow())
        relay = await question_service.answer(db, ADMIN, question.id, ANSWER, utcnow())
    assert await app.notifier.deliver(relay)


async def pushed(app, message: Message, key: str, channel: str = "zalo", chat: str = "zu1") -> None:
    """A reminder or an announcement, sent by the delivery engine."""
    async with app.sessionmaker() as db, db.begin():
        account = (
            await db.execute(select(Account).where(Account.external_id == chat))
        ).scalar_one()
        recipient = Recipient(channel, chat, "vi", account.resident_id)
        await outbox.add(db, recipient, message, key=key)
    outcome = await app.delivery.send_now([key])
    assert outcome[key][0] == "sent"


async def reminder(app, channel: str = "zalo") -> Message:
    async with app.sessionmaker() as db:
        session = (await db.execute(select(DialogueSession))).scalars().first()
    return reminder_message(session, channel, "vi", app.settings)


@pytest.mark.parametrize("case", CASES, ids=[c.screen for c in CASES])
async def test_what_arrives_beside_the_screen_never_takes_the_next_reply(
    app, settings, clock, zalo, case: Case
):
    resident = zalo_resident(app, settings, clock, zalo)
    try:
        code = await ask_on_zalo(resident)  # named: its answer comes to this chat
        await resident.say("2")  # the main menu
        for text in case.path:
            await resident.say(text)

        before = len(zalo.sent)
        await answer_arrives(app, code)
        await pushed(app, await reminder(app), "test:reminder")
        await pushed(app, Message(ANNOUNCEMENT), "test:announcement")
        relayed, reminded, announced = [text for _chat, text in zalo.sent[before:]]
        assert relayed.startswith(f"💬 Trả lời câu hỏi {code}") and ANSWER_HINT in relayed
        assert reminded.endswith(REMINDER_HINT)
        assert announced == ANNOUNCEMENT

        after = await resident.say(case.reply)
        assert case.shows in after[-1], after
        await case.stored(app)
        assert (await stored_questions(app))[0].answer_rating is None  # not taken as a rating

        # "xem" opens the answer beside that screen; rating it brings the resident back.
        [detail] = await resident.say("xem")
        assert detail.startswith(f"{code} · Tư pháp – Hộ tịch\nTrạng thái: đã trả lời")
        assert ANSWER in detail and "1. 👍 Hài lòng" in detail
        thanks, back = await resident.say("1")
        assert thanks == "Cảm ơn Ông/Bà đã đánh giá câu trả lời."
        if case.back_to_it:
            assert back == after[-1]
        else:
            assert back.startswith(detail.split("\n")[0]) and "đánh giá đã được ghi nhận" in back
        assert (await stored_questions(app))[0].answer_rating == "satisfied"
        await case.stored(app)
    finally:
        await resident.close()


def test_the_words_are_no_option_of_any_screen_of_the_survey(app):
    survey = app.survey
    labels = [f.label.get(lang) for f in survey.fields for lang in ("vi", "en")]
    labels += [
        p.label.get(lang) for f in survey.fields for p in f.procedures for lang in ("vi", "en")
    ]
    labels += [
        o.label.get(lang) for q in survey.questions for o in q.options for lang in ("vi", "en")
    ]
    assert len(labels) > 100 and [label for label in labels if asides.read(label)] == []
    assert [asides.read(w) for w in ("Xem", "view", "HỎI", "hoi", "Đánh giá.", "danh gia")] == [
        Aside.VIEW_ANSWER,
        Aside.VIEW_ANSWER,
        Aside.ASK,
        Aside.ASK,
        Aside.RATE,
        Aside.RATE,
    ]
    assert asides.read("xem 1") is None and asides.read("1") is None
    # As older residents write them: with a polite word before or after.
    assert [asides.read(w) for w in ("xem ạ", "Dạ xem", "dạ hỏi ạ", "đánh giá nhé")] == [
        Aside.VIEW_ANSWER,
        Aside.VIEW_ANSWER,
        Aside.ASK,
        Aside.RATE,
    ]


async def test_on_telegram_what_arrives_leaves_the_question_being_written(app, person):
    resident = person(501)
    code = await ask(resident)  # a named question: its answer comes to this chat
    await resident.send("/start")
    await resident.tap(ASK)
    await resident.tap("Tư pháp – Hộ tịch")
    assert "Ông/Bà viết câu hỏi hoặc kiến nghị" in resident.text

    await answer_arrives(app, code)
    relayed = resident.last(f"Trả lời câu hỏi {code}")
    assert relayed.buttons() == ["👍 Hài lòng", "👎 Không hài lòng"]
    await resident.tap("👍 Hài lòng", on=relayed)
    assert (await stored_questions(app))[0].answer_rating == "satisfied"
    await resident.send(NEW_QUESTION)  # the dialog still waits for the text
    assert resident.text.startswith("Ông/Bà có thể gửi tối đa")

    await pushed(app, await reminder(app, "telegram"), "test:reminder", "telegram", "501")
    await pushed(app, Message(ANNOUNCEMENT), "test:announcement", "telegram", "501")
    assert resident.last_message == ANNOUNCEMENT
    # "Send a question" under the reminder takes up the question left half-way.
    await resident.tap("✍️ Gửi câu hỏi", on=resident.last("Nhắc lịch"))
    assert f"Nội dung: {NEW_QUESTION}" in resident.text
    assert resident.buttons == ["📨 Gửi", "✏️ Sửa nội dung", "👤 Ghi tên hay ẩn danh", "✖ Huỷ"]
    await resident.tap("📨 Gửi")
    first, second = await stored_questions(app)
    assert (second.text, second.field) == (NEW_QUESTION, "tp")
    assert first.answer_rating == "satisfied"


async def test_the_reminders_words_take_up_what_was_left_half_way(app, settings, clock):
    an = TextResident(TextConversation(app.sessionmaker, app.survey, settings, clock), "an")
    for text in ("xin chào", "1", "1", "2", "1", "2", "1", "1"):  # consents, tp, ks, C2 yes
        await an.say(text)
    assert "Tư pháp – Hộ tịch · Câu 2/13" in an.last
    asked = await an.say("hỏi")
    assert "Câu hỏi, kiến nghị thuộc lĩnh vực nào?" in asked
    await an.say("9")  # Xây dựng: the question's draft keeps its field
    back = await an.say("đánh giá")
    assert "Tư pháp – Hộ tịch · Câu 2/13" in back  # the rating left half-way
    await draft_answer(app, "C2", "yes")
    again = await an.say("hoi")
    assert "Ông/Bà viết câu hỏi hoặc kiến nghị" in again  # the question left at its text
