"""The audit log of staff actions: who did, or tried to do, what and when.

Entries are written in the caller's transaction. A denied action raises after its entry is
added, so the caller keeps the entry by committing when it catches the denial (the update
middleware commits when a handler returns normally). `detail` holds filters, statuses and ids,
never a resident's text or phone number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry


async def record(
    db: AsyncSession,
    *,
    actor_telegram_id: int | None,
    actor_role: str | None,
    action: str,
    target: str | None = None,
    allowed: bool = True,
    detail: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    db.add(
        AuditEntry(
            at=now,
            actor_telegram_id=actor_telegram_id,
            actor_role=actor_role,
            action=action,
            target=target,
            allowed=allowed,
            detail=detail,
        )
    )
    await db.flush()


async def entries(db: AsyncSession, *, limit: int = 100) -> list[AuditEntry]:
    """The latest entries, newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list((await db.execute(stmt)).scalars())


async def forget_targets(db: AsyncSession, targets: list[str], replacement: str) -> int:
    """Entries about something erased (a question whose resident erased their data) keep who
    did what and when, but no longer name it."""
    if not targets:
        return 0
    result = await db.execute(
        update(AuditEntry)
        .where(AuditEntry.target.in_(targets))
        .values(target=replacement)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def search(
    db: AsyncSession,
    *,
    action: str | None = None,
    allowed: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditEntry], int]:
    """A page of entries, newest first, with how many match (for the audit log page)."""
    wanted = []
    if action:
        wanted.append(AuditEntry.action == action)
    if allowed is not None:
        wanted.append(AuditEntry.allowed.is_(allowed))
    total = await db.scalar(select(func.count()).select_from(AuditEntry).where(*wanted))
    stmt = (
        select(AuditEntry)
        .where(*wanted)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await db.execute(stmt)).scalars()), total or 0


async def actions(db: AsyncSession) -> list[str]:
    """Every action the log holds, for a filter."""
    stmt = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return list((await db.execute(stmt)).scalars())
