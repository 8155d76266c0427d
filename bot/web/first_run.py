"""What `python -m bot` tells the person who started it, once the web server listens: the
addresses of the staff console and the resident web chat, and how to sign in as an admin.

- Neither token set (trying the bot on one's own PC, the web on 127.0.0.1): a one-time sign-in
  link, valid 24 hours, for each active admin of ADMIN_IDS, printed on the terminal.
- Neither token, no ADMIN_IDS and no active admin at all (a first run): an admin is created so the console
  can be used at once. Staff are known by their Telegram id and Telegram ids are positive, so
  this admin gets id 0, which no Telegram account has: nothing is ever sent to it. Its
  password is generated and printed only this once (the database keeps its Argon2 hash); with
  no token, each start also prints a new one-time link for it. Once real staff are added (or
  ADMIN_IDS set), an admin may remove it on the Staff page.
- With a token, admins sign in with a code the bot sends to their Telegram chat: no link is
  printed, so no credential reaches a service's journal; nobody is created (ADMIN_IDS names
  the admins of a ward that has a bot).

All of it goes to standard output, never to the log (which may be shipped elsewhere).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import DEFAULT_LOCALE, N_, _, use_locale
from bot.services import audit
from bot.services.staff import Role
from bot.settings import Settings
from bot.web import sign_in_codes
from bot.web.passwords import hash_password
from models import StaffMember

FIRST_ADMIN_ID = 0  # no Telegram account has it
# A stored name: translated once, as the admin is made, into the default language (Vietnamese).
FIRST_ADMIN_NAME = N_("Admin (first run)")
LINK_VALID = timedelta(hours=24)


async def ensure_an_admin(db: AsyncSession, now: datetime) -> str | None:
    """With no active admin at all, the first-run admin (id 0) with a new password, returned
    to be shown once; None when there is an admin already."""
    found = await db.scalar(
        select(StaffMember.id)
        .where(StaffMember.role == Role.ADMIN, StaffMember.active.is_(True))
        .limit(1)
    )
    if found is not None:
        return None
    password = secrets.token_urlsafe(12)
    member = await db.scalar(
        select(StaffMember).where(StaffMember.telegram_user_id == FIRST_ADMIN_ID)
    )
    if member is None:
        member = StaffMember(telegram_user_id=FIRST_ADMIN_ID, created_at=now)
        db.add(member)
    with use_locale(DEFAULT_LOCALE):
        name = _(FIRST_ADMIN_NAME)
    member.name, member.role, member.fields, member.active = name, Role.ADMIN, [], True
    member.password_hash = hash_password(password)
    await db.flush()
    await audit.record(
        db,
        actor_telegram_id=None,
        actor_role="system",
        action="bootstrap",
        target=f"staff:{FIRST_ADMIN_ID}",
        detail={"change": "first run admin"},
        now=now,
    )
    return password


async def _admins_to_link(db: AsyncSession, settings: Settings) -> list[StaffMember]:
    stmt = select(StaffMember).where(StaffMember.role == Role.ADMIN, StaffMember.active.is_(True))
    if settings.admin_ids:
        stmt = stmt.where(StaffMember.telegram_user_id.in_(settings.admin_ids))
    return list((await db.execute(stmt.order_by(StaffMember.id))).scalars())


async def welcome(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
) -> list[str]:
    """The lines to print (and what they need stored: the first admin, the links)."""
    base = settings.public_url
    lines = [
        f"Web console for ward staff: {base}/staff",
        f"Web chat for residents:     {base}/chat",
    ]
    no_token = not settings.token and not settings.zalo_token
    password = None
    links = []
    async with sessionmaker() as db, db.begin():
        if no_token:
            password = await ensure_an_admin(db, now)
            for admin in await _admins_to_link(db, settings):
                issued = await sign_in_codes.issue(db, admin.id, now, valid=LINK_VALID, code=False)
                links.append((admin.telegram_user_id, issued.token))
    if no_token:
        lines.append(
            "No BOT_TOKEN or ZALO_BOT_TOKEN: Telegram and Zalo are off; the web pages work."
        )
    if password is not None:
        lines += [
            "First run with no ADMIN_IDS: an admin was created to sign in on the web console.",
            f"  Telegram id: {FIRST_ADMIN_ID}    password: {password}",
            "  (shown only this once; set ADMIN_IDS in .env to make your own Telegram account"
            " an admin)",
        ]
    for telegram_id, token in links:
        lines.append(
            f"Sign in as admin {telegram_id} (one-time link, valid 24 hours): "
            + sign_in_codes.link_url(base, token)
        )
    if not no_token:
        lines.append("Staff sign in with their Telegram id: the bot sends them a one-time code.")
    return lines


async def announce(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    out: Callable[[str], None] | None = None,
) -> None:
    """Print the welcome lines (standard output)."""
    write = out or (lambda line: print(line, flush=True))
    for line in await welcome(sessionmaker, settings, now):
        write(line)
