"""`python -m bot console --staff ID`: the staff's figures and exports in a terminal, as the
staff member whose Telegram id is ID, with that member's role checked and audited as on Telegram.

    /stats [number]                     the figures of the open session (or that session)
    /export [number | dd/mm/yyyy dd/mm/yyyy] [named]   the files, written into --out
    /sessions                           the latest sessions and their numbers
    /help
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import open_core
from bot.exports.bundle import authorize, run_export
from bot.exports.choice import Usage, chosen_session, parse_export, recent_sessions
from bot.exports.stats_text import stats_message
from bot.exports.summary import collect
from bot.i18n import _, use_locale
from bot.services import staff
from bot.services.figures import Scope
from bot.services.staff import Permission, PermissionDenied
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.texts import local_time, plain
from models import DialogueSession, utcnow


class StaffConsole:
    """One staff member's commands against the database; each returns the text to print."""

    def __init__(
        self, settings: Settings, survey: Survey, sessionmaker, telegram_id: int, out: Path
    ) -> None:
        self.settings, self.survey, self.sessionmaker = settings, survey, sessionmaker
        self.telegram_id, self.out = telegram_id, out

    async def handle(self, line: str) -> str:
        command, _space, args = line.strip().partition(" ")
        handler = {
            "/stats": self.stats,
            "/export": self.export,
            "/sessions": self.sessions,
        }.get(command.lower())
        with use_locale(self.settings.default_locale):
            if handler is None:
                return self.help()
            try:
                return plain(await handler(args.strip() or None))
            except (PermissionDenied, Usage) as refusal:
                return str(refusal)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Committed when done, and also on a refusal, whose audit entry must be kept."""
        async with self.sessionmaker() as db:
            try:
                yield db
            except PermissionDenied:
                await db.commit()
                raise
            await db.commit()

    def help(self) -> str:
        return _(
            "Staff commands: /stats [number], /export [number | dd/mm/yyyy dd/mm/yyyy] [named], "
            "/sessions. Ctrl-D quits."
        )

    async def stats(self, args: str | None) -> str:
        now = utcnow()
        async with self.transaction() as db:
            await staff.require(db, self.telegram_id, Permission.VIEW_STATS, now=now)
            session = await chosen_session(db, args)
            if session is None:
                return _("There is no dialogue session yet.")
            summary = await collect(
                db,
                self.survey,
                Scope(session_id=session.id),
                now=now,
                neutral_counts_as_satisfied=self.settings.neutral_satisfied,
            )
        return stats_message(
            summary, self.survey, locale=self.settings.default_locale, zone=self.settings.zone
        )

    async def sessions(self, args: str | None) -> str:
        async with self.transaction() as db:
            await staff.require(db, self.telegram_id, Permission.VIEW_STATS, now=utcnow())
            found = await recent_sessions(db)
        if not found:
            return _("There is no dialogue session yet.")
        return "\n".join(
            f"#{s.id} · {s.title} · {local_time(s.starts_at, self.settings)}" for s in found
        )

    async def export(self, args: str | None) -> str:
        now = utcnow()
        scope, named = parse_export(args, self.settings.zone)
        async with self.transaction() as db:
            if scope is None:
                recent = await recent_sessions(db, 1)
                if not recent:
                    return _("There is no dialogue session yet.")
                scope = Scope(session_id=recent[0].id)
            if scope.session_id and await db.get(DialogueSession, scope.session_id) is None:
                raise Usage(_("This session was not found."))
            await authorize(db, self.telegram_id, scope, named=named, now=now)
        result = await asyncio.to_thread(
            run_export,
            self.settings,
            self.survey,
            scope,
            self.out,
            now=now,
            named=named,
            locale=self.settings.default_locale,
        )
        summary = result.summary
        lines = [
            _(
                "✅ {files} files written: {responses} survey responses, {questions} questions."
            ).format(
                files=len(result.files),
                responses=summary.total_responses,
                questions=summary.total_questions,
            )
        ]
        return "\n".join([*lines, *(str(path) for path in result.files)])


async def run_staff_console(
    settings: Settings,
    telegram_id: int,
    out: Path,
    *,
    read_line: Callable[[], str] = sys.stdin.readline,
    write: Callable[[str], None] = print,
) -> None:
    async with open_core(settings) as core:
        console = StaffConsole(settings, core.survey, core.sessionmaker, telegram_id, out)
        with use_locale(settings.default_locale):
            write(console.help())
        while True:
            line = await asyncio.to_thread(read_line)
            if not line:  # end of input
                break
            if line.strip():
                write(await console.handle(line))
                write("")
