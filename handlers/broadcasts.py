"""Announcements from the ward office on Telegram (admins).

/broadcast opens a wizard: the audience (everyone who opted in, or one field), the text, an
optional photo or document, then a preview sent exactly as residents will receive it on
Telegram, with the number of recipients per channel; Send, Edit or Cancel. Nothing is stored
before Send. Send stores the broadcast and its deliveries (bot.services.broadcasts), wakes the
delivery engine and posts a progress message that a small task edits as deliveries go out
(at most one edit per 3 s), with a "Stop sending" button, until the final summary.

/broadcasts lists past announcements with their delivery figures, page by page.

Every decision and the audit log are bot.services.broadcasts' (admins only). A refusal is
answered politely and the handler returns normally, so the update's transaction keeps the
audit entry. Staff read these screens in the ward's language (DEFAULT_LOCALE).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcast_progress import (
    ProgressTracker,
    StopCb,
    channel_counts,
)
from bot.delivery import outbox
from bot.i18n import N_, _
from bot.services import broadcasts
from bot.services.broadcasts import BroadcastError, Draft, History, Media
from bot.services.staff import Permission, PermissionDenied, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.texts import clipped, local_time
from handlers.common import deps, esc
from handlers.fallback import on_wrong_input
from handlers.staff.common import field_label
from handlers.staff.permissions import StaffCan, can, staff_only, staff_router
from handlers.states import BroadcastV1
from handlers.widgets import Tr, choice_list
from models import BroadcastStatus

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
Clock = Callable[[], datetime]

TRACKER = "broadcast_progress"  # the dispatcher's ProgressTracker (bot/broadcast_progress.py)
FIRST_WORDS = 60  # characters of an announcement in /broadcasts

# dialog_data keys: the audience's field (None: everyone), the text, the photo or document
FIELD, TEXT, MEDIA = "field", "text", "media"

STATUS_LABELS = {
    BroadcastStatus.SENDING: N_("sending"),
    BroadcastStatus.DONE: N_("sent"),
    BroadcastStatus.CANCELLED: N_("stopped"),
}


class HistoryCb(CallbackData, prefix="bh"):
    """Page p (from 0) of /broadcasts."""

    p: int


def not_a_command(message: Message) -> bool:
    """Input for the wizard. It sits before the /paper router, so that a document sent here
    is not read as paper forms; commands typed meanwhile must still reach their handlers."""
    return not (message.text or "").startswith("/")


# --- texts shared by the wizard, the progress message and the list ------------------------------


def audience_label(survey: Survey, field: str | None) -> str:
    if field is None:
        return _("everyone who opted in")
    return field_label(survey, field)


def attachment_label(media: dict[str, Any] | None) -> str:
    if not media:
        return ""
    if media["kind"] == "photo":
        return _("a photo")
    return _("the document {name}").format(name=esc(media.get("name") or ""))


def tracker_of(data: dict[str, Any]) -> ProgressTracker | None:
    return data.get(TRACKER)


def wake_engine(data: dict[str, Any]) -> None:
    """The delivery engine sends at once rather than at its next look, if it runs here."""
    engine = data.get("delivery")
    if engine is not None:
        engine.wake()


# --- /broadcast: the wizard ---------------------------------------------------------------------


async def cmd_broadcast(
    message: Message,
    me: StaffRef | None,
    db: AsyncSession,
    clock: Clock,
    dialog_manager: DialogManager,
) -> None:
    # The gate has checked Permission.BROADCAST (see create_router).
    await dialog_manager.start(BroadcastV1.audience, mode=StartMode.RESET_STACK)


def actor(manager: DialogManager) -> StaffRef:
    return manager.middleware_data["me"]


def stored_media(manager: DialogManager) -> Media | None:
    media = manager.dialog_data.get(MEDIA)
    return Media(media["kind"], media["file_id"], media.get("name")) if media else None


def draft_of(manager: DialogManager) -> Draft:
    """The announcement as typed, checked again (BroadcastError if it no longer fits)."""
    return broadcasts.make_draft(
        manager.dialog_data.get(TEXT),
        settings=deps(manager).settings,
        field=manager.dialog_data.get(FIELD),
        media=stored_media(manager),
    )


def media_of(message: Message) -> dict[str, Any] | None:
    if message.photo:
        return {"kind": "photo", "file_id": message.photo[-1].file_id}
    if message.document:
        return {
            "kind": "document",
            "file_id": message.document.file_id,
            "name": message.document.file_name,
        }
    return None


async def refuse(message: Message, manager: DialogManager, problem: Exception) -> None:
    """Input that cannot be taken: say why, then show the same step again below."""
    await message.answer(esc(problem))
    manager.show_mode = ShowMode.SEND


async def send_as_resident(bot: Bot, chat_id: int, message: outbox.Message) -> None:
    """A Telegram delivery's payload, sent to one chat (the admin's preview)."""
    media = message.media
    if media and media["kind"] == "photo":
        await bot.send_photo(chat_id, media["file_id"], caption=message.text)
    elif media:
        await bot.send_document(chat_id, media["file_id"], caption=message.text)
    else:
        await bot.send_message(chat_id, message.text)


async def show_preview(manager: DialogManager, chat_id: int) -> None:
    """The announcement as a Telegram resident in the ward's language gets it, then the
    screen with the figures and Send, Edit, Cancel below it."""
    d = deps(manager)
    message = broadcasts.render(draft_of(manager), "telegram", d.locale, d.settings)
    await send_as_resident(manager.middleware_data["bot"], chat_id, message)
    manager.show_mode = ShowMode.SEND
    await manager.switch_to(BroadcastV1.preview)


async def audience_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    counts = await broadcasts.audiences(
        d.db, actor(dialog_manager), [f.id for f in d.survey.fields], now=d.now
    )
    everyone = counts[None]
    return {
        "all_total": everyone.total,
        "all_telegram": everyone.telegram,
        "all_zalo": everyone.zalo,
        "fields": [
            {"id": f.id, "label": f"{f.label.get(d.locale)} ({counts[f.id].total})"}
            for f in d.survey.fields
        ],
    }


async def draft_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    """The audience with its counts, and what was typed or attached so far."""
    d = deps(dialog_manager)
    data = dialog_manager.dialog_data
    field = data.get(FIELD)
    counts = await broadcasts.recipients(d.db, actor(dialog_manager), field=field, now=d.now)
    media = data.get(MEDIA)
    text = data.get(TEXT)
    return {
        "audience": esc(audience_label(d.survey, field)),
        "counts": channel_counts(counts.telegram, counts.zalo, counts.web),
        "total": counts.total,
        "telegram": counts.telegram,
        "zalo": counts.zalo,
        "nobody": counts.total == 0,
        "header": esc(broadcasts.header(d.settings)),
        "text_limit": broadcasts.thousands(broadcasts.MAX_TEXT),
        "caption_limit": broadcasts.thousands(broadcasts.caption_limit(d.settings)),
        "has_text": bool(text),
        "text": esc(clipped(text or "", 300)),
        "has_media": bool(media),
        "no_media": not media,
        "media_waits_text": bool(media) and not text,
        "attachment": attachment_label(media),
        "zalo_note": _(broadcasts.ZALO_NOTES[media["kind"]]) if media else "",
    }


async def on_everyone(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await choose(manager, None)


async def on_field(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    d = deps(manager)
    counts = await broadcasts.recipients(d.db, actor(manager), field=item, now=d.now)
    if counts.total == 0:
        await callback.answer(
            _("Nobody interested in this field has opted in yet. Please choose another."),
            show_alert=True,
        )
        return
    await choose(manager, item)


async def choose(manager: DialogManager, field: str | None) -> None:
    manager.dialog_data[FIELD] = field
    await manager.switch_to(BroadcastV1.text)


async def on_text(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    """The text, or a photo or document (with the text as its caption, or the text next)."""
    manager.show_mode = ShowMode.SEND
    data = manager.dialog_data
    settings = deps(manager).settings
    media = media_of(message)
    if media is None and not message.text:
        await message.answer(
            _("Please type the announcement, or send a photo or a document with its text.")
        )
        return
    if media is None:
        try:
            data[TEXT] = broadcasts.clean_text(
                message.text, with_media=bool(data.get(MEDIA)), settings=settings
            )
        except BroadcastError as problem:
            await refuse(message, manager, problem)
            return
        await manager.switch_to(BroadcastV1.attachment)
        return
    data[MEDIA] = media  # kept even when its text must be shorter: the text comes next
    text = message.caption or data.get(TEXT)
    if not text:
        return  # the step asks for its text
    try:
        data[TEXT] = broadcasts.clean_text(text, with_media=True, settings=settings)
    except BroadcastError as problem:
        await refuse(message, manager, problem)
        return
    await show_preview(manager, message.chat.id)


async def on_attachment(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    media = media_of(message)
    if media is None:
        await message.answer(_("Please send a photo or a document, or tap Preview."))
        return
    try:
        broadcasts.clean_text(
            manager.dialog_data.get(TEXT), with_media=True, settings=deps(manager).settings
        )
    except BroadcastError as problem:
        await refuse(message, manager, problem)
        return
    manager.dialog_data[MEDIA] = media
    await show_preview(manager, message.chat.id)


async def on_remove_media(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop(MEDIA, None)


async def on_keep_text(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await manager.switch_to(BroadcastV1.attachment)


async def on_preview(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    try:
        draft_of(manager)
    except BroadcastError as problem:  # e.g. a long text left with an attachment
        await callback.answer(clipped(str(problem), 200), show_alert=True)
        return
    await show_preview(manager, callback.from_user.id)


async def on_quit(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await manager.done()
    await callback.message.answer(_("✖ Cancelled: nothing was sent or stored."))


async def on_send(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    """Store the announcement and its deliveries, then show the progress message."""
    d = deps(manager)
    data = manager.middleware_data
    bot: Bot = data["bot"]
    try:
        draft = draft_of(manager)
        counts = await broadcasts.recipients(d.db, actor(manager), field=draft.field, now=d.now)
        if counts.total == 0:
            raise BroadcastError(
                _("Nobody would receive it: no resident of this audience opted in.")
            )
    except (PermissionDenied, BroadcastError) as problem:
        await callback.answer(clipped(str(problem), 200), show_alert=True)
        return
    progress = await bot.send_message(
        callback.from_user.id,
        _("⏳ Preparing the announcement for {audience}…").format(
            audience=channel_counts(counts.telegram, counts.zalo, counts.web)
        ),
    )
    try:
        broadcast = await broadcasts.confirm(
            d.db,
            actor(manager),
            draft,
            settings=d.settings,
            progress_chat_id=progress.chat.id,
            progress_message_id=progress.message_id,
            now=d.now,
        )
    except (PermissionDenied, BroadcastError) as problem:  # changed since the check above
        await bot.edit_message_text(
            text=esc(problem), chat_id=progress.chat.id, message_id=progress.message_id
        )
        return
    await d.db.commit()  # the engine and the progress task read what is stored
    await manager.done()
    wake_engine(data)
    tracker = tracker_of(data)
    if tracker is not None:
        tracker.start(broadcast.id)


def create_dialog() -> Dialog:
    wrong_input = MessageInput(on_wrong_input)
    cancel = Button(Tr("✖ Cancel"), id="quit", on_click=on_quit)
    dialog = Dialog(
        Window(
            Tr("<b>New announcement</b> · step 1 of 3"),
            Tr(
                "Who should receive it? Only residents who agreed to receive reminders and "
                "announcements in their chat are counted."
            ),
            Tr(
                "Everyone who opted in: {all_total} residents (Telegram {all_telegram}, "
                "Zalo {all_zalo}). Or one field: the residents who rated it or asked a question "
                "about it."
            ),
            Button(Tr("👥 Everyone who opted in ({all_total})"), id="all", on_click=on_everyone),
            choice_list("f", "fields", on_field),
            cancel,
            wrong_input,
            state=BroadcastV1.audience,
            getter=audience_getter,
        ),
        Window(
            Tr("<b>New announcement</b> · step 2 of 3"),
            Tr("To: <b>{audience}</b> · {counts}"),
            Tr(
                "Please type the announcement in one message, at most {text_limit} characters. "
                "It is sent as you write it, under the line “{header}”."
            ),
            Tr(
                "To add a photo or a document, send it with the text as its caption (at most "
                "{caption_limit} characters), or add it at the next step.",
                when="no_media",
            ),
            Tr(
                "📎 Attached: {attachment}. Please type its text (at most {caption_limit} "
                "characters).",
                when="media_waits_text",
            ),
            Tr("Now: <i>{text}</i>", when="has_text"),
            Button(Tr("➡️ Keep this text"), id="keep", on_click=on_keep_text, when="has_text"),
            Button(
                Tr("🗑 Remove the attachment"),
                id="unattach",
                on_click=on_remove_media,
                when="has_media",
            ),
            Row(SwitchTo(Tr("⬅️ Back"), id="back", state=BroadcastV1.audience), cancel),
            MessageInput(on_text),
            state=BroadcastV1.text,
            getter=draft_getter,
        ),
        Window(
            Tr("<b>New announcement</b> · step 3 of 3"),
            Tr(
                "Would you like to add a photo or a document? Send it now: the text becomes its "
                "caption, so it must be at most {caption_limit} characters. Residents on Zalo "
                "get the text only, with a line saying where to see the attachment.",
                when="no_media",
            ),
            Tr(
                "📎 Attached: {attachment}. Send another photo or document to replace it.",
                when="has_media",
            ),
            Button(Tr("👁 Preview"), id="preview", on_click=on_preview),
            Button(
                Tr("🗑 Remove the attachment"),
                id="unattach",
                on_click=on_remove_media,
                when="has_media",
            ),
            Row(SwitchTo(Tr("⬅️ Back"), id="back", state=BroadcastV1.text), cancel),
            MessageInput(on_attachment),
            state=BroadcastV1.attachment,
            getter=draft_getter,
        ),
        Window(
            Tr("👆 This is how residents see the announcement on Telegram."),
            Tr(
                "On Zalo they get the text only, with the line: “{zalo_note}”",
                when="has_media",
            ),
            Tr("It will be sent to <b>{counts}</b> · To: {audience}.", when="total"),
            Tr(
                "Nobody would receive it: no resident of this audience opted in. Tap Edit, then "
                "Back, to choose another audience.",
                when="nobody",
            ),
            Button(Tr("📨 Send"), id="send", on_click=on_send, when="total"),
            Row(SwitchTo(Tr("✏️ Edit"), id="edit", state=BroadcastV1.text), cancel),
            wrong_input,
            state=BroadcastV1.preview,
            getter=draft_getter,
        ),
    )
    # Commands typed mid-wizard go on to their own routers (this dialog sits before /paper's).
    dialog.message.filter(not_a_command)
    return staff_only(dialog, StaffCan(Permission.BROADCAST, "broadcast"))


# --- /broadcasts: the past announcements --------------------------------------------------------


def first_words(text: str, limit: int = FIRST_WORDS) -> str:
    """The start of an announcement on one line, cut between words."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"


