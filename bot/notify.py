"""Telling people what happened, once it is stored: ward staff of a new question or of an
assignment (on Telegram, in the ward's language), and a resident of the answer to their
question or of a change of its status, in the chat of the channel they asked from.

Callers commit first, then call the notifier, so nobody is told of something that could still
be rolled back. Each message goes into the outbox with a unique key and is sent at once by the
delivery engine (bot/delivery), within the channel's limits; a failure is logged (without the
message text, which quotes residents) and reported as False, and never undoes what was stored:
the resident still finds the answer under "My questions". A message the platform refused for
a while (5xx) is retried by the engine later.

- Telegram: a message in the resident's language with two rating buttons (`RateCb`).
- Zalo: the same text, with the word that opens the answer and its rating ("xem"); the
  resident's conversation stays where it is (bot/conversation/asides.py).
- Web chat: the same text as on Zalo, kept for the resident's page until it is next opened.
- Console: nothing to deliver; the resident reads it under "My questions".
"""

from __future__ import annotations

import html
import logging
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo.client import ZaloClient
from bot.delivery import outbox
from bot.delivery.engine import DeliveryEngine
from bot.delivery.outbox import Message, Recipient
from bot.delivery.senders import TelegramSender, ZaloSender
from bot.i18n import N_, _, use_locale
from bot.services import staff
from bot.services.questions import Redirected, Relay, StatusChange
from bot.services.staff import StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.texts import RECLASSIFIED_NOTICES, STATUS_LABELS, plain, redirect_text, signature
from models import DeliveryStatus, ResidentQuestion

log = logging.getLogger(__name__)

PREVIEW = 200  # characters of a new question shown in the staff notice
ZALO = "zalo"
TELEGRAM = "telegram"
WEB = "web"
TEXT_CHANNELS = (ZALO, WEB)  # plain text, the conversation's words instead of buttons
SATISFIED, UNSATISFIED = 1, 0


class RateCb(CallbackData, prefix="rt"):
    """A resident's rating of a relayed answer: q = question id, v = 1 satisfied, 0 not."""

    q: int
    v: int


class QuestionCb(CallbackData, prefix="sq"):
    """A staff action on one question: a = o(pen), as(sign), an(swer), cf (to the conference),
    cl(ose), hd (hide), uh (unhide), at(tachments), rc (complaint or report: rk complaint, rd
    denunciation, rt crime); q = question id."""

    a: str
    q: int


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


