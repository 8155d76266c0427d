"""/live on Telegram: the conference's live switch for admins (the same service as the
console's switch), refused and audited for anyone else, and listed in admins' /help only."""

from __future__ import annotations

from bot.services import conference
from tests.support.questions import audit_log, make_session
from tests.support.staff_chat import NOT_YOUR_ROLE, admin, official, person  # noqa: F401

USAGE = "/live số on|off: bắt đầu hoặc kết thúc phần trực tiếp"


async def live(app, session_id: int) -> bool:
    async with app.sessionmaker() as db:
        state = await conference.live_state(db, session_id)
    return bool(state and state.live)


async def test_admins_switch_the_conference_live_and_others_are_refused(app, admin, official):
    session_id = await make_session(app)
    await official.send(f"/live {session_id} on")
    assert official.last().text.startswith(NOT_YOUR_ROLE)
    assert not await live(app, session_id)
    await official.send("/help")
    assert "/live" not in official.last().text

    for wrong in ("/live", f"/live {session_id}", f"/live {session_id} maybe", "/live x on"):
        await admin.send(wrong)
        assert admin.last().text.startswith(USAGE), wrong
    await admin.send("/live 9999 on")
    assert admin.last().text == "Không tìm thấy kỳ đối thoại này."
    await admin.send(f"/live {session_id} on")
    assert admin.last().text == (
        f"🔴 Hội nghị của kỳ đối thoại số {session_id} đang diễn ra trực tiếp."
    )
    assert await live(app, session_id)
    await admin.send(f"/live {session_id} off")
    assert (
        admin.last().text
        == f"Hội nghị của kỳ đối thoại số {session_id} đã kết thúc phần trực tiếp."
    )
    assert not await live(app, session_id)
    await admin.send("/help")
    assert USAGE in admin.last().text

    switched = [e for e in await audit_log(app) if e.action == "conference_live"]
    assert [(e.actor_telegram_id, e.allowed, e.detail) for e in switched] == [
        (20, False, {"permission": "live_switch"}),
        (1, True, {"live": True}),
        (1, True, {"live": False}),
    ]
