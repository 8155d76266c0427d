"""Questions and recommendations in the services: filing (codes, consent, limits), following,
rating, and the staff side with every authorisation rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from bot.i18n import use_locale
from bot.services import consent, questions, residents, staff
from bot.services.consent import Purpose
from bot.services.questions import (
    AttachmentIn,
    InvalidAction,
    InvalidQuestion,
    QuestionNotFound,
    QuestionStatus,
    Relay,
)
from bot.services.staff import PermissionDenied, Role
from models import (
    QuestionAttachment,
    ResidentQuestion,
)
from tests.support.questions import (
    Asker,
    act,
    audit_log,
    file,
    filing,
    make_asker,
    make_session,
    make_staff,
)


async def refused(app, asker: Asker, session_id: int, now: datetime, **overrides) -> str:
    """File and expect a refusal that stored nothing; returns the message."""
    async with app.sessionmaker() as db:
        with use_locale("en"), pytest.raises(InvalidQuestion) as caught:
            async with db.begin():
                await questions.file_question(db, **filing(asker, session_id, now, **overrides))
        assert await db.scalar(select(func.count()).select_from(ResidentQuestion)) == 0
    return str(caught.value)


# --- filing -----------------------------------------------------------------------------------


async def test_tracking_codes_stay_unique_and_sequential_when_filed_at_once(app, clock):
    session_id = await make_session(app)
    askers = [await make_asker(app, str(600 + i)) for i in range(5)]

    async def one(i: int) -> str:
        async with app.sessionmaker() as db, db.begin():
            filed = await questions.file_question(
                db, **filing(askers[i % 5], session_id, clock(), text=f"Câu hỏi số {i}")
            )
            return filed.code

    codes = await asyncio.gather(*(one(i) for i in range(30)))
    assert sorted(codes) == [f"KN-26-{n:04d}" for n in range(1, 31)]
    async with app.sessionmaker() as db:
        stored = set((await db.execute(select(ResidentQuestion.code))).scalars())
    assert stored == set(codes)


async def test_codes_number_per_year_from_the_time_given(app, clock):
    session_id = await make_session(app)
    asker = await make_asker(app)
    first = await file(app, asker, session_id, datetime(2026, 3, 1, tzinfo=UTC))
    second = await file(app, asker, session_id, datetime(2026, 11, 26, tzinfo=UTC))
    assert (first.code, second.code) == ("KN-26-0001", "KN-26-0002")
    # New Year's Eve 18:00 UTC: still 2026 in UTC, already 2027 in Hà Nội when the zone is given.
    eve = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)
    assert (await file(app, asker, session_id, eve)).code == "KN-26-0003"
    local = await file(app, asker, session_id, eve, zone=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.code == "KN-27-0001"
    assert questions.code_for(2031, 12345) == "KN-31-12345"


async def test_a_refused_filing_gives_its_number_back(app, clock):
    session_id = await make_session(app)
    asker = await make_asker(app)
    async with app.sessionmaker() as db:
        filed = await questions.file_question(db, **filing(asker, session_id, clock()))
        assert filed.code == "KN-26-0001"
        await db.rollback()  # the caller gave up
    assert (await file(app, asker, session_id, clock())).code == "KN-26-0001"


async def test_named_questions_need_consent_p3_a_name_and_a_vietnamese_phone(app, clock):
    session_id = await make_session(app)
    without_p3 = await make_asker(app, "502", p3=False)
    message = await refused(
        app,
        without_p3,
        session_id,
        clock(),
        named=True,
        contact_name="Nguyễn Văn An",
        contact_phone="0912345678",
    )
    assert "agree" in message

    asker = await make_asker(app)
    named = dict(named=True, contact_name="Nguyễn Văn An")
    for bad in ("12345", "091234567", "09123456789", "0112345678", "+1 202 555 0100", "", None):
        message = await refused(app, asker, session_id, clock(), contact_phone=bad, **named)
        assert "phone number" in message
    message = await refused(
        app, asker, session_id, clock(), named=True, contact_name="  ", contact_phone="0912345678"
    )
    assert "name" in message

    for typed, stored in [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("+84 0912345678", "0912345678"),
        ("84912345678", "0912345678"),  # Telegram's shared contact
        ("024 3825 1234", "02438251234"),  # a Hà Nội landline
    ]:
        assert questions.normalise_phone(typed) == stored, typed

    filed = await file(
        app,
        asker,
        session_id,
        clock(),
        named=True,
        contact_name=" Nguyễn  Văn An ",
        contact_phone="+84 912 345 678",
    )
    async with app.sessionmaker() as db:
        question = await db.get(ResidentQuestion, filed.id)
        assert (question.named, question.contact_name, question.contact_phone) == (
            True,
            "Nguyễn Văn An",
            "0912345678",
        )

    # Withdrawing P3 stops further named questions.
    async with app.sessionmaker() as db, db.begin():
        await consent.record(
            db,
            asker.resident_id,
            Purpose.CONTACT,
            False,
            channel="telegram",
            notice_version="t",
            now=clock(),
        )
    async with app.sessionmaker() as db:
        with pytest.raises(InvalidQuestion):
            await questions.file_question(
                db, **filing(asker, session_id, clock(), contact_phone="0912345678", **named)
            )


async def test_anonymous_questions_store_no_name_or_phone(app, clock):
    session_id = await make_session(app)
    asker = await make_asker(app)
    filed = await file(
        app,
        asker,
        session_id,
        clock(),
        named=False,
        contact_name="Nguyễn Văn An",
        contact_phone="0912345678",
    )
    async with app.sessionmaker() as db:
        question = await db.get(ResidentQuestion, filed.id)
        assert (question.named, question.contact_name, question.contact_phone) == (
            False,
            None,
            None,
        )
    # The database itself refuses contact data on an anonymous question.
    async with app.sessionmaker() as db, db.begin():
        question = await db.get(ResidentQuestion, filed.id)
        question.contact_phone = "0912345678"
        with pytest.raises(IntegrityError):
            async with db.begin_nested():
                await db.flush()


async def test_text_limits_count_characters_and_store_nothing_half(app, clock):
    session_id = await make_session(app)
    asker = await make_asker(app)
    message = await refused(app, asker, session_id, clock(), text="a" * 3001)
    assert "3001" in message and "3000" in message
    message = await refused(app, asker, session_id, clock(), text="  \n ")
    assert "text" in message
    # Decomposed Vietnamese (as some phones send it) is stored composed.
    filed = await file(app, asker, session_id, clock(), text="  Ho\u0302\u0300 so\u031b  ")
    exact = await file(app, asker, session_id, clock(), text="ă" * 3000)
    async with app.sessionmaker() as db:
        assert (await db.get(ResidentQuestion, filed.id)).text == "Hồ sơ"
        assert len((await db.get(ResidentQuestion, exact.id)).text) == 3000


async def test_at_most_five_attachments_with_zalo_bytes_kept(app, clock):
    session_id = await make_session(app)
    asker = await make_asker(app)
    photo = AttachmentIn(kind="photo", telegram_file_id="AgACAgIAAxkBAAI")
    message = await refused(app, asker, session_id, clock(), attachments=[photo] * 6)
    assert "5" in message
    await refused(app, asker, session_id, clock(), attachments=[AttachmentIn(kind="photo")])
    await refused(
        app, asker, session_id, clock(), attachments=[AttachmentIn(kind="video", content=b"x")]
    )
    zalo_image = AttachmentIn(kind="photo", content=b"\xff\xd8\xff" + b"0" * 100, mime="image/jpeg")
    document = AttachmentIn(kind="document", telegram_file_id="BQACAgIAAxk", filename="don.pdf")
    filed = await file(
        app, asker, session_id, clock(), attachments=[photo, photo, photo, zalo_image, document]
    )
    async with app.sessionmaker() as db:
        stored = list(
            (
                await db.execute(
                    select(QuestionAttachment)
                    .options(undefer(QuestionAttachment.content))
                    .where(QuestionAttachment.question_id == filed.id)
                    .order_by(QuestionAttachment.id)
                )
            ).scalars()
        )
        assert [a.kind for a in stored] == ["photo"] * 4 + ["document"]
        assert stored[3].content == zalo_image.content and stored[3].size == 103
        assert stored[4].filename == "don.pdf" and stored[4].content is None


async def test_the_account_must_be_the_residents(app, clock):
    session_id = await make_session(app)
    asker, other = await make_asker(app), await make_asker(app, "777")
    async with app.sessionmaker() as db:
        with pytest.raises(ValueError):
            await questions.file_question(
                db, **filing(asker, session_id, clock(), account_id=other.account_id)
            )


# --- following and rating ---------------------------------------------------------------------


async def test_residents_follow_only_their_own_questions(app, clock):
    session_id = await make_session(app)
    asker, other = await make_asker(app), await make_asker(app, "777")
    first = await file(app, asker, session_id, clock())
    clock.advance(minutes=5)
    second = await file(app, asker, session_id, clock(), field="ca", text="Đăng ký tạm trú?")
    await file(app, other, session_id, clock())
    async with app.sessionmaker() as db:
        mine = await questions.my_questions(db, asker.resident_id)
        assert [(q.code, q.field, q.status, q.has_answer) for q in mine] == [
            (second.code, "ca", "received", False),
            (first.code, "tp", "received", False),
        ]
        view = await questions.question_for_resident(db, asker.resident_id, second.id)
        assert view.text == "Đăng ký tạm trú?" and view.answer_text is None
        assert await questions.question_for_resident(db, other.resident_id, second.id) is None


async def test_answer_is_relayed_to_the_askers_chat_signed_by_field_and_role(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "zalo-user-9", channel="zalo", locale="en")
    filed = await file(app, asker, session_id, clock(), language="en")
    clock.advance(hours=2)
    relay = await act(
        app,
        questions.answer,
        people.official_tp,
        filed.id,
        "  Bring the birth certificate.  ",
        clock(),
    )
    assert relay == Relay(
        channel="zalo",
        external_id="zalo-user-9",
        locale="en",
        code=filed.code,
        answer_text="Bring the birth certificate.",
        field="tp",
        role="official",
        question_id=filed.id,
        named=False,  # filed anonymously: the channels do not push it to the chat
    )
    async with app.sessionmaker() as db:
        view = await questions.question_for_resident(db, asker.resident_id, filed.id)
        assert (view.status, view.answered_role, view.answered_at) == (
            "answered",
            "official",
            clock(),
        )
        assert (await questions.my_questions(db, asker.resident_id))[0].has_answer
    # A leader's answer is signed "leader"; an answered question is not answered twice.
    other = await file(app, asker, session_id, clock())
    relay = await act(app, questions.answer, people.leader, other.id, "Yes.", clock())
    assert relay.role == "leader"
    again = await act(app, questions.answer, people.official_tp, other.id, "No.", clock())
    assert isinstance(again, InvalidAction)


async def test_only_the_asker_rates_and_only_after_an_answer(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker, other = await make_asker(app), await make_asker(app, "777")
    filed = await file(app, asker, session_id, clock())
    async with app.sessionmaker() as db:
        with use_locale("en"), pytest.raises(InvalidQuestion) as early:
            await questions.rate_answer(db, asker.resident_id, filed.id, True, None, clock())
        assert "once it has arrived" in str(early.value)
    await act(app, questions.answer, people.official_tp, filed.id, "Mang giấy chứng sinh.", clock())
    async with app.sessionmaker() as db, db.begin():
        with pytest.raises(QuestionNotFound):
            await questions.rate_answer(db, other.resident_id, filed.id, False, None, clock())
        await questions.rate_answer(db, asker.resident_id, filed.id, False, " Chưa rõ ", clock())
    async with app.sessionmaker() as db:
        view = await questions.question_for_resident(db, asker.resident_id, filed.id)
        assert (view.answer_rating, view.rating_reason) == ("unsatisfied", "Chưa rõ")
    # A second rating replaces the first, also once the question is closed.
    await act(app, questions.close, people.admin, filed.id, clock())
    async with app.sessionmaker() as db, db.begin():
        await questions.rate_answer(db, asker.resident_id, filed.id, True, None, clock())
    async with app.sessionmaker() as db:
        view = await questions.question_for_resident(db, asker.resident_id, filed.id)
        assert (view.answer_rating, view.rating_reason, view.status) == (
            "satisfied",
            None,
            "closed",
        )


async def test_erasing_the_resident_deletes_their_questions_and_attachments(app, clock):
    session_id = await make_session(app)
    asker, other = await make_asker(app), await make_asker(app, "777")
    photo = AttachmentIn(kind="photo", content=b"jpeg")
    await file(app, asker, session_id, clock(), attachments=[photo, photo])
    await file(app, other, session_id, clock(), attachments=[photo])
    async with app.sessionmaker() as db, db.begin():
        await residents.erase(db, asker.resident_id)
    async with app.sessionmaker() as db:
        left = (await db.execute(select(ResidentQuestion.resident_id))).scalars().all()
        assert left == [other.resident_id]
        assert await db.scalar(select(func.count()).select_from(QuestionAttachment)) == 1


async def test_counts_by_field_and_status_per_session(app, clock):
    people = await make_staff(app, clock())
    session_id, other_session = await make_session(app), await make_session(app)
    asker = await make_asker(app)
    a = await file(app, asker, session_id, clock())
    await file(app, asker, session_id, clock())
    await file(app, asker, session_id, clock(), field="dc")
    hidden = await file(app, asker, session_id, clock(), field="dc")
    await file(app, asker, other_session, clock())
    await act(app, questions.answer, people.official_tp, a.id, "Đã trả lời.", clock())
    await act(app, questions.hide, people.admin, hidden.id, "Lời lẽ xúc phạm", clock())
    async with app.sessionmaker() as db:
        assert await questions.count_by_field_status(db, session_id) == {
            "tp": {"received": 1, "answered": 1},
            "dc": {"received": 1},
        }
        everything = await questions.count_by_field_status(db, session_id, include_hidden=True)
        assert everything["dc"] == {"received": 2}


# --- staff: authorisation -----------------------------------------------------------------------


async def test_residents_and_strangers_are_denied_everything_and_audited(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    filed = await file(app, asker, session_id, clock())
    resident_user = 501  # the asker's own Telegram user id: not staff
    calls = [
        ("list", lambda db, who: questions.list_for_staff(db, who, now=clock())),
        ("view", lambda db, who: questions.view_for_staff(db, who, filed.id, clock())),
        (
            "assign",
            lambda db, who: questions.assign(db, who, filed.id, people.official_tp.id, clock()),
        ),
        ("answer", lambda db, who: questions.answer(db, who, filed.id, "Tự trả lời", clock())),
        ("mark_conference", lambda db, who: questions.mark_conference(db, who, filed.id, clock())),
        ("close", lambda db, who: questions.close(db, who, filed.id, clock())),
        ("hide", lambda db, who: questions.hide(db, who, filed.id, "x", clock())),
    ]
    before = len(await audit_log(app))
    for action, call in calls:
        for who in (None, resident_user):
            error = await act(app, call, who)
            assert isinstance(error, PermissionDenied), (action, who)
            assert str(error) == "Sorry, this is only for ward staff."
    denials = (await audit_log(app))[before:]
    assert [(e.action, e.actor_telegram_id, e.actor_role, e.allowed) for e in denials] == [
        (action, who, None, False) for action, _call in calls for who in (None, resident_user)
    ]
    async with app.sessionmaker() as db:
        question = await db.get(ResidentQuestion, filed.id)
        assert (question.status, question.hidden, question.answer_text) == ("received", False, None)


async def test_officials_see_and_answer_only_their_fields(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    tp = await file(app, asker, session_id, clock())
    clock.advance(minutes=1)
    dc = await file(app, asker, session_id, clock(), field="dc", text="Cấp sổ đỏ mất bao lâu?")

    page = await act(app, questions.list_for_staff, people.official_tp, now=clock())
    assert [item.code for item in page.items] == [tp.code] and page.total == 1
    page = await act(app, questions.list_for_staff, people.leader, now=clock())
    assert [item.code for item in page.items] == [dc.code, tp.code]  # newest first
    page = await act(app, questions.list_for_staff, people.front, field="dc", now=clock())
    assert [item.code for item in page.items] == [dc.code]
    assert page.items[0].preview == "Cấp sổ đỏ mất bao lâu?"

    denied = await act(app, questions.list_for_staff, people.official_tp, field="dc", now=clock())
    assert isinstance(denied, PermissionDenied) and "field you do not handle" in str(denied)
    denied = await act(app, questions.view_for_staff, people.official_tp, dc.id, clock())
    assert isinstance(denied, PermissionDenied)
    denied = await act(
        app, questions.answer, people.official_tp, dc.id, "Không phải việc tôi", clock()
    )
    assert isinstance(denied, PermissionDenied)
    denied = await act(app, questions.mark_conference, people.official_tp, dc.id, clock())
    assert isinstance(denied, PermissionDenied)

    view = await act(app, questions.view_for_staff, people.official_tp, tp.id, clock())
    assert (view.code, view.language, view.complaint_flag) == (tp.code, "vi", False)
    relay = await act(app, questions.answer, people.official_dc, dc.id, "Ba mươi ngày.", clock())
    assert relay.field == "dc"

    log = await audit_log(app)
    denials = [(e.action, e.actor_telegram_id, e.target) for e in log if not e.allowed]
    assert denials == [
        ("list", 20, None),
        ("view", 20, f"question:{dc.code}"),
        ("answer", 20, f"question:{dc.code}"),
        ("mark_conference", 20, f"question:{dc.code}"),
    ]
    allowed = [(e.action, e.actor_role, e.target) for e in log if e.allowed and e.target]
    assert ("answer", "official", f"question:{dc.code}") in allowed
    assert ("view", "official", f"question:{tp.code}") in allowed


async def test_only_admins_and_leaders_assign_to_an_official_of_the_field(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    filed = await file(app, asker, session_id, clock())
    for who in (people.official_tp, people.front):
        denied = await act(app, questions.assign, who, filed.id, people.official_tp.id, clock())
        assert isinstance(denied, PermissionDenied)
        assert "role does not allow" in str(denied)
    wrong = await act(
        app, questions.assign, people.leader, filed.id, people.official_dc.id, clock()
    )
    assert isinstance(wrong, InvalidAction)
    wrong = await act(app, questions.assign, people.leader, filed.id, people.front.id, clock())
    assert isinstance(wrong, InvalidAction)
    assignee = await act(
        app, questions.assign, people.leader, filed.id, people.official_tp.id, clock()
    )
    assert assignee == people.official_tp
    await act(app, questions.assign, people.admin, filed.id, people.official_tp.id, clock())
    async with app.sessionmaker() as db:
        question = await db.get(ResidentQuestion, filed.id)
        assert (question.status, question.assigned_to) == ("assigned", people.official_tp.id)
    assigns = [
        (e.actor_telegram_id, e.allowed) for e in await audit_log(app) if e.action == "assign"
    ]
    assert assigns == [(20, False), (40, False), (10, True), (1, True)]


async def test_names_and_phones_only_for_the_assigned_official_leaders_and_admins(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    filed = await file(
        app,
        asker,
        session_id,
        clock(),
        named=True,
        contact_name="Trần Thị Bình",
        contact_phone="0987654321",
    )

    async def contact(who):
        view = await act(app, questions.view_for_staff, who, filed.id, clock())
        return view.contact_name, view.contact_phone

    hidden = (None, None)
    shown = ("Trần Thị Bình", "0987654321")
    assert await contact(people.official_tp) == hidden  # of the field, but not assigned
    assert await contact(people.front) == hidden
    assert await contact(people.leader) == shown
    assert await contact(people.admin) == shown
    await act(app, questions.assign, people.leader, filed.id, people.official_tp.id, clock())
    assert await contact(people.official_tp) == shown
    views = [e.detail for e in await audit_log(app) if e.action == "view"]
    assert views == [{"contact": False}, {"contact": False}] + [{"contact": True}] * 3
    # The audit log never holds the resident's phone, name or text.
    for entry in await audit_log(app):
        assert "0987654321" not in str(entry.detail) and "Bình" not in str(entry.detail)


async def test_statuses_conference_close_and_hide(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "zalo-1", channel="zalo")
    filed = await file(app, asker, session_id, clock(), complaint_flag=True)

    change = await act(app, questions.mark_conference, people.official_tp, filed.id, clock())
    assert (change.status, change.channel, change.external_id, change.code) == (
        QuestionStatus.CONFERENCE,
        "zalo",
        "zalo-1",
        filed.code,
    )
    # Answered at the conference, then written down by the official.
    relay = await act(
        app, questions.answer, people.official_tp, filed.id, "Đã trả lời tại hội nghị.", clock()
    )
    assert relay.channel == "zalo"
    for who in (people.official_tp, people.front):
        assert isinstance(await act(app, questions.close, who, filed.id, clock()), PermissionDenied)
    assert (await act(app, questions.close, people.leader, filed.id, clock())).status == "closed"
    closed = await act(app, questions.answer, people.admin, filed.id, "Thêm", clock())
    assert isinstance(closed, InvalidAction) and "closed" in str(closed)

    other = await file(app, asker, session_id, clock())
    assert isinstance(
        await act(app, questions.hide, people.official_tp, other.id, "spam", clock()),
        PermissionDenied,
    )
    no_reason = await act(app, questions.hide, people.leader, other.id, "   ", clock())
    assert isinstance(no_reason, InvalidAction)
    await act(app, questions.hide, people.leader, other.id, "Lời lẽ xúc phạm", clock())
    # Hidden: gone for officials and the Front, still there for admins and leaders.
    for who in (people.official_tp, people.front):
        page = await act(app, questions.list_for_staff, who, now=clock())
        assert other.code not in [item.code for item in page.items]
        assert isinstance(
            await act(app, questions.view_for_staff, who, other.id, clock()), PermissionDenied
        )
    page = await act(app, questions.list_for_staff, people.admin, now=clock())
    assert [(i.code, i.hidden, i.complaint_flag) for i in page.items] == [
        (other.code, True, False),
        (filed.code, False, True),
    ]
    view = await act(app, questions.view_for_staff, people.admin, other.id, clock())
    assert (view.hidden, view.hidden_reason) == (True, "Lời lẽ xúc phạm")
    hide_entry = next(e for e in await audit_log(app) if e.action == "hide" and e.allowed)
    assert hide_entry.detail is None  # the reason stays on the question
    # The resident still sees their own hidden question.
    async with app.sessionmaker() as db:
        assert await questions.question_for_resident(db, asker.resident_id, other.id) is not None


async def test_pages_of_questions(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    codes = []
    for _i in range(12):
        clock.advance(minutes=1)
        codes.append((await file(app, asker, session_id, clock())).code)
    first = await act(app, questions.list_for_staff, people.leader, page_size=5, now=clock())
    last = await act(app, questions.list_for_staff, people.leader, page=2, page_size=5, now=clock())
    assert [i.code for i in first.items] == codes[::-1][:5]
    assert [i.code for i in last.items] == codes[::-1][10:]
    assert (first.total, first.pages, first.has_next, last.has_next, last.has_previous) == (
        12,
        3,
        True,
        False,
        True,
    )
    answered = await act(
        app, questions.list_for_staff, people.leader, status="answered", now=clock()
    )
    assert answered.items == [] and answered.total == 0


async def test_attachments_for_staff_who_may_view_the_question(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "zalo-2", channel="zalo")
    image = AttachmentIn(kind="photo", content=b"\x89PNG....", mime="image/png")
    filed = await file(app, asker, session_id, clock(), attachments=[image])
    view = await act(app, questions.view_for_staff, people.official_tp, filed.id, clock())
    [info] = view.attachments
    assert (info.kind, info.mime, info.stored_content, info.telegram_file_id) == (
        "photo",
        "image/png",
        True,
        None,
    )
    got = await act(app, questions.attachment_for_staff, people.official_tp, info.id, clock())
    assert got.content == image.content
    denied = await act(app, questions.attachment_for_staff, people.official_dc, info.id, clock())
    assert isinstance(denied, PermissionDenied)
    denied = await act(app, questions.attachment_for_staff, None, info.id, clock())
    assert isinstance(denied, PermissionDenied)


async def test_a_cached_staff_ref_of_someone_removed_grants_nothing(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    filed = await file(app, asker, session_id, clock())
    await act(app, questions.assign, people.admin, filed.id, people.official_tp.id, clock())
    await act(app, staff.remove, people.admin, people.official_tp.telegram_user_id, now=clock())
    denied = await act(app, questions.answer, people.official_tp, filed.id, "Vẫn trả lời", clock())
    assert isinstance(denied, PermissionDenied)
    # The question went back to the office to be assigned again.
    async with app.sessionmaker() as db:
        question = await db.get(ResidentQuestion, filed.id)
        assert (question.status, question.assigned_to) == ("received", None)
    # A Telegram id works as the actor too.
    page = await act(
        app, questions.list_for_staff, people.official_dc.telegram_user_id, now=clock()
    )
    assert page.total == 0
    assert Role.OFFICIAL in staff.PERMISSIONS


async def test_two_staff_answering_at_once_give_one_answer(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    filed = await file(app, asker, session_id, clock())
    outcomes = await asyncio.gather(
        act(app, questions.answer, people.official_tp, filed.id, "Trả lời thứ nhất", clock()),
        act(app, questions.answer, people.leader, filed.id, "Trả lời thứ hai", clock()),
    )
    relays = [o for o in outcomes if isinstance(o, Relay)]
    assert len(relays) == 1
    assert sum(isinstance(o, InvalidAction) for o in outcomes) == 1
    async with app.sessionmaker() as db:
        assert (await db.get(ResidentQuestion, filed.id)).answer_text == relays[0].answer_text


async def test_a_possible_denunciation_is_read_by_leaders_and_the_office_only(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    flagged = await file(app, asker, session_id, clock(), complaint_flag=True)
    async with app.sessionmaker() as db:
        text = (await db.get(ResidentQuestion, flagged.id)).text
    # The official of the field and the Front see that it exists, never what it says.
    for who in (people.official_tp, people.front):
        [item] = (await act(app, questions.list_for_staff, who, now=clock())).items
        assert (item.code, item.complaint_flag, item.preview) == (flagged.code, True, "")
        view = await act(app, questions.view_for_staff, who, flagged.id, clock())
        assert (view.text, view.text_withheld, view.attachments) == ("", True, ())
    for who in (people.leader, people.admin):
        [item] = (await act(app, questions.list_for_staff, who, now=clock())).items
        assert item.preview == text[:80]
        view = await act(app, questions.view_for_staff, who, flagged.id, clock())
        assert (view.text, view.text_withheld) == (text, False)
