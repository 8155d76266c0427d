"""Ward staff on Telegram: residents' questions page by page, one question's card with the
actions the staff member's role allows, answering, staff management for admins; and the
resident's rating of an answer the bot relayed.

Commands (staff read them in the ward's language, DEFAULT_LOCALE):

    /questions [field] [status|flagged] e.g. /questions tp received, /questions flagged
    /staff                             the active staff (admins)
    /staff_add ID ROLE FULL NAME [fields=tp,dc]
    /staff_set ID [role=ROLE] [fields=tp,dc] [name=FULL NAME]   (name= comes last)
    /staff_remove ID
    /cancel                            stop typing an answer or a hiding reason

ID is the person's numeric Telegram user id; ROLE is admin, leader, official or front; fields
are the survey's field ids. A question is answered with its card's ✍️ button (the next text
message is the answer) or by replying to the card or to the new-question notice.

Authorisation is the services' (bot.services.staff, bot.services.questions): buttons are shown
only when allowed and every action is checked again there. A refusal raises PermissionDenied
after adding an audit entry to this update's transaction; the handlers reply politely and
return normally, so the update middleware commits the entry. Plain aiogram handlers with typed
callback data: each button carries the question id, so staff screens survive a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, current_locale, use_locale
from bot.notify import QuestionCb, RateCb, esc
from bot.services import questions, staff
from bot.services.questions import QuestionError, QuestionNotFound, StaffQuestionView
from bot.services.residents import ResidentRef
from bot.services.staff import InvalidStaff, Permission, PermissionDenied, Role, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.telegram import clear_staff_menu, set_staff_menu
from bot.texts import (
    LANGUAGE_NAMES,
    ROLE_LABELS,
    STATUS_LABELS,
    WITHHELD_TEXT,
    clipped,
    local_time,
)
from handlers.states import StaffV1
from models import QuestionStatus, Reclassified, ResidentQuestion

log = logging.getLogger(__name__)

PAGE_SIZE = 10
PENDING_KEY = "staff_pending"  # FSM data: {"q": id, "code": code} while an answer is awaited
CARD_TEXT = 2000  # characters of a question (and 1500 of its answer) on a card: ≤ 4096 in all
CARD_ANSWER = 1500
DONE = (QuestionStatus.ANSWERED, QuestionStatus.CLOSED, QuestionStatus.RECLASSIFIED)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ListCb(CallbackData, prefix="sl"):
    """A page of /questions: f = field id, s = status ("" for any), p = page from 0."""

    f: str
    s: str
    p: int


class PickCb(CallbackData, prefix="sp"):
    """Assign question q to staff member s (internal id); s = 0 cancels."""

    q: int
    s: int


PREFIXES = frozenset(
    {ListCb.__prefix__, PickCb.__prefix__, QuestionCb.__prefix__, RateCb.__prefix__}
)


def owns(data: str | None) -> bool:
    """Callback data this module handles (the start router lets it through)."""
    return bool(data) and data.split(":", 1)[0] in PREFIXES


class Usage(Exception):
    """A command typed the wrong way; `str()` is the hint."""


class StaffContext(BaseMiddleware):
    """For the updates this router handles: `me` (the active staff member, or None) and, for
    staff, the ward's language; a resident is refused in their own."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        me = await staff.find(data["db"], user.id) if user else None
        data["me"] = me
        if me is None:
            return await handler(event, data)
        with use_locale(data["settings"].default_locale):
            return await handler(event, data)


class RequirePermission(BaseMiddleware):
    """For a staff-only router or dialog: every update is read in the ward's language and comes
    from someone who may still do this (`me` is set); anyone else, e.g. removed a minute ago,
    is refused politely and audited under `action`."""

    def __init__(self, permission: Permission, action: str) -> None:
        self.permission, self.action = permission, action

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        locale = data["settings"].default_locale
        with use_locale(locale):
            data["locale"] = locale
            user = data.get("event_from_user")
            try:
                data["me"] = await staff.require(
                    data["db"],
                    user.id if user else None,
                    self.permission,
                    now=data["clock"](),
                    action=self.action,
                )
            except PermissionDenied as denied:
                if isinstance(event, CallbackQuery):
                    await event.answer(str(denied), show_alert=True)
                elif isinstance(event, Message):
                    await event.answer(str(denied))
                return None
            return await handler(event, data)


