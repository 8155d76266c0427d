"""The hall's projector page (issue 15): a read-only link made and revoked by the office, the
board in large type with the current question, the queue by field and the live counts, never a
resident's name, and the updates pushed by server-sent events (read here with an HTTP client,
and seen in a real headless Chromium)."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from sqlalchemy import select

from bot.services import conference, projector, staff
from bot.services.staff import PermissionDenied
from models import AuditEntry
from tests.support.browser import needs_chromium
from tests.support.conference import SECRETARY_ID, go_live, with_secretary
from tests.support.projector import link_for
from tests.support.questions import filing, make_asker, make_session
from tests.support.web import csrf_of, serve_console, signed_in

FIRST = "Đề nghị niêm yết công khai thời gian trả kết quả hộ tịch tại bộ phận một cửa."
NAMED = "Xin hỏi khi nào phường nâng cấp đường vào tổ dân phố số 5?"
LATER = "Đề nghị bố trí thêm ghế chờ cho người cao tuổi ở bộ phận một cửa."
ASKER_NAME, ASKER_PHONE = "Nguyễn Văn Tâm", "0912345678"
WAIT = 20.0  # seconds, generous: the feed reads the board every half second


async def hall(app, clock):
    """A live session with one question from the hall and one named question on the agenda."""
    now = clock()
    people, secretary = await with_secretary(app, now)
    session_id = await make_session(app)
    await go_live(app, people, session_id, now)
    first = await make_asker(app, "501")
    named = await make_asker(app, "502", channel="zalo")
    async with app.sessionmaker() as db, db.begin():
        await conference.file_from_hall(db, **filing(first, session_id, now, text=FIRST))
        await conference.file_from_hall(
            db,
            **filing(
                named,
                session_id,
                now,
                text=NAMED,
                field="dc",
                named=True,
                contact_name=ASKER_NAME,
                contact_phone=ASKER_PHONE,
            ),
        )
    return people, secretary, session_id


async def test_the_office_makes_a_link_the_page_shows_the_board_and_a_revoked_link_is_404(
    app, clock
):
    _people, secretary, session_id = await hall(app, clock)
    async with serve_console(app, clock) as served:
        office = await signed_in(served, secretary)
        page = await office.get(f"/staff/projector/{session_id}")
        assert "Kỳ đối thoại này chưa có đường dẫn màn chiếu." in page.text
        token = await csrf_of(office, f"/staff/projector/{session_id}")
        made = await office.post(f"/staff/projector/{session_id}/link", data={"csrf": token})
        link = re.search(r'id="projector-link">([^<]+)<', made.text).group(1)
        path = link.removeprefix(served.context.settings.public_url)
        assert path.startswith("/projector/")

        async with served.client() as screen:  # no sign-in
            shown = await screen.get(path)
            assert shown.status_code == 200
            text = shown.text
            assert "Hội nghị đối thoại" in text and "Phường Bình An" in text
            assert "Các câu hỏi tiếp theo" in text and FIRST in text and NAMED in text
            assert "Tư pháp – Hộ tịch" in text and "Địa chính" in text  # by field
            assert re.search(r"Câu hỏi: <b>2</b>", text)
            assert '<meta http-equiv="refresh"' in text  # without JavaScript: a snapshot
            # Never the named asker's name or phone.
            assert ASKER_NAME not in text and ASKER_PHONE not in text
            # The token is kept only as a digest.
            async with app.sessionmaker() as db:
                stored = await projector.digest_of(db, session_id)
            assert stored == projector.token_digest(path.rsplit("/", 1)[1])
            assert stored not in text and path.rsplit("/", 1)[1] not in stored

            assert (await screen.get("/projector/not-a-token")).status_code == 404
            revoked = await office.post(
                f"/staff/projector/{session_id}/revoke", data={"csrf": token}
            )
            assert "Đường dẫn màn chiếu đã bị thu hồi." in revoked.text
            assert (await screen.get(path)).status_code == 404
            assert (await screen.get(path + "/events")).status_code == 404
        await office.aclose()
    async with app.sessionmaker() as db:
        actions = [
            (e.action, e.allowed)
            for e in (await db.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
            if e.action.startswith("projector")
        ]
    assert actions == [
        ("projector_view", True),
        ("projector_view", True),
        ("projector_link", True),
        ("projector_revoke", True),
    ]


async def test_only_who_conducts_the_conference_makes_a_link(app, clock):
    people, _secretary, session_id = await hall(app, clock)
    async with app.sessionmaker() as db:
        try:
            await projector.projector_link(db, people.official_tp, session_id, now=clock())
        except PermissionDenied:
            await db.commit()
        else:
            raise AssertionError("an official made a projector link")
    async with app.sessionmaker() as db:
        refused = (
            (await db.execute(select(AuditEntry).where(AuditEntry.allowed.is_(False))))
            .scalars()
            .all()
        )
        assert [(e.action, e.target) for e in refused] == [
            ("projector_link", f"session:{session_id}")
        ]
        assert await projector.digest_of(db, session_id) is None
    # The secretary may; a new link ends the old one.
    first = await link_for(app, SECRETARY_ID, session_id, clock())
    second = await link_for(app, people.admin, session_id, clock())
    async with app.sessionmaker() as db:
        assert await projector.session_of_token(db, first) is None
        assert await projector.session_of_token(db, second) == session_id


async def next_event(response: aiohttp.ClientResponse) -> tuple[str, str]:
    """(event name, data) of the next event of a stream; comments are skipped."""
    name, data = "message", []
    while True:
        line = (await response.content.readline()).decode()
        if line == "":
            raise AssertionError("the stream ended")
        line = line.rstrip("\n")
        if not line:
            if data or name != "message":
                return name, "\n".join(data)
            continue
        if line.startswith(":") or line.startswith("retry:") or line.startswith("id:"):
            continue
        key, _, value = line.partition(": ")
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)


async def event_with(response, text: str) -> str:
    async with asyncio.timeout(WAIT):
        while True:
            name, data = await next_event(response)
            assert name == "board", (name, data)
            if text in data:
                return data


async def test_the_stream_sends_the_new_board_after_a_new_question_and_ends_when_revoked(
    app, clock
):
    people, secretary, session_id = await hall(app, clock)
    token = await link_for(app, secretary, session_id, clock())
    async with serve_console(app, clock) as served, aiohttp.ClientSession() as http:
        url = f"{served.base_url}/projector/{token}/events"
        async with http.get(url) as stream:
            assert stream.status == 200
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            first = await event_with(stream, FIRST)
            assert LATER not in first
            newcomer = await make_asker(app, "503")
            async with app.sessionmaker() as db, db.begin():
                await conference.file_from_hall(
                    db, **filing(newcomer, session_id, clock(), text=LATER)
                )
            board = await event_with(stream, LATER)
            assert "Câu hỏi: <b>3</b>" in board
            assert ASKER_NAME not in board and ASKER_PHONE not in board
            # The question the secretary picks is shown as the one being answered.
            async with app.sessionmaker() as db, db.begin():
                later_id = (await conference.board(db, session_id)).waiting[-1].question_id
                await conference.pick_current(db, secretary, session_id, later_id, now=clock())
            now_answering = await event_with(stream, "Đang trả lời")
            assert now_answering.index(LATER) < now_answering.index("Các câu hỏi tiếp theo")
            # Revoked: the open stream is told and ends.
            async with app.sessionmaker() as db, db.begin():
                await projector.revoke_projector_link(db, people.admin, session_id, now=clock())
            async with asyncio.timeout(WAIT):
                while True:
                    name, _data = await next_event(stream)
                    if name == "closed":
                        break
            async with asyncio.timeout(WAIT):
                assert await stream.content.read() == b""  # the server ended it


@needs_chromium
async def test_the_projector_in_a_browser_shows_a_new_question_by_itself(
    app, clock, browser_factory
):
    _people, secretary, session_id = await hall(app, clock)
    token = await link_for(app, secretary, session_id, clock())
    async with serve_console(app, clock) as served:
        browser = browser_factory(served.base_url, width=1920, height=1080)
        await browser.open(f"/projector/{token}")
        await browser.wait_for_text(FIRST)
        newcomer = await make_asker(app, "504")
        async with app.sessionmaker() as db, db.begin():
            await conference.file_from_hall(db, **filing(newcomer, session_id, clock(), text=LATER))
        shown = await browser.wait_for_text(LATER, timeout=WAIT)
        assert "Câu hỏi: 3" in shown
        assert ASKER_NAME not in shown
        assert browser.path == f"/projector/{token}"  # updated in place, not reloaded


async def test_a_staff_ref_is_checked_as_stored(app, clock):
    """A secretary removed from the staff list can no longer make a link."""
    people, secretary, session_id = await hall(app, clock)
    async with app.sessionmaker() as db, db.begin():
        await staff.remove(db, people.admin, SECRETARY_ID, now=clock())
    async with app.sessionmaker() as db:
        try:
            await projector.projector_link(db, secretary, session_id, now=clock())
        except PermissionDenied:
            pass
        else:
            raise AssertionError("a removed secretary made a link")
