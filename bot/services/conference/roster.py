"""The delegates: their list, replies and attendance, and the invitations and reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.i18n import _, use_locale
from bot.services import staff
from bot.services.conference.common import (
    MAX_NAME,
    MAX_POSITION,
    SENDS_TO,
    TELEGRAM,
    ConferenceError,
    _active_staff,
    _clean_line,
    _session,
    _squeezed,
)
from bot.services.conference.followup import Queued
from bot.services.staff import Actor, Permission
from models import (
    Account,
    Delegate,
    DelegateGroup,
    DialogueSession,
    Reply,
    Resident,
    StaffMember,
)


@dataclass(frozen=True)
class DelegateView:
    id: int
    session_id: int
    name: str
    group: str
    position: str | None
    staff_id: int | None
    account_id: int | None
    invited_at: datetime | None
    reminded_at: datetime | None
    reply: str | None
    replied_at: datetime | None
    attended: bool | None


def _delegate_view(d: Delegate) -> DelegateView:
    return DelegateView(
        d.id,
        d.session_id,
        d.name,
        d.delegate_group,
        d.position,
        d.staff_id,
        d.account_id,
        d.invited_at,
        d.reminded_at,
        d.reply,
        d.replied_at,
        d.attended,
    )


def _clean_group(group: str) -> str:
    try:
        return DelegateGroup(str(group).strip().lower()).value
    except ValueError:
        raise ConferenceError(
            _("Unknown group. Choose one of: {groups}.").format(groups=", ".join(DelegateGroup))
        ) from None


async def _check_links(db: AsyncSession, staff_id: int | None, account_id: int | None) -> None:
    if staff_id is not None:
        await _active_staff(db, staff_id)
    if account_id is not None and await db.get(Account, account_id) is None:
        raise ConferenceError(_("This chat account was not found."))


async def add_delegate(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    name: str,
    group: str,
    position: str | None = None,
    staff_id: int | None = None,
    account_id: int | None = None,
    now: datetime,
) -> DelegateView:
    act = await staff.audited(
        db, actor, Permission.PREPARE_CONFERENCE, "delegate_add", f"session:{session_id}", now=now
    )
    await _session(db, session_id)
    await _check_links(db, staff_id, account_id)
    delegate = Delegate(
        session_id=session_id,
        name=_clean_line(name, MAX_NAME, _("Please give the delegate's name.")),
        delegate_group=_clean_group(group),
        position=_squeezed(position, MAX_POSITION) or None,
        staff_id=staff_id,
        account_id=account_id,
        created_at=now,
    )
    db.add(delegate)
    await db.flush()
    await act.done(target=f"delegate:{delegate.id}", detail={"group": delegate.delegate_group})
    return _delegate_view(delegate)


async def _delegate(db: AsyncSession, delegate_id: int) -> Delegate:
    found = await db.get(Delegate, delegate_id)
    if found is None:
        raise ConferenceError(_("This delegate was not found."))
    return found


_UNSET = object()


async def change_delegate(
    db: AsyncSession,
    actor: Actor,
    delegate_id: int,
    *,
    name: str | None = None,
    group: str | None = None,
    position: str | object | None = _UNSET,
    staff_id: int | object | None = _UNSET,
    account_id: int | object | None = _UNSET,
    now: datetime,
) -> DelegateView:
    """Change what is given (a None link or position clears it)."""
    act = await staff.audited(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        "delegate_change",
        f"delegate:{delegate_id}",
        now=now,
    )
    d = await _delegate(db, delegate_id)
    if name is not None:
        d.name = _clean_line(name, MAX_NAME, _("Please give the delegate's name."))
    if group is not None:
        d.delegate_group = _clean_group(group)
    if position is not _UNSET:
        d.position = _squeezed(position, MAX_POSITION) or None  # type: ignore[union-attr]
    new_staff = d.staff_id if staff_id is _UNSET else staff_id
    new_account = d.account_id if account_id is _UNSET else account_id
    await _check_links(
        db,
        new_staff if new_staff != d.staff_id else None,  # type: ignore[arg-type]
        new_account if new_account != d.account_id else None,  # type: ignore[arg-type]
    )
    d.staff_id, d.account_id = new_staff, new_account  # type: ignore[assignment]
    await db.flush()
    await act.done()
    return _delegate_view(d)


async def remove_delegate(db: AsyncSession, actor: Actor, delegate_id: int, *, now: datetime):
    act = await staff.audited(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        "delegate_remove",
        f"delegate:{delegate_id}",
        now=now,
    )
    d = await _delegate(db, delegate_id)
    await db.delete(d)
    await db.flush()
    await act.done()


async def delegates(
    db: AsyncSession, actor: Actor, session_id: int, *, now: datetime
) -> list[DelegateView]:
    """The session's delegates by group (the plan's order), then name."""
    act = await staff.audited(
        db, actor, Permission.VIEW_QUESTIONS, "delegate_list", f"session:{session_id}", now=now
    )
    found = await _delegates_of(db, session_id)
    await act.done()
    return found


async def _delegates_of(db: AsyncSession, session_id: int) -> list[DelegateView]:
    order = {g.value: i for i, g in enumerate(DelegateGroup)}
    rows = (await db.execute(select(Delegate).where(Delegate.session_id == session_id))).scalars()
    return sorted(
        (_delegate_view(d) for d in rows), key=lambda d: (order.get(d.group, 99), d.name, d.id)
    )


async def _store_reply(db: AsyncSession, d: Delegate, coming: bool, now: datetime) -> None:
    d.reply = Reply.COMING if coming else Reply.NOT_COMING
    d.replied_at = now
    await db.flush()


async def set_reply(
    db: AsyncSession, actor: Actor, delegate_id: int, coming: bool, *, now: datetime
) -> DelegateView:
    """The office records a delegate's reply (by phone, in person)."""
    act = await staff.audited(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        "delegate_reply",
        f"delegate:{delegate_id}",
        now=now,
    )
    d = await _delegate(db, delegate_id)
    await _store_reply(db, d, coming, now)
    await act.done(detail={"coming": coming})
    return _delegate_view(d)


