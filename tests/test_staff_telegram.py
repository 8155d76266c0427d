"""Ward staff on Telegram, through the real dispatcher: the admin from ADMIN_IDS adds staff,
officials get new-question notices, list and open questions, answer them (button or reply),
the resident gets the signed answer in the chat and rates it; leaders assign, send to the
conference and hide; every refusal is polite and audited."""

from __future__ import annotations

import json

from bot.notify import QuestionCb
from bot.telegram import register_staff_menus
from models import AuditEntry
from tests.support.journey import consent_all, write_question
from tests.support.questions import audit_log, file, make_asker, make_session, stored_questions
from tests.support.staff_chat import (  # noqa: F401 (fixtures)
    ADMIN,
    ANSWER,
    LEADER,
    NOT_YOUR_ROLE,
    OFFICIAL,
    ONLY_STAFF,
    OTHER_OFFICIAL,
    QUESTION,
    RESIDENT,
    SIGNATURE,
    TP,
    admin,
    ask,
    official,
    person,
)

NOT_YOUR_FIELD = "Xin lỗi, câu hỏi này thuộc lĩnh vực mà đồng chí không phụ trách."


async def entries(app, **where) -> list[AuditEntry]:
    return [e for e in await audit_log(app) if all(getattr(e, k) == v for k, v in where.items())]


# --- the loop ------------------------------------------------------------------------------


async def test_ask_notify_answer_relay_and_rate(app, admin, official, person):
    added = [f for name, f in admin.telegram.calls if name == "setMyCommands" and "scope" in f]
    assert json.loads(added[-1]["scope"]) == {"type": "chat", "chat_id": OFFICIAL}
    resident = person(RESIDENT)
    code = await ask(resident)
    assert code == "KN-26-0001"

    notice = official.last("Câu hỏi mới")
    assert notice.text.startswith(f"🆕 Câu hỏi mới {code} · {TP}")
    assert QUESTION in notice.text
    assert "Nguyễn Văn An" not in notice.text and "0912" not in notice.text
    assert notice.buttons() == ["📂 Mở"]

    await official.send("/questions")
    listing = official.last("Câu hỏi, kiến nghị của người dân")
    assert "Trang 1/1 · tổng cộng 1" in listing.text
    await official.tap(f"{code} · đã tiếp nhận", on=listing)
    card = official.last(QUESTION)
    assert card.text.startswith(f"{code} · {TP}")
    assert "Trạng thái: đã tiếp nhận · ngôn ngữ: Tiếng Việt · kênh: telegram" in card.text
    assert "chỉ hiển thị cho lãnh đạo, quản trị viên và công chức được giao" in card.text
    assert "0912345678" not in card.text  # named, but not assigned to this official
    assert card.buttons() == ["✍️ Trả lời", "🗓 Trả lời tại Hội nghị", "⚖️ Khiếu nại, tố cáo"]

    await official.tap("✍️ Trả lời", on=card)
    assert official.last().text.startswith(f"✍️ Đồng chí vui lòng viết câu trả lời cho {code}")
    await official.send(ANSWER)
    assert official.last().text == (f"✅ Câu trả lời cho {code} đã được lưu và gửi tới người dân.")

    relay = resident.last(ANSWER)
    assert relay.text.startswith(f"💬 Trả lời câu hỏi {code} của Ông/Bà")
    assert f"{ANSWER}\n— {SIGNATURE}" in relay.text
    assert "Cán bộ Tư pháp" not in relay.text  # signed by field and role, not the person
    assert relay.buttons() == ["👍 Hài lòng", "👎 Không hài lòng"]
    await resident.tap("👍 Hài lòng", on=relay)
    assert resident.last_alert == "Cảm ơn Ông/Bà đã đánh giá câu trả lời."
    assert resident.last(ANSWER).markup is None  # the buttons are gone
    [question] = await stored_questions(app)
    assert (question.status, question.answer_text, question.answer_rating) == (
        "answered",
        ANSWER,
        "satisfied",
    )
    assert question.answered_role == "official"
    answered = await entries(app, action="answer")
    assert [(e.actor_telegram_id, e.allowed, e.target) for e in answered] == [
        (OFFICIAL, True, f"question:{code}")
    ]

    # Answered: a second tap on the old card is refused politely, nothing changes.
    await official.tap("✍️ Trả lời", on=card)
    assert official.last_alert == "Câu hỏi này đã được trả lời."


