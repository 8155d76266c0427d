"""Announcements from the ward office through the real dispatcher: the /broadcast wizard
(audience with counts per channel, text, photo, the preview as residents will see it, Edit,
Cancel), one delivery per opted-in reachable account in its resident's language, the progress
message up to its summary, Stop, /broadcasts with its figures, and refusals (audited)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.types import PhotoSize
from sqlalchemy import select, update

from bot.__main__ import bootstrap_admins
from bot.delivery import outbox
from bot.i18n import use_locale
from bot.services import broadcasts, consent, residents
from bot.services.broadcasts import BroadcastError, Draft
from bot.services.consent import Purpose
from models import Account, Broadcast, Delivery
from tests.support.announcements import (
    HEADER_VI,
    PHOTO_NOTE,
    TEXT,
    deliver,
    entries,
    rated,
    stored,
    zalo_resident,
)
from tests.support.journey import consent_all
from tests.support.questions import make_session
from tests.support.staff_chat import NOT_YOUR_ROLE, ONLY_STAFF, Person
from tests.support.zalo import zalo_settings

ADMIN, LEADER, OFFICIAL, FRONT = 1, 10, 20, 40
VI, EN, WITHDREW, BLOCKED = 501, 502, 503, 504  # Telegram residents
ZALO_VI, ZALO_GONE = "901", "902"
HEADER_EN = "📢 Announcement from the People's Committee of Bình An Ward"
EVERYONE = "👥 Tất cả người đã đồng ý (3)"
SEND, EDIT, CANCEL = "📨 Gửi", "✏️ Sửa", "✖ Huỷ"


class Admin(Person):
    async def send_photo(self, caption: str | None = None) -> None:
        photo = [
            PhotoSize(file_id="p-small", file_unique_id="ps", width=90, height=60),
            PhotoSize(file_id="p-large", file_unique_id="pl", width=1280, height=853),
        ]
        await self._feed_message(photo=photo, caption=caption)


@pytest.fixture
def person(app, telegram):
    def make(user_id: int, language: str | None = "vi") -> Person:
        return Person(app, telegram, user_id, language)

    return make


@pytest.fixture
async def admin(app, settings, telegram) -> AsyncIterator[Admin]:
    await bootstrap_admins(app, settings)
    app.progress.interval = 0.01  # the 3 s between edits would only slow the tests
    yield Admin(app, telegram, ADMIN, "vi")
    await app.progress.close()


async def resident_id(app, channel: str, external_id: str) -> str:
    async with app.sessionmaker() as db:
        return (await residents.find(db, channel, external_id)).id


async def withdraw_reminders(app, clock, rid: str) -> None:
    async with app.sessionmaker() as db, db.begin():
        await consent.record(
            db,
            rid,
            Purpose.REMINDERS,
            False,
            channel="telegram",
            notice_version="t",
            now=clock() + timedelta(minutes=1),
        )


async def unreachable(app, clock, channel: str, external_id: str) -> None:
    """As the delivery engine records an account that blocked the bot."""
    async with app.sessionmaker() as db, db.begin():
        await db.execute(
            update(Account)
            .where(Account.channel == channel, Account.external_id == external_id)
            .values(unreachable_at=clock())
        )


@pytest.fixture
async def town(app, clock, person) -> dict[str, str]:
    """Residents: two on Telegram who opted in (vi, en), one who withdrew, one who blocked the
    bot, one on Zalo who opted in and one the bot can no longer reach there. VI and the
    withdrawn one rated tp; EN rated dc."""
    for user_id, lang in ((VI, "vi"), (EN, "en"), (WITHDREW, "vi"), (BLOCKED, "vi")):
        await consent_all(person(user_id, lang), lang)
    ids = {str(n): await resident_id(app, "telegram", str(n)) for n in (VI, EN, WITHDREW)}
    ids[ZALO_VI] = await zalo_resident(app, clock, ZALO_VI)
    await zalo_resident(app, clock, ZALO_GONE)
    await withdraw_reminders(app, clock, ids[str(WITHDREW)])
    await unreachable(app, clock, "telegram", str(BLOCKED))
    await unreachable(app, clock, "zalo", ZALO_GONE)
    session_id = await make_session(app)
    await rated(app, ids[str(VI)], "tp", session_id)
    await rated(app, ids[str(WITHDREW)], "tp", session_id)
    await rated(app, ids[str(EN)], "dc", session_id)
    return ids


async def eventually(check, timeout: float = 5.0) -> None:
    """Until the progress task has done what `check` looks for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "the progress message did not change in time"
        await asyncio.sleep(0.01)