async def reply_from_chat(
    db: AsyncSession,
    session_id: int | None,
    channel: str,
    external_id: str,
    coming: bool,
    *,
    now: datetime,
) -> DelegateView | None:
    """A delegate replies in their own chat (a staff member on Telegram, or the chat account
    linked to them). None: this chat is not a delegate of the session. `session_id` None (a
    reply typed on a text channel): the session whose invitation reached this chat last."""
    account_ids = select(Account.id).where(
        Account.channel == channel, Account.external_id == external_id
    )
    links = [Delegate.account_id.in_(account_ids)]
    if channel == TELEGRAM and external_id.lstrip("-").isdigit():
        staff_ids = select(StaffMember.id).where(StaffMember.telegram_user_id == int(external_id))
        links.append(Delegate.staff_id.in_(staff_ids))
    stmt = select(Delegate).where(or_(*links))
    if session_id is None:
        stmt = stmt.where(Delegate.invited_at.is_not(None)).order_by(
            Delegate.invited_at.desc(), Delegate.id.desc()
        )
    else:
        stmt = stmt.where(Delegate.session_id == session_id).order_by(Delegate.id)
    d = (await db.execute(stmt.limit(1))).scalar_one_or_none()
    if d is None:
        return None
    await _store_reply(db, d, coming, now)
    return _delegate_view(d)


async def set_attendance(
    db: AsyncSession, actor: Actor, delegate_id: int, attended: bool, *, now: datetime
) -> DelegateView:
    """Present or absent on the day (the secretary or the office)."""
    act = await staff.audited(
        db,
        actor,
        Permission.CONDUCT_CONFERENCE,
        "delegate_attendance",
        f"delegate:{delegate_id}",
        now=now,
    )
    d = await _delegate(db, delegate_id)
    d.attended = attended
    await db.flush()
    await act.done(detail={"attended": attended})
    return _delegate_view(d)