async def test_replying_to_the_notice_answers_the_question(app, official, person):
    resident = person(RESIDENT)
    code = await ask(resident)
    notice = official.last("Câu hỏi mới")
    await official.reply("a" * 3001, to=notice)
    assert official.last().text.startswith("Nội dung có 3001 ký tự, vượt quá giới hạn 3000")
    assert (await stored_questions(app))[0].answer_text is None
    await official.reply(ANSWER, to=notice)
    assert official.last().text == f"✅ Câu trả lời cho {code} đã được lưu và gửi tới người dân."
    assert f"— {SIGNATURE}" in resident.last(ANSWER).text
    # The resident's own replies are theirs: replying to a bot message is not answering.
    await resident.reply("Cảm ơn", to=resident.last(ANSWER))
    assert (await stored_questions(app))[0].answer_text == ANSWER


async def test_an_official_of_another_field_cannot_open_it(app, admin, official, person):
    await admin.send("/staff_add 30 official Cán bộ Địa chính fields=dc")
    other = person(OTHER_OFFICIAL)
    resident = person(RESIDENT)
    await ask(resident)
    [question] = await stored_questions(app)
    assert not [m for m in other.messages if "Câu hỏi mới" in m.text]  # no notice either
    await other.send("/questions")
    assert "Không có câu hỏi nào." in other.last().text
    await other.send("/questions tp")
    assert other.last().text == NOT_YOUR_FIELD
    await other.tap_data(QuestionCb(a="o", q=question.id).pack())  # a forged button
    assert other.telegram.callback_answers[-1] == NOT_YOUR_FIELD
    await other.tap_data(QuestionCb(a="an", q=question.id).pack())
    assert other.telegram.callback_answers[-1] == NOT_YOUR_FIELD
    denied = await entries(app, actor_telegram_id=OTHER_OFFICIAL, allowed=False)
    assert [(e.action, e.target) for e in denied] == [
        ("list", None),
        ("view", f"question:{question.code}"),
        ("answer", f"question:{question.code}"),
    ]
    assert (await stored_questions(app))[0].answer_text is None


async def test_a_resident_typing_staff_commands_is_refused_and_audited(app, admin, person):
    resident = person(RESIDENT)
    await consent_all(resident)
    for command in ("/questions", "/staff", "/staff_add 502 admin Kẻ Lạ", "/staff_remove 1"):
        await resident.send(command)
        assert resident.last_message.startswith(ONLY_STAFF), command
    assert "Mã số Telegram của Ông/Bà là 501." in resident.messages[-4].text
    denied = await entries(app, actor_telegram_id=RESIDENT)
    assert [(e.action, e.allowed) for e in denied] == [
        ("list", False),
        ("staff_list", False),
        ("staff_add", False),
        ("staff_remove", False),
    ]
    # Their own commands are untouched, and /help shows them nothing of the staff's.
    await resident.send("/menu")
    assert "✉️ Gửi câu hỏi, kiến nghị" in resident.buttons
    await resident.send("/help")
    assert "/dulieu" in resident.last_message and "/questions" not in resident.last_message