async def to_preview(admin: Admin, audience: str = EVERYONE, text: str = TEXT) -> None:
    await admin.send("/broadcast")
    await admin.tap(audience)
    await admin.send(text)
    await admin.send_photo()


# --- the wizard ---------------------------------------------------------------------------------


async def test_preview_as_residents_see_it_then_one_delivery_per_reachable_account(
    app, admin, town, clock
):
    await admin.send("/broadcast")
    assert admin.text.startswith("Thông báo mới · bước 1/3")
    assert (
        "Tất cả người đã đồng ý: 3 người dân (Telegram 2, Zalo 1). Hoặc chọn một lĩnh vực"
        in admin.text
    )
    assert admin.buttons[:3] == [EVERYONE, "Địa chính (đất đai) (1)", "Tư pháp – Hộ tịch (1)"]
    assert admin.buttons[-1] == CANCEL

    await admin.tap(EVERYONE)
    assert admin.text.startswith("Thông báo mới · bước 2/3")
    assert "Gửi tới: tất cả người đã đồng ý · 3 người dân (Telegram 2, Zalo 1)" in admin.text
    assert f"dưới dòng “{HEADER_VI}”" in admin.text
    await admin.send(TEXT)
    assert admin.text.startswith("Thông báo mới · bước 3/3")
    assert admin.buttons == ["👁 Xem trước", "⬅️ Quay lại", CANCEL]
    await admin.send_photo()

    preview = admin.messages[-2]
    assert preview.media == "p-large"  # the largest size, as residents get it
    assert preview.text == f"{HEADER_VI}\n\n{TEXT}"
    assert preview.raw_text.startswith(f"<b>{HEADER_VI}</b>")
    assert preview.markup is None
    assert admin.text.split("\n") == [
        "👆 Người dân nhận thông báo trên Telegram đúng như trên.",
        f"Trên Zalo, người dân chỉ nhận phần chữ, kèm dòng: “{PHOTO_NOTE}”",
        "Thông báo sẽ được gửi tới 3 người dân (Telegram 2, Zalo 1) · Đối tượng: tất cả người "
        "đã đồng ý.",
    ]
    assert admin.buttons == [SEND, EDIT, CANCEL]
    assert await stored(app, Broadcast) == []  # nothing before Send

    await admin.tap(SEND)
    [broadcast] = await stored(app, Broadcast)
    progress = admin.last("thông báo tới 3 người dân")
    assert (broadcast.kind, broadcast.status, broadcast.field) == ("announcement", "sending", None)
    assert (broadcast.text, broadcast.media_kind, broadcast.media_file_id) == (
        TEXT,
        "photo",
        "p-large",
    )
    assert (broadcast.progress_chat_id, broadcast.progress_message_id) == (
        ADMIN,
        progress.message_id,
    )
    deliveries = await stored(app, Delivery)
    assert sorted((d.channel, d.chat_id) for d in deliveries) == [
        ("telegram", str(VI)),
        ("telegram", str(EN)),
        ("zalo", ZALO_VI),
    ]
    payloads = {d.chat_id: d.payload for d in deliveries}
    photo = {"kind": "photo", "file_id": "p-large"}
    assert payloads[str(VI)] == {
        "text": f"<b>{HEADER_VI}</b>\n\n{TEXT}",
        "html": True,
        "media": photo,
    }
    assert payloads[str(EN)] == {
        "text": f"<b>{HEADER_EN}</b>\n\n{TEXT}",  # written once, the header in English
        "html": True,
        "media": photo,
    }
    assert payloads[ZALO_VI] == {"text": f"{HEADER_VI}\n\n{TEXT}\n\n{PHOTO_NOTE}", "html": False}
    assert {d.key for d in deliveries} == {
        f"b:{broadcast.id}:telegram:{VI}",
        f"b:{broadcast.id}:telegram:{EN}",
        f"b:{broadcast.id}:zalo:{ZALO_VI}",
    }
    assert all(d.status == "pending" and d.resident_id for d in deliveries)
    [sent] = await entries(app, action="broadcast_send")
    assert (sent.actor_telegram_id, sent.allowed, sent.target) == (
        ADMIN,
        True,
        f"broadcast:{broadcast.id}",
    )
    assert sent.detail["recipients"] == 3

    # The progress message follows the deliveries, then shows the summary.
    await eventually(lambda: progress.text.startswith("📤"))
    assert progress.text.split("\n") == [
        "📤 Đang gửi thông báo tới 3 người dân (Telegram 2, Zalo 1).",
        "Đã gửi 0 · lỗi 0 · còn lại 3 · còn khoảng 1 giây",
    ]
    assert progress.buttons() == ["⏹ Dừng gửi"]
    await deliver(app, {str(VI): "sent"})
    await eventually(lambda: "Đã gửi 1 ·" in progress.text)
    clock.advance(seconds=65)
    await deliver(app, {str(EN): "unreachable", ZALO_VI: "sent"})
    await app.progress.wait(broadcast.id)
    assert progress.text.split("\n") == [
        "✅ Đã gửi xong thông báo trong 1 phút 5 giây.",
        "Đã gửi 2 · lỗi 0 · không liên lạc được 1 (đã chặn bot hoặc rời cuộc trò chuyện)",
    ]
    assert progress.markup is None
    [broadcast] = await stored(app, Broadcast)
    assert broadcast.status == "done"
    assert broadcast.finished_at - broadcast.started_at == timedelta(seconds=65)


