"""The console's Announcements page: the audience with its counts, a preview of exactly what
residents get on Telegram and Zalo with how many will get it, Send creating the broadcast and
its deliveries through the same service as /broadcast, a photo uploaded here reaching Telegram
residents as a file, the progress JSON, Stop, the past announcements with their figures, and
a leader refused (audited); in Chromium, an admin composes, previews, sends and watches the
progress reach "sent" while the delivery engine sends to the fake Telegram."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import select

from bot.services import broadcasts
from bot.services.broadcasts import Draft
from models import Broadcast, Delivery
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
from tests.support.browser import needs_chromium
from tests.support.paper import NOT_YOUR_ROLE
from tests.support.questions import make_session
from tests.support.seed import opted_in_residents
from tests.support.web import add_staff, csrf_of, serve_console, signed_in
from tests.support.web_announcements import showing

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # what Telegram gets back, byte for byte
FIRST_CHAT = 501  # Telegram residents 501, 502, 503
ZALO = "901"
KEPT = re.compile(r'name="kept" value="([^"]+)"')


async def town(app, clock) -> dict[str, str]:
    """Three Telegram residents and one Zalo resident who opted in; the first Telegram one
    rated tp."""
    async with app.sessionmaker() as db, db.begin():
        await opted_in_residents(db, 3, FIRST_CHAT)
    zalo_id = await zalo_resident(app, clock, ZALO)
    async with app.sessionmaker() as db:
        from bot.services import residents

        first = (await residents.find(db, "telegram", str(FIRST_CHAT))).id
    await rated(app, first, "tp", await make_session(app))
    return {"telegram": first, "zalo": zalo_id}


def shown(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</div>', page, re.S)
    assert found, element_id
    return html.unescape(found.group(1))


async def preview(client, text: str = TEXT, field: str = "", photo: bytes | None = PHOTO):
    token = await csrf_of(client, "/staff/announcements")
    files = {"attachment": ("thong-bao.png", photo, "image/png")} if photo else None
    return await client.post(
        "/staff/announcements/preview",
        data={"csrf": token, "text": text, "field": field},
        files=files,
    )


async def send_from(client, page: str):
    """Press Send on a preview page: its hidden fields, posted."""
    form = page[page.index('action="/staff/announcements/send"') :]
    values = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    values = {name: html.unescape(value) for name, value in values.items()}
    return await client.post("/staff/announcements/send", data=values, files={"x": ("", b"")})


async def test_the_preview_shows_what_residents_get_and_how_many(app, clock, settings):
    await town(app, clock)
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        page = (await client.get("/staff/announcements")).text
        assert '<option value="" selected>Tất cả người đã đồng ý (4)</option>' in page
        assert '<option value="tp">Tư pháp – Hộ tịch (1)</option>' in page
        assert "Chưa có thông báo nào được gửi." in page

        shown_page = await preview(client, TEXT.replace(". ", ".\r\n", 1))
        assert shown_page.status_code == 200
        text = TEXT.replace(". ", ".\n", 1)
        assert (
            "Thông báo sẽ được gửi tới 4 người dân (Telegram 3, Zalo 1) · Người nhận: tất cả "
            "người đã đồng ý." in shown_page.text
        )
        assert shown(shown_page.text, "telegram-message") == f"<b>{HEADER_VI}</b>\n\n{text}"
        assert shown(shown_page.text, "zalo-message") == f"{HEADER_VI}\n\n{text}\n\n{PHOTO_NOTE}"
        [token] = KEPT.findall(shown_page.text)
        assert f'<img src="/staff/announcements/attachment/{token}"' in shown_page.text
        image = await client.get(f"/staff/announcements/attachment/{token}")
        assert image.content == PHOTO and image.headers["Content-Type"] == "image/png"

        one_field = await preview(client, "Họp tổ dân phố", field="tp", photo=None)
        assert "Thông báo sẽ được gửi tới 1 người dân (Telegram 1, Zalo 0)" in one_field.text
        assert shown(one_field.text, "zalo-message") == f"{HEADER_VI}\n\nHọp tổ dân phố"

        too_long = await preview(client, "x" * (broadcasts.caption_limit(settings) + 1))
        assert "Telegram chỉ cho phép chú thích dài tối đa" in html.unescape(too_long.text)
    assert await stored(app, Broadcast) == []  # a preview stores nothing


async def test_send_creates_the_broadcast_and_the_photo_reaches_telegram_residents(
    app, clock, telegram
):
    await town(app, clock)
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        sent = await send_from(client, (await preview(client)).text)
        assert sent.status_code == 303
        [broadcast] = await stored(app, Broadcast)
        assert sent.headers["Location"] == f"/staff/announcements/{broadcast.id}"
        assert (broadcast.status, broadcast.text, broadcast.media_kind, broadcast.created_by) == (
            "sending",
            TEXT,
            "photo",
            admin.id,
        )
        deliveries = await stored(app, Delivery)
        assert sorted(d.chat_id for d in deliveries) == ["501", "502", "503", ZALO]
        [action] = await entries(app, action="broadcast_send")
        assert action.detail["recipients"] == 4 and action.detail["media"] == "photo"

        page = (await client.get(sent.headers["Location"])).text
        assert "đang gửi" in page and "⏹ Dừng gửi" in page

        await app.delivery.drain()  # Telegram is sent; Zalo has no sender in this app
        for chat in (501, 502, 503):
            [received] = telegram.chat_messages(chat)
            assert (received.media, received.content) == ("upload", PHOTO)
            assert received.text == f"{HEADER_VI}\n\n{TEXT}"
        progress = (await client.get(f"/staff/announcements/{broadcast.id}/progress.json")).json()
        assert progress | {"time_left": None} == progress | {
            "status": "sending",
            "status_label": "đang gửi",
            "finished": False,
            "sent": 3,
            "failed": 0,
            "remaining": 1,
            "stoppable": True,
            "audience": "4 người dân (Telegram 3, Zalo 1)",
            "time_left": None,
        }

        await deliver(app, {ZALO: "sent"})  # as the Zalo worker records it
        done = (await client.get(f"/staff/announcements/{broadcast.id}/progress.json")).json()
        assert (done["status_label"], done["finished"], done["sent"], done["remaining"]) == (
            "đã gửi xong",
            True,
            4,
            0,
        )
        assert done["summary"].startswith("✅ Đã gửi xong thông báo trong")
        [broadcast] = await stored(app, Broadcast)
        assert broadcast.status == "done" and broadcast.finished_at is not None


async def test_stop_cancels_what_is_not_sent(app, clock):
    await town(app, clock)
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        sent = await send_from(client, (await preview(client, photo=None)).text)
        path = sent.headers["Location"]
        await deliver(app, {"501": "sent"})
        token = await csrf_of(client, path)
        stopped = await client.post(f"{path}/stop", data={"csrf": token})
        assert stopped.status_code == 200
        assert "⏹ Đã dừng: 3 tin nhắn sẽ không được gửi." in stopped.text
        assert 'data-show="stoppable" hidden>' in stopped.text  # no Stop button any more
        assert {d.chat_id: d.status for d in await stored(app, Delivery)} == {
            "501": "sent",
            "502": "cancelled",
            "503": "cancelled",
            ZALO: "cancelled",
        }
        figures = (await client.get(f"{path}/progress.json")).json()
        assert (figures["status_label"], figures["finished"], figures["stoppable"]) == (
            "đã dừng",
            True,
            False,
        )
        assert figures["summary"].startswith("⏹ Đã dừng gửi sau")
        again = await client.post(f"{path}/stop", data={"csrf": token})
        assert "Thông báo này không còn đang được gửi." in again.text
        [entry] = await entries(app, action="broadcast_stop", allowed=True)
        assert entry.detail == {"cancelled": 3}


async def test_the_past_announcements_with_their_figures(app, clock):
    await town(app, clock)
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with app.sessionmaker() as db, db.begin():
        for n in range(9):
            clock.advance(hours=1)
            await broadcasts.confirm(
                db,
                admin,
                Draft(f"Thông báo số {n + 1}", field="tp" if n == 8 else None),
                settings=app.settings,
                now=clock(),
            )
    await deliver(app, {"501": "sent", "502": "failed"})
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        page = (await client.get("/staff/announcements")).text
        assert "Trang 1/2 · tổng cộng 9" in page
        rows = re.findall(r"<tr>\s*<td><a [^>]*>(\d+)</a></td>(.*?)</tr>", page, re.S)
        cells = [[c.strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)] for _, row in rows]
        assert [n for n, _ in rows] == ["9", "8", "7", "6", "5", "4", "3", "2"]
        assert cells[0] == [
            "18:00 26/11/2026",
            "Tư pháp – Hộ tịch",
            "Thông báo số 9",
            "đang gửi",
            "1",
            "0",
            "0",
            "0",
        ]
        assert cells[1][4:] == ["1", "1", "2", "0"]  # delivered, failed, remaining, not sent
        older = (await client.get("/staff/announcements?page=2")).text
        assert "Trang 2/2 · tổng cộng 9" in older and ">1</a></td>" in older
    assert len(await entries(app, action="broadcast_list", allowed=True)) == 2


async def test_a_leader_is_refused_and_audited(app, clock):
    await town(app, clock)
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    leader = await add_staff(app, clock, 10, "leader", "Chủ tịch phường")
    async with app.sessionmaker() as db, db.begin():
        broadcast = await broadcasts.confirm(
            db, admin, Draft("Thông báo"), settings=app.settings, now=clock()
        )
    path = f"/staff/announcements/{broadcast.id}"
    async with serve_console(app, clock) as served, await signed_in(served, leader) as client:
        for page in ("/staff/announcements", path):
            refused = await client.get(page)
            assert refused.status_code == 403 and NOT_YOUR_ROLE in refused.text, page
        as_json = await client.get(f"{path}/progress.json")
        assert as_json.status_code == 403 and as_json.json() == {"error": NOT_YOUR_ROLE}
        token = await csrf_of(client, "/staff")
        for action in ("/staff/announcements/preview", "/staff/announcements/send"):
            posted = await client.post(
                action,
                data={"csrf": token, "text": TEXT},
                files={"attachment": ("a.png", PHOTO, "image/png")},
            )
            assert posted.status_code == 403 and NOT_YOUR_ROLE in posted.text, action
        stop = await client.post(f"{path}/stop", data={"csrf": token})
        assert stop.status_code == 403 and NOT_YOUR_ROLE in stop.text
    assert len(await stored(app, Broadcast)) == 1
    assert {d.status for d in await stored(app, Delivery)} == {"pending"}
    refusals = [
        (e.action, e.actor_role)
        for e in await entries(app, allowed=False)
        if e.action.startswith("broadcast")
    ]
    assert refusals == [
        ("broadcast", "leader"),
        ("broadcast_list", "leader"),
        ("broadcast_list", "leader"),
        ("broadcast", "leader"),
        ("broadcast_send", "leader"),
        ("broadcast_stop", "leader"),
    ]
    folder = Path(app.settings.database_url.split("///", 1)[-1]).parent / "announcements"
    assert not folder.exists() or not any(folder.iterdir())  # no file kept for a refusal


async def test_a_file_from_the_console_is_uploaded_once_then_sent_by_its_id(app, tmp_path):
    """The engine's Telegram sender uploads a file on disk to the first chat and sends
    Telegram's id of it to the others; a file written again is uploaded again."""
    from types import SimpleNamespace

    from aiogram.types import FSInputFile

    from bot.delivery.senders import TelegramSender

    class Bot:
        def __init__(self) -> None:
            self.files: list[object] = []

        async def send_photo(self, chat, file, **_options):
            self.files.append(file)
            size = SimpleNamespace(file_id=f"photo-{len(self.files)}")
            return SimpleNamespace(photo=[SimpleNamespace(file_id="thumb"), size], document=None)

    path = tmp_path / "thong-bao.png"
    path.write_bytes(PHOTO)
    draft = Draft(TEXT, media=broadcasts.Media("photo", None, path.name, str(path)))
    payload = broadcasts.render(draft, "telegram", "vi", app.settings).payload()
    assert payload["media"] == {"kind": "photo", "path": str(path), "name": path.name}
    bot = Bot()
    sender = TelegramSender(bot)
    for chat in ("501", "502", "503"):
        [part] = sender.parts(payload, "vi")
        await sender.send_part(chat, part)
    assert isinstance(bot.files[0], FSInputFile) and bot.files[1:] == ["photo-1", "photo-1"]
    path.write_bytes(PHOTO + b"changed")
    [part] = sender.parts(payload, "vi")
    await sender.send_part("504", part)
    assert isinstance(bot.files[3], FSInputFile)


