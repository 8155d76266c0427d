"""Announcements from the ward office to residents who opted in to reminders and
announcements: all of them, or those interested in one field (they rated it or asked about it).

Plain values and the database session in; nothing commits and nothing is sent here. A draft
lives in the admin's dialog until it is confirmed, so a cancelled draft stores nothing; the
confirmation stores the broadcast (status "sending") and one delivery per recipient account,
which the delivery engine sends. Every function starts with `staff.require(BROADCAST)`, so a
refusal is audited whichever handler calls it; sending, stopping and listing are audited too.

Decisions:
- The admin writes once, in one language; it is sent as written. Only the header line
  ("📢 Announcement from …") and, on Zalo, the note about a photo or file that only Telegram
  carries are in each resident's language.
- Zalo residents get the text only: the bot keeps Telegram's file id, which Zalo cannot use.
- A photo or document sent to the bot is sent again by its Telegram file id; one uploaded in
  the web console has no file id: it is kept on the server's disk and its path goes in each
  Telegram delivery, which uploads it (bot/delivery/senders.py).
- Lengths are counted as Telegram does (UTF-16 units): a text fits one message; with a photo
  or document, header and text fit Telegram's 1,024-unit caption.
"""

from __future__ import annotations

import html
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Message, Recipient
from bot.exports.numbers import number
from bot.i18n import N_, SUPPORTED, _, current_locale, use_locale
from bot.services import staff
from bot.services.staff import Actor, Permission
from bot.settings import Settings
from bot.texts import ward_committee
from models import Broadcast, BroadcastKind, BroadcastStatus, Delivery, DeliveryStatus

MAX_TEXT = 3500  # one Telegram message (4,096) with the header, and room to spare
MAX_CAPTION = 1000  # a photo's or document's caption, at most
TELEGRAM_CAPTION = 1024  # what Telegram accepts, header included
MEDIA_KINDS = ("photo", "document")
MAX_MEDIA_NAME = 200
PAGE_SIZE = 8

HEADER = N_("📢 Announcement from {committee}")
# Zalo cannot show Telegram's files: residents there are told where to see it.
ZALO_NOTES = {
    "photo": N_(
        "📎 A picture comes with this announcement on the ward's Telegram bot; you can also "
        "see it at the ward office."
    ),
    "document": N_(
        "📎 A file comes with this announcement on the ward's Telegram bot; you can also get "
        "it at the ward office."
    ),
}


class BroadcastError(Exception):
    """An announcement that cannot be drafted, sent or stopped; `str()` says why, politely."""


@dataclass(frozen=True)
class Media:
    kind: str  # photo, document
    file_id: str | None  # Telegram's file id, sent again as it is; None for a file on disk
    name: str | None = None  # a document's file name
    path: str | None = None  # a file uploaded in the web console, kept on the server's disk


@dataclass(frozen=True)
class Draft:
    """What the admin wrote, checked; nothing is stored until it is confirmed."""

    text: str
    field: str | None = None  # None: every resident who opted in
    media: Media | None = None


@dataclass(frozen=True)
class Audience:
    """How many accounts an announcement would reach, per channel."""

    telegram: int = 0
    zalo: int = 0
    web: int = 0  # the web chat: shown the next time the resident opens its page

    @property
    def total(self) -> int:
        return self.telegram + self.zalo + self.web


@dataclass(frozen=True)
class Figures:
    """A broadcast's deliveries: {channel: {status: count}}, counted in SQL."""

    counts: dict[str, dict[str, int]]

    def count(self, status: str, channel: str | None = None) -> int:
        channels = [channel] if channel else list(self.counts)
        return sum(self.counts.get(c, {}).get(status, 0) for c in channels)

    @property
    def sent(self) -> int:
        return self.count(DeliveryStatus.SENT)

    @property
    def failed(self) -> int:
        return self.count(DeliveryStatus.FAILED)

    @property
    def unreachable(self) -> int:
        return self.count(DeliveryStatus.UNREACHABLE)

    @property
    def cancelled(self) -> int:
        return self.count(DeliveryStatus.CANCELLED)

    @property
    def pending(self) -> int:
        return self.count(DeliveryStatus.PENDING)

    def seconds_left(self, settings: Settings) -> int:
        """What remains at each channel's rate; the channels send side by side."""
        rates = {"telegram": settings.telegram_rate, "zalo": settings.zalo_rate}
        waits = [
            self.count(DeliveryStatus.PENDING, channel) / rates.get(channel, settings.zalo_rate)
            for channel in self.counts
        ]
        return math.ceil(max(waits, default=0))