async def test_a_caption_with_the_photo_goes_straight_to_the_preview(app, admin, town):
    await admin.send("/broadcast")
    await admin.tap(EVERYONE)
    await admin.send_photo(caption=TEXT)
    assert admin.messages[-2].text == f"{HEADER_VI}\n\n{TEXT}"
    assert admin.buttons == [SEND, EDIT, CANCEL]


async def test_a_document_goes_with_the_announcement_not_to_paper_forms(app, admin, town):
    await admin.send("/broadcast")
    await admin.tap(EVERYONE)
    await admin.send(TEXT)
    await admin.send_document(b"%PDF-1.4", "lich-tiep-dan.pdf", "application/pdf")
    preview = admin.messages[-2]
    assert (preview.media, preview.text) == ("doc1", f"{HEADER_VI}\n\n{TEXT}")
    assert (
        "kèm dòng: “📎 Thông báo này có kèm một tệp trên bot Telegram của phường; Ông/Bà cũng "
        "có thể nhận tại trụ sở UBND phường.”" in admin.text
    )
    await admin.tap(EDIT)
    await admin.tap("➡️ Giữ nội dung này")
    assert "📎 Đã kèm: tệp lich-tiep-dan.pdf." in admin.text


async def test_edit_keeps_the_draft_and_cancel_stores_nothing(app, admin, town):
    await to_preview(admin)
    await admin.tap(EDIT)
    assert admin.text.startswith("Thông báo mới · bước 2/3")
    assert f"Hiện tại: {TEXT}" in admin.text
    assert admin.buttons == [
        "➡️ Giữ nội dung này",
        "🗑 Bỏ ảnh, tệp đính kèm",
        "⬅️ Quay lại",
        CANCEL,
    ]
    await admin.send("Lịch tiếp công dân tuần này dời sang thứ Năm.")
    assert admin.text.startswith("Thông báo mới · bước 3/3")
    assert "📎 Đã kèm: một ảnh. Gửi ảnh hoặc tệp khác để thay thế." in admin.text
    await admin.tap("🗑 Bỏ ảnh, tệp đính kèm")
    await admin.tap("👁 Xem trước")
    preview = admin.messages[-2]
    assert preview.media is None
    assert preview.text == f"{HEADER_VI}\n\nLịch tiếp công dân tuần này dời sang thứ Năm."
    assert "Trên Zalo" not in admin.text

    await admin.tap(CANCEL)
    assert admin.last_message == "✖ Đã huỷ: không có gì được gửi hay lưu lại."
    assert admin.messages[-2].markup is None  # the preview's buttons are gone
    assert await stored(app, Broadcast) == []
    assert await stored(app, Delivery) == []