def history_text(found: History, survey: Survey, settings: Settings) -> str:
    if not found.entries:
        return _("No announcement has been sent yet. /broadcast writes one.")
    lines = [
        _("<b>Announcements</b> · page {page} of {pages} · {total} in all").format(
            page=found.page + 1, pages=found.pages, total=found.total
        )
    ]
    for entry in found.entries:
        icon = {"photo": " 🖼", "document": " 📎"}.get(entry.media_kind or "", "")
        status = STATUS_LABELS.get(entry.status)
        figures = entry.figures
        lines.append(
            "\n"
            + f"<b>#{entry.id}</b> · {local_time(entry.created_at, settings)} · "
            + f"{esc(audience_label(survey, entry.field))}{icon}"
            + (f" · {_(status)}" if status else "")
        )
        lines.append(f"“{esc(first_words(entry.text))}”")
        lines.append(
            _(
                "sent {sent} · failed {failed} · unreachable {unreachable} · pending {pending}"
            ).format(
                sent=figures.sent,
                failed=figures.failed,
                unreachable=figures.unreachable,
                pending=figures.pending,
            )
            + (
                " · " + _("not sent {cancelled}").format(cancelled=figures.cancelled)
                if figures.cancelled
                else ""
            )
        )
    return "\n".join(lines)