# --- small helpers --------------------------------------------------------------------------


def field_label(survey: Survey, field_id: str) -> str:
    field = survey.field(field_id)
    return field.label.get(current_locale()) if field else field_id


def preview_line(item: questions.StaffQuestionSummary) -> str:
    if item.complaint_flag and not item.preview:
        return _(WITHHELD_TEXT)
    return clipped(item.preview, 80)


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def role_label(role: str) -> str:
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def alert(callback: CallbackQuery, text: str) -> None:
    await callback.answer(clipped(text, 200), show_alert=True)


async def brief(db: AsyncSession, question_id: int) -> ResidentQuestion | None:
    """The question's code, field and status, to prompt before an action (the action itself
    is checked and audited by the service)."""
    stmt = select(ResidentQuestion).where(ResidentQuestion.id == question_id)
    return (await db.execute(stmt)).scalar_one_or_none()


def target(q: ResidentQuestion) -> str:
    return f"question:{q.code}"  # as bot.services.questions audits it


def done_message(status: str) -> str | None:
    if status == QuestionStatus.CLOSED:
        return _("This question is closed.")
    if status == QuestionStatus.ANSWERED:
        return _("This question is already answered.")
    return None


# --- /questions -----------------------------------------------------------------------------


FLAGGED = "flagged"  # in place of a status: only questions that looked like a complaint


def questions_usage(survey: Survey) -> str:
    return _(
        "Usage: /questions [field] [status], for example /questions tp received.\n"
        "Fields: {fields}.\nStatuses: {statuses}."
    ).format(
        fields=", ".join(f.id for f in survey.fields),
        statuses=", ".join([*QuestionStatus, FLAGGED]),
    )


def parse_filters(args: str | None, survey: Survey) -> tuple[str | None, str | None]:
    field = status = None
    for token in (args or "").lower().split():
        if field is None and survey.field(token) is not None:
            field = token
        elif status is None and token in {*QuestionStatus, FLAGGED}:
            status = token
        else:
            raise Usage(questions_usage(survey))
    return field, status


