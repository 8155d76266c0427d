"""Delegates answer their conference invitation in their own chat: on Telegram by one of the
two buttons under it, on Zalo by typing "có dự" or "không dự"; the office's list shows the
reply. Someone who is no delegate is told so (Telegram) or has the words read as usual (Zalo)."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation.engine import TextConversation
from bot.services import conference
from models import Account
from tests.support.conference import with_secretary
from tests.support.fake_zalo import FakeZalo
from tests.support.questions import make_session
from tests.support.resident import Resident
from tests.support.text_flow import agree_all
from tests.support.text_resident import TextResident
from tests.support.zalo import zalo_settings


async def replies(app, admin, session_id: int, now) -> dict[str, str | None]:
    async with app.sessionmaker() as db:
        listed = await conference.delegates(db, admin, session_id, now=now)
    return {d.name: d.reply for d in listed}


async def test_delegates_reply_by_button_on_telegram_and_by_words_on_zalo(
    make_app, settings, telegram, clock
):
    zalo = FakeZalo()
    await zalo.start()
    try:
        app = await make_app(settings=zalo_settings(settings, zalo))
        now = clock()
        people, _secretary = await with_secretary(app, now)
        session_id = await make_session(app)
        head = TextResident(
            TextConversation(app.sessionmaker, app.survey, app.settings, clock),
            "zalo-head",
            channel="zalo",
        )
        await agree_all(head)
        # Before any invitation the words are read as usual.
        assert "Văn phòng phường đã ghi nhận" not in await head.say("có dự")
        async with app.sessionmaker() as db, db.begin():
            account_id = await db.scalar(
                select(Account.id).where(Account.external_id == "zalo-head")
            )
            await conference.add_delegate(
                db,
                people.admin,
                session_id,
                name="Ông Chủ tịch",
                group="leaders",
                staff_id=people.leader.id,
                now=now,
            )
            await conference.add_delegate(
                db,
                people.admin,
                session_id,
                name="Bà Tổ trưởng",
                group="groups",
                account_id=account_id,
                now=now,
            )
            queued = await conference.invite(db, people.admin, session_id, now=now)
        assert await conference.send_now(app.delivery, queued) == 2

        # Telegram: the invitation carries two buttons; a tap records the reply.
        leader = Resident(app, telegram, people.leader.telegram_user_id, "vi")
        invitation = leader.screen
        assert "Ông Chủ tịch" in invitation.text
        assert invitation.buttons() == ["✅ Tôi sẽ dự", "✖ Tôi không dự"]
        await leader.tap("✖ Tôi không dự", on=invitation)
        assert leader.last_alert == "Đã ghi nhận: Văn phòng phường biết Ông/Bà không tham dự được."
        await leader.tap("✅ Tôi sẽ dự", on=invitation)  # changed their mind
        assert (
            leader.last_alert == "✅ Cảm ơn Ông/Bà: Văn phòng phường đã ghi nhận Ông/Bà sẽ tham dự."
        )

        # Zalo: the invitation says which words to type.
        [sent] = zalo.texts_to("zalo-head")[-1:]
        assert "Bà Tổ trưởng" in sent
        assert 'Ông/Bà trả lời "có dự" nếu sẽ tham dự, hoặc "không dự"' in sent
        answer = await head.say("Không dự.")
        assert answer.startswith("Đã ghi nhận: Văn phòng phường biết Ông/Bà không tham dự được.")
        assert "Ông/Bà muốn làm gì?" in answer  # the screen the delegate was on, again
        assert await replies(app, people.admin, session_id, now) == {
            "Ông Chủ tịch": "coming",
            "Bà Tổ trưởng": "not_coming",
        }
        assert (await head.say("co du")).startswith("✅ Cảm ơn Ông/Bà")
        assert (await replies(app, people.admin, session_id, now))["Bà Tổ trưởng"] == "coming"

        # A staff member who is no delegate of the session is told so, and nothing changes.
        stranger = Resident(app, telegram, people.official_tp.telegram_user_id, "vi")
        await stranger.send("/start")
        await stranger.tap_data(f"dr:{session_id}:1")
        assert stranger.last_alert == "Ông/Bà không có trong danh sách đại biểu của hội nghị này."
        assert len(await replies(app, people.admin, session_id, now)) == 2
    finally:
        await zalo.stop()