async def test_only_admins_manage_staff(app, admin, official, person):
    await official.send("/staff_add 40 front MTTQ phường")
    assert official.last().text.startswith(NOT_YOUR_ROLE)
    await official.send("/staff")
    assert official.last().text.startswith(NOT_YOUR_ROLE)
    assert [e.action for e in await entries(app, actor_telegram_id=OFFICIAL, allowed=False)] == [
        "staff_add",
        "staff_list",
    ]

    await admin.send("/staff_add")
    assert admin.last().text.startswith("/staff: danh sách cán bộ")  # the usage
    await admin.send("/staff_add abc official Ai Đó fields=tp")
    assert admin.last().text.startswith("/staff: danh sách cán bộ")
    await admin.send("/staff_add 21 official Ai Đó fields=zz")
    assert admin.last().text.startswith("Lĩnh vực không hợp lệ: zz. Các lĩnh vực: dc, tp,")
    await admin.send("/staff_add 21 official Ai Đó")
    assert admin.last().text == "Công chức phải phụ trách ít nhất một lĩnh vực."
    await admin.send("/staff_add 21 chief Ai Đó")
    assert admin.last().text.startswith("Vai trò không hợp lệ.")
    await admin.send("/staff_add 20 leader Cán bộ Tư pháp")
    assert admin.last().text.startswith("Người này đã có trong danh sách cán bộ")

    await admin.send("/staff_set 20 fields=tp,dc name=Nguyễn Thị Cúc")
    assert "Nguyễn Thị Cúc · official · id 20 · Tư pháp – Hộ tịch, Địa chính" in admin.last().text
    await admin.send("/staff_set 20 colour=blue")
    assert admin.last().text.startswith("/staff: danh sách cán bộ")
    await admin.send("/staff")
    listing = admin.last().text
    assert listing.startswith("Cán bộ phường (2)")
    assert "• Admin 1 · admin · id 1" in listing
    assert "• Nguyễn Thị Cúc · official · id 20" in listing

    await admin.send("/staff_remove 1")
    assert admin.last().text == "Phải còn ít nhất một quản trị viên."
    await admin.send("/staff_remove 20")
    assert admin.last().text == "✅ Đã xoá khỏi danh sách cán bộ: mã Telegram 20."
    [removed] = [f for name, f in admin.telegram.calls if name == "deleteMyCommands"]
    assert json.loads(removed["scope"]) == {"type": "chat", "chat_id": OFFICIAL}
    await official.send("/questions")
    # No longer staff: refused in their own language, as any resident.
    assert official.last().text.startswith("Sorry, this is only for ward staff.")
    allowed = [e.action for e in await entries(app, actor_telegram_id=ADMIN, allowed=True)]
    assert allowed == ["staff_add", "staff_change", "staff_list", "staff_remove"]


async def test_a_leader_assigns_sends_to_the_conference_and_the_official_sees_the_contact(
    app, admin, official, person
):
    await admin.send("/staff_add 10 leader Chủ tịch phường")
    leader = person(LEADER)
    resident = person(RESIDENT)
    code = await ask(resident)
    notice = leader.last("Câu hỏi mới")  # leaders are told of every field
    await leader.tap("📂 Mở", on=notice)
    card = leader.last(QUESTION)
    assert "Liên hệ: Nguyễn Văn An, 0912345678" in card.text
    assert card.buttons() == [
        "👤 Giao xử lý",
        "✍️ Trả lời",
        "🗓 Trả lời tại Hội nghị",
        "✔️ Đóng",
        "⚖️ Khiếu nại, tố cáo",
        "🙈 Ẩn",
    ]
    await leader.tap("👤 Giao xử lý", on=card)
    choice = leader.last("Giao câu hỏi")
    assert choice.text == f"Giao câu hỏi {code} ({TP}) cho:"
    assert choice.buttons() == ["Cán bộ Tư pháp", "✖ Huỷ"]
    await leader.tap("Cán bộ Tư pháp", on=choice)
    assert leader.last("Đã giao").text == f"✅ Đã giao {code} cho Cán bộ Tư pháp."
    [question] = await stored_questions(app)
    assert question.status == "assigned"

    assigned = official.last("được giao")
    assert assigned.text == f"📌 Câu hỏi {code} ({TP}) đã được giao cho đồng chí."
    await official.tap("📂 Mở", on=assigned)
    mine = official.last(QUESTION)
    assert "Đã giao cho: Cán bộ Tư pháp" in mine.text
    assert "Liên hệ: Nguyễn Văn An, 0912345678" in mine.text  # assigned to them now

    await leader.tap("🗓 Trả lời tại Hội nghị", on=leader.last(QUESTION))
    assert leader.telegram.callback_answers[-1] == "Đã chuyển: sẽ trả lời tại Hội nghị."
    assert "Trạng thái: sẽ trả lời tại Hội nghị" in leader.last(QUESTION).text  # edited in place
    assert resident.last_message == (
        f"Câu hỏi {code} của Ông/Bà hiện ở trạng thái: sẽ trả lời tại Hội nghị."
    )
    await leader.tap("✔️ Đóng", on=leader.last(QUESTION))
    assert resident.last_message.endswith("hiện ở trạng thái: đã đóng.")
    assert leader.last(QUESTION).buttons() == ["🙈 Ẩn"]
    actions = [e.action for e in await entries(app, actor_telegram_id=LEADER, allowed=True)]
    assert actions == ["view", "assign", "mark_conference", "view", "close", "view"]


