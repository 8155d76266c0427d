"""One question's card: its text, status and contact as far as the staff member's role allows,
and the buttons of the actions it allows (assign, answer, to the conference, close, complaint or
report, hide, attachments). Each button carries the question id, so cards survive a restart;
every action is checked again, and audited, by bot.services.questions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import QuestionCb, esc
from bot.services import questions, staff
from bot.services.questions import QuestionError, QuestionNotFound, StaffQuestionView
from bot.services.staff import Permission, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.texts import (
    LANGUAGE_NAMES,
    WITHHELD_TEXT,
    clipped,
    local_time,
)
from handlers.staff.answering import await_text
from handlers.staff.common import (
    DONE,
    alert,
    brief,
    button,
    done_message,
    field_label,
    role_label,
    status_label,
    target,
)
from handlers.staff.permissions import staff_router
from handlers.states import StaffV1
from models import QuestionStatus, Reclassified, ResidentQuestion

log = logging.getLogger(__name__)

CARD_TEXT = 2000  # characters of a question (and 1500 of its answer) on a card: ≤ 4096 in all
CARD_ANSWER = 1500


class PickCb(CallbackData, prefix="sp"):
    """Assign question q to staff member s (internal id); s = 0 cancels."""

    q: int
    s: int


def render_card(
    view: StaffQuestionView, me: StaffRef | None, survey: Survey, settings: Settings
) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = [f"<b>{esc(view.code)}</b> · {esc(field_label(survey, view.field))}"]
    lines.append(
        _("Status: {status} · language: {language} · channel: {channel}").format(
            status=status_label(view.status),
            language=esc(LANGUAGE_NAMES.get(view.language, view.language or "?")),
            channel=esc(view.channel),
        )
    )
    lines.append(
        _("Sent {sent_at} · attachments: {count}").format(
            sent_at=local_time(view.created_at, settings), count=len(view.attachments)
        )
    )
    if view.complaint_flag:
        lines.append(_("⚠️ Possibly a complaint or denunciation; sent anyway."))
    if view.assigned_to is not None:
        lines.append(_("Assigned to: {name}").format(name=esc(view.assigned_to.name)))
    if view.contact_shown:
        lines.append(
            _("Contact: {name}, {phone}").format(
                name=esc(view.contact_name or ""), phone=esc(view.contact_phone or "")
            )
        )
    elif view.named:
        lines.append(_("Named: the contact is shown to leaders, admins and the assigned official."))
    else:
        lines.append(_("Anonymous: for the conference digest; no individual answer is owed."))
    if view.hidden:
        reason = clipped(view.hidden_reason or "", 300)
        lines.append(_("🙈 Hidden: {reason}").format(reason=esc(reason)))
    if view.text_withheld:
        lines.append("\n" + _(WITHHELD_TEXT))
    else:
        lines.append(f"\n<i>{esc(clipped(view.text, CARD_TEXT))}</i>")
    if view.answer_text is not None:
        lines.append(
            _("\n<b>Answer</b> ({when}, {role}): {answer}").format(
                when=local_time(view.answered_at, settings),
                role=role_label(view.answered_role or ""),
                answer=esc(clipped(view.answer_text, CARD_ANSWER)),
            )
        )
        if view.answer_rating is not None:
            rating = (
                _("👍 Satisfied")
                if view.answer_rating == questions.SATISFIED
                else _("👎 Not satisfied")
            )
            lines.append(_("Resident's rating: {rating}").format(rating=rating))
    return "\n".join(lines + _card_hint(view, me)), _card_buttons(view, me)


def _may(me: StaffRef | None, permission: Permission, view: StaffQuestionView) -> bool:
    return me is not None and staff.allows(me, permission, view.field)


def _card_hint(view: StaffQuestionView, me: StaffRef | None) -> list[str]:
    if view.status in DONE or not _may(me, Permission.ANSWER, view):
        return []
    return [_("\n↩️ Reply to this message to answer the resident, or tap ✍️ Answer.")]


def _card_buttons(view: StaffQuestionView, me: StaffRef | None) -> InlineKeyboardMarkup | None:
    q = view.id
    first: list[InlineKeyboardButton] = []
    second: list[InlineKeyboardButton] = []
    third: list[InlineKeyboardButton] = []
    open_question = view.status not in DONE
    if open_question and _may(me, Permission.ASSIGN, view):
        first.append(button(_("👤 Assign"), QuestionCb(a="as", q=q)))
    if open_question and _may(me, Permission.ANSWER, view):
        first.append(button(_("✍️ Answer"), QuestionCb(a="an", q=q)))
    if (
        open_question
        and view.status != QuestionStatus.CONFERENCE
        and _may(me, Permission.MARK_CONFERENCE, view)
    ):
        second.append(button(_("🗓 To the conference"), QuestionCb(a="cf", q=q)))
    if view.status not in (QuestionStatus.CLOSED, QuestionStatus.RECLASSIFIED) and _may(
        me, Permission.CLOSE, view
    ):
        second.append(button(_("✔️ Close"), QuestionCb(a="cl", q=q)))
    if open_question and _may(me, Permission.RECLASSIFY, view):
        third.append(button(_("⚖️ Complaint or report"), QuestionCb(a="rc", q=q)))
    if _may(me, Permission.HIDE, view):
        if view.hidden:
            third.append(button(_("👁 Unhide"), QuestionCb(a="uh", q=q)))
        else:
            third.append(button(_("🙈 Hide"), QuestionCb(a="hd", q=q)))
    if view.attachments:
        third.append(
            button(
                _("📎 Attachments ({count})").format(count=len(view.attachments)),
                QuestionCb(a="at", q=q),
            )
        )
    rows = [row for row in (first, second, third) if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


class Action:
    """What one tap on a question's card needs."""

    def __init__(
        self,
        callback: CallbackQuery,
        q: int,
        me: StaffRef | None,
        db: AsyncSession,
        data: dict[str, Any],
        action: str = "",
    ) -> None:
        self.callback = callback
        self.action = action  # the tapped button's code (QuestionCb.a)
        self.q = q
        self.me = me
        self.actor: staff.Actor = me or callback.from_user.id
        self.user_id = callback.from_user.id
        self.db = db
        self.bot: Bot = data["bot"]
        self.settings: Settings = data["settings"]
        self.survey: Survey = data["survey"]
        self.state: FSMContext = data["state"]
        self.notifier = data.get("notifier")
        self.now: datetime = data["clock"]()

    async def say(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        await self.bot.send_message(self.user_id, text, reply_markup=markup)

    async def card(self) -> tuple[str, InlineKeyboardMarkup | None]:
        view = await questions.view_for_staff(self.db, self.actor, self.q, self.now)
        return render_card(view, self.me, self.survey, self.settings)

    async def refresh(self) -> None:
        """Show the card again, in place, after its question changed."""
        text, markup = await self.card()
        if isinstance(self.callback.message, Message):
            await self.callback.message.edit_text(text, reply_markup=markup)
        else:
            await self.say(text, markup)

    async def question(self, permission: Permission, action: str) -> ResidentQuestion | None:
        """The question, if the actor may do this to it (else PermissionDenied, audited)."""
        q = await brief(self.db, self.q)
        if q is None:
            raise QuestionNotFound()
        await staff.require(
            self.db,
            self.actor,
            permission,
            field=q.field,
            now=self.now,
            action=action,
            target=target(q),
        )
        return q


async def on_question(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    me: StaffRef | None,
    db: AsyncSession,
    **data: Any,
) -> None:
    act = Action(callback, callback_data.q, me, db, data, callback_data.a)
    handlers = {
        "o": _open,
        "as": _assign,
        "an": _ask_answer,
        "cf": _conference,
        "cl": _close,
        "hd": _ask_reason,
        "uh": _unhide,
        "at": _attachments,
        "rc": _ask_reclassify,
        **{action: _reclassify for action in RECLASSIFY_ACTIONS},
    }
    handler = handlers.get(callback_data.a)
    if handler is None:
        await callback.answer()
        return
    try:
        await handler(act)
    except QuestionError as refused:
        await alert(callback, str(refused))


async def _open(act: Action) -> None:
    text, markup = await act.card()
    await act.callback.answer()
    await act.say(text, markup)


async def _assign(act: Action) -> None:
    q = await act.question(Permission.ASSIGN, "assign")
    problem = done_message(q.status)
    if problem:
        await alert(act.callback, problem)
        return
    officials = await staff.officials_for(act.db, q.field)
    field = field_label(act.survey, q.field)
    if not officials:
        await alert(
            act.callback,
            _("No official handles {field} yet; an admin can add one with /staff_add.").format(
                field=field
            ),
        )
        return
    rows = [[button(clipped(o.name, 60), PickCb(q=q.id, s=o.id))] for o in officials]
    rows.append([button(_("✖ Cancel"), PickCb(q=q.id, s=0))])
    await act.callback.answer()
    await act.say(
        _("Assign {code} ({field}) to:").format(code=esc(q.code), field=esc(field)),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def on_pick(
    callback: CallbackQuery,
    callback_data: PickCb,
    me: StaffRef | None,
    db: AsyncSession,
    clock: Callable[[], datetime],
    **data: Any,
) -> None:
    edit = callback.message.edit_text if isinstance(callback.message, Message) else None
    if callback_data.s == 0:
        await callback.answer()
        if edit:
            await edit(_("Cancelled."))
        return
    try:
        official = await questions.assign(
            db, me or callback.from_user.id, callback_data.q, callback_data.s, clock()
        )
    except QuestionError as refused:
        await alert(callback, str(refused))
        return
    q = await brief(db, callback_data.q)
    await db.commit()  # stored before anyone is told
    await callback.answer()
    text = _("✅ {code} is assigned to {name}.").format(
        code=esc(q.code if q else ""), name=esc(official.name)
    )
    if edit:
        await edit(text)
    notifier = data.get("notifier")
    if notifier is not None:
        await notifier.question_assigned(callback_data.q, official)


async def _ask_answer(act: Action) -> None:
    q = await act.question(Permission.ANSWER, "answer")
    problem = done_message(q.status)
    if problem:
        await alert(act.callback, problem)
        return
    await await_text(act.state, StaffV1.answer, q)
    await act.callback.answer()
    await act.say(
        _(
            "✍️ Please write the answer to {code} in your next message. The resident receives "
            "it signed with the field and your role, not your name. /cancel to stop."
        ).format(code=esc(q.code))
    )


async def _ask_reason(act: Action) -> None:
    q = await act.question(Permission.HIDE, "hide")
    await await_text(act.state, StaffV1.hide_reason, q)
    await act.callback.answer()
    await act.say(
        _(
            "🙈 Why should {code} be hidden (for example abusive content)? Please write the "
            "reason in your next message. /cancel to stop."
        ).format(code=esc(q.code))
    )


# The card's "complaint or report" choices: what the question was found to be.
RECLASSIFY_ACTIONS = {
    "rk": Reclassified.COMPLAINT,
    "rd": Reclassified.DENUNCIATION,
    "rt": Reclassified.CRIME,
}


async def _ask_reclassify(act: Action) -> None:
    q = await act.question(Permission.RECLASSIFY, "reclassify")
    await act.callback.answer()
    choices = [
        (_("⚖️ A complaint (citizen reception)"), "rk"),
        (_("📢 A denunciation (citizen reception)"), "rd"),
        (_("🚓 A crime report (police)"), "rt"),
    ]
    await act.say(
        _(
            "What is {code} really? The resident is told where such matters go, and the "
            "question leaves the dialogue's queue and figures."
        ).format(code=esc(q.code)),
        InlineKeyboardMarkup(
            inline_keyboard=[[button(label, QuestionCb(a=a, q=q.id))] for label, a in choices]
        ),
    )


async def _reclassify(act: Action) -> None:
    kind = RECLASSIFY_ACTIONS[act.action]
    redirected = await questions.reclassify(act.db, act.actor, act.q, kind, act.now)
    await act.db.commit()  # the resident is told of what is stored
    await act.callback.answer(_("Taken out of the dialogue; the resident is told where it goes."))
    if act.notifier is not None:
        await act.notifier.reclassified(redirected)
    await act.refresh()


async def _status(act: Action, change: Any, done: str) -> None:
    await act.db.commit()
    await act.callback.answer(done)
    if act.notifier is not None:
        await act.notifier.status_changed(change)
    await act.refresh()


async def _conference(act: Action) -> None:
    change = await questions.mark_conference(act.db, act.actor, act.q, act.now)
    await _status(act, change, _("Marked: to be answered at the conference."))


async def _close(act: Action) -> None:
    change = await questions.close(act.db, act.actor, act.q, act.now)
    await _status(act, change, _("Closed."))


async def _unhide(act: Action) -> None:
    await questions.unhide(act.db, act.actor, act.q, act.now)
    await act.db.commit()
    await act.callback.answer(_("Shown again."))
    await act.refresh()


async def _attachments(act: Action) -> None:
    view = await questions.view_for_staff(act.db, act.actor, act.q, act.now)
    await act.callback.answer()
    total = len(view.attachments)
    for number, info in enumerate(view.attachments, start=1):
        item = await questions.attachment_for_staff(act.db, act.actor, info.id, act.now)
        caption = f"{view.code} · {number}/{total}"
        media: str | BufferedInputFile
        if item.telegram_file_id:
            media = item.telegram_file_id
        else:
            name = item.filename or f"{view.code}-{number}.jpg"
            media = BufferedInputFile(item.content or b"", filename=name)
        try:
            if item.kind == "photo":
                await act.bot.send_photo(act.user_id, media, caption=caption)
            else:
                await act.bot.send_document(act.user_id, media, caption=caption)
        except TelegramAPIError as exc:
            log.warning("Attachment #%s not sent to staff: %s", item.id, type(exc).__name__)
            await act.say(
                _("Attachment {number} of {code} could not be sent.").format(
                    number=number, code=esc(view.code)
                )
            )


def create_router() -> Router:
    router = staff_router(__name__)
    router.callback_query.register(on_question, QuestionCb.filter())
    router.callback_query.register(on_pick, PickCb.filter())
    return router