@dataclass(frozen=True)
class Entry:
    """One past announcement as /broadcasts lists it."""

    id: int
    created_at: datetime
    field: str | None
    text: str
    media_kind: str | None
    status: str
    figures: Figures


@dataclass(frozen=True)
class History:
    entries: list[Entry]
    page: int  # from 0
    pages: int
    total: int


# --- checking a draft ---------------------------------------------------------------------------


def length(text: str) -> int:
    """Characters as Telegram counts them (UTF-16 units: an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def thousands(value: int) -> str:
    """3.500 in Vietnamese, 3,500 in English."""
    return number(value, 0, current_locale())


def header(settings: Settings) -> str:
    """The first line of an announcement, in the current locale."""
    return _(HEADER).format(committee=ward_committee(settings))


def caption_limit(settings: Settings) -> int:
    """The longest text that goes with a photo or document: 1,000, or less when the ward's
    header in some language leaves less room in Telegram's caption."""
    longest = 0
    for locale in SUPPORTED:
        with use_locale(locale):
            longest = max(longest, length(header(settings)))
    return min(MAX_CAPTION, TELEGRAM_CAPTION - longest - 2)  # 2: the blank line after it


def clean_text(text: str | None, *, with_media: bool, settings: Settings) -> str:
    """The announcement as it will be sent (NFC, trimmed), if it fits."""
    cleaned = unicodedata.normalize("NFC", text or "").strip()
    if not cleaned:
        raise BroadcastError(_("Please type the text of the announcement."))
    size = length(cleaned)
    if with_media:
        limit = caption_limit(settings)
        if size > limit:
            raise BroadcastError(
                _(
                    "With a photo or a document, Telegram allows a caption of at most {limit} "
                    "characters, and this text has {count}. Please shorten it, or send the "
                    "announcement without the attachment."
                ).format(limit=thousands(limit), count=thousands(size))
            )
    elif size > MAX_TEXT:
        raise BroadcastError(
            _(
                "An announcement can have at most {limit} characters, so that it arrives as "
                "one message, and this text has {count}. Please shorten it and send it again."
            ).format(limit=thousands(MAX_TEXT), count=thousands(size))
        )
    return cleaned


def clean_media(kind: str, file_id: str, name: str | None = None) -> Media:
    if kind not in MEDIA_KINDS or not file_id:
        raise BroadcastError(_("Please send a photo or a document."))
    return Media(kind, file_id, (name or "")[:MAX_MEDIA_NAME] or None)


def make_draft(
    text: str | None,
    *,
    settings: Settings,
    field: str | None = None,
    media: Media | None = None,
) -> Draft:
    """A checked draft; BroadcastError says what to change."""
    return Draft(clean_text(text, with_media=media is not None, settings=settings), field, media)


# --- what residents receive ---------------------------------------------------------------------


def render(draft: Draft, channel: str, locale: str, settings: Settings) -> Message:
    """The announcement for one channel and language: Telegram HTML with the photo or
    document; plain text on Zalo, with a note where the attachment can be seen."""
    with use_locale(locale):
        title = header(settings)
        if channel == "telegram":
            text = f"<b>{_esc(title)}</b>\n\n{_esc(draft.text)}"
            media = _telegram_media(draft.media)
            return Message(text=text, html=True, media=media)
        text = f"{title}\n\n{draft.text}"
        if draft.media is not None:
            text += "\n\n" + _(ZALO_NOTES[draft.media.kind])
        return Message(text=text)


