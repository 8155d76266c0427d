"""The engine's last consent check answers many messages with one query: each message still
gets its own answer, read after it asked (bot/delivery/consent_checks.py)."""

from __future__ import annotations

import asyncio

from bot.delivery.consent_checks import ConsentChecks
from tests.support.delivery import build, servers  # noqa: F401 (fixtures)
from tests.support.withdrawals import announce, opted_in_residents, rows_by_chat, withdraw


async def test_messages_checked_together_each_get_their_own_answer(build):
    app = await build()
    chats = ["7201", "7202", "7203", "7204"]
    ids = await opted_in_residents(app, chats)
    await announce(app)
    rows = await rows_by_chat(app)
    checks = ConsentChecks(app.sessionmaker)

    async def ask_all() -> list[bool]:
        return list(await asyncio.gather(*(checks.withdrawn(rows[c].id) for c in chats)))

    assert await ask_all() == [False, False, False, False]
    await withdraw(app, ids["7202"])
    await withdraw(app, ids["7204"])
    assert await ask_all() == [False, True, False, True]
