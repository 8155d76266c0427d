"""Sending a question or recommendation as numbered text: the same steps as on Telegram
(`handlers/question.py`): field → text → complaint check → evidence → named or anonymous →
review → send."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.conversation import parsing
from bot.conversation.errors import Retry
from bot.conversation.inbound import Inbound, Kind
from bot.conversation.parsing import Keyword
from bot.conversation.replies import choose, numbered, yes_or_no
from bot.conversation.spellings import SUPPORT_NUMBER_PREFIXES, SUPPORT_WORDS
from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import question as journey_question
from bot.journey.checks import Invalid
from bot.journey.steps import Step
from bot.services import conference, residents
from bot.services import questions as question_service
from bot.services.questions import MAX_ATTACHMENTS
from bot.texts import CLARIFY, masked_phone, plain, redirect_text
from models.conversations import load_state
from models.draft_attachments import add_draft_attachment, discard_draft_attachments

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn

# Fetches an image a resident sent by URL (Zalo's links may expire): bytes, or None on failure.
Download = Callable[[str], Awaitable[bytes | None]]
# Told the id of a question once it is stored (bot.notify.Notifier.question_filed).
OnQuestion = Callable[[int], Awaitable[Any]]


# --- the conference hall ------------------------------------------------------------------

_WORDS = "|".join(re.escape(parsing.fold(word)) for word in SUPPORT_WORDS)
_PREFIXES = "|".join(
    re.escape(parsing.fold(prefix) or prefix)
    for prefix in sorted(SUPPORT_NUMBER_PREFIXES, key=len, reverse=True)
)
_SUPPORT = re.compile(
    rf"^(?:{_WORDS})\s*(?:(?:{_PREFIXES})\s*)*((?:[a-z]{{2}}-\d{{2}}-)?\d{{1,6}})$"
)


def support_number(text: str) -> str | None:
    """The question number of "ủng hộ 12" / "ung ho so 12" / "support KN-26-0012", else None
    (the whole message must be the word and the number, so no question text is taken)."""
    for core in parsing.cores(text):
        found = _SUPPORT.match(parsing.fold(core).strip(" .!"))
        if found:
            return found.group(1).upper()
    return None


async def support_in_hall(turn: Turn, number: str) -> None:
    """One support of a question of the live conference's queue, by its number; the screen
    the resident is on stays as it was."""
    session_id = await conference.live_session_id(turn.db)
    if session_id is None:
        turn.replies.append(_("No conference is live now: supports are counted only during it."))
        return
    account = turn.account_id or await residents.account_id(
        turn.db, turn.inbound.channel, turn.inbound.user_id
    )
    try:
        added = await conference.support_by_code(
            turn.db,
            session_id,
            number,
            resident_id=turn.resident.id,
            account_id=account,
            now=turn.now,
        )
    except conference.ConferenceError as problem:
        turn.replies.append(str(problem))
        return
    if added:
        turn.replies.append(
            _("👍 Thank you: your support of question {number} is counted.").format(number=number)
        )
    else:
        turn.replies.append(
            _("You have already supported question {number}.").format(number=number)
        )


def field_text(conv: TextConversation, turn: Turn, field_id: str | None) -> str:
    field = conv.survey.field(field_id) if field_id else None
    return field.label.get(turn.locale) if field else ""


def ask_draft(turn: Turn) -> dict[str, Any]:
    """The question being written, kept in the conversation state."""
    return turn.state.setdefault("ask", {})


# --- field and text --------------------------------------------------------------------


async def show_field(conv: TextConversation, turn: Turn) -> str:
    lines = [(i, f.label.get(turn.locale)) for i, f in enumerate(conv.survey.fields, start=1)]
    return "\n".join(
        [
            plain(_("<b>Send a question or recommendation</b>")),
            _("Which field is it about?"),
            numbered(lines),
            _("Reply with a number; 0 = back."),
        ]
    )


async def on_field(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    fields = conv.survey.fields
    index = choose(text, [f.label.get(turn.locale) for f in fields])
    if index is Keyword.BACK:
        turn.go(Step.MENU)
        return
    ask_draft(turn)["field"] = fields[index].id
    turn.go(Step.ASK_TEXT)


async def show_text(conv: TextConversation, turn: Turn) -> str:
    ask = ask_draft(turn)
    parts = [
        field_text(conv, turn, ask.get("field")),
        _(
            "Write your question or recommendation in one message (at most {limit} "
            "characters). Please do not include ID numbers, health information or other "
            "people's personal data. Complaints and denunciations are not handled here."
        ).format(limit=question_service.MAX_TEXT),
    ]
    if ask.get("text"):
        parts.append(plain(_("\nYour text so far: <i>{typed}</i>").format(typed=ask["text"])))
    parts.append(_("0 = back"))
    return "\n".join(parts)


async def on_text(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    if word is Keyword.BACK or parsing.parse_number(text) == 0:
        turn.go(Step.ASK_FIELD)
        return
    turn.go(journey_question.take_text(ask_draft(turn), text))


async def show_redirect(conv: TextConversation, turn: Turn) -> str:
    part = ask_draft(turn).get("recommendation")
    if part:  # a mix: only the recommendation goes on
        offer = plain(
            _(
                "\nPart of your message is a recommendation, which can go to the dialogue "
                "conference:\n<i>{part}</i>"
            )
        ).format(part=part)
        send = _("Send the recommendation part")
    else:
        offer = _("\nIf your message is in fact a recommendation, you can still send it.").strip()
        send = _("Send it as a recommendation")
    return "\n\n".join(
        [
            redirect_text(conv.settings),
            offer,
            numbered([(1, send), (2, _("✏️ Edit the text")), (3, _("✖ Cancel"))]),
        ]
    )


async def on_redirect(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    number = parsing.parse_number(text)
    if number == 1:
        turn.go(journey_question.send_as_recommendation(ask_draft(turn)))
    elif number == 2:
        turn.go(Step.ASK_TEXT)
    elif number == 3:
        await drop_ask(turn)
        turn.go(Step.MENU)
    else:
        raise Retry(_("Please reply with a number from 1 to {last}.").format(last=3))


async def show_clarify(conv: TextConversation, turn: Turn) -> str:
    return "\n\n".join([_(CLARIFY), _("Reply 1 or 2.")])


async def on_clarify(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    number = parsing.parse_number(text)
    if number in (1, 2):  # asked once; the redirect still lets them send it
        turn.go(journey_question.clarified(is_complaint=number == 2))
    else:
        raise Retry(_("Reply 1 or 2."))


# --- evidence -----------------------------------------------------------------------------


async def show_attachments(conv: TextConversation, turn: Turn) -> str:
    count = len(ask_draft(turn).get("attachments") or [])
    parts = [
        _(
            "You may send up to {limit} photos as evidence (figures, papers), one per "
            "message. Then reply 1 to continue."
        ).format(limit=question_service.MAX_ATTACHMENTS)
    ]
    if count:
        parts.append(_("Received so far: {count}.").format(count=count))
    parts.append(numbered([(1, _("Continue ➡️")), (2, _("✏️ Edit the text"))]))
    return "\n".join(parts)


async def on_attachments(
    conv: TextConversation, turn: Turn, text: str, word: Keyword | None
) -> None:
    number = parsing.parse_number(text)
    if number == 1 or word is Keyword.SKIP:
        turn.go(Step.ASK_IDENTITY)
    elif number == 2:
        turn.go(Step.ASK_TEXT)
    else:
        raise Retry(_("Please send a photo or a document, or reply 1 to continue."))


async def fetch_image(conv: TextConversation, inbound: Inbound) -> bytes | None:
    """The image of a message sent on the evidence step, downloaded at once (Zalo's links
    expire) and before the turn's transaction: a slow download holds up only its sender.
    None when it is not wanted or could not be fetched."""
    if inbound.kind is not Kind.IMAGE:
        return None
    if inbound.content is None and (not inbound.photo_url or conv.download is None):
        return None
    async with conv.sessionmaker() as db:  # a short read, closed before the download
        stored = await load_state(db, inbound.channel, inbound.user_id)
    state = stored[1] if stored else {}
    items = (state.get("ask") or {}).get("attachments") or []
    if state.get("screen") != Step.ASK_ATTACHMENTS or len(items) >= MAX_ATTACHMENTS:
        return None
    if inbound.content is not None:  # uploaded with the message (the web chat)
        return inbound.content
    return await conv.download(inbound.photo_url)


async def take_image(turn: Turn) -> bool:
    """An image on the evidence step is kept: its bytes in `draft_attachments`, its row's
    id in the conversation state, until the question is sent."""
    inbound = turn.inbound
    if turn.screen != Step.ASK_ATTACHMENTS or inbound.kind is not Kind.IMAGE:
        return False
    ask = ask_draft(turn)
    try:
        journey_question.check_room(ask)
    except Invalid as problem:
        turn.replies.append(str(problem))
        return True
    content = turn.image
    if content is None or turn.account_id is None:
        turn.replies.append(
            _("This attachment cannot be stored. Please send a photo or a document.")
        )
        return True
    mime = inbound.mime or "image/jpeg"  # Zalo sends photos only
    kind = "photo" if mime.startswith("image/") else "document"
    draft_id = await add_draft_attachment(turn.db, turn.account_id, kind, content, mime)
    item = {"kind": kind, "draft_id": draft_id, "mime": mime, "size": len(content)}
    if inbound.filename:  # what staff download it as
        item["filename"] = inbound.filename
    journey_question.add_attachment(ask, item)
    return True


async def drop_ask(turn: Turn) -> None:
    """The question is cancelled: its text, choices and files go."""
    turn.state["ask"] = {}
    if turn.account_id is not None:
        await discard_draft_attachments(turn.db, [turn.account_id])


# --- named or anonymous -------------------------------------------------------------------


async def show_identity(conv: TextConversation, turn: Turn) -> str:
    return "\n\n".join(
        [
            _(
                "Do you want an individual answer? Then your name and phone number are "
                "passed to the official in charge and the ward's Fatherland Front. "
                "Anonymous questions go into the conference digest and get no individual "
                "answer."
            ),
            numbered([(1, _("👤 Answer me by name")), (2, _("🕶 Send anonymously"))]),
        ]
    )


async def on_identity(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    number = parsing.parse_number(text)
    if number not in (1, 2):
        raise Retry(_("Reply 1 or 2."))
    turn.go(
        await journey_question.choose_identity(
            turn.db, turn.resident.id, ask_draft(turn), named=number == 1
        )
    )


async def show_contact(conv: TextConversation, turn: Turn) -> str:
    return "\n\n".join(
        [
            _(
                "To answer you, the ward needs your consent to pass your question, with your "
                "name and phone, to the official in charge and the ward's Fatherland Front. "
                "Do you agree?"
            ),
            numbered([(1, _("✅ I agree")), (2, _("✖ Stay anonymous"))]),
        ]
    )


async def on_contact(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    decision = await journey_consent.decide_contact(
        turn.db,
        turn.resident.id,
        yes_or_no(text),
        asked_on=Step.ASK_CONTACT,
        channel=turn.inbound.channel,
        settings=conv.settings,
        now=turn.now,
    )
    ask_draft(turn)["named"] = decision.named
    turn.go(decision.step)


async def show_name(conv: TextConversation, turn: Turn) -> str:
    return _("Please type your full name.")


async def on_name(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    turn.go(journey_question.take_name(ask_draft(turn), text))


async def show_phone(conv: TextConversation, turn: Turn) -> str:
    return _("Please type your phone number, so that the official can contact you.")


async def on_phone(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    turn.go(journey_question.take_phone(ask_draft(turn), text))


# --- review and send ----------------------------------------------------------------------


async def show_review(conv: TextConversation, turn: Turn) -> str:
    ask = ask_draft(turn)
    lines = [
        plain(_("<b>Please check before sending</b>")),
        _("Field: {field}").format(field=field_text(conv, turn, ask.get("field"))),
        plain(_("Text: <i>{text}</i>").format(text=ask.get("text", ""))),
        _("Attachments: {count}").format(count=len(ask.get("attachments") or [])),
    ]
    if ask.get("named"):
        lines.append(
            _("Sent with your name: {name}, {phone}").format(
                name=ask.get("name", ""), phone=masked_phone(ask.get("phone"))
            )
        )
    else:
        lines.append(
            _(
                "Sent anonymously: it goes into the conference digest; no individual answer will follow."
            )
        )
    if ask.get("flag"):
        lines.append(_("It will be marked as possibly a complaint."))
    lines.append("")
    lines.append(
        numbered(
            [
                (1, _("📨 Send")),
                (2, _("✏️ Edit the text")),
                (3, _("👤 Name or anonymous")),
                (4, _("✖ Cancel")),
            ]
        )
    )
    return "\n".join(lines)


async def on_review(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    number = parsing.parse_number(text)
    if number == 1 or word is Keyword.SUBMIT:
        await send_question(conv, turn)
    elif number == 2:
        turn.go(Step.ASK_TEXT)
    elif number == 3:
        turn.go(Step.ASK_IDENTITY)
    elif number == 4:
        await drop_ask(turn)
        turn.go(Step.MENU)
    else:
        raise Retry(_("Please reply with a number from 1 to {last}.").format(last=4))


async def send_question(conv: TextConversation, turn: Turn) -> None:
    sent = await journey_question.send(
        turn.db,
        ask_draft(turn),
        resident_id=turn.resident.id,
        channel=turn.inbound.channel,
        external_id=turn.inbound.user_id,
        locale=turn.locale,
        settings=conv.settings,
        now=turn.now,
    )
    if not isinstance(sent, journey_question.Sent):
        turn.go(sent)
        return
    turn.state["ask"] = {}
    turn.go(sent.step, sent={"code": sent.filed.code, "named": sent.named})
    if conv.on_question is not None:
        turn.after_commit.append(functools.partial(conv.on_question, sent.filed.id))


async def show_sent(conv: TextConversation, turn: Turn) -> str:
    sent = turn.state.get("sent") or {}
    parts = [
        plain(
            _("✅ Received. Your tracking code is <b>{code}</b>.").format(code=sent.get("code", ""))
        )
    ]
    if sent.get("named"):
        parts.append(
            _(
                "The ward office passes it to the official in charge; the answer will come "
                "in this chat, and you can follow it under My questions."
            )
        )
    else:
        parts.append(
            _(
                "It goes into the digest for the dialogue conference; no individual answer will follow."
            )
        )
    parts.append("")
    parts.append(numbered([(1, _("📬 My questions")), (2, _("🏠 Main menu"))]))
    return "\n".join(parts)


async def on_sent(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    turn.go(Step.MINE if parsing.parse_number(text) == 1 else "menu")
