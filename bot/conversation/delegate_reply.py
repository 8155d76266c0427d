"""A delegate's reply to their conference invitation on Zalo or the console: the words the
invitation asks for ("có dự" / "không dự"), recorded for the session whose invitation reached
this chat last (bot/services/conference/ `reply_from_chat`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import parsing
from bot.i18n import _
from bot.services import conference

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

# Whole messages, read without diacritics.
COMING = {"co du", "se du", "co tham du", "toi se du", "will attend", "i will attend"}
NOT_COMING = {"khong du", "khong tham du", "toi khong du", "will not attend", "i will not attend"}


def reply_word(text: str) -> bool | None:
    """True for "có dự", False for "không dự", None for anything else."""
    for core in parsing.cores(text):
        folded = parsing.fold(core).strip(" .!").lower()
        if folded in COMING:
            return True
        if folded in NOT_COMING:
            return False
    return None


async def record(turn: Turn, coming: bool) -> bool:
    """The reply recorded, and the delegate thanked; False when this chat is no delegate (the
    words are then read as usual)."""
    inbound = turn.inbound
    delegate = await conference.reply_from_chat(
        turn.db, None, inbound.channel, inbound.user_id, coming, now=turn.now
    )
    if delegate is None:
        return False
    if coming:
        turn.replies.append(_("✅ Thank you: the ward office knows you will attend."))
    else:
        turn.replies.append(_("Noted: the ward office knows you will not attend."))
    return True
