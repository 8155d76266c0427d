""" "Delete all my data" leaves nothing linkable to the resident: every table of the database
(read from the database itself, so a table added later is covered), every conversation key
(memory, or Redis with TEST_REDIS_URL) and every file of the day-before export folders is read
before and after, and what named the resident before (their ids, question, name, phone,
tracking code, the question they were still writing) is found nowhere after. Other residents'
questions stay where they were; staff digests and the audit log keep what concerns the ward."""

from __future__ import annotations

import asyncio
import json
import os
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, Table, inspect, select

from bot.app import build_app
from bot.exports.bundle import run_export
from bot.services import questions
from bot.services.figures import Scope
from models import Account, AuditEntry, DialogueSession, StaffMember
from scheduler import digests
from tests.support.journey import SUBMIT, consent_all, rate_field_to_review, write_question
from tests.support.resident import Resident

USER = 987654321  # the resident who erases their data (Telegram user id)
OTHER = 502
OFFICIAL, LEADER = 20, 30
QUESTION = "Đề nghị sửa đèn đường hẻm 42 Lê Lợi, buổi tối rất tối"
NAME = "Trần Thị Bích Ngọc"
PHONE = "0912345678"
DRAFT = "Bản nháp chưa gửi về lối đi chung số 7731"
OTHERS_QUESTION = "Xin hỏi lịch tiếp công dân tháng 12 của phường"
TP = "Tư pháp – Hộ tịch"


@pytest.fixture
async def app(make_app, settings, telegram, clock, tmp_path):
    """The app, its conversation state in Redis when TEST_REDIS_URL is set (else in memory),
    its day-before folders under tmp_path."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        built = await make_app()
    else:
        redis = Redis.from_url(url)
        await redis.flushdb()
        await redis.aclose()
        built = build_app(
            settings.model_copy(update={"redis_url": url}), bot_session=telegram, clock=clock
        )
    built.dispatcher["export_dir"] = tmp_path / "exports"
    yield built
    if url:
        await built.close()


# --- reading everything ---------------------------------------------------------------------


def readable(value) -> str:
    """A stored value as text a person would read (JSON decoded, so Vietnamese is not
    escaped; bytes decoded)."""
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def database_text(app) -> dict[str, str]:
    """{table: every value of every row}, for every table the database holds."""

    def read(connection) -> dict[str, str]:
        found = {}
        for name in inspect(connection).get_table_names():
            table = Table(name, MetaData(), autoload_with=connection)
            rows = connection.execute(select(table)).all()
            found[name] = "\n".join(" | ".join(readable(v) for v in row) for row in rows)
        return found

    async with app.engine.connect() as connection:
        return await connection.run_sync(read)


async def storage_text(app) -> str:
    """Every conversation key and its value."""
    storage = app.dispatcher.storage
    redis = getattr(storage, "redis", None)
    lines = []
    if redis is not None:
        async for key in redis.scan_iter(match="*"):
            kind = (await redis.type(key)).decode()
            value = await redis.get(key) if kind == "string" else kind
            lines.append(f"{key.decode()} = {readable(value)}")
    else:
        for key, record in storage.storage.items():
            lines.append(f"{key} = {readable(record.data)} {record.state}")
    return "\n".join(lines)


def files_text(root: Path) -> dict[str, str]:
    """{file: its text}, for every file under the export folders (inside .xlsx and .docx
    too)."""
    found = {}
    for path in sorted(root.rglob("*")) if root.exists() else ():
        if not path.is_file():
            continue
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                text = "\n".join(readable(archive.read(n)) for n in archive.namelist())
        else:
            text = readable(path.read_bytes())
        found[str(path.relative_to(root))] = text
    return found


async def everything(app, root: Path) -> dict[str, str]:
    found = {f"table {k}": v for k, v in (await database_text(app)).items()}
    found["conversation state"] = await storage_text(app)
    found |= {f"file {k}": v for k, v in (await asyncio.to_thread(files_text, root)).items()}
    return found


def where(needle: str, found: dict[str, str]) -> set[str]:
    return {place for place, text in found.items() if needle in text}


# --- the ward around the resident ----------------------------------------------------------


async def ward(app, clock) -> int:
    """An open session tomorrow, an official for tp and a leader."""
    async with app.sessionmaker() as db, db.begin():
        session = DialogueSession(
            title="Hội nghị đối thoại tháng 11/2026",
            starts_at=clock() + timedelta(days=1),
            place="Hội trường UBND phường",
            status="open",
        )
        db.add(session)
        db.add(
            StaffMember(
                telegram_user_id=OFFICIAL, name="Cán bộ Tư pháp", role="official", fields=["tp"]
            )
        )
        db.add(
            StaffMember(telegram_user_id=LEADER, name="Lãnh đạo phường", role="leader", fields=[])
        )
        await db.flush()
        return session.id


async def ask_named(resident: Resident) -> None:
    await write_question(resident, TP, QUESTION)
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("👤 Trả lời tôi theo tên")
    await resident.send(NAME)
    await resident.send(PHONE)
    await resident.tap("📨 Gửi")
    assert "KN-26-0001" in resident.text


async def ask_anonymous(resident: Resident) -> None:
    await write_question(resident, TP, OTHERS_QUESTION)
    await resident.tap("Tiếp tục ➡️")
    await resident.tap("🕶 Gửi ẩn danh")
    await resident.tap("📨 Gửi")
    assert "KN-26-0002" in resident.text


async def morning(app, settings, session_id: int, root: Path, now: datetime) -> Path:
    """The officials' digest and the day-before files, queued for staff and not yet sent."""
    async with app.sessionmaker() as db, db.begin():
        assert await digests.send_digests(db, settings, app.survey, time(7, 30), now) == 1
        session = await db.get(DialogueSession, session_id)
    folder = digests.export_folder(root, session, now, settings)
    result = await asyncio.to_thread(
        run_export,
        settings,
        app.survey,
        Scope(session_id=session_id),
        folder,
        now=now,
        locale="vi",
    )
    async with app.sessionmaker() as db, db.begin():
        session = await db.get(DialogueSession, session_id)
        assert await digests.record_export(db, settings, session, result, now) > 0
    return folder


