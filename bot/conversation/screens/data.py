"""/dulieu as numbered text: what is stored, each consent to give or withdraw, deleting
everything (as `handlers/mydata.py`)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bot.conversation import parsing
from bot.conversation.errors import Retry
from bot.conversation.parsing import Keyword
from bot.conversation.replies import numbered, yes_or_no
from bot.exports.day_before import export_dir, refresh_exports
from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import data as journey_data
from bot.journey.steps import Step
from bot.services import data_rights
from bot.services.consent import PURPOSES
from bot.texts import consent_action, data_report

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn


async def show_overview(conv: TextConversation, turn: Turn) -> str:
    if turn.resident is None:
        return _("The ward's bot stores nothing about you.")
    data = await data_rights.stored_data(turn.db, turn.resident)
    lines = data_report(data, conv.settings, markup=False)
    actions = [consent_action(data, purpose) for purpose in PURPOSES]
    actions.append(_("🗑 Delete all my data"))
    lines.append("")
    lines.append(numbered(list(enumerate(actions, start=1))))
    lines.append(_("Reply with a number; 0 = back."))
    return "\n".join(lines)


async def on_overview(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    number = parsing.parse_number(text)
    if number == 0 or word is Keyword.BACK:
        turn.go(Step.MENU)
        return
    if number is not None and 1 <= number <= len(PURPOSES):
        await journey_consent.toggle(
            turn.db,
            turn.resident.id,
            PURPOSES[number - 1],
            channel=turn.inbound.channel,
            settings=conv.settings,
            now=turn.now,
        )
        return
    if number == len(PURPOSES) + 1:
        turn.go(Step.DATA_DELETE)
        return
    raise Retry(_("Please reply with a number from 1 to {last}.").format(last=len(PURPOSES) + 1))


async def show_delete(conv: TextConversation, turn: Turn) -> str:
    return "\n\n".join(
        [
            _(
                "Delete everything the ward's bot stores about you: your chat account, "
                "consents, all your survey answers and your questions? This cannot be undone."
            ),
            numbered([(1, _("🗑 Yes, delete everything")), (2, _("No, keep my data"))]),
        ]
    )


async def on_delete(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    if not yes_or_no(text):
        turn.go(Step.DATA)
        return
    erased_sessions = await journey_data.erase(turn.db, turn.resident.id, conv.settings)
    # Once committed, the day-before files holding the resident are written without them.
    turn.after_commit.append(
        partial(
            refresh_exports,
            conv.sessionmaker,
            conv.settings,
            conv.survey,
            export_dir(conv.settings),
            erased_sessions,
        )
    )
    turn.resident = None
    turn.go(Step.DELETED)
    # Nothing is kept after this: the next message starts again with the notice.
    conv.start_afresh(turn.inbound, turn.locale)


async def show_deleted(conv: TextConversation, turn: Turn) -> str:
    return _("All your data has been deleted. Thank you for taking part.")
