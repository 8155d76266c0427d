"""Telling people what happened, once it is stored: ward staff of a new question or of an
assignment (on Telegram, in the ward's language), and a resident of the answer to their
question or of a change of its status, in the chat of the channel they asked from.

Callers commit first, then call the notifier, so nobody is told of something that could still
be rolled back. Delivery never undoes what was stored: a failure is logged (without the message
text, which quotes residents) and reported as False; the resident still finds the answer under
"My questions".

- Telegram: a message in the resident's language with two rating buttons (`RateCb`).
- Zalo: the same text, with "reply 1 or 2", and the resident's text conversation is put on the
  question's detail screen, so their next "1" or "2" is the rating.
- Console: nothing to deliver; the resident reads it under "My questions".
"""

from __future__ import annotations

import html
import logging
from typing import Any, Protocol

import httpx
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo.client import ZaloAPIError
from bot.i18n import N_, _, use_locale
from bot.services import staff
from bot.services.questions import Relay, StatusChange
from bot.services.staff import StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.texts import STATUS_LABELS, plain, signature
from models import ResidentQuestion
from models.conversations import load_state, save_state

log = logging.getLogger(__name__)

PREVIEW = 200  # characters of a new question shown in the staff notice
ZALO = "zalo"
TELEGRAM = "telegram"
SATISFIED, UNSATISFIED = 1, 0


class RateCb(CallbackData, prefix="rt"):
    """A resident's rating of a relayed answer: q = question id, v = 1 satisfied, 0 not."""

    q: int
    v: int


class QuestionCb(CallbackData, prefix="sq"):
    """A staff action on one question: a = o(pen), as(sign), an(swer), cf (to the conference),
    cl(ose), hd (hide), uh (unhide), at(tachments); q = question id."""

    a: str
    q: int


class TextSender(Protocol):
    """What the notifier needs of a text channel's API client (ZaloClient)."""

    async def send_text(self, chat_id: str, text: str) -> Any: ...


def esc(value: Any) -> str:
    return html.escape(str(value), quote=False)


def preview(text: str, limit: int = PREVIEW) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def open_button(question_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("📂 Open"), callback_data=QuestionCb(a="o", q=question_id).pack()
                )
            ]
        ]
    )


def rating_buttons(question_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("👍 Satisfied"),
                    callback_data=RateCb(q=question_id, v=SATISFIED).pack(),
                ),
                InlineKeyboardButton(
                    text=_("👎 Not satisfied"),
                    callback_data=RateCb(q=question_id, v=UNSATISFIED).pack(),
                ),
            ]
        ]
    )


ANSWER_TEMPLATE = N_("💬 <b>Answer to your question {code}</b>\n\n{answer}\n— {signature}")


