"""The text conversation's screens for questions and recommendations: the same steps as on
Telegram (field → text → complaint check → evidence → named or anonymous → review → send) and
"My questions", as numbered text. Mixed into `TextConversation`."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.conversation import asides, parsing
from bot.conversation.errors import Retry
from bot.conversation.inbound import Inbound, Kind
from bot.conversation.parsing import Keyword
from bot.i18n import _
from bot.services import consent
from bot.services import questions as question_service
from bot.services.consent import Purpose
from bot.services.drafts import file_draft
from bot.services.questions import MAX_ATTACHMENTS, QuestionError
from bot.texts import (
    CLARIFY,
    STATUS_LABELS,
    local_time,
    masked_phone,
    plain,
    redirect_text,
    signature,
)
from bot.triage import Handling, triage
from models.conversations import load_state
from models.draft_attachments import add_draft_attachment, discard_draft_attachments

if TYPE_CHECKING:
    from bot.conversation.engine import Turn

log = logging.getLogger(__name__)

# Fetches an image a resident sent by URL (Zalo's links may expire): bytes, or None on failure.
Download = Callable[[str], Awaitable[bytes | None]]
# Told the id of a question once it is stored (bot.notify.Notifier.question_filed).
OnQuestion = Callable[[int], Awaitable[Any]]
# State: the question's screen showed its answer, so a "1" or "2" there is a rating.
RATING_OFFERED = "rating_offered"


class QuestionScreens:
    download: Download | None = None
    on_question: OnQuestion | None = None

    # Provided by TextConversation: survey, settings, _numbered, _choose, _yes_or_no,
    # _log_consent, _on_screen.
    survey: Any
    settings: Any
    sessionmaker: Any

    def _field_text(self, turn: Turn, field_id: str | None) -> str:
        field = self.survey.field(field_id) if field_id else None
        return field.label.get(turn.locale) if field else ""

    @staticmethod
    def _ask(turn: Turn) -> dict[str, Any]:
        return turn.state.setdefault("ask", {})

    # --- field and text --------------------------------------------------------------------

    async def _show_ask_field(self, turn: Turn) -> str:
        lines = [(i, f.label.get(turn.locale)) for i, f in enumerate(self.survey.fields, start=1)]
        return "\n".join(
            [
                plain(_("<b>Send a question or recommendation</b>")),
                _("Which field is it about?"),
                self._numbered(lines),
                _("Reply with a number; 0 = back."),
            ]
        )

    async def _on_ask_field(self, turn: Turn, text: str, word: Keyword | None) -> None:
        fields = self.survey.fields
        index = self._choose(
            text, [f.label.get(turn.locale) for f in fields], word, back="menu", turn=turn
        )
        if index is None:
            return
        self._ask(turn)["field"] = fields[index].id
        turn.go("ask:text")

    async def _show_ask_text(self, turn: Turn) -> str:
        ask = self._ask(turn)
        parts = [
            self._field_text(turn, ask.get("field")),
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

    async def _on_ask_text(self, turn: Turn, text: str, word: Keyword | None) -> None:
        if word is Keyword.BACK or parsing.parse_number(text) == 0:
            turn.go("ask:field")
            return
        cleaned = question_service.clean_text(text)
        if not cleaned:  # only invisible characters
            raise Retry(_("Please write your question or recommendation as a text message."))
        if len(cleaned) > question_service.MAX_TEXT:
            raise Retry(
                _(
                    "Your text has {count} characters; the limit is {limit}. Please shorten it."
                ).format(count=len(cleaned), limit=question_service.MAX_TEXT)
            )
        ask = self._ask(turn)
        result = triage(cleaned)
        ask.update(text=cleaned, flag=False, recommendation=result.recommendation)
        if result.handling is Handling.REDIRECT:
            turn.go("ask:redirect")
        elif result.handling is Handling.CLARIFY:
            turn.go("ask:clarify")
        else:
            turn.go("ask:attachments")

    async def _show_ask_redirect(self, turn: Turn) -> str:
        part = self._ask(turn).get("recommendation")
        if part:  # a mix: only the recommendation goes on
            offer = plain(
                _(
                    "\nPart of your message is a recommendation, which can go to the dialogue "
                    "conference:\n<i>{part}</i>"
                )
            ).format(part=part)
            send = _("Send the recommendation part")
        else:
            offer = _(
                "\nIf your message is in fact a recommendation, you can still send it."
            ).strip()
            send = _("Send it as a recommendation")
        return "\n\n".join(
            [
                redirect_text(self.settings),
                offer,
                self._numbered([(1, send), (2, _("✏️ Edit the text")), (3, _("✖ Cancel"))]),
            ]
        )

    async def _on_ask_redirect(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        if number == 1:
            ask = self._ask(turn)
            part = ask.pop("recommendation", None)
            if part:
                ask.update(text=part, flag=False)
            else:
                ask["flag"] = True  # the office can filter on it
            turn.go("ask:attachments")
        elif number == 2:
            turn.go("ask:text")
        elif number == 3:
            await self._drop_ask(turn)
            turn.go("menu")
        else:
            raise Retry(_("Please reply with a number from 1 to {last}.").format(last=3))

    async def _show_ask_clarify(self, turn: Turn) -> str:
        return "\n\n".join([_(CLARIFY), _("Reply 1 or 2.")])

    async def _on_ask_clarify(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        if number == 1:
            turn.go("ask:attachments")
        elif number == 2:
            turn.go("ask:redirect")  # asked once; the redirect still lets them send it
        else:
            raise Retry(_("Reply 1 or 2."))

    # --- evidence -----------------------------------------------------------------------------

    async def _show_ask_attachments(self, turn: Turn) -> str:
        count = len(self._ask(turn).get("attachments") or [])
        parts = [
            _(
                "You may send up to {limit} photos as evidence (figures, papers), one per "
                "message. Then reply 1 to continue."
            ).format(limit=question_service.MAX_ATTACHMENTS)
        ]
        if count:
            parts.append(_("Received so far: {count}.").format(count=count))
        parts.append(self._numbered([(1, _("Continue ➡️")), (2, _("✏️ Edit the text"))]))
        return "\n".join(parts)

    async def _on_ask_attachments(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        if number == 1 or word is Keyword.SKIP:
            turn.go("ask:identity")
        elif number == 2:
            turn.go("ask:text")
        else:
            raise Retry(_("Please send a photo or a document, or reply 1 to continue."))

    async def _fetch_image(self, inbound: Inbound) -> bytes | None:
        """The image of a message sent on the evidence step, downloaded at once (Zalo's links
        expire) and before the turn's transaction: a slow download holds up only its sender.
        None when it is not wanted or could not be fetched."""
        if inbound.kind is not Kind.IMAGE or not inbound.photo_url or self.download is None:
            return None
        async with self.sessionmaker() as db:  # a short read, closed before the download
            stored = await load_state(db, inbound.channel, inbound.user_id)
        state = stored[1] if stored else {}
        items = (state.get("ask") or {}).get("attachments") or []
        if state.get("screen") != "ask:attachments" or len(items) >= MAX_ATTACHMENTS:
            return None
        return await self.download(inbound.photo_url)

    async def _take_image(self, turn: Turn) -> bool:
        """An image on the evidence step is kept: its bytes in `draft_attachments`, its row's
        id in the conversation state, until the question is sent."""
        inbound = turn.inbound
        if turn.screen != "ask:attachments" or inbound.kind is not Kind.IMAGE:
            return False
        ask = self._ask(turn)
        items = list(ask.get("attachments") or [])
        if len(items) >= MAX_ATTACHMENTS:
            turn.replies.append(
                _("You can attach at most {limit} photos or documents.").format(
                    limit=question_service.MAX_ATTACHMENTS
                )
            )
            return True
        content = turn.image
        if content is None or turn.account_id is None:
            turn.replies.append(
                _("This attachment cannot be stored. Please send a photo or a document.")
            )
            return True
        draft_id = await add_draft_attachment(
            turn.db, turn.account_id, "photo", content, "image/jpeg"
        )
        items.append(
            {"kind": "photo", "draft_id": draft_id, "mime": "image/jpeg", "size": len(content)}
        )
        ask["attachments"] = items
        return True

    async def _drop_ask(self, turn: Turn) -> None:
        """The question is cancelled: its text, choices and files go."""
        turn.state["ask"] = {}
        if turn.account_id is not None:
            await discard_draft_attachments(turn.db, [turn.account_id])

    # --- named or anonymous -------------------------------------------------------------------

    async def _show_ask_identity(self, turn: Turn) -> str:
        return "\n\n".join(
            [
                _(
                    "Do you want an individual answer? Then your name and phone number are "
                    "passed to the official in charge and the ward's Fatherland Front. "
                    "Anonymous questions go into the conference digest and get no individual "
                    "answer."
                ),
                self._numbered([(1, _("👤 Answer me by name")), (2, _("🕶 Send anonymously"))]),
            ]
        )

    async def _on_ask_identity(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        if number not in (1, 2):
            raise Retry(_("Reply 1 or 2."))
        ask = self._ask(turn)
        ask["named"] = number == 1
        if number == 2:
            turn.go("ask:review")
            return
        decisions = await consent.decisions(turn.db, turn.resident.id)
        turn.go("ask:name" if consent.granted(decisions, Purpose.CONTACT) else "ask:contact")

    async def _show_ask_contact(self, turn: Turn) -> str:
        return "\n\n".join(
            [
                _(
                    "To answer you, the ward needs your consent to pass your question, with your "
                    "name and phone, to the official in charge and the ward's Fatherland Front. "
                    "Do you agree?"
                ),
                self._numbered([(1, _("✅ I agree")), (2, _("✖ Stay anonymous"))]),
            ]
        )

    async def _on_ask_contact(self, turn: Turn, text: str, word: Keyword | None) -> None:
        given = self._yes_or_no(text, word)
        await self._log_consent(turn, Purpose.CONTACT, given)
        if given:
            turn.go("ask:name")
        else:
            self._ask(turn)["named"] = False
            turn.go("ask:review")

    async def _show_ask_name(self, turn: Turn) -> str:
        return _("Please type your full name.")

    async def _on_ask_name(self, turn: Turn, text: str, word: Keyword | None) -> None:
        name = question_service.clean_text(text)
        if (
            not name
            or len(name) > question_service.MAX_NAME
            or parsing.parse_number(name) is not None
        ):
            raise Retry(_("Please type your full name."))
        self._ask(turn)["name"] = name
        turn.go("ask:phone")

    async def _show_ask_phone(self, turn: Turn) -> str:
        return _("Please type your phone number, so that the official can contact you.")

    async def _on_ask_phone(self, turn: Turn, text: str, word: Keyword | None) -> None:
        phone = question_service.normalise_phone(text)
        if phone is None:
            raise Retry(_("Please type a Vietnamese phone number, for example 0912 345 678."))
        self._ask(turn)["phone"] = phone
        turn.go("ask:review")

    # --- review and send ----------------------------------------------------------------------

    async def _show_ask_review(self, turn: Turn) -> str:
        ask = self._ask(turn)
        lines = [
            plain(_("<b>Please check before sending</b>")),
            _("Field: {field}").format(field=self._field_text(turn, ask.get("field"))),
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
            self._numbered(
                [
                    (1, _("📨 Send")),
                    (2, _("✏️ Edit the text")),
                    (3, _("👤 Name or anonymous")),
                    (4, _("✖ Cancel")),
                ]
            )
        )
        return "\n".join(lines)

    async def _on_ask_review(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        if number == 1 or word is Keyword.SUBMIT:
            await self._send_question(turn)
        elif number == 2:
            turn.go("ask:text")
        elif number == 3:
            turn.go("ask:identity")
        elif number == 4:
            await self._drop_ask(turn)
            turn.go("menu")
        else:
            raise Retry(_("Please reply with a number from 1 to {last}.").format(last=4))

    async def _send_question(self, turn: Turn) -> None:
        ask = self._ask(turn)
        if not ask.get("text") or not ask.get("field"):
            turn.go("ask:field")
            return
        try:
            filed = await file_draft(
                turn.db,
                resident_id=turn.resident.id,
                channel=turn.inbound.channel,
                external_id=turn.inbound.user_id,
                draft=ask,
                locale=turn.locale,
                settings=self.settings,
                now=turn.now,
            )
        except QuestionError as problem:
            raise Retry(str(problem)) from None
        turn.state["ask"] = {}
        turn.go("ask:sent", sent={"code": filed.code, "named": bool(ask.get("named"))})
        if self.on_question is not None:
            turn.after_commit.append(functools.partial(self.on_question, filed.id))

    async def _show_ask_sent(self, turn: Turn) -> str:
        sent = turn.state.get("sent") or {}
        parts = [
            plain(
                _("✅ Received. Your tracking code is <b>{code}</b>.").format(
                    code=sent.get("code", "")
                )
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
        parts.append(self._numbered([(1, _("📬 My questions")), (2, _("🏠 Main menu"))]))
        return "\n".join(parts)

    async def _on_ask_sent(self, turn: Turn, text: str, word: Keyword | None) -> None:
        turn.go("mine" if parsing.parse_number(text) == 1 else "menu")

    # --- my questions -------------------------------------------------------------------------

    async def _show_mine(self, turn: Turn) -> str:
        summaries = await question_service.my_questions(turn.db, turn.resident.id)
        turn.state["mine"] = [s.id for s in summaries]
        if not summaries:
            return "\n".join([_("You have not sent any question yet."), _("0 = back to the menu")])
        lines = [
            (
                i,
                f"{s.code} · {self._field_text(turn, s.field)} · {_(STATUS_LABELS.get(s.status, s.status))}",
            )
            for i, s in enumerate(summaries, start=1)
        ]
        return "\n".join(
            [
                plain(_("<b>My questions</b>")),
                self._numbered(lines),
                _("Reply with a number; 0 = back."),
            ]
        )

    async def _on_mine(self, turn: Turn, text: str, word: Keyword | None) -> None:
        ids = turn.state.get("mine") or []
        number = parsing.parse_number(text)
        if ids and number is not None and 1 <= number <= len(ids):
            turn.go("mine:detail", question=ids[number - 1])
            return
        if await self._leave_aside(turn, text, word):
            return
        if number == 0 or word is Keyword.BACK or not ids:
            turn.go("menu")
            return
        raise Retry(_("Please reply with a number from 1 to {last}.").format(last=len(ids)))

    async def _show_mine_detail(self, turn: Turn) -> str:
        view = await question_service.question_for_resident(
            turn.db, turn.resident.id, turn.state.get("question") or 0
        )
        turn.state[RATING_OFFERED] = view is not None and view.answer_text is not None
        if view is None:
            turn.go("mine")
            return await self._show_mine(turn)
        field = self._field_text(turn, view.field)
        parts = [
            f"{view.code} · {field}",
            _("Status: {status} · sent {sent_at}").format(
                status=_(STATUS_LABELS.get(view.status, view.status)),
                sent_at=local_time(view.created_at, self.settings),
            ),
            "",
            view.text,
        ]
        if view.answer_text is not None:
            parts.append(
                plain(
                    _("\n<b>Answer</b>: {answer}\n— {signature}").format(
                        answer=view.answer_text, signature=signature(field, view.answered_role)
                    )
                )
            )
            if view.answer_rating is None:
                parts.append(_("\nWas this answer satisfactory?").strip())
                parts.append(self._numbered([(1, _("👍 Satisfied")), (2, _("👎 Not satisfied"))]))
            else:
                parts.append(_("Thank you, your rating is recorded."))
        parts.append(_("0 = back"))
        return "\n".join(parts)

    async def _on_mine_detail(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        # Only a screen that showed the answer takes a rating: one shown before the answer
        # arrived did not offer it.
        if number in (1, 2) and turn.state.get(RATING_OFFERED):
            try:
                await question_service.rate_answer(
                    turn.db,
                    turn.resident.id,
                    turn.state.get("question") or 0,
                    number == 1,
                    None,
                    turn.now,
                )
            except QuestionError as problem:
                raise Retry(str(problem)) from None
            turn.replies.append(_("Thank you for rating the answer."))
            if turn.state.get(asides.BACK_TO):  # opened with "xem": back to what they were doing
                turn.go(turn.state.pop(asides.BACK_TO))
            return
        if await self._leave_aside(turn, text, word):
            return
        turn.go("mine")

    # --- an answer opened beside the conversation ("xem") -----------------------------------

    async def _view_answer(self, turn: Turn) -> None:
        """The latest answer not yet rated (else My questions), opened beside the screen the
        resident was on: leaving it returns there."""
        if turn.screen not in asides.ANSWER_SCREENS:
            turn.state[asides.BACK_TO] = turn.screen
        question = await question_service.latest_unrated_answer(turn.db, turn.resident.id)
        if question is None:
            turn.go("mine")
        else:
            turn.go("mine:detail", question=question)

    async def _leave_aside(self, turn: Turn, text: str, word: Keyword | None) -> bool:
        """Back to the screen "xem" was typed on, if it was; a reply other than "back" was
        meant for that screen and is read there. False when there is no such screen."""
        back = turn.state.pop(asides.BACK_TO, None)
        if not back:
            return False
        turn.go(back)
        if not (word is Keyword.BACK or parsing.parse_number(text) == 0):
            await self._on_screen(turn, text, word)
        return True
