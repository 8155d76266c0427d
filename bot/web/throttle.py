"""Slowing down guessing at the sign-in page: wrong codes or passwords in a row are counted per
staff id and per client address (`SignInFailures`); from the `LIMIT`-th on, further tries wait,
twice as long after each new failure, up to `LONGEST_WAIT`. A successful sign-in clears both
counts. A try made while waiting is refused without being checked at all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import SignInFailures
from models.base import insert_for

LIMIT = 5  # wrong tries in a row before the first wait
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=30)
LOOPBACK = ("127.0.0.1", "::1")


def client_address(request: web.Request) -> str:
    """The browser's address; behind a proxy on this machine, the one the proxy appended."""
    remote = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if remote in LOOPBACK and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:60] or remote
    return remote


def keys_for(staff_key: str, address: str) -> list[str]:
    """The two counts a try belongs to: the staff id typed, and the client address."""
    return [f"staff:{staff_key.strip()[:60]}", f"addr:{address[:60]}"]


def wait_after(failures: int) -> timedelta:
    if failures < LIMIT:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - LIMIT), LONGEST_WAIT)


async def wait_left(db: AsyncSession, keys: Iterable[str], now: datetime) -> timedelta | None:
    """How long these tries must still wait, or None if they may go on now."""
    blocked = await db.scalar(
        select(SignInFailures.blocked_until)
        .where(SignInFailures.key.in_(list(keys)), SignInFailures.blocked_until > now)
        .order_by(SignInFailures.blocked_until.desc())
        .limit(1)
    )
    return blocked - now if blocked is not None else None


async def failed(db: AsyncSession, keys: Iterable[str], now: datetime) -> timedelta | None:
    """Count one more wrong try on each key; returns the wait it now imposes, if any."""
    insert = insert_for(db)
    longest: timedelta | None = None
    for key in keys:
        stmt = (
            insert(SignInFailures)
            .values(key=key, failures=1, updated_at=now)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={"failures": SignInFailures.failures + 1, "updated_at": now},
            )
        )
        await db.execute(stmt)
        row = await db.get(SignInFailures, key, populate_existing=True)
        assert row is not None
        wait = wait_after(row.failures)
        if wait:
            row.blocked_until = now + wait
            longest = max(longest or wait, wait)
    await db.flush()
    return longest


async def succeeded(db: AsyncSession, keys: Iterable[str]) -> None:
    await db.execute(delete(SignInFailures).where(SignInFailures.key.in_(list(keys))))
