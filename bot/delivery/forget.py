"""Staff messages in the outbox that quote a resident's questions lose those entries when the
resident erases their data (bot/services/data_rights.py). The entries are those of the morning
digest (scheduler/digests.py `digest_text`): "• <b>CODE</b> · field · status" and the quoted
first line under it."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, use_locale
from models import Delivery


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def without_questions(text: str, codes: Sequence[str]) -> str:
    """A digest's text with these questions' entries replaced by a note that they were
    deleted; any other line naming one of them goes too."""
    note = "• " + _("<i>A question deleted at the resident's request.</i>")
    for code in codes:
        entry = re.compile(rf"• <b>{re.escape(esc(code))}</b>[^\n]*(?:\n  <i>[^\n]*</i>)?")
        text = entry.sub(lambda _match: note, text)
    return "\n".join(line for line in text.split("\n") if not any(c in line for c in codes))


async def forget_questions(db: AsyncSession, codes: Sequence[str], locale: str) -> int:
    """Staff messages in the outbox that quote these questions (digests: sent or not, they are
    addressed to staff, not to the resident) lose those entries. Returns how many changed."""
    if not codes:
        return 0
    as_text = cast(Delivery.payload, Text)
    stmt = select(Delivery.id, Delivery.payload).where(
        Delivery.resident_id.is_(None), or_(*(as_text.contains(code) for code in codes))
    )
    changed = 0
    with use_locale(locale):
        for delivery_id, payload in (await db.execute(stmt)).all():
            text = without_questions(payload.get("text") or "", codes)
            await db.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(payload={**payload, "text": text})
            )
            changed += 1
    return changed
