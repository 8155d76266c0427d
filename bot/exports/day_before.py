"""The day-before folders: the conference files the scheduler writes the day before a session
(scheduler/jobs.py), where they live, their names, removing them once sent, and writing them
again without a resident who erased their data (the erasure's callers, once committed)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Text, cast, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.exports.bundle import run_export
from bot.services.figures import Scope
from bot.settings import Settings
from bot.survey.definition import Survey
from models import Delivery, DeliveryStatus, DialogueSession

# The day-before files hold residents' questions (pseudonymised): kept long enough for the
# delivery engine to send them, then removed (/export itself writes to a temporary folder).
KEEP_EXPORTS = timedelta(days=7)
STAMP = "%Y%m%d-%H%M"  # in the folder's name: session-12-20261214-0730


def export_dir(settings: Settings) -> Path:
    """Where the day-before exports are written: beside the SQLite file, else ./data."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "exports"
    return Path("data", "exports").resolve()


def export_folder(root: Path, session: DialogueSession, now: datetime, settings: Settings) -> Path:
    return root / f"session-{session.id}-{now.astimezone(settings.zone).strftime(STAMP)}"


def remove_old_exports(root: Path, now: datetime, settings: Settings) -> int:
    """Removes the export folders written more than KEEP_EXPORTS ago (by their name)."""
    removed = 0
    for folder in root.glob("session-*-*-*") if root.is_dir() else ():
        written = _written_at(folder, settings)
        if written is None:
            continue  # not one of ours
        if now - written > KEEP_EXPORTS:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _written_at(folder: Path, settings: Settings) -> datetime | None:
    """When a day-before folder was written, from its name; None for a folder not ours."""
    try:
        stamp = "-".join(folder.name.rsplit("-", 2)[-2:])
        return datetime.strptime(stamp, STAMP).replace(tzinfo=settings.zone)
    except ValueError:
        return None


def _folders_of(
    root: Path, session_ids: Sequence[int], settings: Settings
) -> list[tuple[int, Path, datetime]]:
    """(session, folder, written at) of the day-before folders of these sessions."""
    found = []
    for session_id in sorted(set(session_ids)):
        for folder in sorted(root.glob(f"session-{session_id}-*-*")) if root.is_dir() else ():
            written = _written_at(folder, settings)
            if written is not None and folder.is_dir():
                found.append((session_id, folder.resolve(), written))
    return found


async def refresh_exports(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    survey: Survey,
    root: Path,
    session_ids: Sequence[int],
) -> int:
    """After a resident erased their data (committed): each day-before folder of these
    sessions is written again without them while its files still wait to be sent (same names,
    so the deliveries find them), and removed otherwise: it was kept only for sending.
    Returns how many folders were rewritten or removed."""
    folders = await asyncio.to_thread(_folders_of, root, session_ids, settings)
    for session_id, folder, written in folders:
        async with sessionmaker() as db:
            waiting = await db.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.status == DeliveryStatus.PENDING,
                    cast(Delivery.payload, Text).contains(str(folder)),
                )
            )
        await asyncio.to_thread(shutil.rmtree, folder, True)
        if waiting:
            await asyncio.to_thread(
                run_export,
                settings,
                survey,
                Scope(session_id=session_id),
                folder,
                now=written,
                locale=settings.default_locale,
            )
    return len(folders)