def _telegram_media(media: Media | None) -> dict[str, str] | None:
    if media is None:
        return None
    if media.file_id:
        return {"kind": media.kind, "file_id": media.file_id}
    found = {"kind": media.kind, "path": media.path or ""}
    if media.name:
        found["name"] = media.name
    return found


def _esc(value: str) -> str:
    return html.escape(value, quote=False)


def _audience(recipients: list[Recipient]) -> Audience:
    telegram = sum(r.channel == "telegram" for r in recipients)
    web = sum(r.channel == "web" for r in recipients)
    return Audience(telegram=telegram, zalo=len(recipients) - telegram - web, web=web)


async def recipients(
    db: AsyncSession, actor: Actor, *, field: str | None = None, now: datetime
) -> Audience:
    """How many would receive it (admins only; a count is not audited when allowed: the
    wizard reads it on every screen)."""
    await staff.require(db, actor, Permission.BROADCAST, now=now, action="broadcast")
    return _audience(await outbox.opted_in(db, field=field))


async def audiences(
    db: AsyncSession, actor: Actor, fields: list[str], *, now: datetime
) -> dict[str | None, Audience]:
    """The counts for everyone (key None) and for each field, for the choice of audience."""
    await staff.require(db, actor, Permission.BROADCAST, now=now, action="broadcast")
    found: dict[str | None, Audience] = {None: _audience(await outbox.opted_in(db))}
    for field_id in fields:
        found[field_id] = _audience(await outbox.opted_in(db, field=field_id))
    return found


# --- sending and stopping -----------------------------------------------------------------------


async def confirm(
    db: AsyncSession,
    actor: Actor,
    draft: Draft,
    *,
    settings: Settings,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
    now: datetime,
) -> Broadcast:
    """Store the announcement as sending, with one delivery per opted-in account of its
    audience, each in the resident's language (admins only; audited)."""
    by = await staff.require(db, actor, Permission.BROADCAST, now=now, action="broadcast_send")
    draft = make_draft(draft.text, settings=settings, field=draft.field, media=draft.media)
    found = await outbox.opted_in(db, field=draft.field)
    if not found:
        raise BroadcastError(_("Nobody would receive it: no resident of this audience opted in."))
    media = draft.media
    broadcast = await outbox.new_broadcast(
        db,
        kind=BroadcastKind.ANNOUNCEMENT,
        status=BroadcastStatus.SENDING,
        field=draft.field,
        created_by=by.id,
        text=draft.text,
        media_kind=media.kind if media else None,
        media_file_id=media.file_id if media else None,
        media_name=media.name if media else None,
        progress_chat_id=progress_chat_id,
        progress_message_id=progress_message_id,
        created_at=now,
        started_at=now,
    )
    assert broadcast is not None  # no key, so never a duplicate
    rendered: dict[tuple[str, str], Message] = {}
    rows = []
    for recipient in found:
        kind = (recipient.channel, recipient.locale)
        if kind not in rendered:
            rendered[kind] = render(draft, recipient.channel, recipient.locale, settings)
        rows.append((recipient, rendered[kind], outbox.delivery_key(broadcast.id, recipient)))
    # Due at once, on the engine's (wall) clock.
    added = await outbox.add_many(db, rows, broadcast_id=broadcast.id)
    audience = _audience(found)
    await staff.record_action(
        db,
        by,
        "broadcast_send",
        now=now,
        target=f"broadcast:{broadcast.id}",
        detail={
            "field": draft.field,
            "media": media.kind if media else None,
            "recipients": added,
            "telegram": audience.telegram,
            "zalo": audience.zalo,
            "web": audience.web,
        },
    )
    return broadcast


