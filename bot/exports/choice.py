"""What staff asked for, from the words of a command (Telegram or the console): which session's
figures, which session or period to export, with or without names."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services.figures import Scope
from models import DialogueSession, SessionStatus
from models.sessions import open_session

CHOICES = 6  # the latest sessions offered to choose from
NAMED_WORDS = frozenset({"named", "ten", "tên", "codanh", "códanh"})


class Usage(Exception):
    """A command typed the wrong way; `str()` is the hint."""


async def recent_sessions(db: AsyncSession, limit: int = CHOICES) -> list[DialogueSession]:
    stmt = (
        select(DialogueSession)
        .where(DialogueSession.status != SessionStatus.CANCELLED)
        .order_by(DialogueSession.id.desc())
        .limit(limit)
    )
    return list((await db.execute(stmt)).scalars())


async def chosen_session(db: AsyncSession, args: str | None) -> DialogueSession | None:
    """Session ID from the command, or the open one, or the latest one."""
    if args and args.split()[0].lstrip("#").isdigit():
        session = await db.get(DialogueSession, int(args.split()[0].lstrip("#")))
        if session is None:
            raise Usage(_("This session was not found."))
        return session
    if args:
        raise Usage(_("Please write /stats, or /stats followed by a session number."))
    found = await open_session(db)
    if found is None:
        recent = await recent_sessions(db, 1)
        found = recent[0] if recent else None
    return found


def export_usage() -> str:
    return _(
        "Please write /export to choose a session, /export NUMBER (add “named” for the "
        "contacts of named questions, admins only), or /export dd/mm/yyyy dd/mm/yyyy for a "
        "period."
    )


def parse_export(args: str | None, zone: ZoneInfo) -> tuple[Scope | None, bool]:
    """(scope, named) from the command's words; no scope means "let me choose"."""
    words = (args or "").split()
    named = any(w.lower() in NAMED_WORDS for w in words)
    words = [w for w in words if w.lower() not in NAMED_WORDS]
    if not words:
        return None, named
    if len(words) == 1 and words[0].lstrip("#").isdigit():
        return Scope(session_id=int(words[0].lstrip("#"))), named
    if len(words) == 2:
        try:
            first, last = (datetime.strptime(w, "%d/%m/%Y").date() for w in words)  # noqa: DTZ007
        except ValueError:
            raise Usage(export_usage()) from None
        if last < first:
            raise Usage(_("The first day must come before the last one."))
        since = datetime.combine(first, time(), tzinfo=zone)
        until = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
        return Scope(since=since, until=until), named
    raise Usage(export_usage())