async def test_an_official_cannot_assign_close_or_hide(app, official, person):
    resident = person(RESIDENT)
    await ask(resident)
    [question] = await stored_questions(app)
    for action in ("as", "cl", "hd"):
        await official.tap_data(QuestionCb(a=action, q=question.id).pack())
        assert official.telegram.callback_answers[-1].startswith(NOT_YOUR_ROLE)
    denied = await entries(app, actor_telegram_id=OFFICIAL, allowed=False)
    assert [e.action for e in denied] == ["assign", "close", "hide"]
    assert (await stored_questions(app))[0].status == "received"


async def test_hiding_needs_a_reason(app, admin, official, person):
    resident = person(RESIDENT)
    code = await ask(resident, named=False)
    await admin.send("/questions tp")
    await admin.tap(f"{code} · đã tiếp nhận", on=admin.last("Câu hỏi, kiến nghị"))
    card = admin.last(QUESTION)
    assert "Ẩn danh: đưa vào tổng hợp cho Hội nghị" in card.text
    await admin.tap("🙈 Ẩn", on=card)
    assert admin.last().text.startswith(f"🙈 Vì sao cần ẩn {code}")
    await admin.send_photo()
    assert admin.last().text == "Vui lòng nêu lý do ẩn câu hỏi này."
    assert not (await stored_questions(app))[0].hidden
    await admin.send("Nội dung xúc phạm cán bộ")
    assert admin.last().text == f"🙈 Đã ẩn {code}."
    [question] = await stored_questions(app)
    assert question.hidden and question.hidden_reason == "Nội dung xúc phạm cán bộ"
    [hidden] = await entries(app, action="hide")
    assert "xúc phạm" not in json.dumps(hidden.detail)  # the reason stays off the log

    await official.send("/questions")
    assert "Không có câu hỏi nào." in official.last().text
    await admin.send("/questions")
    assert "🙈" in admin.last("Câu hỏi, kiến nghị").text
    await admin.tap(f"{code} · đã tiếp nhận", on=admin.last("Câu hỏi, kiến nghị"))
    assert "🙈 Đã ẩn: Nội dung xúc phạm cán bộ" in admin.last(QUESTION).text
    await admin.tap("👁 Hiện lại", on=admin.last(QUESTION))
    assert not (await stored_questions(app))[0].hidden

    await admin.tap("🙈 Ẩn", on=admin.last(QUESTION))
    await admin.send("/cancel")
    assert admin.last().text == "Đã huỷ."
    await admin.send("/menu")  # not taken as a reason
    assert not (await stored_questions(app))[0].hidden