async def test_a_file_too_large_is_refused_with_the_reason(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        token = await csrf_of(client, "/staff/announcements")
        for size in (10 * 1024 * 1024 + 1, 12 * 1024 * 1024):  # past the limit, past the body's
            page = await client.post(
                "/staff/announcements/preview",
                data={"csrf": token, "text": TEXT},
                files={"attachment": ("a.pdf", b"x" * size, "application/pdf")},
            )
            assert "Tệp đính kèm lớn hơn 10 MB." in page.text, size
    assert await stored(app, Broadcast) == []


def test_attachments_are_kept_a_week(tmp_path):
    import os
    import time

    from bot.web.pages.announcements import KEEP_ATTACHMENTS, TOKEN, remove_old

    now = time.time()
    old, recent, other = tmp_path / ("a" * 32), tmp_path / ("b" * 32), tmp_path / "not-ours"
    for folder in (old, recent, other):
        folder.mkdir()
        (folder / "f.png").write_bytes(PHOTO)
        os.utime(folder, (now - KEEP_ATTACHMENTS - 60,) * 2)
    os.utime(recent, (now - KEEP_ATTACHMENTS + 60,) * 2)
    assert TOKEN.match(old.name) and not TOKEN.match(other.name)
    assert remove_old(tmp_path, now) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([recent.name, other.name])


@needs_chromium
async def test_an_admin_composes_previews_sends_and_sees_it_sent(
    app, clock, telegram, browser_factory, tmp_path
):
    async with app.sessionmaker() as db, db.begin():
        await opted_in_residents(db, 2, FIRST_CHAT)
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    photo = tmp_path / "hop-to-dan-pho.png"
    photo.write_bytes(PHOTO)
    async with serve_console(app, clock) as served:
        async with served.context.sessionmaker() as db, db.begin():
            from bot.web.auth import start_session

            token = await start_session(db, admin.id, clock())
        browser = browser_factory(served.base_url)
        await browser.open("/static/style.css")
        await browser.call(
            browser.driver.add_cookie, {"name": "doithoai_staff", "value": token, "path": "/"}
        )
        await browser.open("/staff/announcements")
        await browser.type_into("Nội dung thông báo", TEXT)
        field = await browser.field("Ảnh hoặc tài liệu (không bắt buộc, tối đa 10 MB)")
        await browser.call(field.send_keys, str(photo))
        await browser.press("Xem trước")
        page = await showing(browser, "Thông báo sẽ được gửi tới 2 người dân")
        assert f"{HEADER_VI}\n\n{TEXT}" in page
        await browser.press("📨 Gửi")
        await showing(browser, "đang gửi")
        await app.delivery.drain()
        shown_page = await showing(browser, "đã gửi xong")
        assert "✅ Đã gửi xong thông báo trong" in shown_page
        figures = await browser.find("td[data-key=sent]")
        assert await browser.call(lambda: figures.text) == "2"
    for chat in (501, 502):
        [received] = telegram.chat_messages(chat)
        assert received.content == PHOTO and received.text == f"{HEADER_VI}\n\n{TEXT}"
    async with app.sessionmaker() as db:
        statuses = (await db.execute(select(Delivery.status))).scalars().all()
    assert statuses == ["sent", "sent"]