def history_markup(found: History) -> InlineKeyboardMarkup | None:
    row = []
    if found.page > 0:
        row.append(
            InlineKeyboardButton(
                text=_("⬅️ Newer"), callback_data=HistoryCb(p=found.page - 1).pack()
            )
        )
    if found.page + 1 < found.pages:
        row.append(
            InlineKeyboardButton(
                text=_("Older ➡️"), callback_data=HistoryCb(p=found.page + 1).pack()
            )
        )
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


async def cmd_broadcasts(
    message: Message,
    me: StaffRef | None,
    db: AsyncSession,
    clock: Clock,
    survey: Survey,
    settings: Settings,
) -> None:
    # A refusal raised by the service is answered and audited by the staff gate.
    found = await broadcasts.history(db, me or message.from_user.id, now=clock())
    await message.answer(history_text(found, survey, settings), reply_markup=history_markup(found))


async def on_history_page(
    callback: CallbackQuery,
    callback_data: HistoryCb,
    me: StaffRef | None,
    db: AsyncSession,
    clock: Clock,
    survey: Survey,
    settings: Settings,
) -> None:
    found = await broadcasts.history(
        db, me or callback.from_user.id, page=callback_data.p, now=clock()
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(
            history_text(found, survey, settings), reply_markup=history_markup(found)
        )


async def on_stop(
    callback: CallbackQuery,
    callback_data: StopCb,
    me: StaffRef | None,
    db: AsyncSession,
    clock: Clock,
    bot: Bot,
    **data: Any,
) -> None:
    try:
        cancelled = await broadcasts.stop(
            db, me or callback.from_user.id, callback_data.b, now=clock()
        )
    except (PermissionDenied, BroadcastError) as problem:
        await callback.answer(clipped(str(problem), 200), show_alert=True)
        return
    await db.commit()  # the progress task reads the stopped state
    await callback.answer(
        _("⏹ Stopped: {count} messages will not be sent.").format(count=cancelled)
    )
    tracker = tracker_of(data)
    if tracker is not None:
        tracker.start(callback_data.b)  # summarises it now (also after a restart)


def create_router() -> Router:
    """/broadcast, /broadcasts and the buttons of their messages."""
    router = staff_router(__name__)
    router.message.register(
        cmd_broadcast, Command("broadcast"), flags=can(Permission.BROADCAST, "broadcast")
    )
    router.message.register(cmd_broadcasts, Command("broadcasts"))
    router.callback_query.register(on_stop, StopCb.filter())
    router.callback_query.register(on_history_page, HistoryCb.filter())
    return router


__all__ = [
    "TRACKER",
    "create_dialog",
    "create_router",
]