async def test_questions_come_ten_a_page(app, official, clock):
    session_id = await make_session(app)
    asker = await make_asker(app)
    for number in range(12):
        await file(app, asker, session_id, clock(), text=f"Câu hỏi số {number + 1}")
        clock.advance(minutes=1)
    await file(app, asker, session_id, clock(), field="dc", text="Về đất đai")
    await official.send("/questions tp received")
    listing = official.last("Câu hỏi, kiến nghị")
    assert "Lĩnh vực: Tư pháp – Hộ tịch\nTrạng thái: đã tiếp nhận" in listing.text
    assert "Trang 1/2 · tổng cộng 12" in listing.text
    assert "1. KN-26-0012" in listing.text and "Câu hỏi số 12" in listing.text
    assert len(listing.buttons()) == 11 and listing.buttons()[-1] == "Sau ➡️"
    await official.tap("Sau ➡️", on=listing)
    page_two = official.last("Câu hỏi, kiến nghị")
    assert page_two.message_id == listing.message_id  # the same message, edited
    assert "Trang 2/2 · tổng cộng 12" in page_two.text
    assert page_two.buttons() == [
        "KN-26-0002 · đã tiếp nhận",
        "KN-26-0001 · đã tiếp nhận",
        "⬅️ Trước",
    ]
    await official.tap("⬅️ Trước", on=page_two)
    assert "Trang 1/2" in official.last("Câu hỏi, kiến nghị").text

    await official.send("/questions tp bogus")
    assert official.last().text.startswith("Cách dùng: /questions [lĩnh vực] [trạng thái]")
    await official.send("/questions dc")
    assert official.last().text == NOT_YOUR_FIELD


async def test_attachments_are_sent_to_staff(app, official, person, telegram):
    resident = person(RESIDENT)
    await consent_all(resident, contact=True)
    await write_question(resident, TP, QUESTION)
    await resident.send_photo()
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("🕶 Gửi ẩn danh")
    await resident.tap("📨 Gửi")
    await official.tap("📂 Mở", on=official.last("Câu hỏi mới"))
    card = official.last(QUESTION)
    assert "tệp đính kèm: 1" in card.text
    await official.tap("📎 Tệp đính kèm (1)", on=card)
    photo = official.messages[-1]
    assert (photo.media, photo.text) == ("p1", "KN-26-0001 · 1/1")
    assert [name for name, _f in telegram.calls].count("sendPhoto") == 1


async def test_help_and_command_menus_follow_the_role(app, admin, official, telegram):
    await official.send("/help")
    text = official.last().text
    assert "Dành cho cán bộ phường · Công chức phụ trách" in text
    assert "/questions [lĩnh vực] [trạng thái]" in text and "/staff_add" not in text
    await admin.send("/help")
    assert "/staff_add ID VAI_TRÒ HỌ TÊN" in admin.last().text

    telegram.calls.clear()
    assert await register_staff_menus(app.bot, app.sessionmaker, "vi") == 2
    menus = {
        json.loads(form["scope"])["chat_id"]: [c["command"] for c in json.loads(form["commands"])]
        for name, form in telegram.calls
        if name == "setMyCommands"
    }
    assert menus[ADMIN][-12:] == [
        "questions",
        "agenda",
        "stats",
        "export",
        "sessions",
        "paper",
        "broadcast",
        "broadcasts",
        "staff",
        "staff_add",
        "staff_set",
        "staff_remove",
    ]
    assert menus[OFFICIAL][-3:] == ["help", "questions", "agenda"]


async def test_a_resident_who_blocked_the_bot_keeps_the_stored_answer(
    app, official, person, caplog
):
    caplog.set_level("INFO")
    resident = person(RESIDENT)
    code = await ask(resident)
    official.telegram.blocked.add(RESIDENT)
    await official.reply(ANSWER, to=official.last("Câu hỏi mới"))
    assert official.last().text == (
        f"✅ Câu trả lời cho {code} đã được lưu. Chưa gửi được tới người dân; người dân có thể "
        "xem tại mục Câu hỏi của tôi."
    )
    [question] = await stored_questions(app)
    assert (question.answer_text, question.status) == (ANSWER, "answered")
    assert "Telegram answer notice not delivered: TelegramForbiddenError" in caplog.text
    assert ANSWER not in caplog.text and QUESTION not in caplog.text