class Notifier:
    """One per process; `bot` and `zalo` are set when those channels run."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        survey: Survey,
        settings: Settings,
        *,
        bot: Bot | None = None,
        zalo: TextSender | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.survey = survey
        self.settings = settings
        self.bot = bot
        self.zalo = zalo

    def field_label(self, field_id: str, locale: str) -> str:
        field = self.survey.field(field_id)
        return field.label.get(locale) if field else field_id

    # --- staff ----------------------------------------------------------------------------

    async def question_filed(self, question_id: int) -> int:
        """A short notice of a new question (code, field, the text's beginning; never the
        resident's name or phone) to the field's officials and the leaders. Returns how many
        got it."""
        try:
            async with self.sessionmaker() as db:
                q = await db.get(ResidentQuestion, question_id)
                if q is None:
                    return 0
                recipients = await staff.recipients_for_new_question(db, q.field)
                code, field, text, flagged = q.code, q.field, q.text, q.complaint_flag
        except Exception as exc:  # a notice must never break the resident's filing
            log.warning("New-question notice not prepared: %s", type(exc).__name__)
            return 0
        locale = self.settings.default_locale
        with use_locale(locale):
            lines = [
                _("🆕 <b>New question {code}</b> · {field}").format(
                    code=esc(code), field=esc(self.field_label(field, locale))
                )
            ]
            if flagged:
                lines.append(_("⚠️ Possibly a complaint or denunciation; sent anyway."))
            lines.append(f"<i>{esc(preview(text))}</i>")
            message = "\n".join(lines)
            markup = open_button(question_id)
        sent = 0
        for person in recipients:
            sent += await self._telegram(person.telegram_user_id, message, markup, "new question")
        return sent

    async def question_assigned(self, question_id: int, official: StaffRef) -> bool:
        """Tell the official a question was assigned to them."""
        try:
            async with self.sessionmaker() as db:
                q = await db.get(ResidentQuestion, question_id)
                if q is None:
                    return False
                code, field = q.code, q.field
        except Exception as exc:
            log.warning("Assignment notice not prepared: %s", type(exc).__name__)
            return False
        locale = self.settings.default_locale
        with use_locale(locale):
            message = _("📌 Question {code} ({field}) was assigned to you.").format(
                code=esc(code), field=esc(self.field_label(field, locale))
            )
            markup = open_button(question_id)
        return await self._telegram(official.telegram_user_id, message, markup, "assignment")

    # --- residents ------------------------------------------------------------------------

    async def deliver(self, relay: Relay) -> bool:
        """The answer, signed by field and role, in the chat the resident asked from. True when
        a channel accepted it."""
        with use_locale(relay.locale):
            sign = signature(self.field_label(relay.field, relay.locale), relay.role)
            if relay.channel == TELEGRAM:
                text = _(ANSWER_TEMPLATE).format(
                    code=esc(relay.code), answer=esc(relay.answer_text), signature=esc(sign)
                )
                text += "\n\n" + _("\nWas this answer satisfactory?").strip()
                return await self._telegram(
                    relay.external_id, text, rating_buttons(relay.question_id), "answer"
                )
            if relay.channel == ZALO:
                text = plain(_(ANSWER_TEMPLATE)).format(
                    code=relay.code, answer=relay.answer_text, signature=sign
                )
                text += "\n\n" + _("Reply 1 if the answer is satisfactory, 2 if it is not.")
        if relay.channel != ZALO:
            return False  # the console: the resident reads it under My questions
        if not await self._zalo(relay.external_id, text, "answer"):
            return False
        await self._await_rating(relay)  # only once they can read what they would rate
        return True

    async def status_changed(self, change: StatusChange) -> bool:
        """A short note that the question is now to be answered at the conference, or closed."""
        if change.status not in ("conference", "closed"):
            return False
        with use_locale(change.locale):
            text = _("Your question {code} is now: {status}.").format(
                code=change.code, status=_(STATUS_LABELS[change.status])
            )
        if change.channel == TELEGRAM:
            return await self._telegram(change.external_id, esc(text), None, "status")
        if change.channel == ZALO:
            return await self._zalo(change.external_id, text, "status")
        return False

    async def _await_rating(self, relay: Relay) -> None:
        """The resident's next "1" or "2" on Zalo rates this answer."""
        try:
            async with self.sessionmaker() as db, db.begin():
                stored = await load_state(db, relay.channel, relay.external_id)
                if stored is None:
                    return  # the account is gone (erased)
                account_id, state = stored
                state = {**state, "screen": "mine:detail", "question": relay.question_id}
                await save_state(db, account_id, state)
        except Exception as exc:
            log.warning("Zalo conversation not moved to the answer: %s", type(exc).__name__)

    # --- sending --------------------------------------------------------------------------

    async def _telegram(
        self, chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None, what: str
    ) -> bool:
        if self.bot is None:
            log.info("No Telegram bot in this process: %s notice not sent", what)
            return False
        try:
            await self.bot.send_message(chat_id=int(chat_id), text=text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.warning("Telegram %s notice not delivered: %s", what, type(exc).__name__)
            return False
        return True

    async def _zalo(self, chat_id: str, text: str, what: str) -> bool:
        if self.zalo is None:
            log.info("No Zalo channel in this process: %s not sent", what)
            return False
        try:
            await self.zalo.send_text(chat_id, text)
        except (ZaloAPIError, httpx.HTTPError) as exc:
            log.warning("Zalo %s not delivered: %s", what, type(exc).__name__)
            return False
        return True