async def test_deleting_everything_leaves_nothing_linkable(
    app, telegram, settings, clock, tmp_path
):
    root = tmp_path / "exports"
    session_id = await ward(app, clock)
    resident = Resident(app, telegram, USER, "vi")
    other = Resident(app, telegram, OTHER, "vi")
    await consent_all(resident, contact=True)
    await rate_field_to_review(resident)
    await resident.tap(SUBMIT["vi"])
    await resident.tap("🏠 Menu chính")
    await ask_named(resident)
    await consent_all(other)
    await ask_anonymous(other)
    async with app.sessionmaker() as db, db.begin():
        mine = await questions.view_for_staff(db, OFFICIAL, 1, clock())  # audited
        assert mine.code == "KN-26-0001"
    folder = await morning(app, settings, session_id, root, clock())
    await resident.tap("🏠 Menu chính")
    await write_question(resident, TP, DRAFT)  # left half-way: kept in the chat's state
    async with app.sessionmaker() as db:
        resident_id = await db.scalar(
            select(Account.resident_id).where(Account.external_id == str(USER))
        )

    before = await everything(app, root)
    private = {
        "resident key": resident_id,
        "Telegram id": str(USER),
        "question": "hẻm 42 Lê Lợi",
        "name": NAME,
        "phone": PHONE,
        "tracking code": "KN-26-0001",
        "draft": DRAFT,
    }
    # Each of these is somewhere before: the checks below can fail.
    assert where(private["question"], before) >= {"table deliveries", "table resident_questions"}
    assert any(p.startswith("file ") for p in where(private["question"], before))
    assert where(private["tracking code"], before) >= {"table audit_log", "table deliveries"}
    assert where(private["draft"], before) == {"conversation state"}
    assert where(private["Telegram id"], before) >= {"conversation state", "table accounts"}
    assert where(NAME, before) == {"table resident_questions"}

    await resident.send("/dulieu")
    await resident.tap("🗑 Xóa toàn bộ dữ liệu của tôi")
    await resident.tap("🗑 Có, xóa tất cả")
    assert resident.text == "Toàn bộ dữ liệu của Ông/Bà đã được xóa. Cảm ơn Ông/Bà đã tham gia."

    after = await everything(app, root)
    for what, needle in private.items():
        assert where(needle, after) == set(), what
    # The other resident's question is still in the staff digest and the files to be sent,
    # written again without the erased resident under the same names.
    assert where("lịch tiếp công dân tháng 12", after) >= {
        "table deliveries",
        "table resident_questions",
    }
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        Path(k[len("file ") :]).name for k in before if k.startswith("file ")
    )
    assert any("lịch tiếp công dân" in after[k] for k in after if k.startswith("file "))
    async with app.sessionmaker() as db:
        entry = (
            await db.execute(select(AuditEntry).where(AuditEntry.action == "view"))
        ).scalar_one()
    digest = (await database_text(app))["deliveries"]
    # The audit log keeps who looked at a question and when, not which one.
    assert (entry.actor_telegram_id, entry.target) == (OFFICIAL, "question:erased")
    assert "Một câu hỏi đã được xóa theo yêu cầu của người dân." in digest

    await resident.tap("Bắt đầu lại")
    assert "1/3." in resident.text  # a new start asks for consent again
    assert where(str(USER), await everything(app, root)) == {"conversation state"}
