"""The notice and the consent for each purpose, one per screen (as `handlers/consent.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import parsing
from bot.conversation.parsing import Keyword
from bot.conversation.replies import consent_question, numbered, yes_no_hint, yes_or_no
from bot.conversation.screens import home
from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey.steps import Step
from bot.services import residents
from bot.services.consent import Purpose
from bot.texts import NOTICE, NOTICE_SHORT, ward_committee

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn

# Words that ask for the full notice, besides "9" (read with or without diacritics).
DETAILS_WORDS = ["chi tiết", "đầy đủ", "details", "more"]


async def show_notice(conv: TextConversation, turn: Turn) -> str:
    """The notice in one phone screen; "9" shows it in full, once, above the question."""
    details = turn.state.pop("notice_details", False)
    notice = _(NOTICE if details else NOTICE_SHORT).format(
        ward=ward_committee(conv.settings), months=conv.settings.retention_months
    )
    parts = [notice]
    if not details:
        parts.append(_("9 = read the full notice"))
    return "\n\n".join([*parts, consent_question(Purpose.SURVEY), yes_no_hint()])


async def on_notice(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    if parsing.parse_number(text) == 9 or parsing.match_label(text, DETAILS_WORDS) is not None:
        turn.state["notice_details"] = True
        return
    given = yes_or_no(text)
    await record_consent(conv, turn, Purpose.SURVEY, given)
    turn.go(journey_consent.after_notice(Purpose.SURVEY, given))


async def show_reminders(conv: TextConversation, turn: Turn) -> str:
    return "\n".join(
        [
            consent_question(Purpose.REMINDERS),
            _("Only this chat account is used; no phone number is needed."),
            "",
            yes_no_hint(),
        ]
    )


async def on_reminders(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    given = yes_or_no(text)
    await record_consent(conv, turn, Purpose.REMINDERS, given)
    turn.go(journey_consent.after_notice(Purpose.REMINDERS, given))


async def show_contact(conv: TextConversation, turn: Turn) -> str:
    return "\n".join(
        [
            consent_question(Purpose.CONTACT),
            _("Without this, your opinions stay anonymous and go only into the conference digest."),
            "",
            yes_no_hint(),
        ]
    )


async def on_contact(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    given = yes_or_no(text)
    await ensure_resident(conv, turn)
    decision = await journey_consent.decide_contact(
        turn.db,
        turn.resident.id,
        given,
        asked_on=Step.CONSENT_CONTACT,
        channel=turn.inbound.channel,
        settings=conv.settings,
        now=turn.now,
    )
    await home.go(conv, turn, decision.step)


async def show_declined(conv: TextConversation, turn: Turn) -> str:
    return "\n\n".join(
        [
            _(
                "Your choice is recorded: you will not be asked survey questions, and "
                "nothing else about you is stored. You can still see the upcoming dialogue "
                "sessions, and change your mind at any time from the menu."
            ),
            numbered([(1, _("Main menu"))]),
        ]
    )


async def on_declined(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    turn.go(Step.MENU)


async def record_consent(conv: TextConversation, turn: Turn, purpose: Purpose, given: bool) -> None:
    """A decision on the notice's screens: the first one creates the resident."""
    await ensure_resident(conv, turn)
    await log_consent(conv, turn, purpose, given)


async def ensure_resident(conv: TextConversation, turn: Turn) -> None:
    inbound = turn.inbound
    if turn.resident is None:
        turn.resident = await residents.get_or_create(
            turn.db, inbound.channel, inbound.user_id, turn.locale
        )
        conv.forget_first_contact(inbound)
        turn.state.pop("locale", None)


async def log_consent(conv: TextConversation, turn: Turn, purpose: Purpose, given: bool) -> None:
    """Log a known resident's decision from this channel under the current notice."""
    await journey_consent.record(
        turn.db,
        turn.resident.id,
        purpose,
        given,
        channel=turn.inbound.channel,
        settings=conv.settings,
        now=turn.now,
    )