async def test_texts_too_long_are_explained(app, admin, town):
    await admin.send("/broadcast")
    await admin.tap(EVERYONE)
    await admin.send("Thông báo " + "x" * 3500)
    assert admin.messages[-2].text == (
        "Thông báo chỉ được dài tối đa 3.500 ký tự để đến tay người dân trong một tin nhắn, "
        "văn bản này có 3.510 ký tự. Đồng chí vui lòng rút gọn rồi gửi lại."
    )
    assert admin.text.startswith("Thông báo mới · bước 2/3")  # the same step again

    long_caption = "y" * 1200
    await admin.send(long_caption)  # fits a message, not a caption
    assert admin.text.startswith("Thông báo mới · bước 3/3")
    await admin.send_photo()
    limit = broadcasts.caption_limit(app.settings)
    assert admin.messages[-2].text == (
        f"Khi kèm ảnh hoặc tệp, Telegram chỉ cho phép chú thích dài tối đa {limit} ký tự, văn "
        "bản này có 1.200 ký tự. Đồng chí vui lòng rút gọn, hoặc gửi thông báo không kèm ảnh, "
        "tệp."
    )
    assert admin.text.startswith("Thông báo mới · bước 3/3")
    await admin.tap("👁 Xem trước")  # without the photo: fine
    assert admin.messages[-2].text == f"{HEADER_VI}\n\n{long_caption}"
    assert admin.messages[-2].media is None


def test_the_caption_limit_leaves_room_for_the_header_in_every_language(settings):
    # The English header names the ward at length: a little less than 1,000 is left.
    assert 950 <= broadcasts.caption_limit(settings) < broadcasts.MAX_CAPTION
    for locale in ("vi", "en"):
        with use_locale(locale):
            header = broadcasts.header(settings)
        caption = f"{header}\n\n" + "z" * broadcasts.caption_limit(settings)
        assert broadcasts.length(caption) <= broadcasts.TELEGRAM_CAPTION


