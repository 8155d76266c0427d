"""Where a resident lands, the main menu, the upcoming sessions and the language switch (as
`handlers/menu.py` and `handlers/common.open_home`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import i18n
from bot.conversation import parsing
from bot.conversation.errors import Retry
from bot.conversation.parsing import Keyword
from bot.conversation.replies import numbered
from bot.conversation.screens import survey
from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import question as journey_question
from bot.journey import survey as journey_survey
from bot.journey.steps import Step
from bot.services import residents, sessions
from bot.services import survey as survey_service
from bot.texts import plain, session_entry

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn


async def land(conv: TextConversation, turn: Turn, *, resume: bool = False) -> None:
    """Consent first for someone new; their unfinished rating if there is one; else the
    menu. The same landing rules as Telegram's /start (`bot.journey.survey.landing`)."""
    resident_id = turn.resident.id if turn.resident else None
    landing = await journey_survey.landing(turn.db, resident_id, resume=resume)
    if landing.response_id is not None:
        draft = await survey_service.load(turn.db, conv.survey, landing.response_id, resident_id)
        if draft is not None:
            turn.replies.append(_("Welcome back! You can continue where you left off."))
            survey.open_draft(turn, draft)
            return
        turn.go(Step.MENU)
        return
    turn.go(landing.step)


async def go(conv: TextConversation, turn: Turn, step: Step) -> None:
    """To the screen of a journey step; `HOME` lands as after a (re)start."""
    if step is Step.HOME:
        await land(conv, turn, resume=True)
    else:
        turn.go(step)


# The menu's entries that open a part of the journey.
MENU_STEPS = {"rate": Step.FIELD, "ask": Step.ASK_FIELD, "mine": Step.MINE}


def menu_items(turn: Turn) -> list[tuple[str, str]]:
    items = []
    field = turn.state.get("menu_draft_field")
    if field:
        items.append(("continue", _("▶️ Continue rating: {draft_field}").format(draft_field=field)))
    items += [
        ("rate", _("📝 Rate a field's procedures")),
        ("ask", _("✉️ Send a question or recommendation")),
        ("mine", _("📬 My questions")),
        ("sessions", _("📅 Upcoming dialogue sessions")),
        ("language", _("🌐 Switch to the other language")),
        ("data", _("🔒 My data")),
    ]
    return items


async def show_menu(conv: TextConversation, turn: Turn) -> str:
    turn.state["menu_draft_field"] = None
    turn.state["menu_draft"] = None
    resident_id = turn.resident.id if turn.resident else None
    summary = await journey_survey.unfinished_rating(turn.db, resident_id)
    if summary is not None:
        field = conv.survey.field(summary.field)
        turn.state["menu_draft"] = summary.response_id
        turn.state["menu_draft_field"] = field.label.get(turn.locale) if field else ""
    items = menu_items(turn)
    return "\n".join(
        [
            plain(_("<b>Main menu</b>")),
            _("What would you like to do?"),
            numbered([(i, label) for i, (_key, label) in enumerate(items, start=1)]),
            _("Reply with a number."),
        ]
    )


async def on_menu(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    items = menu_items(turn)
    number = parsing.parse_number(text)
    if number is None or not 1 <= number <= len(items):
        raise Retry(_("Please reply with a number from 1 to {last}.").format(last=len(items)))
    await open_entry(conv, turn, items[number - 1][0])


async def open_entry(conv: TextConversation, turn: Turn, choice: str) -> None:
    """What a menu entry leads to (also the numbered replies of a reminder)."""
    if choice == "continue":
        draft = await survey_service.load(
            turn.db, conv.survey, turn.state["menu_draft"], turn.resident.id
        )
        if draft is None:
            turn.go(Step.MENU)
            return
        survey.open_draft(turn, draft)
    elif choice in MENU_STEPS:
        resident_id = turn.resident.id if turn.resident else None
        step = await journey_consent.menu_entry(turn.db, resident_id, MENU_STEPS[choice])
        if step is Step.ASK_FIELD:  # a question left half-way is waiting where it stopped
            step = journey_question.resume_step(turn.state.get("ask") or {})
        turn.go(step)
    elif choice == "sessions":
        turn.go(Step.SESSIONS)
    elif choice == "language":
        await switch_language(turn)
    else:
        turn.go(Step.DATA)


async def switch_language(turn: Turn) -> None:
    turn.locale = "en" if turn.locale == "vi" else "vi"
    if turn.resident is not None:
        await residents.set_locale(turn.db, turn.resident.id, turn.locale)
    else:
        turn.state["locale"] = turn.locale
    i18n.set_locale(turn.locale)


async def rate_now(conv: TextConversation, turn: Turn) -> None:
    """The reminder's word "đánh giá": the rating left half-way, else a field to rate."""
    resident_id = turn.resident.id if turn.resident else None
    summary = await journey_survey.unfinished_rating(turn.db, resident_id)
    if summary is not None:
        draft = await survey_service.load(
            turn.db, conv.survey, summary.response_id, turn.resident.id
        )
        if draft is not None:
            survey.open_draft(turn, draft)
            return
    await open_entry(conv, turn, "rate")


async def lost(conv: TextConversation, turn: Turn) -> str:
    """A rating that is gone (submitted elsewhere, erased): the menu, with a word why."""
    turn.go(Step.MENU)
    return "\n\n".join(
        [
            _("This rating is no longer available. Please start again from the menu."),
            await show_menu(conv, turn),
        ]
    )


# --- after a reminder of an earlier version (its numbered replies) ------------------------


async def show_reminder(conv: TextConversation, turn: Turn) -> str:
    return _("Reply 1 to send a question, 2 to rate a field.")


async def on_reminder(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    """A conversation an earlier version put here when it sent a reminder (reminders now
    leave the conversation where it is): 1 sends a question, 2 rates a field; anything
    else is taken as if no reminder had come."""
    turn.state.pop("session", None)
    number = parsing.parse_number(text)
    if number in (1, 2):
        await open_entry(conv, turn, "ask" if number == 1 else "rate")
    else:
        await land(conv, turn, resume=True)


# --- sessions ---------------------------------------------------------------------------


async def show_sessions(conv: TextConversation, turn: Turn) -> str:
    lines = [plain(_("<b>Upcoming dialogue sessions</b>"))]
    upcoming = await sessions.upcoming(turn.db, turn.now, conv.settings.zone)
    lines += [plain(session_entry(session, conv.settings)) for session in upcoming]
    if not upcoming:
        lines.append(_("No session is planned yet."))
    lines.append(_("0 = back to the menu"))
    return "\n\n".join(lines)


async def on_sessions(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    turn.go(Step.MENU)
