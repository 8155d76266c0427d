"""The console's Paper forms page: the printable form and the template downloaded and opened
(python-docx, openpyxl), a filled template uploaded and stored as on Telegram (counted in the
figures), a file with errors listed row by row and column by column with nothing stored, the
same file twice refused, and everyone but the Front and admins refused, audited; in Chromium,
an admin uploads a file with an error and reads its row and column on the page."""

from __future__ import annotations

import io
import re

import docx
from openpyxl import load_workbook

from bot.exports.paper_template import paper_template
from bot.services import figures
from tests.support.browser import needs_chromium
from tests.support.paper import (
    NOT_YOUR_ROLE,
    SESSION,
    TYPED,
    XLSX,
    audit,
    fill,
    paper_rows,
)
from tests.support.web import add_staff, csrf_of, serve_console, signed_in
from tests.support.web_announcements import showing

ROW = re.compile(r"<tr><td>(\d*)</td><td>([A-Za-z0-9]*)</td><td>([^<]*)</td></tr>")
BAD = [
    {"FORM": "E-1", "C1": "tp", "C2": "có", "Q3": 6},
    {"FORM": "E-2", "C1": "xx"},
    {"FORM": "E-3", "C1": "tp", "C2": "có", "O1": "vs"},  # valid, but not stored either
]
BAD_ROWS = [
    ("2", "Q3", "Dòng 2, cột Q3: “6” không phải là lựa chọn hợp lệ (1, 2, 3, 4, 5, na)."),
    (
        "3",
        "C1",
        "Dòng 3, cột C1: “xx” không phải là lĩnh vực của phiếu khảo sát "
        "(dc, tp, ld, vh, gd, ca, qs, kd, xd, kh).",
    ),
]


def template(app) -> bytes:
    return paper_template(app.survey, session_title=SESSION)


async def upload(
    client, data: bytes, name: str = "phieu.xlsx", session: int | None = None, mime: str = XLSX
):
    token = await csrf_of(client, "/staff/paper")
    fields = {"csrf": token}
    if session is not None:
        fields["session"] = str(session)
    return await client.post("/staff/paper", data=fields, files={"file": (name, data, mime)})


def problem_rows(page: str) -> list[tuple[str, str, str]]:
    return [(r, c, text.replace("&#34;", '"')) for r, c, text in ROW.findall(page)]


async def test_the_form_and_the_template_download_and_open(app, clock, data):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        page = await client.get("/staff/paper")
        assert page.status_code == 200
        assert "Tải phiếu để in (.docx)" in page.text and "Tải tệp mẫu (.xlsx)" in page.text
        assert f'<option value="{data[1]["main"]}" selected>{SESSION}' in page.text

        sheet = await client.get("/staff/paper/template.xlsx")
        assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith(XLSX)
        assert "nhap-phieu-giay.xlsx" in sheet.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(sheet.content))
        assert book.sheetnames[:3] == ["Phiếu", "Mã trả lời", "Hướng dẫn"]
        assert book["Phiếu"]["A1"].value == "FORM\nSố phiếu"
        shown = [r for r in book["Hướng dẫn"].iter_rows(values_only=True) if any(r)]
        assert shown[1][0] == f"Kỳ đối thoại: {SESSION}"

        form = await client.get("/staff/paper/form.docx")
        assert form.status_code == 200
        assert "phieu-khao-sat.docx" in form.headers["Content-Disposition"]
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(form.content)).paragraphs)
        assert "PHIẾU" in text.upper() and "[C1]" in text


async def test_a_file_with_errors_shows_each_row_and_column_and_stores_nothing(app, clock, data):
    front = await add_staff(app, clock, 11, "front", "Chủ tịch MTTQ")
    async with serve_console(app, clock) as served, await signed_in(served, front) as client:
        page = await upload(client, fill(template(app), BAD))
        assert page.status_code == 200
        assert (
            "❌ Chưa lưu phiếu nào: tệp có 2 lỗi. Đồng chí vui lòng sửa rồi gửi lại tệp."
            in page.text
        )
        assert '<th scope="col">Dòng</th><th scope="col">Cột</th>' in page.text
        assert problem_rows(page.text) == BAD_ROWS
    assert await paper_rows(app) == []
    [entry] = await audit(app, "paper_import")
    assert (entry.actor_telegram_id, entry.allowed) == (11, True)
    assert entry.detail == {"session_id": data[1]["main"], "problems": 2}


async def test_a_good_file_is_stored_and_counted_and_the_same_file_again_refused(app, clock, data):
    _rows, ids, _ = data
    front = await add_staff(app, clock, 11, "front", "Chủ tịch MTTQ")
    async with serve_console(app, clock) as served, await signed_in(served, front) as client:
        async with app.sessionmaker() as db:
            before = await figures.responses_by_field_channel(db, ids["main"])
        filled = fill(template(app), TYPED)
        page = await upload(client, filled, "phieu-thang-12.xlsx")
        assert f"✅ Đã lưu 5 phiếu giấy cho kỳ đối thoại “{SESSION}”:" in page.text
        assert "<tr><td>Tư pháp – Hộ tịch</td><td>3</td></tr>" in page.text
        assert "<tr><td>Địa chính (đất đai)</td><td>2</td></tr>" in page.text
        stored = await paper_rows(app)
        assert len(stored) == 5 and {r.session_id for r in stored} == {ids["main"]}
        assert {r.channel for r in stored} == {"paper"}
        async with app.sessionmaker() as db:
            after = await figures.responses_by_field_channel(db, ids["main"])
        assert after["tp"]["paper"] == before["tp"].get("paper", 0) + 3
        assert after["dc"]["paper"] == before["dc"].get("paper", 0) + 2

        again = await upload(client, filled, "phieu-thang-12.xlsx")
        assert "❌ Chưa lưu phiếu nào: tệp có 5 lỗi." in again.text
        assert (
            "2",
            "FORM",
            "Dòng 2, cột FORM: phiếu số “P-001” đã được nhập cho kỳ đối thoại này.",
        ) in problem_rows(again.text)
        assert len(await paper_rows(app)) == 5

        # Another session, chosen in the list: the same numbers are new there.
        other = await upload(client, fill(template(app), TYPED[:1]), session=ids["other"])
        assert "✅ Đã lưu 1 phiếu giấy cho kỳ đối thoại “Hội nghị tháng 6”:" in other.text
        assert f'<option value="{ids["other"]}" selected>' in other.text
        assert [r.session_id for r in await paper_rows(app)][-1] == ids["other"]