async def test_residents_receive_it_on_their_channel_in_their_language(
    make_app, settings, zalo, telegram, clock
):
    """End to end: the delivery engine sends the deliveries (Telegram and a fake Zalo server),
    and the progress message ends with what happened, including a resident who blocked the
    bot since the announcement was written."""
    app = await make_app(settings=zalo_settings(settings, zalo))
    await bootstrap_admins(app, settings)
    app.progress.interval = 0.01
    admin = Admin(app, telegram, ADMIN, "vi")
    vi, en, gone = (
        Person(app, telegram, n, lang) for n, lang in ((VI, "vi"), (EN, "en"), (BLOCKED, "vi"))
    )
    for resident in (vi, en, gone):
        await consent_all(resident, resident.language)
    await zalo_resident(app, clock, ZALO_VI)
    telegram.blocked.add(BLOCKED)

    await to_preview(admin, "👥 Tất cả người đã đồng ý (4)")
    await admin.tap(SEND)
    progress = admin.last("thông báo tới 4 người dân")
    [broadcast] = await stored(app, Broadcast)
    await app.delivery.drain()
    await app.progress.wait(broadcast.id)

    received = vi.last(TEXT)
    assert (received.media, received.text) == ("p-large", f"{HEADER_VI}\n\n{TEXT}")
    assert en.last(TEXT).text == f"{HEADER_EN}\n\n{TEXT}"
    assert zalo.sent == [(ZALO_VI, f"{HEADER_VI}\n\n{TEXT}\n\n{PHOTO_NOTE}")]
    assert not any(TEXT in m.text for m in gone.messages)
    assert progress.text.split("\n") == [
        "✅ Đã gửi xong thông báo trong 0 giây.",
        "Đã gửi 3 · lỗi 0 · không liên lạc được 1 (đã chặn bot hoặc rời cuộc trò chuyện)",
    ]
    async with app.sessionmaker() as db:
        account = (
            await db.execute(select(Account).where(Account.external_id == str(BLOCKED)))
        ).scalar_one()
    assert account.unreachable_at is not None  # not counted in the next announcement
    await app.progress.close()


# --- audiences ----------------------------------------------------------------------------------


async def test_a_field_goes_to_those_who_rated_it_and_opted_in(app, admin, town, clock):
    await admin.send("/broadcast")
    await admin.tap("Công an (0)")
    assert admin.last_alert == (
        "Chưa có người dân nào quan tâm đến lĩnh vực này đồng ý nhận thông báo. Đồng chí vui "
        "lòng chọn lĩnh vực khác."
    )
    await to_preview(admin, "Tư pháp – Hộ tịch (1)")
    assert "1 người dân (Telegram 1, Zalo 0) · Đối tượng: Tư pháp – Hộ tịch." in admin.text
    await admin.tap(SEND)
    [broadcast] = await stored(app, Broadcast)
    assert broadcast.field == "tp"
    assert [(d.channel, d.chat_id) for d in await stored(app, Delivery)] == [
        ("telegram", str(VI))  # not the resident who rated tp and withdrew
    ]
    await deliver(app, {str(VI): "sent"})
    await app.progress.wait(broadcast.id)


async def test_services_refuse_an_empty_audience_and_check_again_at_confirmation(app, admin):
    async with app.sessionmaker() as db:
        with use_locale("en"), pytest.raises(BroadcastError) as caught:
            await broadcasts.confirm(
                db, ADMIN, Draft(TEXT), settings=app.settings, now=datetime.now(UTC)
            )
    assert str(caught.value) == "Nobody would receive it: no resident of this audience opted in."
    async with app.sessionmaker() as db:
        with use_locale("en"), pytest.raises(BroadcastError) as caught:
            await broadcasts.confirm(
                db, ADMIN, Draft("x" * 3501), settings=app.settings, now=datetime.now(UTC)
            )
    assert str(caught.value).startswith("An announcement can have at most 3,500 characters")


# --- stopping, resuming, the list ---------------------------------------------------------------


