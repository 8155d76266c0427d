"""/stats and /export on Telegram through the real dispatcher: who may use them, the figures a
leader reads on the phone (checked against the stored rows), the files an admin receives (read
back), the named export refused to leaders and audited for admins."""

from __future__ import annotations

import io
from collections import Counter

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEntry
from tests.support.exports import export_files
from tests.support.reports import team
from tests.support.seed import counted, reference_scale
from tests.support.staff_chat import ADMIN, admin, person  # noqa: F401

LEADER, FRONT, OFFICIAL, RESIDENT = 10, 11, 20, 501
NOT_YOUR_ROLE = (
    "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này. Vui lòng liên hệ "
    "Văn phòng HĐND và UBND phường nếu cần."
)
ONLY_STAFF = "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."


async def audit(app, action: str) -> list[AuditEntry]:
    async with app.sessionmaker() as db:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await db.execute(stmt)).scalars())


async def test_stats_for_leaders_and_the_front_only(app, admin, person, data):
    rows, ids, _ = data
    await team(admin)
    leader, front, official = person(LEADER), person(FRONT), person(OFFICIAL)
    resident = person(RESIDENT)

    await leader.send("/stats")  # the open session: "Hội nghị tháng 12"
    text = leader.last().text
    main = counted(rows)
    channels = Counter(r.channel for r in main)
    assert text.startswith("📊 Hội nghị tháng 12")
    assert (
        f"Phiếu khảo sát: {len(main)} (Telegram {channels['telegram']} · Zalo {channels['zalo']}"
        f" · Trang web {channels['web']} · Phiếu giấy {channels['paper']}"
        f" · Dùng thử trên máy tính {channels['console']})"
    ) in text
    dc = reference_scale(counted(rows, "dc"), ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"], 4)
    expected_dc = (
        f"• Địa chính (đất đai): {round(dc['satisfied_pct'])}% · {dc['mean']:.1f}".replace(".", ",")
        + f" · {len(counted(rows, 'dc'))}\n"
    )
    assert expected_dc in text
    assert "Câu hỏi của người dân: 4" in text
    assert "• Địa chính (đất đai): đã tiếp nhận 2, đã trả lời 1" in text
    assert "Đang chờ trả lời" in text and "• chưa phân công: 3" in text
    # The other sessions as buttons; a tap shows that one's figures.
    assert leader.last().buttons() == [
        f"#{ids['empty']} · Hội nghị chưa có ai",
        f"#{ids['other']} · Hội nghị tháng 6",
    ]
    await leader.tap(f"#{ids['empty']} · Hội nghị chưa có ai", on=leader.last())
    assert "Chưa có phiếu khảo sát nào." in leader.last().text

    await front.send(f"/stats {ids['other']}")
    assert leader.last().text != front.last().text
    assert front.last().text.startswith("📊 Hội nghị tháng 6")
    assert "Phiếu khảo sát: 4 (Telegram 4" in front.last().text

    await official.send("/stats")
    assert official.last().text == NOT_YOUR_ROLE
    await resident.send("/stats")
    assert resident.last().text == ONLY_STAFF
    refusals = [e for e in await audit(app, "view_stats") if not e.allowed]
    assert [e.actor_telegram_id for e in refusals] == [OFFICIAL, RESIDENT]

    await leader.send("/stats 999")
    assert leader.last().text == "Không tìm thấy kỳ đối thoại này."


async def test_export_sends_the_files_to_an_admin(app, admin, person, data, telegram):
    rows, ids, questions = data
    await admin.send("/export")
    assert admin.last().text == "Xuất kết quả của kỳ đối thoại nào?"
    assert f"#{ids['main']} · Hội nghị tháng 12" in admin.last().buttons()
    await admin.tap(f"#{ids['main']} · Hội nghị tháng 12", on=admin.last())
    files = {d.filename: d.content for d in telegram.documents(ADMIN)}
    stem = f"doithoai-s{ids['main']}-20261126"
    assert set(files) == export_files(stem)
    book = load_workbook(io.BytesIO(files[f"{stem}.xlsx"]), read_only=True)
    raw = list(book["Dữ liệu thô"].iter_rows(values_only=True))
    assert len(raw) - 1 == len(counted(rows))
    report = Document(io.BytesIO(files[f"{stem}-report.docx"]))
    assert any("Hội nghị tháng 12" in p.text for p in report.paragraphs)
    assert admin.last().text == (
        f"✅ Đã gửi 9 tệp: {len(counted(rows))} phiếu khảo sát, "
        f"{sum(not h for *_, h in questions)} câu hỏi."
    )
    [entry] = await audit(app, "export")
    assert (entry.actor_telegram_id, entry.allowed, entry.target) == (
        ADMIN,
        True,
        f"session:{ids['main']}",
    )


async def test_named_exports_are_for_admins_and_audited(app, admin, person, data, telegram):
    _, ids, _ = data
    await team(admin)
    leader, front = person(LEADER), person(FRONT)
    await leader.send(f"/export {ids['main']} named")
    assert leader.last().text == NOT_YOUR_ROLE
    assert telegram.documents(LEADER) == []
    await front.send(f"/export {ids['main']}")
    assert front.last().text == NOT_YOUR_ROLE
    await leader.send("/export 31/12/2026 01/12/2026")
    assert leader.last().text == "Ngày bắt đầu phải trước ngày kết thúc."
    await leader.send("/export hôm qua")
    assert leader.last().text.startswith("Xin gõ /export để chọn kỳ đối thoại")

    await admin.send(f"/export {ids['main']} named")
    questions = next(d for d in telegram.documents(ADMIN) if d.filename.endswith(".xlsx"))
    header = next(
        load_workbook(io.BytesIO(questions.content))["Câu hỏi"].iter_rows(values_only=True)
    )
    assert header[-2:] == ("Họ tên", "Điện thoại")
    assert "🔐" in admin.last().text
    [named] = [e for e in await audit(app, "export_named") if e.allowed]
    assert (named.actor_telegram_id, named.allowed, named.detail) == (ADMIN, True, {"named": True})
    refused = [
        e for e in await audit(app, "export_named") + await audit(app, "export") if not e.allowed
    ]
    assert {e.actor_telegram_id for e in refused} == {LEADER, FRONT}

    await leader.send("/export 01/11/2026 30/11/2026")
    assert leader.last().text.startswith("✅ Đã gửi 9 tệp")
    assert any(
        d.filename.startswith("doithoai-20261101-20261130") for d in telegram.documents(LEADER)
    )
