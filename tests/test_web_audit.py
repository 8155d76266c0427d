"""The audit log page: admins read who did what and when (ward time), allowed or refused,
page by page and filtered; never a name, a text or a phone; others are refused and the refusal
is itself in the log."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.services import audit
from models import AuditEntry
from tests.support.web import add_staff, csrf_of, serve_console, signed_in

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOT_ALLOWED = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."


def rows_of(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_an_admin_reads_the_log_in_ward_time_filtered_and_paged(app, clock):
    admin = await add_staff(app, clock, 1, "admin", "Quản trị")
    leader = await add_staff(app, clock, 800, "leader", "Lê Văn Minh")
    async with app.sessionmaker() as db, db.begin():
        for number in range(60):
            await audit.record(
                db,
                actor_telegram_id=800,
                actor_role="leader",
                action="export",
                target=f"session:{number}",
                allowed=number % 2 == 0,
                detail={"named": False, "fields": ["tp", "dd"]},
                now=clock(),
            )
    async with serve_console(app, clock) as served:
        async with await signed_in(served, leader) as client:  # a refusal, to be listed
            assert (await client.get("/staff/audit")).status_code == 403
        async with await signed_in(served, admin) as client:
            page = await client.get("/staff/audit")
            assert page.status_code == 200
            rows = rows_of(page.text)
            assert len(rows) == 50
            when = clock().astimezone(HANOI).strftime("%d/%m/%Y %H:%M:%S")
            assert when != clock().strftime("%d/%m/%Y %H:%M:%S")  # ward time, not UTC
            assert rows[0] == [
                when,
                "800",
                "leader",
                "audit_view",
                "",
                "Bị từ chối",
                "permission=manage_staff",
            ]
            assert "Trang 1/2" in page.text
            assert "Lê Văn Minh" not in page.text and "Quản trị" not in page.text.split("<main")[1]

            refused = rows_of(
                (
                    await client.get(
                        "/staff/audit", params={"action": "export", "outcome": "refused"}
                    )
                ).text
            )
            assert len(refused) == 30
            assert {tuple(r[3:6]) for r in refused} == {
                ("export", r[4], "Bị từ chối") for r in refused
            }
            assert refused[0][6] == "named=False; fields=tp, dd"

            second = rows_of((await client.get("/staff/audit", params={"page": "2"})).text)
            assert 10 <= len(second) <= 15
    async with app.sessionmaker() as db:
        views = await db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "audit_view", AuditEntry.allowed.is_(True))
        )
    assert views == 3


async def test_others_are_refused_and_the_refusal_is_audited(app, clock):
    await add_staff(app, clock, 1, "admin", "Quản trị")
    official = await add_staff(app, clock, 700, "official", "Trần Thị Lan", ("tp",))
    async with serve_console(app, clock) as served:
        async with await signed_in(served, official) as client:
            page = await client.get("/staff/audit")
            assert page.status_code == 403 and NOT_ALLOWED in page.text
            token = await csrf_of(client, "/staff")
            for data in ({}, {"csrf": token}):  # the page takes no form: never a change
                posted = await client.post("/staff/audit", data=data)
                assert posted.status_code in (403, 405)
        async with served.client() as visitor:
            assert (await visitor.get("/staff/audit")).status_code == 303
    async with app.sessionmaker() as db:
        entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "audit_view"))
    assert (entry.actor_telegram_id, entry.actor_role, entry.allowed) == (700, "official", False)
