"""The safety net for what the recogniser misses: any staff member who sees a question that is
really a complaint, a denunciation or a crime report takes it out of the dialogue. The resident
is told where it goes, in their chat and language; the question leaves every queue and figure;
the action is audited; nobody new sees the resident's text."""

from __future__ import annotations

from sqlalchemy import select

from bot.__main__ import bootstrap_admins
from bot.channels.zalo.client import ZaloClient
from bot.exports.rows import questions_select
from bot.services import figures, questions
from bot.services.figures import Scope
from bot.services.questions import InvalidAction
from bot.services.staff import PermissionDenied
from models import AuditEntry, Delivery, QuestionStatus
from tests.support.fake_zalo import TOKEN
from tests.support.questions import (
    act,
    audit_log,
    file,
    make_asker,
    make_session,
    make_staff,
)
from tests.support.staff_chat import ADMIN, LEADER, OFFICIAL, RESIDENT, Person, ask

COMPLAINT = (
    "Xin hỏi vì sao mẹ tôi không còn trong danh sách nhận trợ cấp tháng này, mong phường "
    "cho mẹ tôi được nhận như trước."
)
RECEPTION = "Số 1 Lê Lợi, thứ Năm hằng tuần"
POLICE = "0283 999 113"


async def test_a_reclassified_question_leaves_every_queue_and_figure(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "zalo-7", channel="zalo")
    kept = await file(app, asker, session_id, clock())
    clock.advance(minutes=1)
    moved = await file(app, asker, session_id, clock(), text=COMPLAINT)

    # An official of another field cannot see it, so cannot reclassify it: refused, audited.
    denied = await act(app, questions.reclassify, people.official_dc, moved.id, "crime", clock())
    assert isinstance(denied, PermissionDenied)
    redirected = await act(
        app, questions.reclassify, people.official_tp, moved.id, "complaint", clock()
    )
    assert (redirected.channel, redirected.external_id, redirected.code, redirected.kind) == (
        "zalo",
        "zalo-7",
        moved.code,
        "complaint",
    )
    [entry] = [e for e in await audit_log(app) if e.action == "reclassify" and e.allowed]
    assert (entry.actor_telegram_id, entry.target, entry.detail) == (
        20,
        f"question:{moved.code}",
        {"as": "complaint"},
    )
    denial = [e for e in await audit_log(app) if e.action == "reclassify" and not e.allowed]
    assert [e.actor_telegram_id for e in denial] == [30]

    # Out of the queue (unless asked for by its status), the counts and the export.
    for who in (people.admin, people.official_tp, people.front):
        page = await act(app, questions.list_for_staff, who, now=clock())
        assert [i.code for i in page.items] == [kept.code]
    listed = await act(
        app, questions.list_for_staff, people.leader, status="reclassified", now=clock()
    )
    assert [i.code for i in listed.items] == [moved.code]
    async with app.sessionmaker() as db:
        assert await questions.count_by_field_status(db, session_id) == {"tp": {"received": 1}}
        everything = Scope(session_id=session_id)
        assert await figures.question_counts(db, everything) == {"tp": {"received": 1}}
        pending = await figures.pending_by_official(db, session_id)
        assert [p.pending for p in pending] == [1]
        exported = (await db.execute(questions_select(everything))).all()
        assert [row.code for row in exported] == [kept.code]
        mine = await questions.my_questions(db, asker.resident_id)
        assert {m.code: m.status for m in mine}[moved.code] == QuestionStatus.RECLASSIFIED

    # Nothing more happens to it: not answered, assigned, sent to the conference, closed or
    # reclassified twice.
    for call, args in [
        (questions.answer, ("Trả lời",)),
        (questions.mark_conference, ()),
        (questions.close, ()),
        (questions.reclassify, ("crime",)),
    ]:
        refused = await act(app, call, people.admin, moved.id, *args, clock())
        assert isinstance(refused, InvalidAction), call
        assert "taken out of the dialogue" in str(refused)


