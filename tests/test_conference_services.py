"""The conference day in the services (bot/services/conference/): the agenda and its counts,
supports, the live switch, answers in the hall reaching the asker once, answers promised for
later becoming commitments, closing them telling the asker and supporters, delegates and their
invitations, the morning digest of commitments, and every refusal audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.i18n import use_locale
from bot.services import conference, residents
from bot.services.conference import ConferenceError
from bot.services.staff import PermissionDenied
from models import (
    Account,
    AuditEntry,
    Commitment,
    Delivery,
    QuestionSupport,
    ResidentQuestion,
    SurveyResponse,
)
from models.responses import Answer
from scheduler import digests
from tests.support.conference import go_live, on_agenda, with_secretary
from tests.support.questions import (
    audit_log,
    file,
    make_asker,
    make_session,
)


async def act(app, call, *args, **kwargs):
    """Run a service in its own transaction, committed even when it refuses (so a refusal's
    audit entry is kept), and return the result or the error."""
    with use_locale("en"):
        async with app.sessionmaker() as db:
            try:
                result = await call(db, *args, **kwargs)
            except (PermissionDenied, ConferenceError) as error:
                await db.commit()
                return error
            await db.commit()
            return result


async def deliveries(app, prefix: str) -> list[Delivery]:
    async with app.sessionmaker() as db:
        stmt = select(Delivery).where(Delivery.key.startswith(prefix)).order_by(Delivery.id)
        return list((await db.execute(stmt)).scalars())


async def test_a_resident_supports_a_question_once_and_the_agenda_counts_it(app, clock):
    now = clock()
    people, _secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    filed = await file(app, asker, session_id, now)
    other = await file(app, await make_asker(app, "502", channel="zalo"), session_id, now)
    await on_agenda(app, people, filed.id, now)
    await on_agenda(app, people, other.id, now)
    # Not on the agenda: a question nobody sent to the conference.
    await file(app, await make_asker(app, "503"), session_id, now)
    supporters = [await make_asker(app, str(600 + i)) for i in range(3)]
    outcomes = []
    for person in [*supporters, supporters[0], asker]:
        async with app.sessionmaker() as db, db.begin():
            outcomes.append(
                await conference.support(
                    db,
                    filed.id,
                    resident_id=person.resident_id,
                    account_id=person.account_id,
                    now=now,
                )
            )
    assert outcomes == [True, True, True, False, False]  # twice, or one's own: no change
    async with app.sessionmaker() as db, db.begin():
        by_number = await conference.support_by_code(
            db,
            session_id,
            str(int(other.code.rsplit("-", 1)[1])),
            resident_id=supporters[1].resident_id,
            account_id=supporters[1].account_id,
            now=now,
        )
    assert by_number is True
    async with app.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(QuestionSupport)) == 4
    # A paper form of the field with an opinion written on it.
    async with app.sessionmaker() as db, db.begin():
        paper = SurveyResponse(
            resident_id=None,
            session_id=session_id,
            field="tp",
            status="submitted",
            channel="paper",
            submitted_at=now,
        )
        db.add(paper)
        await db.flush()
        db.add(Answer(response_id=paper.id, question="F1", value="Cần thêm chỗ ngồi chờ"))

    async with app.sessionmaker() as db, db.begin():
        found = await conference.agenda(db, people.admin, session_id, survey=app.survey, now=now)
    assert [e.code for e in found.entries] == [filed.code, other.code]
    assert [e.supporters for e in found.entries] == [3, 1]
    assert found.entries[0].answerer_name == "Cán bộ tư pháp"
    assert found.entries[0].answerer_is_default
    [counts] = found.counts
    assert (counts.field, counts.questions, counts.supporters) == ("tp", 2, 4)
    assert counts.by_channel == {"telegram": 1, "zalo": 1}
    assert counts.paper_opinions == 1

    # The office gives the question to the leader; the official's own list then leaves it out.
    async with app.sessionmaker() as db, db.begin():
        await conference.set_answerer(db, people.admin, filed.id, people.leader.id, now=now)
        mine = await conference.agenda(
            db, people.official_tp, session_id, answerer_id=people.official_tp.id, now=now
        )
    assert [e.code for e in mine.entries] == [other.code]


async def test_an_answer_in_the_hall_reaches_the_asker_once_on_their_channel(app, clock, telegram):
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    filed = await file(app, asker, session_id, now)
    await on_agenda(app, people, filed.id, now)
    await go_live(app, people, session_id, now)
    async with app.sessionmaker() as db, db.begin():
        state = await conference.pick_current(db, secretary, session_id, filed.id, now=now)
        relay = await conference.record_answer(
            db,
            secretary,
            filed.id,
            answered_by=people.official_tp.id,
            summary="Mang CCCD và giấy chứng sinh, làm trong ngày.",
            now=now,
        )
    assert state.current_question_id == filed.id
    assert await app.notifier.deliver(relay)
    await app.notifier.deliver(relay)  # the same answer again: not a second message
    [sent] = await deliveries(app, f"answer:{filed.id}:")
    assert (sent.channel, sent.chat_id, sent.status) == ("telegram", "501", "sent")
    texts = telegram.sent_texts(501)
    assert sum("Mang CCCD và giấy chứng sinh" in t for t in texts) == 1
    # Answered once: a second answer of the same question is refused.
    result = await act(
        app,
        conference.record_answer,
        secretary,
        filed.id,
        answered_by=people.official_tp.id,
        summary="Lần hai",
        now=now,
    )
    assert isinstance(result, ConferenceError)
    async with app.sessionmaker() as db:
        q = await db.get(ResidentQuestion, filed.id)
        assert (q.status, q.answered_role) == ("answered", "official")


async def test_hall_and_floor_questions_join_the_agenda_while_live(app, clock):
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    hall = dict(
        resident_id=asker.resident_id,
        account_id=asker.account_id,
        session_id=session_id,
        field="dc",
        text="Bao giờ cấp sổ đỏ cho khu phố 3?",
        language="vi",
        named=False,
        contact_name=None,
        contact_phone=None,
        complaint_flag=False,
        channel="telegram",
        attachments=[],
        now=now,
    )
    refused = await act(app, conference.file_from_hall, **hall)
    assert isinstance(refused, ConferenceError)  # not live yet
    await go_live(app, people, session_id, now)
    async with app.sessionmaker() as db, db.begin():
        from_hall = await conference.file_from_hall(db, **hall)
        named = await conference.add_floor_question(
            db,
            secretary,
            session_id,
            field="dc",
            text="Đường ngõ 5 ngập.",
            speaker="Bà Lan",
            now=now,
        )
        anonymous = await conference.add_floor_question(
            db, secretary, session_id, field="tp", text="Phí sao y cao.", now=now
        )
        found = await conference.agenda(db, people.admin, session_id, now=now)
    origins = {e.code: (e.origin, e.speaker) for e in found.entries}
    assert origins == {
        from_hall.code: ("hall", None),
        named.code: ("floor", "Bà Lan"),
        anonymous.code: ("floor", None),
    }


async def test_answered_later_makes_a_commitment_and_closing_it_tells_asker_and_supporters(
    app, clock, telegram
):
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    filed = await file(app, asker, session_id, now)
    await on_agenda(app, people, filed.id, now)
    supporter = await make_asker(app, "601")
    async with app.sessionmaker() as db, db.begin():
        await conference.support(
            db,
            filed.id,
            resident_id=supporter.resident_id,
            account_id=supporter.account_id,
            now=now,
        )
    await go_live(app, people, session_id, now)
    deadline = now + timedelta(days=10)
    async with app.sessionmaker() as db, db.begin():
        commitment_id = await conference.answer_later(
            db, secretary, filed.id, owner_id=people.official_tp.id, deadline=deadline, now=now
        )
    async with app.sessionmaker() as db:
        stored = await db.get(Commitment, commitment_id)
        q = await db.get(ResidentQuestion, filed.id)
        assert (stored.owner_id, stored.deadline, stored.status) == (
            people.official_tp.id,
            deadline,
            "open",
        )
        assert (q.status, q.assigned_to) == ("assigned", people.official_tp.id)

    # Someone else's commitment: an official may not close it.
    refused = await act(
        app, conference.close_commitment, people.official_dc, commitment_id, "Xong", now=now
    )
    assert isinstance(refused, PermissionDenied)
    later = now + timedelta(days=3)
    async with app.sessionmaker() as db, db.begin():
        due = await conference.commitments(db, people.official_tp, now=later)
        queued = await conference.close_commitment(
            db, people.official_tp, commitment_id, "Đã cấp giấy hẹn ngày 20/12.", now=later
        )
    assert [c.question_code for c in due] == [filed.code]
    assert await conference.send_now(app.delivery, queued) == 2
    rows = await deliveries(app, f"commitment:{commitment_id}:")
    assert sorted(r.chat_id for r in rows) == ["501", "601"]
    assert all(r.status == "sent" for r in rows)
    assert sum("Đã cấp giấy hẹn ngày 20/12." in t for t in telegram.sent_texts(501)) == 1
    assert sum("Đã cấp giấy hẹn ngày 20/12." in t for t in telegram.sent_texts(601)) == 1
    again = await act(
        app, conference.close_commitment, people.official_tp, commitment_id, "Xong", now=later
    )
    assert isinstance(again, ConferenceError)
    async with app.sessionmaker() as db:
        q = await db.get(ResidentQuestion, filed.id)
        assert (q.status, q.answer_text) == ("answered", "Đã cấp giấy hẹn ngày 20/12.")


async def test_refusals_are_audited_and_the_live_switch_is_for_admins_only(app, clock):
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    filed = await file(app, await make_asker(app), session_id, now)
    await on_agenda(app, people, filed.id, now)
    for actor in (secretary, people.leader, people.official_tp):
        result = await act(app, conference.set_live, actor, session_id, True, now=now)
        assert isinstance(result, PermissionDenied), actor.role
    assert isinstance(
        await act(
            app,
            conference.add_floor_question,
            people.front,
            session_id,
            field="tp",
            text="x",
            now=now,
        ),
        PermissionDenied,
    )
    assert isinstance(
        await act(
            app, conference.add_delegate, secretary, session_id, name="A", group="front", now=now
        ),
        PermissionDenied,
    )
    assert isinstance(
        await act(app, conference.set_answerer, people.official_tp, filed.id, None, now=now),
        PermissionDenied,
    )
    entries = [e for e in await audit_log(app) if not e.allowed]
    assert [(e.action, e.actor_role) for e in entries] == [
        ("conference_live", "secretary"),
        ("conference_live", "leader"),
        ("conference_live", "official"),
        ("floor_question", "front"),
        ("delegate_add", "secretary"),
        ("conference_answerer", "official"),
    ]
    # The admin may; the secretary then runs the hall, each act audited.
    await go_live(app, people, session_id, now)
    async with app.sessionmaker() as db, db.begin():
        await conference.pick_current(db, secretary, session_id, filed.id, now=now)
        await conference.add_conclusion(db, secretary, session_id, "Rút ngắn thời gian.", now=now)
    async with app.sessionmaker() as db:
        allowed = (
            await db.execute(
                select(AuditEntry.action)
                .where(AuditEntry.allowed.is_(True))
                .order_by(AuditEntry.id)
            )
        ).scalars()
        assert list(allowed)[-3:] == [
            "conference_live",
            "conference_current",
            "conference_conclusion",
        ]


async def test_delegates_get_an_invitation_and_a_reminder_on_their_chat(app, clock, telegram):
    now = clock()
    people, _secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    async with app.sessionmaker() as db, db.begin():
        ref = await residents.get_or_create(db, "telegram", "777", "vi")
        account_id = await db.scalar(select(Account.id).where(Account.resident_id == ref.id))
        leader = await conference.add_delegate(
            db,
            people.admin,
            session_id,
            name="Ông Chủ tịch",
            group="leaders",
            staff_id=people.leader.id,
            now=now,
        )
        head = await conference.add_delegate(
            db,
            people.admin,
            session_id,
            name="Bà Tổ trưởng",
            group="groups",
            position="Tổ dân phố 3",
            account_id=account_id,
            now=now,
        )
        await conference.add_delegate(
            db, people.admin, session_id, name="Ông Không chat", group="front", now=now
        )
        queued = await conference.invite(db, people.admin, session_id, now=now)
    assert queued.unreachable == ["Ông Không chat"]
    assert await conference.send_now(app.delivery, queued) == 2
    assert any("Ông Chủ tịch" in t for t in telegram.sent_texts(people.leader.telegram_user_id))
    assert any("Bà Tổ trưởng" in t for t in telegram.sent_texts(777))
    async with app.sessionmaker() as db, db.begin():
        replied = await conference.reply_from_chat(
            db, session_id, "telegram", "777", False, now=now
        )
        assert replied.id == head.id and replied.reply == "not_coming"
        reminders = await conference.invite(db, people.admin, session_id, reminder=True, now=now)
        listed = await conference.delegates(db, people.admin, session_id, now=now)
    # The one who declined gets no reminder.
    assert reminders.keys == [f"delegate:remind:{leader.id}:{now.date().isoformat()}"]
    assert [d.group for d in listed] == ["leaders", "front", "groups"]
    # Changed and removed by the office.
    async with app.sessionmaker() as db, db.begin():
        moved = await conference.change_delegate(
            db, people.admin, head.id, group="front", position=None, now=now
        )
        await conference.remove_delegate(db, people.admin, leader.id, now=now)
        listed = await conference.delegates(db, people.admin, session_id, now=now)
    assert (moved.group, moved.position, moved.account_id) == ("front", None, account_id)
    assert [(d.name, d.group) for d in listed] == [
        ("Bà Tổ trưởng", "front"),
        ("Ông Không chat", "front"),
    ]
    unknown = await act(
        app, conference.add_delegate, people.admin, session_id, name="X", group="party", now=now
    )
    assert isinstance(unknown, ConferenceError)


async def test_commitments_reach_their_owner_each_morning_and_overdue_ones_the_leaders(app, clock):
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    filed = await file(app, await make_asker(app), session_id, now)
    await on_agenda(app, people, filed.id, now)
    await go_live(app, people, session_id, now)
    async with app.sessionmaker() as db, db.begin():
        await conference.answer_later(
            db,
            secretary,
            filed.id,
            owner_id=people.official_tp.id,
            deadline=now + timedelta(days=1),
            now=now,
        )
        await conference.add_conclusion(
            db,
            secretary,
            session_id,
            "Niêm yết lại bảng phí.",
            owner_id=people.official_dc.id,
            deadline=now + timedelta(days=5),
            now=now,
        )
    morning = now + timedelta(days=2)
    async with app.sessionmaker() as db, db.begin():
        added = await digests.send_commitment_digests(db, app.settings, morning)
    async with app.sessionmaker() as db, db.begin():
        again = await digests.send_commitment_digests(db, app.settings, morning)
    assert (added, again) == (3, 0)  # two owners and one leader; once a day
    rows = {r.chat_id: r.payload["text"] for r in await deliveries(app, "commitments:")}
    assert filed.code in rows[str(people.official_tp.telegram_user_id)]
    assert "Niêm yết lại bảng phí." in rows[str(people.official_dc.telegram_user_id)]
    overdue = rows[str(people.leader.telegram_user_id)]
    assert filed.code in overdue and "Niêm yết" not in overdue


async def test_the_board_orders_the_queue_by_support_and_shows_no_names_or_complaints(app, clock):
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    first = await file(app, await make_asker(app, "501"), session_id, now, text="Câu một")
    second = await file(app, await make_asker(app, "502"), session_id, now, text="Câu hai")
    flagged = await file(
        app, await make_asker(app, "503"), session_id, now, text="Tố cáo", complaint_flag=True
    )
    for filed in (first, second, flagged):
        await on_agenda(app, people, filed.id, now)
    await go_live(app, people, session_id, now)
    fans = [await make_asker(app, str(700 + i)) for i in range(2)]
    async with app.sessionmaker() as db, db.begin():
        for fan in fans:
            await conference.support(
                db, second.id, resident_id=fan.resident_id, account_id=fan.account_id, now=now
            )
        await conference.add_floor_question(
            db,
            secretary,
            session_id,
            field="tp",
            text="Ý kiến tại chỗ",
            speaker="Ông An",
            now=now,
        )
        await conference.pick_current(db, secretary, session_id, first.id, now=now)
    async with app.sessionmaker() as db:
        shown = await conference.board(db, session_id)
    assert shown.live and shown.current.code == first.code
    assert [i.text for i in shown.waiting] == ["Câu hai", "Ý kiến tại chỗ"]
    assert (shown.questions, shown.supports) == (4, 2)
    assert "Ông An" not in repr(shown) and "Tố cáo" not in repr(shown)
    # Support is only for questions on the agenda.
    loose = await file(app, await make_asker(app, "504"), session_id, now)
    refused = await act(
        app,
        conference.support,
        loose.id,
        resident_id=fans[0].resident_id,
        account_id=fans[0].account_id,
        now=now,
    )
    assert isinstance(refused, ConferenceError)


def test_deadlines_must_carry_a_zone():
    import pytest

    with pytest.raises(ValueError):
        conference._aware(datetime(2026, 12, 1))
    assert conference._aware(datetime(2026, 12, 1, tzinfo=UTC)).tzinfo is UTC
