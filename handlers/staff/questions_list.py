"""/questions: residents' questions page by page, newest first (officials: their fields),
each with a button that opens its card.

    /questions [field] [status|flagged]   e.g. /questions tp received, /questions flagged
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import QuestionCb, esc
from bot.services import questions, staff
from bot.services.staff import Permission, StaffRef
from bot.survey.definition import Survey
from bot.texts import (
    WITHHELD_TEXT,
    clipped,
)
from handlers.staff.common import Usage, button, field_label, status_label
from handlers.staff.permissions import can, staff_router
from models import QuestionStatus

PAGE_SIZE = 10


class ListCb(CallbackData, prefix="sl"):
    """A page of /questions: f = field id, s = status ("" for any), p = page from 0."""

    f: str
    s: str
    p: int


def preview_line(item: questions.StaffQuestionSummary) -> str:
    if item.complaint_flag and not item.preview:
        return _(WITHHELD_TEXT)
    return clipped(item.preview, 80)


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
    me: StaffRef,
    db: AsyncSession,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    try:
        field, status = parse_filters(command.args, survey)
    except Usage as usage:
        await message.answer(str(usage))
        return
    text, markup = await render_list(
        db, me, survey, field=field, status=status, page=0, now=clock()
    )
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
    text, markup = await render_list(
        db,
        me or callback.from_user.id,
        survey,
        field=field,
        status=status,
        page=max(0, callback_data.p),
        now=clock(),
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=markup)
    else:
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


def create_router() -> Router:
    router = staff_router(__name__)
    # Someone not on staff is told their Telegram id: what an admin needs for /staff_add.
    router.message.register(
        cmd_questions,
        Command("questions"),
        flags=can(Permission.VIEW_QUESTIONS, "list", show_id=True),
    )
    router.callback_query.register(on_page, ListCb.filter())
    return router
