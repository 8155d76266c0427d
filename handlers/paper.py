"""Paper forms on Telegram, for the Fatherland Front and admins.

    /paper      the spreadsheet template and the printable form (DOCX), with a short how-to
    a .xlsx     the filled template: validated and stored (caption `session=ID` for another
                session than the one residents currently answer for)

A document from anyone else (a resident, an official, a leader), or sent while the question
dialog collects attachments, is not a paper upload: the filter lets it through to the dialogs.
Checks and storage are in bot/services/paper_answers.py; staff read replies in DEFAULT_LOCALE.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram_dialog.api.internal import CONTEXT_KEY
from sqlalchemy.ext.asyncio import AsyncSession

from bot.exports.paper_form import paper_form
from bot.exports.paper_template import MAX_BYTES, paper_template
from bot.i18n import _, current_locale
from bot.notify import esc
from bot.services import paper_answers, sessions, staff
from bot.services.paper_answers import PaperImport
from bot.services.staff import Permission, PermissionDenied, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from handlers.staff.common import field_label
from handlers.staff.permissions import can, staff_router
from handlers.states import BroadcastV1, QuestionV1, StaffV1

SESSION_ARG = re.compile(r"\bsession\s*=\s*(\d{1,9})\b", re.IGNORECASE)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_LISTED = 20  # problems listed in one reply; the rest are counted
MAX_REPLY = 3800  # characters, below Telegram's 4096


async def cmd_paper(
    message: Message,
    db: AsyncSession,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    locale = current_locale()
    session = await sessions.session_for_answers(db, now, settings.zone, settings.default_locale)
    template = paper_template(survey, locale=locale, session_title=session.title)
    form = paper_form(
        survey,
        ward_name=settings.ward_name,
        locale=locale,
        session_title=session.title,
        chat_url=f"{settings.public_url}/chat",
    )
    await message.answer_document(
        BufferedInputFile(template, filename=_("paper-forms.xlsx")),
        caption=_(
            "📋 Template for typing in paper forms, session “{title}” (id {id}). One row per "
            "form; the answer codes are on the second sheet, an example on the third. Send the "
            "filled .xlsx file back here to store it; to store it for another session, write "
            "session=ID as the file's caption."
        ).format(title=esc(session.title), id=session.id),
    )
    await message.answer_document(
        BufferedInputFile(form, filename=_("survey-form.docx")),
        caption=_("🖨 The printable survey form, with each question's code in [brackets]."),
    )


async def paper_uploader(
    message: Message, db: AsyncSession, **data: Any
) -> bool | dict[str, StaffRef]:
    """A document from someone who may upload paper answers, unless another screen awaits a
    file: the question dialog's attachment step (a staff member asking as a resident), the
    announcement wizard, or a staff member's pending answer (who is asked for text)."""
    if message.document is None or message.from_user is None:
        return False
    context = data.get(CONTEXT_KEY)
    if context is not None and (
        context.state == QuestionV1.attachments or context.state in BroadcastV1
    ):
        return False
    if data.get("raw_state") in StaffV1:
        return False
    me = await staff.find(db, message.from_user.id)
    if me is None or not staff.allows(me, Permission.UPLOAD_PAPER):
        return False
    return {"me": me}


def is_xlsx(message: Message) -> bool:
    name = (message.document.file_name or "").lower()
    return name.endswith(".xlsx") or message.document.mime_type == XLSX_MIME


async def on_upload(
    message: Message,
    me: StaffRef,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    if not is_xlsx(message):
        await message.answer(
            _(
                "To store paper forms, please send the filled template as an Excel workbook "
                "(.xlsx). /paper sends the template."
            )
        )
        return
    if (message.document.file_size or 0) > MAX_BYTES:
        await message.answer(esc(paper_answers.too_large()))
        return
    now = clock()
    found = SESSION_ARG.search(message.caption or "")
    if found:
        session_id = int(found.group(1))
    else:
        session = await sessions.session_for_answers(
            db, now, settings.zone, settings.default_locale
        )
        session_id = session.id
    # The download and the reading are slow: no transaction stays open meanwhile (SQLite has
    # one connection, shared by every resident).
    await db.commit()
    data = (await bot.download(message.document)).getvalue()
    reading = await paper_answers.read_file(survey, data)
    try:
        result = await paper_answers.import_upload(
            db, survey, me, reading, session_id=session_id, now=now
        )
    except PermissionDenied as denied:  # removed or demoted since the filter looked
        await message.answer(esc(denied))
        return
    await message.answer(report(result, survey))


def report(result: PaperImport, survey: Survey) -> str:
    """The reply: forms stored per field, or the problems (the first MAX_LISTED)."""
    if result.ok:
        lines = [
            _("✅ Stored {count} paper forms for the session “{title}”:").format(
                count=result.stored, title=esc(result.session_title)
            )
        ]
        lines += [
            f"• {esc(field_label(survey, field))}: {count}"
            for field, count in result.by_field.items()
        ]
        return "\n".join(lines)
    problems = result.problems
    lines = [
        _(
            "❌ Nothing was stored: the file has {count} problem(s). Please correct them and "
            "send the file again."
        ).format(count=len(problems))
    ]
    length = len(lines[0])
    listed = 0
    for problem in problems[:MAX_LISTED]:
        line = f"• {esc(problem)}"
        if length + len(line) > MAX_REPLY:
            break
        lines.append(line)
        length += len(line) + 1
        listed += 1
    if listed < len(problems):
        lines.append(_("… and {count} more.").format(count=len(problems) - listed))
    return "\n".join(lines)


def create_router() -> Router:
    """/paper and paper uploads; before the dialogs, as every router (handlers.include_routers)."""
    router = staff_router(__name__)
    router.message.register(
        cmd_paper, Command("paper"), flags=can(Permission.UPLOAD_PAPER, "paper")
    )
    router.message.register(on_upload, F.document, paper_uploader)
    return router