async def _delegate_chat(db: AsyncSession, d: Delegate, locale: str) -> Recipient | None:
    if d.account_id is not None:
        row = (
            await db.execute(
                select(Account.channel, Account.external_id, Account.resident_id, Resident.locale)
                .join(Resident, Resident.id == Account.resident_id)
                .where(Account.id == d.account_id, Account.unreachable_at.is_(None))
            )
        ).one_or_none()
        if row is not None and row.channel in SENDS_TO:
            return Recipient(row.channel, row.external_id, row.locale, row.resident_id)
    if d.staff_id is not None:
        member = await staff.get_active(db, d.staff_id)
        if member is not None:
            return Recipient(TELEGRAM, str(member.telegram_user_id), locale)
    return None


REPLY_CALLBACK = "dr"  # Telegram: "dr:<session>:<1 coming | 0 not>" (handlers/delegates.py)


def _with_reply(text: str, chat: Recipient, session_id: int) -> Message:
    """An invitation or reminder with the delegate's way to answer it: two buttons on
    Telegram, the words to type on the text channels."""
    with use_locale(chat.locale):
        if chat.channel == TELEGRAM:
            return Message(
                text,
                buttons=[
                    [
                        (_("✅ I will attend"), f"{REPLY_CALLBACK}:{session_id}:1"),
                        (_("✖ I will not attend"), f"{REPLY_CALLBACK}:{session_id}:0"),
                    ]
                ],
            )
        return Message(
            text + "\n\n" + _('Reply "có dự" if you will attend, or "không dự" if you will not.')
        )


def _when(session: DialogueSession, zone) -> str:
    if session.starts_at is None:
        return _("date to be announced")
    return session.starts_at.astimezone(zone).strftime("%H:%M %d/%m/%Y")


async def invite(
    db: AsyncSession,
    actor: Actor,
    session_id: int,
    *,
    reminder: bool = False,
    locale: str = "vi",
    zone=UTC,
    now: datetime,
) -> Queued:
    """Invitations (or, with `reminder`, reminders) to the session's delegates on their chat,
    queued in the outbox in this transaction. An invitation goes once to each delegate; a
    reminder once a day to those who have not declined."""
    act = await staff.audited(
        db,
        actor,
        Permission.PREPARE_CONFERENCE,
        "delegate_remind" if reminder else "delegate_invite",
        f"session:{session_id}",
        now=now,
    )
    session = await _session(db, session_id)
    stmt = select(Delegate).where(Delegate.session_id == session_id).order_by(Delegate.id)
    queued = Queued()
    rows = []
    for d in (await db.execute(stmt)).scalars():
        if reminder and d.reply == Reply.NOT_COMING:
            continue
        chat = await _delegate_chat(db, d, locale)
        if chat is None:
            queued.unreachable.append(d.name)
            continue
        with use_locale(chat.locale):
            if reminder:
                text = _(
                    'Reminder: the dialogue conference "{title}" is at {when}, {place}. '
                    "Please let the ward office know if you cannot attend."
                )
            else:
                text = _(
                    "Dear {name}, the Ward People's Committee invites you to the dialogue "
                    'conference "{title}" at {when}, {place}. Please let the ward office know '
                    "whether you will attend."
                )
            text = text.format(
                name=d.name,
                title=session.title,
                when=_when(session, zone),
                place=session.place or _("the ward headquarters"),
            )
        day = now.astimezone(zone).date().isoformat()
        key = f"delegate:{'remind' if reminder else 'invite'}:{d.id}" + (
            f":{day}" if reminder else ""
        )
        rows.append((chat, _with_reply(text, chat, session_id), key))
        if reminder:
            d.reminded_at = now
        elif d.invited_at is None:
            d.invited_at = now
    if rows:
        await outbox.add_many(db, rows)
        queued.keys.extend(key for _c, _m, key in rows)
    await db.flush()
    await act.done(detail={"queued": len(rows), "unreachable": len(queued.unreachable)})
    return queued
