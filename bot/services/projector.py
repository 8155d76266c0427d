"""The hall's read-only links: the projector page's token and the poster's access.

A projector link is a random token in the page's address; the database keeps only its SHA-256
digest on the session's conference row, so a copy of the database opens no projector. One link
per session: making a new one replaces the old (which stops working at once), revoking clears
it. Both are for those who conduct the conference (admins, the secretary, leaders) and audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import conference, staff
from bot.services.staff import Actor, Permission
from models import Conference, DialogueSession


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def projector_link(db: AsyncSession, actor: Actor, session_id: int, *, now: datetime) -> str:
    """A new read-only token for the session's projector page (the old one, if any, ends)."""
    target = f"session:{session_id}"
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="projector_link",
        target=target,
    )
    row = await conference._conference(db, session_id, now)
    token = secrets.token_urlsafe(24)
    row.projector_digest = token_digest(token)
    row.updated_at = now
    await db.flush()
    await staff.record_action(db, by, "projector_link", now=now, target=target)
    return token


async def revoke_projector_link(
    db: AsyncSession, actor: Actor, session_id: int, *, now: datetime
) -> bool:
    """Ends the session's projector link; True if there was one."""
    target = f"session:{session_id}"
    by = await staff.require(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        now=now,
        action="projector_revoke",
        target=target,
    )
    result = await db.execute(
        update(Conference)
        .where(Conference.session_id == session_id, Conference.projector_digest.is_not(None))
        .values(projector_digest=None, updated_at=now)
    )
    await staff.record_action(
        db,
        by,
        "projector_revoke",
        now=now,
        target=target,
        detail={"had_link": bool(result.rowcount)},
    )
    return bool(result.rowcount)


async def session_of_token(db: AsyncSession, token: str) -> int | None:
    """The session a projector token opens, or None (unknown or revoked)."""
    if not token or len(token) > 100:
        return None
    return await db.scalar(
        select(Conference.session_id).where(Conference.projector_digest == token_digest(token))
    )


async def digest_of(db: AsyncSession, session_id: int) -> str | None:
    """The session's current link digest (the feed closes streams opened with another)."""
    return await db.scalar(
        select(Conference.projector_digest).where(Conference.session_id == session_id)
    )


@dataclass(frozen=True)
class HallSession:
    session_id: int
    title: str
    starts_at: datetime | None
    place: str


async def hall_session(
    db: AsyncSession, actor: Actor, session_id: int, *, action: str, now: datetime
) -> HallSession:
    """The session as the hall's poster and link page show it, for those who conduct the
    conference; `action` is what the audit log records ("conference_poster", ...)."""
    target = f"session:{session_id}"
    by = await staff.require(
        db, actor, Permission.CONDUCT_CONFERENCE, now=now, action=action, target=target
    )
    found = await conference._session(db, session_id)
    await staff.record_action(db, by, action, now=now, target=target)
    return _hall_session(found)


def _hall_session(found: DialogueSession) -> HallSession:
    return HallSession(found.id, found.title, found.starts_at, found.place or "")