async def render_list(
    db: AsyncSession,
    actor: staff.Actor,
    survey: Survey,
    *,
    field: str | None,
    status: str | None,
    page: int,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup | None]:
    flagged = status == FLAGGED
    if flagged:
        status = None
    found = await questions.list_for_staff(
        db,
        actor,
        field=field,
        status=status,
        flagged=flagged,
        page=page,
        page_size=PAGE_SIZE,
        now=now,
    )
    if not found.items and found.total and page > 0:  # the list got shorter since
        found = await questions.list_for_staff(
            db,
            actor,
            field=field,
            status=status,
            flagged=flagged,
            page=found.pages - 1,
            page_size=PAGE_SIZE,
            now=now,
        )
    lines = [_("<b>Residents' questions</b>")]
    if field:
        lines.append(_("Field: {field}").format(field=esc(field_label(survey, field))))
    if status:
        lines.append(_("Status: {status}").format(status=status_label(status)))
    if flagged:
        lines.append(_("⚠️ Only those sent although they looked like a complaint"))
        status = FLAGGED  # kept in the page buttons
    if not found.items:
        lines.append(_("No questions found."))
        return "\n".join(lines), None
    lines.append(
        _("Page {page} of {pages} · {total} in all").format(
            page=found.page + 1, pages=found.pages, total=found.total
        )
    )
    rows: list[list[InlineKeyboardButton]] = []
    for number, item in enumerate(found.items, start=found.page * PAGE_SIZE + 1):
        marks = ""
        if item.complaint_flag:
            marks += " ⚠️"
        if item.attachments:
            marks += f" 📎{item.attachments}"
        if item.hidden:
            marks += " 🙈"
        lines.append(
            f"\n{number}. <b>{esc(item.code)}</b> · {esc(field_label(survey, item.field))}"
            f" · {status_label(item.status)}{marks}\n<i>{esc(preview_line(item))}</i>"
        )
        rows.append(
            [
                button(
                    f"{item.code} · {status_label(item.status)}",
                    QuestionCb(a="o", q=item.id),
                )
            ]
        )
    pager = []
    if found.has_previous:
        pager.append(
            button(_("⬅️ Previous"), ListCb(f=field or "", s=status or "", p=found.page - 1))
        )
    if found.has_next:
        pager.append(button(_("Next ➡️"), ListCb(f=field or "", s=status or "", p=found.page + 1)))
    if pager:
        rows.append(pager)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def cmd_questions(
    message: Message,
    command: CommandObject,
    me: StaffRef | None,
    db: AsyncSession,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    actor = me or message.from_user.id
    try:
        await staff.require(db, actor, Permission.VIEW_QUESTIONS, now=now, action="list")
        field, status = parse_filters(command.args, survey)
        text, markup = await render_list(
            db, actor, survey, field=field, status=status, page=0, now=now
        )
    except PermissionDenied as denied:
        reply = str(denied)
        if me is None:  # someone who may join the staff needs their id for /staff_add
            reply += "\n" + _("Your Telegram id is {id}.").format(id=message.from_user.id)
        await message.answer(reply)
        return
    except Usage as usage:
        await message.answer(str(usage))
        return
    await message.answer(text, reply_markup=markup)


async def on_page(
    callback: CallbackQuery,
    callback_data: ListCb,
    me: StaffRef | None,
    db: AsyncSession,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    status = callback_data.s if callback_data.s in set(QuestionStatus) else None
    field = callback_data.f if survey.field(callback_data.f) is not None else None
    try:
        text, markup = await render_list(
            db,
            me or callback.from_user.id,
            survey,
            field=field,
            status=status,
            page=max(0, callback_data.p),
            now=clock(),
        )
    except PermissionDenied as denied:
        await alert(callback, str(denied))
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=markup)
    else:
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


# --- one question's card --------------------------------------------------------------------


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
    except (PermissionDenied, QuestionError) as refused:
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
    except (PermissionDenied, QuestionError) as refused:
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
    await act.state.set_state(StaffV1.answer)
    await act.state.update_data({PENDING_KEY: {"q": q.id, "code": q.code}})
    await act.callback.answer()
    await act.say(
        _(
            "✍️ Please write the answer to {code} in your next message. The resident receives "
            "it signed with the field and your role, not your name. /cancel to stop."
        ).format(code=esc(q.code))
    )


async def _ask_reason(act: Action) -> None:
    q = await act.question(Permission.HIDE, "hide")
    await act.state.set_state(StaffV1.hide_reason)
    await act.state.update_data({PENDING_KEY: {"q": q.id, "code": q.code}})
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


# --- the answer and the hiding reason: the next text message --------------------------------


async def clear_pending(state: FSMContext) -> None:
    # Only this module's part: the FSM data also holds the resident's cached id and drafts.
    await state.set_state(None)
    await state.update_data({PENDING_KEY: None})


async def submit_answer(
    message: Message,
    question_id: int,
    me: StaffRef | None,
    db: AsyncSession,
    state: FSMContext,
    now: datetime,
    notifier: Any,
) -> None:
    text = questions.clean_text(message.text or "")
    if len(text) > questions.MAX_TEXT:
        await message.answer(  # the pending answer stays: they can send a shorter one
            _("Your text has {count} characters; the limit is {limit}. Please shorten it.").format(
                count=len(text), limit=questions.MAX_TEXT
            )
        )
        return
    await clear_pending(state)
    try:
        relay = await questions.answer(db, me or message.from_user.id, question_id, text, now)
    except (PermissionDenied, QuestionError) as refused:
        await message.answer(str(refused))
        return
    await db.commit()  # the answer is stored whatever happens to its delivery
    if not relay.named:
        await message.answer(
            _(
                "✅ The answer to {code} is stored. The question was anonymous: the answer goes "
                "into the conference digest, and the resident can read it under My questions."
            ).format(code=esc(relay.code))
        )
        return
    delivered = await notifier.deliver(relay) if notifier is not None else False
    if delivered:
        reply = _("✅ The answer to {code} is stored and was sent to the resident.")
    else:
        reply = _(
            "✅ The answer to {code} is stored. It could not be sent to the resident's chat; "
            "they can read it under My questions."
        )
    await message.answer(reply.format(code=esc(relay.code)))


async def on_pending_text(
    message: Message,
    me: StaffRef | None,
    db: AsyncSession,
    state: FSMContext,
    clock: Callable[[], datetime],
    **data: Any,
) -> None:
    pending = (await state.get_data()).get(PENDING_KEY) or {}
    if not pending.get("q"):
        await clear_pending(state)
        raise SkipHandler()  # nothing awaited after all: let the resident side read it
    now = clock()
    if await state.get_state() == StaffV1.answer.state:
        await submit_answer(message, pending["q"], me, db, state, now, data.get("notifier"))
        return
    await clear_pending(state)
    try:
        await questions.hide(db, me or message.from_user.id, pending["q"], message.text, now)
    except (PermissionDenied, QuestionError) as refused:
        await message.answer(str(refused))
        return
    await message.answer(_("🙈 {code} is hidden.").format(code=esc(pending.get("code", ""))))


async def on_pending_other(message: Message, state: FSMContext) -> None:
    if await state.get_state() == StaffV1.answer.state:
        await message.answer(_("Please write the answer as a text message."))
    else:
        await message.answer(_("Please give a reason for hiding this question."))


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await clear_pending(state)
    await message.answer(_("Cancelled."))


def replied_question(message: Message) -> dict[str, int] | bool:
    """A reply to one of the bot's messages about a question (its card or the new-question
    notice, both carrying the question's buttons): {"replied_q": id}."""
    reply = message.reply_to_message
    if reply is None or reply.from_user is None or not reply.from_user.is_bot:
        return False
    markup = reply.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for key in row:
            if key.callback_data and key.callback_data.startswith(QuestionCb.__prefix__ + ":"):
                try:
                    return {"replied_q": QuestionCb.unpack(key.callback_data).q}
                except (TypeError, ValueError):
                    continue
    return False


async def on_reply(
    message: Message,
    replied_q: int,
    me: StaffRef | None,
    db: AsyncSession,
    state: FSMContext,
    clock: Callable[[], datetime],
    **data: Any,
) -> None:
    if me is None:
        raise SkipHandler()  # not staff: an ordinary message for the resident side
    await submit_answer(message, replied_q, me, db, state, clock(), data.get("notifier"))


# --- staff management (admins) --------------------------------------------------------------


def staff_usage(survey: Survey) -> str:
    return _(
        "/staff: the staff list\n"
        "/staff_add ID ROLE FULL NAME [fields=tp,dc]\n"
        "/staff_set ID [role=ROLE] [fields=tp,dc] [name=FULL NAME] (name= last)\n"
        "/staff_remove ID\n"
        "ID: the person's numeric Telegram id (a non-staff user sees it when typing "
        "/questions). Roles: {roles}. Officials need fields: {fields}.\n"
        "Example: /staff_add 123456789 official Nguyễn Văn B fields=tp"
    ).format(roles=", ".join(Role), fields=", ".join(f.id for f in survey.fields))


def _telegram_id(token: str, survey: Survey) -> int:
    if not token.isdigit() or int(token) <= 0:
        raise Usage(staff_usage(survey))
    return int(token)


def _fields(value: str, survey: Survey) -> list[str]:
    fields = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in fields if survey.field(f) is None]
    if unknown:
        raise Usage(
            _("Unknown field: {unknown}. Fields: {fields}.").format(
                unknown=", ".join(unknown), fields=", ".join(f.id for f in survey.fields)
            )
        )
    return fields


