"""The console's staff mode: the same figures and export files as on Telegram, the same role
checks and audit, typed in a terminal."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from bot.__main__ import bootstrap_admins
from bot.channels.console_staff import run_staff_console
from models import AuditEntry
from tests.support.db_helpers import rows_of
from tests.support.seed import counted


async def session(settings, lines: list[str], telegram_id: int, out: Path) -> list[str]:
    pending = [line + "\n" for line in lines]
    printed: list[str] = []
    await run_staff_console(
        settings,
        telegram_id,
        out,
        read_line=lambda: pending.pop(0) if pending else "",
        write=printed.append,
    )
    return printed


async def test_an_admin_reads_figures_and_exports_from_the_console(
    app,
    settings,
    data,
    tmp_path,
):
    rows, ids, _ = data
    await bootstrap_admins(app, settings)
    out = tmp_path / "exports"
    printed = await session(
        settings, ["/sessions", "/stats", f"/export {ids['main']}", "/oops"], 1, out
    )
    assert printed[0].startswith("Lệnh dành cho cán bộ: /stats")
    listing, stats, export, unknown = (p for p in printed[1:] if p)
    assert f"#{ids['main']} · Hội nghị tháng 12" in listing
    assert stats.startswith("📊 Hội nghị tháng 12\n")
    assert "<b>" not in stats and f"Phiếu khảo sát: {len(counted(rows))} (" in stats
    assert export.startswith(f"✅ Đã ghi 9 tệp: {len(counted(rows))} phiếu khảo sát")
    [xlsx] = [Path(line) for line in export.splitlines() if line.endswith(".xlsx")]
    assert xlsx.parent == out
    raw = list(load_workbook(xlsx, read_only=True)["Dữ liệu thô"].iter_rows(values_only=True))
    assert len(raw) - 1 == len(counted(rows))
    assert unknown == printed[0]


async def test_someone_not_on_staff_is_refused_and_audited(app, settings, data, tmp_path):
    _, ids, _ = data
    out = tmp_path / "exports"
    printed = await session(settings, ["/stats", f"/export {ids['main']}"], 777, out)
    assert [p for p in printed[1:] if p] == [
        "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
    ] * 2
    assert not out.exists()
    async with app.sessionmaker() as db:
        refused = [e for e in await rows_of(db, AuditEntry) if not e.allowed]
    assert [(e.actor_telegram_id, e.action) for e in refused] == [
        (777, "view_stats"),
        (777, "export"),
    ]