async def stop(db: AsyncSession, actor: Actor, broadcast_id: int, *, now: datetime) -> int:
    """Stop sending: the deliveries not yet sent are cancelled (admins only; audited).
    Returns how many were cancelled."""
    target = f"broadcast:{broadcast_id}"
    by = await staff.require(
        db, actor, Permission.BROADCAST, now=now, action="broadcast_stop", target=target
    )
    broadcast = await db.get(Broadcast, broadcast_id, with_for_update=True, populate_existing=True)
    if broadcast is None or broadcast.kind != BroadcastKind.ANNOUNCEMENT:
        raise BroadcastError(_("This announcement was not found."))
    if broadcast.status != BroadcastStatus.SENDING:
        raise BroadcastError(_("This announcement is no longer being sent."))
    cancelled = await outbox.cancel_pending(db, broadcast_id)
    await staff.record_action(
        db, by, "broadcast_stop", now=now, target=target, detail={"cancelled": cancelled}
    )
    return cancelled


# --- following the sending ----------------------------------------------------------------------


async def figures(db: AsyncSession, broadcast_id: int) -> Figures:
    stmt = (
        select(Delivery.channel, Delivery.status, func.count(Delivery.id))
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.channel, Delivery.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in (await db.execute(stmt)).all():
        counts.setdefault(channel, {})[status] = count
    return Figures(counts)


@dataclass(frozen=True)
class Finished:
    broadcast: Broadcast
    now: bool  # this call finished it; False: another worker did, and showed the summary


async def finish(db: AsyncSession, broadcast_id: int, *, now: datetime) -> Finished | None:
    """Once nothing is pending: a sending broadcast becomes done (a stopped one stays
    cancelled) and its end time is kept, by one caller only, whichever worker it runs in.
    None while deliveries are still pending (or the broadcast is gone)."""
    pending = await db.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING
        )
    )
    if pending:
        return None
    # One statement, on the row's lock: of two workers finishing at once, one sees it done.
    finished = await db.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None))
        .values(
            status=case(
                (Broadcast.status == BroadcastStatus.SENDING, BroadcastStatus.DONE),
                else_=Broadcast.status,
            ),
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    broadcast = await db.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        return None
    return Finished(broadcast, now=finished.rowcount == 1)


async def unfinished(db: AsyncSession) -> list[Broadcast]:
    """Announcements whose progress message still waits for its final summary (sending, or
    stopped just before a restart)."""
    stmt = (
        select(Broadcast)
        .where(
            Broadcast.kind == BroadcastKind.ANNOUNCEMENT,
            Broadcast.status.in_([BroadcastStatus.SENDING, BroadcastStatus.CANCELLED]),
            Broadcast.finished_at.is_(None),
        )
        .order_by(Broadcast.id)
    )
    return list((await db.execute(stmt)).scalars())


# --- the past announcements ---------------------------------------------------------------------


async def history(
    db: AsyncSession, actor: Actor, *, page: int = 0, page_size: int = PAGE_SIZE, now: datetime
) -> History:
    """Announcements, newest first, one page with each one's delivery figures (admins only;
    audited)."""
    by = await staff.require(db, actor, Permission.BROADCAST, now=now, action="broadcast_list")
    announcement = Broadcast.kind == BroadcastKind.ANNOUNCEMENT
    total = await db.scalar(select(func.count(Broadcast.id)).where(announcement)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    stmt = (
        select(Broadcast)
        .where(announcement)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    )
    found = list((await db.execute(stmt)).scalars())
    counts: dict[int, dict[str, dict[str, int]]] = {b.id: {} for b in found}
    if found:
        rows = await db.execute(
            select(
                Delivery.broadcast_id, Delivery.channel, Delivery.status, func.count(Delivery.id)
            )
            .where(Delivery.broadcast_id.in_(list(counts)))
            .group_by(Delivery.broadcast_id, Delivery.channel, Delivery.status)
        )
        for broadcast_id, channel, status, count in rows.all():
            counts[broadcast_id].setdefault(channel, {})[status] = count
    await staff.record_action(db, by, "broadcast_list", now=now, detail={"page": page})
    entries = [
        Entry(
            id=b.id,
            created_at=b.created_at,
            field=b.field,
            text=b.text or "",
            media_kind=b.media_kind,
            status=b.status,
            figures=Figures(counts[b.id]),
        )
        for b in found
    ]
    return History(entries, page, pages, total)