async def test_stop_cancels_what_is_not_sent_yet(app, admin, town, person):
    await to_preview(admin)
    await admin.tap(SEND)
    progress = admin.last("thông báo tới 3 người dân")
    await eventually(lambda: progress.buttons() == ["⏹ Dừng gửi"])
    await deliver(app, {str(VI): "sent"})

    leader = person(LEADER)
    await admin.send("/staff_add 10 leader Chủ tịch phường")
    await leader.tap("⏹ Dừng gửi", on=progress)  # a forwarded message, say
    assert leader.last_alert.startswith(NOT_YOUR_ROLE)
    await admin.tap("⏹ Dừng gửi", on=progress)
    assert admin.last_alert == "⏹ Đã dừng: 2 tin nhắn sẽ không được gửi."
    [broadcast] = await stored(app, Broadcast)
    await app.progress.wait(broadcast.id)
    assert progress.text.split("\n") == [
        "⏹ Đã dừng gửi sau 0 giây.",
        "Đã gửi 1 · lỗi 0 · không liên lạc được 0 (đã chặn bot hoặc rời cuộc trò chuyện) · "
        "không gửi 2",
    ]
    assert progress.markup is None
    [broadcast] = await stored(app, Broadcast)
    assert broadcast.status == "cancelled"
    assert sorted(d.status for d in await stored(app, Delivery)) == [
        "cancelled",
        "cancelled",
        "sent",
    ]
    stops = await entries(app, action="broadcast_stop")
    assert [(e.actor_telegram_id, e.allowed, e.detail) for e in stops] == [
        (LEADER, False, {"permission": "broadcast"}),
        (ADMIN, True, {"cancelled": 2}),
    ]
    await admin.tap_data(f"bs:{broadcast.id}", on=progress)  # a second tap, say
    assert admin.last_alert == "Thông báo này không còn đang được gửi."


async def test_progress_resumes_after_a_restart(app, make_app, admin, town, telegram):
    await to_preview(admin)
    await admin.tap(SEND)
    [broadcast] = await stored(app, Broadcast)
    progress = admin.last("thông báo tới 3 người dân")
    await eventually(lambda: progress.text.startswith("📤"))
    await app.progress.close()  # the process stops mid-way

    restarted = await make_app()
    restarted.progress.interval = 0.01
    assert await restarted.progress.resume() == 1
    await deliver(restarted, {str(VI): "sent", str(EN): "sent", ZALO_VI: "failed"})
    await restarted.progress.wait(broadcast.id)
    assert progress.text.startswith("✅ Đã gửi xong thông báo")
    assert "Đã gửi 2 · lỗi 1 · không liên lạc được 0" in progress.text
    assert await restarted.progress.resume() == 0  # done: nothing to follow any more


async def test_broadcasts_lists_the_past_ones_with_their_figures(app, admin, town, clock):
    async with app.sessionmaker() as db, db.begin():
        for n in range(9):
            clock.advance(hours=1)
            await broadcasts.confirm(
                db,
                ADMIN,
                Draft(f"Thông báo số {n + 1}: " + "lời mời " * 20, field="tp" if n == 8 else None),
                settings=app.settings,
                now=clock(),
            )
    await deliver(app, {str(VI): "sent", str(EN): "failed"})
    await admin.send("/broadcasts")
    listing = admin.last()
    lines = listing.text.split("\n")
    assert lines[0] == "Thông báo đã gửi · trang 1/2 · tổng cộng 9"
    assert lines[2] == "#9 · 18:00 26/11/2026 · Tư pháp – Hộ tịch · đang gửi"
    assert lines[3] == "“Thông báo số 9: lời mời lời mời lời mời lời mời lời mời…”"
    assert lines[4] == "đã gửi 1 · lỗi 0 · không liên lạc được 0 · đang chờ 0"
    assert lines[6].startswith("#8 · 17:00 26/11/2026 · tất cả người đã đồng ý · đang gửi")
    assert lines[8] == "đã gửi 1 · lỗi 1 · không liên lạc được 0 · đang chờ 1"
    assert listing.buttons() == ["Cũ hơn ➡️"]
    await admin.tap("Cũ hơn ➡️", on=listing)
    assert listing.text.startswith("Thông báo đã gửi · trang 2/2 · tổng cộng 9")
    assert "#1 · 10:00 26/11/2026" in listing.text
    assert listing.buttons() == ["⬅️ Mới hơn"]
    assert len(await entries(app, action="broadcast_list", allowed=True)) == 2


async def test_no_announcement_yet(app, admin):
    await admin.send("/broadcasts")
    assert (
        admin.last_message == "Chưa có thông báo nào được gửi. Dùng /broadcast để soạn thông báo."
    )