async def test_wrong_and_too_large_files(app, clock, data, monkeypatch):
    front = await add_staff(app, clock, 11, "front", "Chủ tịch MTTQ")
    async with serve_console(app, clock) as served, await signed_in(served, front) as client:
        pdf = await upload(client, b"%PDF-1.4", "phieu.pdf", mime="application/pdf")
        assert "Để lưu phiếu giấy, đồng chí vui lòng chọn tệp mẫu đã điền" in pdf.text
        broken = await upload(client, b"PK not really a workbook")
        assert "Không đọc được tệp này dưới dạng bảng tính Excel (.xlsx)." in broken.text
        monkeypatch.setattr("bot.web.pages.paper.MAX_BYTES", 100)
        large = await upload(client, fill(template(app), TYPED))
        assert "Tệp lớn hơn 5 MB. Đồng chí vui lòng chia thành nhiều tệp." in large.text
    assert await paper_rows(app) == []


async def test_an_official_and_a_leader_are_refused_and_audited(app, clock, data):
    front = await add_staff(app, clock, 11, "front", "Chủ tịch MTTQ")
    official = await add_staff(app, clock, 20, "official", "Cán bộ Tư pháp", ("tp",))
    leader = await add_staff(app, clock, 10, "leader", "Chủ tịch phường")
    filled = fill(template(app), TYPED)
    async with serve_console(app, clock) as served:
        async with await signed_in(served, front) as client:
            token_of_front = await csrf_of(client, "/staff/paper")
        for member in (official, leader):
            async with await signed_in(served, member) as client:
                for path in (
                    "/staff/paper",
                    "/staff/paper/template.xlsx",
                    "/staff/paper/form.docx",
                ):
                    page = await client.get(path)
                    assert page.status_code == 403 and NOT_YOUR_ROLE in page.text, path
                token = await csrf_of(client, "/staff")
                posted = await client.post(
                    "/staff/paper", data={"csrf": token}, files={"file": ("p.xlsx", filled, XLSX)}
                )
                assert posted.status_code == 403 and NOT_YOUR_ROLE in posted.text
                # Another member's form token does not pass either.
                replayed = await client.post(
                    "/staff/paper",
                    data={"csrf": token_of_front},
                    files={"file": ("p.xlsx", filled, XLSX)},
                )
                assert replayed.status_code == 403
    assert await paper_rows(app) == []
    refusals = [(e.actor_telegram_id, e.actor_role) for e in await audit(app, "paper")]
    assert refusals == [(20, "official")] * 3 + [(10, "leader")] * 3
    assert all(not e.allowed for e in await audit(app, "paper"))
    [*imports] = await audit(app, "paper_import")
    assert [(e.actor_telegram_id, e.allowed) for e in imports] == [(20, False), (10, False)]


@needs_chromium
async def test_an_admin_uploads_a_file_with_an_error_and_sees_its_row_and_column(
    app, clock, data, browser_factory, tmp_path
):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    path = tmp_path / "phieu-loi.xlsx"
    path.write_bytes(fill(template(app), BAD))
    async with serve_console(app, clock) as served:
        async with served.context.sessionmaker() as db, db.begin():
            from bot.web.auth import start_session

            token = await start_session(db, admin.id, clock())
        browser = browser_factory(served.base_url)
        await browser.open("/static/style.css")
        await browser.call(
            browser.driver.add_cookie, {"name": "doithoai_staff", "value": token, "path": "/"}
        )
        await browser.open("/staff/paper")
        await showing(browser, "Tải lên tệp mẫu đã điền")
        field = await browser.field("Tệp mẫu đã điền (.xlsx, tối đa 5 MB)")
        await browser.call(field.send_keys, str(path))
        await browser.press("Kiểm tra và lưu")
        shown = await showing(browser, "Chưa lưu phiếu nào: tệp có 2 lỗi.")
        assert BAD_ROWS[0][2] in shown
        cells = await browser.find_all("table.problems tbody tr")
        first = await browser.call(
            lambda: [td.text for td in cells[0].find_elements("css selector", "td")]
        )
        assert first == list(BAD_ROWS[0])
    assert await paper_rows(app) == []


async def test_the_pages_in_english(app, clock, data):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    async with serve_console(app, clock) as served, await signed_in(served, admin) as client:
        await client.get("/lang/en", params={"next": "/staff/paper"})
        page = await upload(client, fill(template(app), BAD))
        assert "Check and store" in page.text and "Download the template (.xlsx)" in page.text
        assert "Row 2, column Q3: “6” is not" in page.text
        sheet = await client.get("/staff/paper/template.xlsx")
        assert load_workbook(io.BytesIO(sheet.content)).sheetnames[0] == "Forms"
        announcements = await client.get("/staff/announcements")
        assert "Everyone who opted in (0)" in announcements.text
        assert "No announcement has been sent yet." in announcements.text
