"""The Exports page: each conference file downloads and opens, or all in one zip; a leader's
export is pseudonymised and a leader asking for names is refused; every export audited as
/export is; the files are only for the staff member who asked. In Chromium too."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.services import staff as staff_service
from models import AuditEntry, ResidentQuestion
from tests.support.browser import needs_chromium
from tests.support.exports import export_files
from tests.support.reports import team
from tests.support.seed import counted
from tests.support.staff_chat import admin, person  # noqa: F401
from tests.support.web import csrf_of, serve_console, signed_in

ADMIN, LEADER, FRONT, OFFICIAL = 1, 10, 11, 20
NOT_YOUR_ROLE = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."
PHONE = "0912345678"


async def staff_ref(app, telegram_id: int):
    async with app.sessionmaker() as db:
        return await staff_service.find(db, telegram_id)


async def a_named_question(app) -> None:
    async with app.sessionmaker() as db, db.begin():
        await db.execute(
            update(ResidentQuestion)
            .where(ResidentQuestion.code == "KN-26-0001")
            .values(named=True, contact_name="Nguyễn Văn An", contact_phone=PHONE)
        )


async def audit(app, action: str) -> list[AuditEntry]:
    async with app.sessionmaker() as db:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await db.execute(stmt)).scalars())


async def export(client, **form) -> str:
    """Asks for an export and waits until its files are ready; the job's page."""
    token = await csrf_of(client, "/staff/exports")
    asked = await client.post("/staff/exports", data={"csrf": token, **form})
    assert asked.status_code == 303, asked.text
    job = asked.headers["Location"]
    assert re.fullmatch(r"/staff/exports/[\w-]+", job)
    first = await client.get(job)
    assert "Đang chuẩn bị…" in first.text or "Các tệp đã sẵn sàng." in first.text
    for _ in range(1200):  # the page's script asks the same way
        if (await client.get(job + "/progress")).json()["done"]:
            break
        await asyncio.sleep(0.05)
    page = await client.get(job)
    assert "Các tệp đã sẵn sàng." in page.text
    return job


def links(page: str) -> list[str]:
    return re.findall(r'href="(/staff/exports/[\w-]+/(?:files/[^"]+|all\.zip))"', page)


