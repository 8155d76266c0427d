"""A new question reaches someone who can act on it: with only ADMIN_IDS set (how a ward
starts), the admins get the notice and the morning digest; once an official holds the field
(or a leader is on staff), the office is no longer bothered with it."""

from __future__ import annotations

from bot.services import staff
from models import utcnow
from tests.support.scheduling import (  # noqa: F401 (fixtures)
    ADMIN,
    add_question,
    add_resident,
    add_session,
    add_staff,
    at,
    deliveries_of,
    local,
    schedulers,
    started,
)
from tests.support.staff_chat import admin as admin
from tests.support.staff_chat import ask, person  # noqa: F401 (a fixture)


async def test_with_only_admin_ids_the_admins_hear_of_each_new_question(app, admin, person):
    code = await ask(person(501))
    notice = admin.last("Câu hỏi mới")
    assert notice.text.startswith(f"🆕 Câu hỏi mới {code} · Tư pháp – Hộ tịch")
    assert notice.buttons() == ["📂 Mở"]
    await admin.tap("📂 Mở", on=notice)
    assert admin.last("Xin hỏi thủ tục đăng ký khai sinh").text.startswith(code)

    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    notices = len([m for m in admin.messages if "Câu hỏi mới" in m.text])
    official = person(20)
    second = await ask(person(502), "Xin hỏi đăng ký kết hôn cần giấy tờ gì?")
    assert official.last("Câu hỏi mới").text.startswith(f"🆕 Câu hỏi mới {second}")
    assert len([m for m in admin.messages if "Câu hỏi mới" in m.text]) == notices


async def test_the_admins_get_the_digest_of_fields_no_official_holds(app, schedulers, at):
    at(local(2026, 11, 30, 9))
    await add_session(app, local(2026, 12, 15, 8))
    await add_resident(app, "telegram", "501", "vi")
    async with app.sessionmaker() as db, db.begin():
        await staff.bootstrap_admins(db, [ADMIN], utcnow())
    await add_staff(app, 601, "official", ["tp"])
    await add_question(app, 1, "tp", local(2026, 11, 30, 10))
    unheld = await add_question(app, 2, "dc", local(2026, 11, 30, 10))
    instance = await started(schedulers)

    at(local(2026, 12, 1, 7, 30))
    await instance.run_due()
    digest = await deliveries_of(app, "digest:2026-12-01")
    assert set(digest) == {"601", str(ADMIN)}
    text = digest[str(ADMIN)].payload["text"]
    assert text.startswith(
        "☀️ <b>Câu hỏi thuộc lĩnh vực chưa có công chức phụ trách</b> · 01/12/2026"
    )
    assert f"• <b>{unheld}</b> · Địa chính (đất đai) · đã tiếp nhận" in text
    assert "KN-26-0001" not in text  # the official's own field
    assert text.endswith(
        "Đồng chí giao các lĩnh vực này cho công chức phụ trách bằng lệnh /staff_add hoặc "
        "/staff_set."
    )

    # With a leader on staff, who hears of every new question, the office gets no digest.
    await add_staff(app, 604, "leader")
    at(local(2026, 12, 2, 7, 30))
    await instance.run_due()
    assert set(await deliveries_of(app, "digest:2026-12-02")) == {"601"}