# --- refusals -----------------------------------------------------------------------------------


async def test_only_admins_send_announcements_and_refusals_are_audited(app, admin, person):
    await admin.send("/staff_add 10 leader Chủ tịch phường")
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    await admin.send("/staff_add 40 front Mặt trận Tổ quốc phường")
    resident = person(VI)
    await consent_all(resident)
    people = [
        (person(LEADER), NOT_YOUR_ROLE, "leader"),
        (person(OFFICIAL, "en"), NOT_YOUR_ROLE, "official"),  # staff read the ward's language
        (person(FRONT), NOT_YOUR_ROLE, "front"),
        (resident, ONLY_STAFF, None),
    ]
    for command, action in (("/broadcast", "broadcast"), ("/broadcasts", "broadcast_list")):
        for who, refusal, _role in people:
            await who.send(command)
            assert who.last_message.startswith(refusal), (command, who.user_id)
        denied = await entries(app, action=action, allowed=False)
        assert [(e.actor_telegram_id, e.actor_role) for e in denied] == [
            (who.user_id, role) for who, _refusal, role in people
        ]
    assert await stored(app, Broadcast) == []


async def test_an_admin_demoted_mid_wizard_is_refused(app, admin, town):
    await to_preview(admin)
    await admin.send("/staff_add 2 admin Văn phòng UBND")
    other = Person(app, admin.telegram, 2, "vi")
    await other.send("/staff_set 1 role=leader")
    await admin.tap(SEND)
    assert admin.last_alert.startswith(NOT_YOUR_ROLE)
    assert await stored(app, Broadcast) == []
    assert await stored(app, Delivery) == []
    denied = await entries(app, actor_telegram_id=ADMIN, allowed=False)
    assert [(e.action, e.actor_role) for e in denied] == [("broadcast", "leader")]


async def test_commands_typed_mid_wizard_reach_their_handlers(app, admin, town, telegram):
    await admin.send("/broadcast")
    await admin.tap(EVERYONE)
    await admin.send("/paper")  # its router comes after the wizard's
    assert len(telegram.documents(ADMIN)) == 2


async def test_outbox_recipients_match_the_counts(app, admin, town):
    async with app.sessionmaker() as db:
        found = await outbox.opted_in(db)
        counts = await broadcasts.recipients(db, ADMIN, now=datetime.now(UTC))
    assert (counts.telegram, counts.zalo) == (2, 1) and len(found) == 3


async def test_a_settled_announcement_nobody_follows_is_finished_by_one_sweep(
    app, make_app, admin, town, telegram
):
    await to_preview(admin)
    await admin.tap(SEND)
    [broadcast] = await stored(app, Broadcast)
    progress = admin.last("thông báo tới 3 người dân")
    await eventually(lambda: progress.text.startswith("📤"))
    await app.progress.close()  # the worker that followed it died, for good
    await deliver(app, {str(VI): "sent", str(EN): "sent", ZALO_VI: "sent"})

    # Two live workers sweep at the same moment: one finishes it and shows the summary.
    first, second = await make_app(), await make_app()
    swept = await asyncio.gather(first.progress.sweep(), second.progress.sweep())
    assert swept == [[broadcast.id], [broadcast.id]]
    for worker in (first, second):
        await worker.progress.wait(broadcast.id)

    assert progress.text.startswith("✅ Đã gửi xong thông báo")
    assert "Đã gửi 3 · lỗi 0 · không liên lạc được 0" in progress.text
    summaries = [
        form
        for method, form in telegram.calls
        if method == "editMessageText" and str(form.get("text", "")).startswith("✅")
    ]
    assert len(summaries) == 1
    [broadcast] = await stored(app, Broadcast)
    assert (broadcast.status, broadcast.finished_at is not None) == ("done", True)
    assert await first.progress.sweep() == []  # nothing left to finish