async def test_each_file_downloads_and_opens_and_the_zip_holds_all(app, clock, admin, data):
    rows, ids, questions = data
    await a_named_question(app)
    admin_ref = await staff_ref(app, ADMIN)
    async with serve_console(app, clock) as served, await signed_in(served, admin_ref) as client:
        form = await client.get("/staff/exports")
        assert "Hội nghị tháng 12" in form.text and 'name="named"' in form.text
        job = await export(client, kind="session", session=str(ids["main"]), named="1")
        page = (await client.get(job)).text
        assert "🔐" in page
        stem = f"doithoai-s{ids['main']}-20261126"
        found = links(page)
        assert found[0] == f"{job}/all.zip"
        assert {link.rsplit("/", 1)[1] for link in found[1:]} == export_files(stem)
        files = {}
        for link in found[1:]:
            got = await client.get(link)
            assert got.status_code == 200
            name = link.rsplit("/", 1)[1]
            assert f'filename="{name}"' in got.headers["Content-Disposition"]
            files[name] = got.content
        book = load_workbook(io.BytesIO(files[f"{stem}.xlsx"]), read_only=True)
        raw = list(book["Dữ liệu thô"].iter_rows(values_only=True))
        assert len(raw) - 1 == len(counted(rows))
        header = next(book["Câu hỏi"].iter_rows(values_only=True))
        assert header[-2:] == ("Họ tên", "Điện thoại")  # named: an admin's export
        report = Document(io.BytesIO(files[f"{stem}-report.docx"]))
        assert any("Hội nghị tháng 12" in p.text for p in report.paragraphs)
        assert files[f"{stem}-chart.png"].startswith(b"\x89PNG")
        summary_csv = files[f"{stem}-summary.csv"].decode("utf-8-sig")
        assert "Địa chính (đất đai)" in summary_csv
        packed = await client.get(found[0])
        assert packed.headers["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(packed.content))
        assert set(archive.namelist()) == export_files(stem)
        assert archive.read(f"{stem}.xlsx") == files[f"{stem}.xlsx"]
        assert f"{len(counted(rows))} phiếu khảo sát, {sum(not h for *_, h in questions)}" in page
    [entry] = await audit(app, "export_named")
    assert (entry.actor_telegram_id, entry.allowed, entry.target) == (
        ADMIN,
        True,
        f"session:{ids['main']}",
    )


async def test_a_leaders_export_is_pseudonymised_and_names_are_refused(
    app,
    clock,
    admin,
    data,
):
    _, ids, _ = data
    await team(admin)
    await a_named_question(app)
    leader, admin_ref = await staff_ref(app, LEADER), await staff_ref(app, ADMIN)
    async with serve_console(app, clock) as served, await signed_in(served, leader) as client:
        form = await client.get("/staff/exports")
        assert 'name="named"' not in form.text  # not offered to a leader
        token = await csrf_of(client, "/staff/exports")
        asked = await client.post(
            "/staff/exports",
            data={"csrf": token, "kind": "session", "session": str(ids["main"]), "named": "1"},
        )
        assert asked.status_code == 403 and NOT_YOUR_ROLE in asked.text
        job = await export(client, kind="session", session=str(ids["main"]))
        page = (await client.get(job)).text
        assert "🔐" not in page
        archive = zipfile.ZipFile(io.BytesIO((await client.get(f"{job}/all.zip")).content))
        stem = f"doithoai-s{ids['main']}-20261126"
        book = load_workbook(io.BytesIO(archive.read(f"{stem}.xlsx")), read_only=True)
        header = next(book["Câu hỏi"].iter_rows(values_only=True))
        assert "Người dân (mã ẩn danh)" in header and "Điện thoại" not in header
        for name in archive.namelist():
            if name.endswith(".csv"):
                assert PHONE not in archive.read(name).decode("utf-8-sig")
        assert PHONE.encode() not in archive.read(f"{stem}-report.docx")
        # Another staff member cannot open the leader's export, even by its address.
        async with await signed_in(served, admin_ref) as other:
            assert (await other.get(job)).status_code == 404
            assert (await other.get(f"{job}/all.zip")).status_code == 404
            assert (await other.get(f"{job}/files/{stem}.xlsx")).status_code == 404
        assert (await client.get(f"{job}/files/..%2F..%2Fetc%2Fpasswd")).status_code == 404
    refused = [e for e in await audit(app, "export_named") if not e.allowed]
    assert [(e.actor_telegram_id, e.target) for e in refused] == [
        (LEADER, f"session:{ids['main']}")
    ]
    allowed = [e for e in await audit(app, "export") if e.allowed]
    assert [(e.actor_telegram_id, e.detail) for e in allowed] == [(LEADER, {"named": False})]


async def test_a_period_and_its_wrong_dates(app, clock, admin, data):
    rows, _, _ = data
    admin_ref = await staff_ref(app, ADMIN)
    async with serve_console(app, clock) as served, await signed_in(served, admin_ref) as client:
        token = await csrf_of(client, "/staff/exports")
        backwards = await client.post(
            "/staff/exports",
            data={"csrf": token, "kind": "period", "since": "31/12/2026", "until": "01/12/2026"},
        )
        assert backwards.status_code == 400
        assert "Ngày bắt đầu phải trước ngày kết thúc." in backwards.text
        assert 'value="31/12/2026"' in backwards.text  # what was typed is kept
        words = await client.post(
            "/staff/exports",
            data={"csrf": token, "kind": "period", "since": "hôm qua", "until": ""},
        )
        assert words.status_code == 400
        assert "Xin nhập ngày đầu và ngày cuối theo dạng dd/mm/yyyy" in words.text
        job = await export(client, kind="period", since="01/11/2026", until="30/11/2026")
        page = (await client.get(job)).text
        zipped = zipfile.ZipFile(io.BytesIO((await client.get(f"{job}/all.zip")).content))
        assert set(zipped.namelist()) == export_files("doithoai-20261101-20261130")
        # Both sessions' submitted responses fall in the period.
        assert f"{len(counted(rows)) + 4} phiếu khảo sát" in page
        await client.get("/lang/en")
        assert "The files are ready." in (await client.get(job)).text
        assert "Prepare the files" in (await client.get("/staff/exports")).text
    [entry] = await audit(app, "export")
    assert entry.detail["since"].startswith("2026-11-01")


async def test_the_front_and_officials_may_not_export(app, clock, admin, data):
    _, ids, _ = data
    await team(admin)
    async with serve_console(app, clock) as served:
        for telegram_id in (FRONT, OFFICIAL):
            staff = await staff_ref(app, telegram_id)
            async with await signed_in(served, staff) as client:
                page = await client.get("/staff/exports")
                assert page.status_code == 403 and NOT_YOUR_ROLE in page.text
                token = await csrf_of(client, "/staff")
                asked = await client.post(
                    "/staff/exports",
                    data={"csrf": token, "kind": "session", "session": str(ids["main"])},
                )
                assert asked.status_code == 403
    refused = [e.actor_telegram_id for e in await audit(app, "export") if not e.allowed]
    assert refused == [FRONT, FRONT, OFFICIAL, OFFICIAL]


@needs_chromium
async def test_a_leader_downloads_an_export_in_a_browser(
    app,
    clock,
    admin,
    data,
    browser_factory,
):
    rows, ids, _ = data
    await team(admin)
    leader = await staff_ref(app, LEADER)
    async with serve_console(app, clock) as served:
        async with served.context.sessionmaker() as db, db.begin():
            from bot.web.auth import start_session

            token = await start_session(db, leader.id, clock())
        browser = browser_factory(served.base_url)
        await browser.open("/static/style.css")  # a page of the site, to set its cookie
        await browser.call(
            browser.driver.add_cookie, {"name": "doithoai_staff", "value": token, "path": "/"}
        )
        await browser.open("/staff/exports")
        await browser.wait_for_text("Xuất tệp")
        session = await browser.field("Kỳ đối thoại")
        from selenium.webdriver.support.select import Select

        await browser.call(Select(session).select_by_value, str(ids["main"]))
        await browser.press("Chuẩn bị các tệp")
        stem = f"doithoai-s{ids['main']}-20261126"
        # The page reloads itself when the files are ready: an element read just then is gone.
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )

        for _ in range(600):
            try:
                if "Các tệp đã sẵn sàng." in await browser.text():
                    await browser.press(f"{stem}.xlsx")
                    break
            except (StaleElementReferenceException, NoSuchElementException):
                pass
            await asyncio.sleep(0.1)
        target = browser.downloads / f"{stem}.xlsx"
        for _ in range(600):  # until Chromium has written the whole file
            if target.exists() and not list(browser.downloads.glob("*.crdownload")):
                break
            await asyncio.sleep(0.05)
        book = load_workbook(target, read_only=True)
        raw = list(book["Dữ liệu thô"].iter_rows(values_only=True))
        assert len(raw) - 1 == len(counted(rows))
        header = next(book["Câu hỏi"].iter_rows(values_only=True))
        assert "Điện thoại" not in header