def buttons_of(markup: InlineKeyboardMarkup) -> list[list[tuple[str, str]]]:
    """A keyboard as an outbox message carries it: rows of (label, callback data)."""
    return [[(b.text, b.callback_data or "") for b in row] for row in markup.inline_keyboard]


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
    """One per process. Sends through `delivery`; setting `bot` or `zalo` gives the engine its
    sender for that channel."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        survey: Survey,
        settings: Settings,
        *,
        bot: Bot | None = None,
        zalo: ZaloClient | None = None,
        delivery: DeliveryEngine | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.survey = survey
        self.settings = settings
        self.delivery = delivery or DeliveryEngine(sessionmaker, settings)
        self._bot: Bot | None = None
        self._zalo: ZaloClient | None = None
        self.bot = bot
        if zalo is not None:
            self.zalo = zalo

    @property
    def bot(self) -> Bot | None:
        return self._bot

    @bot.setter
    def bot(self, bot: Bot | None) -> None:
        self._bot = bot
        if bot is None:
            self.delivery.remove_sender(TELEGRAM)
        else:
            self.delivery.add_sender(TelegramSender(bot))

    @property
    def zalo(self) -> ZaloClient | None:
        return self._zalo

    @zalo.setter
    def zalo(self, client: ZaloClient | None) -> None:
        """A Zalo client to send through (the app gives the engine its own when ZALO_BOT_TOKEN
        is set; this is for a channel built elsewhere, e.g. in tests)."""
        self._zalo = client
        if client is None:
            self.delivery.remove_sender(ZALO)
        else:
            self.delivery.add_sender(ZaloSender(client))

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
                resident_id = q.resident_id
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
                # Officials get this notice too: the text is read on the card, by leaders and
                # the office only.
                lines.append(_("⚠️ Possibly a complaint or denunciation; sent anyway."))
            else:
                lines.append(f"<i>{esc(preview(text))}</i>")
            message = Message(
                "\n".join(lines), html=True, buttons=buttons_of(open_button(question_id))
            )
        # The notice quotes the question: it belongs to the resident and goes with their data.
        rows = [
            (
                Recipient(TELEGRAM, str(person.telegram_user_id), locale, resident_id),
                message,
                f"notice:new:{question_id}:{person.id}",
            )
            for person in recipients
        ]
        return await self._send(rows, "new question notice")

    async def question_assigned(self, question_id: int, official: StaffRef) -> bool:
        """Tell the official a question was assigned to them."""
        try:
            async with self.sessionmaker() as db:
                q = await db.get(ResidentQuestion, question_id)
                if q is None:
                    return False
                code, field, resident_id, changed = q.code, q.field, q.resident_id, q.updated_at
        except Exception as exc:
            log.warning("Assignment notice not prepared: %s", type(exc).__name__)
            return False
        locale = self.settings.default_locale
        with use_locale(locale):
            text = _("📌 Question {code} ({field}) was assigned to you.").format(
                code=esc(code), field=esc(self.field_label(field, locale))
            )
            message = Message(text, html=True, buttons=buttons_of(open_button(question_id)))
        recipient = Recipient(TELEGRAM, str(official.telegram_user_id), locale, resident_id)
        key = f"notice:assigned:{question_id}:{official.id}:{changed.isoformat()}"
        return await self._send([(recipient, message, key)], "assignment notice") == 1

    # --- residents ------------------------------------------------------------------------

    async def deliver(self, relay: Relay) -> bool:
        """The answer, signed by field and role, in the chat the resident asked from. True when
        a channel accepted it."""
        if relay.channel not in (TELEGRAM, *TEXT_CHANNELS):
            return False  # the console: the resident reads it under My questions
        with use_locale(relay.locale):
            sign = signature(self.field_label(relay.field, relay.locale), relay.role)
            if relay.channel == TELEGRAM:
                text = _(ANSWER_TEMPLATE).format(
                    code=esc(relay.code), answer=esc(relay.answer_text), signature=esc(sign)
                )
                text += "\n\n" + _("\nWas this answer satisfactory?").strip()
                buttons = buttons_of(rating_buttons(relay.question_id))
                message = Message(text, html=True, buttons=buttons)
            else:
                text = plain(_(ANSWER_TEMPLATE)).format(
                    code=relay.code, answer=relay.answer_text, signature=sign
                )
                # Beside whatever the resident is doing: their next reply still answers that.
                text += "\n\n" + _(
                    'To rate this answer, reply "view". Whatever you were doing stays as it was.'
                )
                message = Message(text)
        facts = await self._facts(relay.question_id)
        if facts is None:
            return False
        resident_id, answered_at, changed = facts
        stamp = (answered_at or changed).isoformat()
        recipient = Recipient(relay.channel, relay.external_id, relay.locale, resident_id)
        key = f"answer:{relay.question_id}:{stamp}"
        return await self._send([(recipient, message, key)], "answer notice") == 1

    async def status_changed(self, change: StatusChange) -> bool:
        """A short note that the question is now to be answered at the conference, or closed."""
        if change.status not in ("conference", "closed") or change.channel not in (
            TELEGRAM,
            *TEXT_CHANNELS,
        ):
            return False
        with use_locale(change.locale):
            text = _("Your question {code} is now: {status}.").format(
                code=change.code, status=_(STATUS_LABELS[change.status])
            )
        return await self._to_asker(
            change.question_id,
            Recipient(change.channel, change.external_id, change.locale, None),
            text,
            f"status:{change.question_id}:{change.status}",
            "status notice",
        )

    async def reclassified(self, notice: Redirected) -> bool:
        """Where a question staff found to be a complaint, denunciation or crime report goes:
        the redirect text of domain.md §5, in the resident's language, in the chat they asked
        from. Their own text is not repeated."""
        if notice.channel not in (TELEGRAM, *TEXT_CHANNELS):
            return False  # the console: "My questions" shows the new status
        with use_locale(notice.locale):
            text = "\n\n".join(
                [
                    _(RECLASSIFIED_NOTICES[notice.kind]).format(code=notice.code),
                    redirect_text(self.settings),
                ]
            )
        return await self._to_asker(
            notice.question_id,
            Recipient(notice.channel, notice.external_id, notice.locale, None),
            text,
            f"reclassified:{notice.question_id}",
            "reclassification notice",
        )

    async def _to_asker(
        self, question_id: int, chat: Recipient, text: str, key: str, what: str
    ) -> bool:
        """One plain notice about a question to the chat it was asked from, once per change of
        the question (its update time ends the key)."""
        facts = await self._facts(question_id)
        if facts is None:
            return False
        resident_id, _answered, changed = facts
        message = Message(esc(text), html=True) if chat.channel == TELEGRAM else Message(text)
        recipient = Recipient(chat.channel, chat.chat_id, chat.locale, resident_id)
        return await self._send([(recipient, message, f"{key}:{changed.isoformat()}")], what) == 1

    # --- sending --------------------------------------------------------------------------

    def _configured(self, channel: str) -> bool:
        """Whether the bot has this channel (a token), even if another process serves it."""
        if channel == WEB:
            return True  # served by every process
        return bool(self.settings.token if channel == TELEGRAM else self.settings.zalo_token)

    async def _facts(self, question_id: int) -> tuple[str, Any, Any] | None:
        """(resident id, answered at, last change) of a question: what makes a key unique."""
        try:
            async with self.sessionmaker() as db:
                q = await db.get(ResidentQuestion, question_id)
                return (q.resident_id, q.answered_at, q.updated_at) if q else None
        except Exception as exc:
            log.warning("Question #%s not read for a notice: %s", question_id, type(exc).__name__)
            return None

    async def _send(self, rows: list[tuple[Recipient, Message, str]], what: str) -> int:
        """Put the messages (all on one channel) into the outbox and send them now if this
        process serves the channel (else the one that does sends them); returns how many the
        channel accepted now."""
        if not rows:
            return 0
        channel = rows[0][0].channel
        here = channel in self.delivery.senders
        if not here and not self._configured(channel):
            log.info("No %s channel configured: %s not sent", channel.capitalize(), what)
            return 0
        try:
            async with self.sessionmaker() as db, db.begin():
                await outbox.add_many(db, rows)
        except Exception as exc:
            log.warning("%s %s not queued: %s", channel.capitalize(), what, type(exc).__name__)
            return 0
        if not here:  # e.g. the console: the running bot's delivery engine sends it
            log.info("%s %s queued for the bot's process", channel.capitalize(), what)
            return 0
        outcomes = await self.delivery.send_now(key for _r, _m, key in rows)
        sent = 0
        for status, error in outcomes.values():
            if status == DeliveryStatus.SENT:
                sent += 1
            else:  # the exception's name only: its description may quote the request
                reason = (error or status).split(":", 1)[0]
                log.warning("%s %s not delivered: %s", channel.capitalize(), what, reason)
        return sent
