"""One-time ways into the web console: a 6-digit code (typed with the staff member's Telegram
id) and a link, sent together to the staff member's own Telegram chat through the outbox, or a
link printed by the first command for an admin at the terminal.

Only SHA-256 digests are stored (`SignInCode`); a code's digest includes the staff member's id,
so two staff may hold the same six digits. Signing in with one marks every unused code and link
of that staff member used. Asking for a code gives the same answer whether or not the id is
staff; a code is sent at most once a minute to the same person.
"""

from __future__ import annotations

import html
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.i18n import _, use_locale
from bot.services import staff as staff_service
from bot.web.auth import digest
from bot.web.context import WebContext
from models import Delivery, DeliveryStatus, SignInCode

log = logging.getLogger(__name__)

CODE_VALID = timedelta(minutes=10)
RESEND_AFTER = timedelta(minutes=1)
LINK_PATH = "/staff/sign-in/link/"
TELEGRAM = "telegram"
SENT_PLACEHOLDER = "(sign-in code, removed once sent)"


def code_digest(staff_id: int, code: str) -> str:
    return digest(f"code:{staff_id}:{code.strip()}")


def link_digest(token: str) -> str:
    return digest(f"link:{token}")


@dataclass(frozen=True)
class Issued:
    code: str | None
    token: str


async def issue(
    db: AsyncSession, staff_id: int, now: datetime, *, valid: timedelta = CODE_VALID, code=True
) -> Issued:
    """A new link (and code) for `staff_id`; used and expired ones of theirs are dropped."""
    await db.execute(
        delete(SignInCode).where(
            SignInCode.staff_id == staff_id,
            or_(SignInCode.used_at.is_not(None), SignInCode.expires_at <= now),
        )
    )
    token = secrets.token_urlsafe(32)
    db.add(SignInCode(staff_id=staff_id, digest=link_digest(token), expires_at=now + valid))
    issued_code = None
    if code:
        issued_code = f"{secrets.randbelow(10**6):06d}"
        taken = await db.scalar(
            select(SignInCode.id).where(SignInCode.digest == code_digest(staff_id, issued_code))
        )
        if taken is not None:  # the same six digits still unused: one in a million
            await db.execute(delete(SignInCode).where(SignInCode.id == taken))
        db.add(
            SignInCode(
                staff_id=staff_id,
                digest=code_digest(staff_id, issued_code),
                expires_at=now + valid,
            )
        )
    await db.flush()
    return Issued(issued_code, token)


async def _redeem(db: AsyncSession, found_digest: str, now: datetime) -> int | None:
    """Marks the code used in one statement, so two tries at once cannot both use it."""
    used = await db.execute(
        update(SignInCode)
        .where(
            SignInCode.digest == found_digest,
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return None
    staff_id = await db.scalar(select(SignInCode.staff_id).where(SignInCode.digest == found_digest))
    await db.execute(  # the link sent with a code, or the code sent with a link
        update(SignInCode)
        .where(SignInCode.staff_id == staff_id, SignInCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return staff_id


async def redeem_code(db: AsyncSession, staff_id: int, code: str, now: datetime) -> bool:
    """Whether the code is this staff member's, unused and unexpired (then it is used)."""
    return await _redeem(db, code_digest(staff_id, code), now) == staff_id


async def redeem_link(db: AsyncSession, token: str, now: datetime) -> int | None:
    """The staff id a link signs in, once; None if unknown, used or expired."""
    return await _redeem(db, link_digest(token), now)


async def _recently_sent(db: AsyncSession, staff_id: int, now: datetime) -> bool:
    newest = await db.scalar(
        select(SignInCode.expires_at)
        .where(SignInCode.staff_id == staff_id, SignInCode.used_at.is_(None))
        .order_by(SignInCode.expires_at.desc())
        .limit(1)
    )
    return newest is not None and newest - CODE_VALID + RESEND_AFTER > now


def can_send(context: WebContext) -> bool:
    """Whether codes can reach Telegram: this process sends, or another one with the token."""
    return TELEGRAM in context.delivery.senders or bool(context.settings.token)


def link_url(public_url: str, token: str) -> str:
    return f"{public_url}{LINK_PATH}{token}"


async def send_code(context: WebContext, telegram_user_id: int) -> None:
    """Send a code and a link to this staff member's Telegram chat, if they are active staff
    (nothing tells the caller whether they are)."""
    settings, now = context.settings, context.clock()
    here = TELEGRAM in context.delivery.senders
    if not can_send(context):
        log.info("No Telegram channel configured: sign-in code not sent")
        return
    async with context.sessionmaker() as db, db.begin():
        member = await staff_service.find(db, telegram_user_id)
        if member is None or await _recently_sent(db, member.id, now):
            return
        issued = await issue(db, member.id, now)
        locale = settings.default_locale
        with use_locale(locale):
            text = _(
                "🔑 Your sign-in code for the ward's web console: <b>{code}</b>\n"
                "Or open this link: {link}\n"
                "It works once, for {minutes} minutes. If you did not ask for it, ignore this "
                "message."
            ).format(
                code=issued.code,
                link=html.escape(link_url(settings.public_url, issued.token)),
                minutes=int(CODE_VALID.total_seconds() // 60),
            )
        key = f"sign-in:{member.id}:{link_digest(issued.token)[:32]}"
        recipient = Recipient(TELEGRAM, str(member.telegram_user_id), locale)
        await outbox.add(db, recipient, Message(text, html=True), key=key)
    if not here:  # the process serving Telegram sends it
        log.info("Sign-in code queued for the bot's process")
        return
    outcomes = await context.delivery.send_now([key])
    status, error = outcomes.get(key, (DeliveryStatus.PENDING, None))
    if status == DeliveryStatus.SENT:
        # The outbox keeps what it sent; a code is kept nowhere in clear once delivered.
        async with context.sessionmaker() as db, db.begin():
            await db.execute(
                update(Delivery)
                .where(Delivery.key == key)
                .values(payload={"text": SENT_PLACEHOLDER, "html": False})
            )
    elif status != DeliveryStatus.PENDING:
        log.warning("Sign-in code not delivered: %s", (error or status).split(":", 1)[0])
