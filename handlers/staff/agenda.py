"""An official's list in advance on Telegram (issue 15), as the console's conference page with
"Only the questions I answer":

    /agenda [NUMBER]

The questions of the conference of session NUMBER (by default the open session, else the
latest, the page's choice) that this staff member is to answer, by field: tracking code,
supporters and a short text. A possible complaint or denunciation is counted, never quoted in
the chat. The list is bot.services.conference.agenda: a refusal is the gate's (or the
service's), audited; a session that does not exist is said so. A long list is sent as several
messages, each within Telegram's limit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import esc, preview
from bot.services import conference
from bot.services.conference import AgendaEntry, ConferenceError
from bot.services.staff import Permission, StaffRef
from bot.survey.definition import Survey
from handlers.staff.common import field_label
from handlers.staff.permissions import can, staff_router
from models import DialogueSession
from models.sessions import open_session

LIMIT = 4000  # under Telegram's 4096 characters, with room to spare
SHORT = 160  # characters of a question's text in the list


def agenda_usage() -> str:
    return _(
        "/agenda [number]: the questions you are to answer at the conference of the open "
        "session (or of session number), by field, with their supporters."
    )


async def default_session(db: AsyncSession) -> int | None:
    """The session the console's conference page opens on: the open one, else the latest."""
    chosen = await open_session(db)
    if chosen is not None:
        return chosen.id
    return await db.scalar(select(DialogueSession.id).order_by(DialogueSession.id.desc()).limit(1))


def entry_block(entry: AgendaEntry) -> str:
    supporters = _("supporters: {n}").format(n=entry.supporters)
    head = f"<b>{esc(entry.code)}</b> · 👥 {esc(supporters)}"
    if entry.flagged:  # counted, never quoted in a chat
        text = "<i>" + esc(_("⚠️ May be a complaint or a denunciation: not quoted here.")) + "</i>"
    else:
        text = esc(preview(entry.text, SHORT))
    return f"{head}\n{text}"


def pack(blocks: list[tuple[str, str]]) -> list[str]:
    """Blocks (the field's heading, the block) into messages of at most LIMIT characters; a
    message that starts inside a field repeats its heading."""
    messages: list[str] = []
    current = ""
    heading_now = ""
    for heading, block in blocks:
        piece = block if heading == heading_now else f"{heading}\n{block}"
        if current and len(current) + 2 + len(piece) > LIMIT:
            messages.append(current)
            current = ""
            piece = f"{heading}\n{block}" if heading else block
        current = f"{current}\n\n{piece}" if current else piece
        heading_now = heading
    if current:
        messages.append(current)
    return messages


def agenda_messages(found: conference.Agenda, survey: Survey) -> list[str]:
    title = _("📋 Questions you are to answer at the conference of session {number}: {n}").format(
        n=len(found.entries), number=found.session_id
    )
    blocks: list[tuple[str, str]] = [("", f"<b>{esc(title)}</b>")]
    for counts in found.counts:
        mine = found.of_field(counts.field)
        if not mine:
            continue
        heading = "<b>" + esc(f"{field_label(survey, counts.field)} ({len(mine)})") + "</b>"
        blocks.extend((heading, entry_block(e)) for e in mine)
    return pack(blocks)


async def cmd_agenda(
    message: Message,
    command: CommandObject,
    me: StaffRef,
    db: AsyncSession,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    raw = (command.args or "").strip()
    if raw and (not raw.isdigit() or len(raw) > 9):
        await message.answer(esc(agenda_usage()))
        return
    session_id = int(raw) if raw else await default_session(db)
    if session_id is None:
        await message.answer(esc(_("There is no dialogue session yet.")))
        return
    try:
        found = await conference.agenda(
            db, me, session_id, survey=survey, answerer_id=me.id, now=clock()
        )
    except ConferenceError as problem:
        await message.answer(esc(problem))
        return
    await db.commit()  # the view is audited
    if not found.entries:
        await message.answer(
            esc(
                _(
                    "You have no question to answer at the conference of session {number} "
                    "yet. The ward office may still assign some."
                ).format(number=session_id)
            )
        )
        return
    for text in agenda_messages(found, survey):
        await message.answer(text)


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(
        cmd_agenda, Command("agenda"), flags=can(Permission.VIEW_QUESTIONS, "conference_agenda")
    )
    return router
