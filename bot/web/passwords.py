"""Web console passwords an admin sets for a staff member: Argon2id hashes only (argon2-cffi's
defaults), never the password itself, anywhere. Setting or clearing one is an admin's act,
checked and audited like /staff_set; it signs the member out of every browser."""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import staff as staff_service
from bot.services.staff import Actor, InvalidStaff, Permission, StaffRef
from bot.web.auth import end_sessions_of
from models import StaffMember

MIN_LENGTH = 10
MAX_LENGTH = 128


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id, the library's current recommended parameters


@cache
def _decoy() -> str:
    return hasher().hash("not a password anyone has")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches; takes as long when nothing is stored (a decoy hash), so the
    answer's time does not tell whether an id has a password."""
    try:
        return hasher().verify(stored or _decoy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _clean(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidStaff(
            _("Please choose a password of at least {count} characters.").format(count=MIN_LENGTH)
        )
    if len(password) > MAX_LENGTH:
        raise InvalidStaff(
            _("Please choose a password of at most {count} characters.").format(count=MAX_LENGTH)
        )
    return password


async def set_password(
    db: AsyncSession, actor: Actor, telegram_user_id: int, password: str | None, *, now: datetime
) -> StaffRef:
    """Set (or, with None, clear) an active member's web password (admins only). Their web
    sessions end, so an old browser does not outlive the change."""
    target = f"staff:{telegram_user_id}"
    action = "staff_password"
    by = await staff_service.require(
        db, actor, Permission.MANAGE_STAFF, now=now, action=action, target=target
    )
    member = await _active_member(db, telegram_user_id)
    # Argon2 takes a good fraction of a second, on purpose: not on the event loop.
    hashed = None if password is None else await asyncio.to_thread(hash_password, _clean(password))
    member.password_hash = hashed
    await db.flush()
    await end_sessions_of(db, member.id)
    detail = {"change": "set" if password is not None else "cleared"}
    await staff_service.record_action(db, by, action, now=now, target=target, detail=detail)
    return staff_service.as_ref(member)


async def _active_member(db: AsyncSession, telegram_user_id: int) -> StaffMember:
    member = (
        await db.execute(
            select(StaffMember).where(
                StaffMember.telegram_user_id == telegram_user_id, StaffMember.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if member is None:
        raise InvalidStaff(_("There is no active staff member with this Telegram id."))
    return member