def parse_add(args: str | None, survey: Survey) -> tuple[int, str, str, list[str]]:
    tokens = (args or "").split()
    if len(tokens) < 3:
        raise Usage(staff_usage(survey))
    fields: list[str] = []
    name: list[str] = []
    for token in tokens[2:]:
        if token.lower().startswith("fields="):
            fields += _fields(token[len("fields=") :], survey)
        else:
            name.append(token)
    return _telegram_id(tokens[0], survey), tokens[1], " ".join(name), fields


def parse_set(args: str | None, survey: Survey) -> tuple[int, dict[str, Any]]:
    tokens = (args or "").split()
    if len(tokens) < 2:
        raise Usage(staff_usage(survey))
    changes: dict[str, Any] = {}
    for index, token in enumerate(tokens[1:], start=1):
        key, _sep, value = token.partition("=")
        key = key.lower()
        if key == "name":
            changes["name"] = " ".join([value, *tokens[index + 1 :]])
            break
        if key == "role" and value:
            changes["role"] = value
        elif key == "fields" and value:
            changes["fields"] = _fields(value, survey)
        else:
            raise Usage(staff_usage(survey))
    return _telegram_id(tokens[0], survey), changes


def describe(member: StaffRef, survey: Survey) -> str:
    line = f"• {esc(member.name)} · {member.role} · id {member.telegram_user_id}"
    if member.fields:
        line += " · " + ", ".join(esc(field_label(survey, f)) for f in member.fields)
    return line