async def test_staff_reclassify_from_the_card_and_the_resident_is_told(
    make_app, settings, telegram, clock
):
    app = await make_app(
        settings=settings.model_copy(
            update={"citizen_reception": RECEPTION, "police_phone": POLICE}
        )
    )
    await bootstrap_admins(app, settings)
    admin = Person(app, telegram, ADMIN, "vi")
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    await admin.send("/staff_add 10 leader Chủ tịch phường")
    official, leader = Person(app, telegram, OFFICIAL, "vi"), Person(app, telegram, LEADER, "vi")
    resident = Person(app, telegram, RESIDENT, "vi")
    code = await ask(resident, COMPLAINT, named=False)  # read as a plain question
    seen_before = {
        who: sum(COMPLAINT in m.text for m in person.messages)
        for who, person in (("admin", admin), ("leader", leader), ("official", official))
    }
    deliveries_before = len(await _deliveries(app))

    await official.send("/questions")
    await official.tap(f"{code} · đã tiếp nhận", on=official.last("Câu hỏi, kiến nghị"))
    card = official.last(COMPLAINT)
    assert "⚖️ Khiếu nại, tố cáo" in card.buttons()
    await official.tap("⚖️ Khiếu nại, tố cáo", on=card)
    choice = official.last("thực chất là gì?")
    assert choice.buttons() == [
        "⚖️ Khiếu nại (tiếp công dân)",
        "📢 Tố cáo (tiếp công dân)",
        "🚓 Tố giác tội phạm (công an)",
    ]
    await official.tap("⚖️ Khiếu nại (tiếp công dân)", on=choice)
    assert official.last_alert == (
        "Đã chuyển ra khỏi Hội nghị đối thoại; người dân được hướng dẫn nơi gửi."
    )
    refreshed = official.last(COMPLAINT)
    assert "không thuộc Hội nghị đối thoại" in refreshed.text
    assert "⚖️ Khiếu nại, tố cáo" not in refreshed.buttons()

    told = resident.last(code)
    assert told.text.startswith(f"Câu hỏi {code} của Ông/Bà có nội dung khiếu nại")
    assert f"nơi tiếp công dân của UBND phường: {RECEPTION}" in told.text
    assert f"Công an phường ({POLICE})" in told.text
    assert COMPLAINT not in told.text

    # One message, to the resident only; nobody else was shown the text again.
    new = (await _deliveries(app))[deliveries_before:]
    assert [(d.channel, d.chat_id) for d in new] == [("telegram", str(RESIDENT))]
    for who, person in (("admin", admin), ("leader", leader)):
        assert sum(COMPLAINT in m.text for m in person.messages) == seen_before[who]
    entry = [e for e in await _audit(app) if e.action == "reclassify"][-1]
    assert (entry.actor_telegram_id, entry.detail) == (OFFICIAL, {"as": "complaint"})
    assert COMPLAINT not in str(entry.detail)


async def test_the_resident_is_told_in_their_own_language(app, telegram, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "777", locale="en")
    filed = await file(app, asker, session_id, clock(), text="Someone sells drugs in my alley.")
    redirected = await act(app, questions.reclassify, people.front, filed.id, "crime", clock())
    assert await app.notifier.reclassified(redirected)
    [told] = telegram.sent_texts(777)
    assert told.startswith(
        f"Your question {filed.code} reads as the report of a crime, which is for the police"
    )
    assert "To report a crime or a security matter: the ward police" in told
    assert "drugs" not in told


async def _deliveries(app) -> list[Delivery]:
    async with app.sessionmaker() as db:
        return list((await db.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def _audit(app) -> list[AuditEntry]:
    return await audit_log(app)


async def test_a_zalo_resident_is_told_in_plain_text(app, zalo, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "zu9", channel="zalo")
    filed = await file(app, asker, session_id, clock(), text=COMPLAINT)
    app.notifier.zalo = ZaloClient(TOKEN, zalo.base_url, backoff=(0.01,))
    redirected = await act(
        app, questions.reclassify, people.leader, filed.id, "denunciation", clock()
    )
    assert await app.notifier.reclassified(redirected)
    [(chat, told)] = zalo.sent
    assert chat == "zu9"
    assert told.startswith(f"Câu hỏi {filed.code} của Ông/Bà có nội dung tố cáo")
    assert "không giải quyết khiếu nại, tố cáo" in told and "<" not in told
    assert COMPLAINT not in told
    await app.notifier.zalo.aclose()