async def test_start_up_sets_the_menus_of_the_staff(app, settings, official, telegram):
    from bot.__main__ import start_telegram

    telegram.calls.clear()
    await start_telegram(app, settings)
    methods = [name for name, _form in telegram.calls]
    assert (
        methods
        == ["getMe", "setMyCommands", "setMyCommands", "deleteWebhook"] + ["setMyCommands"] * 2
    )
    scopes = [json.loads(form["scope"]) for _name, form in telegram.calls[-2:]]
    assert scopes == [{"type": "chat", "chat_id": ADMIN}, {"type": "chat", "chat_id": OFFICIAL}]


async def test_staff_can_list_only_the_questions_that_looked_like_complaints(
    app, make_app, telegram
):
    """The office filters on the flag set when a resident insisted on sending a complaint."""
    from datetime import UTC, datetime

    from bot.services import questions as question_service
    from bot.services import staff as staff_service
    from bot.services.residents import get_or_create
    from bot.services.sessions import session_for_answers
    from tests.support.resident import Resident

    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    async with app.sessionmaker() as db, db.begin():
        await staff_service.bootstrap_admins(db, [1], now)
        who = await get_or_create(db, "telegram", "900", "vi")
        account = await __import__("bot.services.residents", fromlist=["x"]).account_id(
            db, "telegram", "900"
        )
        session = await session_for_answers(db, now, app.settings.zone, "vi")
        for flag, text in (
            (True, "Tôi muốn khiếu nại quyết định"),
            (False, "Đề nghị thêm ghế chờ"),
        ):
            await question_service.file_question(
                db,
                resident_id=who.id,
                account_id=account,
                session_id=session.id,
                field="kh",
                text=text,
                language="vi",
                named=False,
                contact_name=None,
                contact_phone=None,
                complaint_flag=flag,
                channel="telegram",
                attachments=[],
                now=now,
            )
    admin = Resident(app, telegram, 1, "vi")
    await admin.send("/questions flagged")
    screen = admin.telegram.chat_messages(1)[-1].text
    assert "KN-26-0001" in screen and "KN-26-0002" not in screen
    assert "Tôi muốn khiếu nại quyết định" in screen
    # The official of the field sees that it exists, not what it says (nor on its card).
    await admin.send("/staff_add 30 official Cán bộ Khác fields=kh")
    official = Resident(app, telegram, 30, "vi")
    await official.send("/questions flagged")
    screen = official.telegram.chat_messages(30)[-1].text
    assert "KN-26-0001" in screen and "Tôi muốn khiếu nại quyết định" not in screen
    assert "chỉ lãnh đạo và Văn phòng được xem nội dung" in screen
    await official.tap("^KN-26-0001.*")
    card = official.telegram.chat_messages(30)[-1].text
    assert "KN-26-0001" in card and "Tôi muốn khiếu nại quyết định" not in card
    assert "chỉ lãnh đạo và Văn phòng được xem nội dung" in card


async def test_an_anonymous_question_is_answered_in_the_digest_not_in_the_chat(
    app, admin, official, person
):
    resident = person(RESIDENT)
    code = await ask(resident, named=False)
    sent_before = len(resident.telegram.chat_messages(RESIDENT))
    await official.reply(ANSWER, to=official.last("Câu hỏi mới"))
    assert official.last().text.startswith(
        f"✅ Câu trả lời cho {code} đã được lưu. Câu hỏi ẩn danh"
    )
    assert len(resident.telegram.chat_messages(RESIDENT)) == sent_before  # nothing pushed
    [question] = await stored_questions(app)
    assert question.answer_text == ANSWER and question.status == "answered"