async def cmd_staff(
    message: Message,
    me: StaffRef | None,
    db: AsyncSession,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    try:
        people = await staff.members(db, me or message.from_user.id, now=clock())
    except PermissionDenied as denied:
        await message.answer(str(denied))
        return
    lines = [_("<b>Ward staff</b> ({count})").format(count=len(people))]
    lines += [describe(member, survey) for member in people]
    lines.append("\n" + esc(staff_usage(survey)))
    await message.answer("\n".join(lines))


async def _manage(
    message: Message,
    me: StaffRef | None,
    db: AsyncSession,
    now: datetime,
    action: str,
    survey: Survey,
) -> bool:
    """The admin check comes first, so someone else is refused rather than taught the syntax."""
    try:
        await staff.require(
            db, me or message.from_user.id, Permission.MANAGE_STAFF, now=now, action=action
        )
    except PermissionDenied as denied:
        await message.answer(str(denied))
        return False
    return True


async def cmd_staff_add(
    message: Message,
    command: CommandObject,
    me: StaffRef | None,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    if not await _manage(message, me, db, now, "staff_add", survey):
        return
    try:
        telegram_id, role, name, fields = parse_add(command.args, survey)
        member = await staff.add(
            db, me or message.from_user.id, telegram_id, name, role, fields, now=now
        )
    except (Usage, InvalidStaff) as problem:
        await message.answer(esc(problem))
        return
    await db.commit()
    await message.answer(_("✅ Added:") + "\n" + describe(member, survey))
    await set_staff_menu(bot, member, settings.default_locale)


async def cmd_staff_set(
    message: Message,
    command: CommandObject,
    me: StaffRef | None,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    if not await _manage(message, me, db, now, "staff_change", survey):
        return
    try:
        telegram_id, changes = parse_set(command.args, survey)
        member = await staff.change(db, me or message.from_user.id, telegram_id, now=now, **changes)
    except (Usage, InvalidStaff) as problem:
        await message.answer(esc(problem))
        return
    await db.commit()
    await message.answer(_("✅ Changed:") + "\n" + describe(member, survey))
    await set_staff_menu(bot, member, settings.default_locale)


async def cmd_staff_remove(
    message: Message,
    command: CommandObject,
    me: StaffRef | None,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    if not await _manage(message, me, db, now, "staff_remove", survey):
        return
    try:
        tokens = (command.args or "").split()
        if len(tokens) != 1:
            raise Usage(staff_usage(survey))
        telegram_id = _telegram_id(tokens[0], survey)
        await staff.remove(db, me or message.from_user.id, telegram_id, now=now)
    except (Usage, InvalidStaff) as problem:
        await message.answer(esc(problem))
        return
    await db.commit()
    await message.answer(_("✅ Removed from the staff: Telegram id {id}.").format(id=telegram_id))
    await clear_staff_menu(bot, telegram_id)


# --- /help ----------------------------------------------------------------------------------


def staff_help(me: StaffRef, survey: Survey) -> str:
    """The staff part of /help: only what this member's role may do."""
    lines = [_("<b>For ward staff</b> · {role}").format(role=esc(role_label(me.role)))]
    if staff.allows(me, Permission.VIEW_QUESTIONS):
        lines.append(
            _(
                "/questions [field] [status]: residents' questions, 10 a page; open one to see "
                "its text and the actions your role allows. Answer with ✍️ Answer or by replying "
                "to the question's message; /cancel stops."
            )
        )
    if staff.allows(me, Permission.VIEW_STATS):
        lines.append(
            _(
                "/stats [number]: the figures of the open session (or of session number): "
                "responses per field and channel, satisfaction, questions and pending answers."
            )
        )
    if staff.allows(me, Permission.EXPORT):
        lines.append(
            _(
                "/export [number] [dd/mm/yyyy dd/mm/yyyy]: the files for the conference (Excel, "
                "CSV, chart, Word report) of a session or a period."
            )
        )
    if staff.allows(me, Permission.EXPORT_NAMED):
        lines.append(
            _("/export number named: the same with the names and phones of named questions.")
        )
    if staff.allows(me, Permission.MANAGE_SESSIONS):
        lines.append(
            _(
                "/sessions: dialogue sessions: create one, change its date, time, place or "
                "agenda, open or close its survey window, or cancel it."
            )
        )
    if staff.allows(me, Permission.BROADCAST):
        lines.append(
            _(
                "/broadcast: an announcement (text, optionally a photo or a document) to every "
                "resident who opted in, or to those interested in one field; a preview first, then "
                "Send, with its progress and a Stop button."
            )
        )
        lines.append(
            _(
                "/broadcasts: past announcements, with how many were sent, failed, unreachable "
                "or pending."
            )
        )
    if staff.allows(me, Permission.UPLOAD_PAPER):
        lines.append(
            _(
                "/paper: the spreadsheet template and the printable form for paper answers. "
                "Send the filled .xlsx file back to store the forms (caption session=ID for "
                "another session); a file with errors stores nothing and lists each error."
            )
        )
    if staff.allows(me, Permission.MANAGE_STAFF):
        lines.append(esc(staff_usage(survey)))
    return "\n".join(lines)


# --- the resident's rating of a relayed answer ----------------------------------------------


async def on_rate(
    callback: CallbackQuery,
    callback_data: RateCb,
    resident: ResidentRef | None,
    db: AsyncSession,
    clock: Callable[[], datetime],
) -> None:
    if resident is None:
        await callback.answer(_("This question was not found."))
        return
    try:
        await questions.rate_answer(
            db, resident.id, callback_data.q, callback_data.v == 1, None, clock()
        )
    except QuestionError as problem:
        await callback.answer(clipped(str(problem), 200))
        return
    await callback.answer(_("Thank you for rating the answer."))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


# --- the router -----------------------------------------------------------------------------


def create_router() -> Router:
    """Staff commands and buttons, and the rating buttons of relayed answers. Included after
    the resident commands and before the dialogs."""
    rating = Router(name=f"{__name__}.rating")
    rating.callback_query.register(on_rate, RateCb.filter())

    desk = Router(name=f"{__name__}.staff")
    desk.message.middleware(StaffContext())
    desk.callback_query.middleware(StaffContext())
    desk.message.register(cmd_questions, Command("questions"))
    desk.message.register(cmd_staff, Command("staff"))
    desk.message.register(cmd_staff_add, Command("staff_add"))
    desk.message.register(cmd_staff_set, Command("staff_set"))
    desk.message.register(cmd_staff_remove, Command("staff_remove"))
    desk.message.register(cmd_cancel, Command("cancel"), StateFilter(StaffV1))
    # A reply to a question's message answers it, whatever is pending.
    desk.message.register(on_reply, F.text, ~F.text.startswith("/"), replied_question)
    desk.message.register(on_pending_text, StateFilter(StaffV1), F.text, ~F.text.startswith("/"))
    desk.message.register(on_pending_other, StateFilter(StaffV1), ~F.text)
    desk.callback_query.register(on_page, ListCb.filter())
    desk.callback_query.register(on_question, QuestionCb.filter())
    desk.callback_query.register(on_pick, PickCb.filter())

    router = Router(name=__name__)
    router.include_routers(rating, desk)
    return router
