"""Announcements in the console (admins), as /broadcast and /broadcasts on Telegram: compose
(text, an optional photo or document, the audience), preview exactly what residents get and
how many, send, follow the sending (sent, failed, remaining, time left; the page asks a small
JSON address every 2 s) with Stop, and the past announcements with their figures.

Every decision, count and audit entry is bot/services/broadcasts.py's, the same as on
Telegram; the delivery engine sends. A photo or document sent to the Telegram bot is sent on by
its file id; a file uploaded here has none, so it is kept under ATTACHMENTS (beside the
database, as the day-before exports) and each Telegram delivery carries its path: the engine
uploads it to each chat (bot/delivery/senders.py). Zalo residents get the text with the same
note about the attachment as from Telegram. Files stay on the server's disk: workers must share
it (one machine)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import secrets
import shutil
import time
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.web_request import FileField
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcast_progress import channel_counts, duration_text, summary_text
from bot.exports.day_before import export_dir
from bot.i18n import N_, _, current_locale
from bot.services import broadcasts, staff
from bot.services.broadcasts import BroadcastError, Draft, Figures, Media
from bot.services.staff import Permission, PermissionDenied
from bot.settings import Settings
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.pages.paper import large_body
from bot.web.templates import render
from models import Broadcast, BroadcastKind, BroadcastStatus

routes = web.RouteTableDef()

PATH = "/staff/announcements"
# Telegram takes photos of up to 10 MB from a bot; a document the same here, as the engine
# uploads it once per chat.
MAX_ATTACHMENT = 10 * 1024 * 1024
BODY_LIMIT = MAX_ATTACHMENT + 1024 * 1024
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
POLL_SECONDS = 2
json_text = functools.partial(json.dumps, ensure_ascii=False)  # Vietnamese as it reads
# An announcement is sent within minutes (retries within hours); its file is kept a week.
KEEP_ATTACHMENTS = 7 * 24 * 3600

STATUS_LABELS = {
    BroadcastStatus.SENDING: N_("sending"),
    BroadcastStatus.DONE: N_("sent"),
    BroadcastStatus.CANCELLED: N_("stopped"),
}


def attachments_dir(settings: Settings) -> Path:
    """Where uploaded attachments are kept: beside the day-before exports."""
    return export_dir(settings).parent / "announcements"


@dataclass(frozen=True)
class Upload:
    """An attachment uploaded with a draft: ATTACHMENTS/<token>/<name>."""

    token: str
    kind: str  # photo, document
    name: str
    path: Path

    def media(self) -> Media:
        return broadcasts.Media(self.kind, None, self.name, str(self.path))


def safe_name(filename: str) -> str:
    """A file name without folders or control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    if not name:
        name = "file"
    stem, dot, suffix = name.rpartition(".")
    if dot and len(suffix) <= 10:
        return stem[: broadcasts.MAX_MEDIA_NAME - len(suffix) - 1] + "." + suffix
    return name[: broadcasts.MAX_MEDIA_NAME]


def kind_of(name: str) -> str:
    return "photo" if Path(name).suffix.lower() in PHOTO_TYPES else "document"


def kept(settings: Settings, token: str) -> Upload | None:
    """The attachment a draft's form names, if it is one of ours."""
    if not TOKEN.match(token or ""):
        return None
    folder = attachments_dir(settings) / token
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    if len(files) != 1 or not files[0].is_file():
        return None
    return Upload(token, kind_of(files[0].name), files[0].name, files[0].resolve())


def remove_old(root: Path, now: float) -> int:
    """Attachments kept longer than KEEP_ATTACHMENTS (sent long ago, or never sent): removed."""
    removed = 0
    for folder in root.iterdir() if root.is_dir() else ():
        if TOKEN.match(folder.name) and now - folder.stat().st_mtime > KEEP_ATTACHMENTS:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def store(settings: Settings, filename: str, data: bytes) -> Upload:
    remove_old(attachments_dir(settings), time.time())
    token = secrets.token_urlsafe(24)
    name = safe_name(filename)
    folder = attachments_dir(settings) / token
    folder.mkdir(parents=True, exist_ok=False)
    path = folder / name
    path.write_bytes(data)
    return Upload(token, kind_of(name), name, path.resolve())


def field_choices(context: WebContext, counts: dict, chosen: str | None) -> list[dict]:
    locale = current_locale()
    choices = [
        {
            "id": "",
            "label": _("Everyone who opted in"),
            "count": counts[None].total,
            "selected": chosen is None,
        }
    ]
    for field in context.survey.fields:
        choices.append(
            {
                "id": field.id,
                "label": field.label.get(locale),
                "count": counts[field.id].total,
                "selected": chosen == field.id,
            }
        )
    return choices


def audience_label(context: WebContext, field: str | None) -> str:
    if field is None:
        return _("everyone who opted in")
    found = context.survey.field(field)
    return found.label.get(current_locale()) if found else field


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return _(label) if label else status


async def compose(
    request: web.Request,
    *,
    text: str = "",
    field: str | None = None,
    upload: Upload | None = None,
    error: str | None = None,
    page: int = 0,
    status: int = 200,
) -> web.Response:
    """The compose form with the past announcements (both through the services: refusals
    raise PermissionDenied, audited)."""
    context = context_of(request)
    me = staff_of(request)
    fields = [f.id for f in context.survey.fields]
    async with transaction(context) as db:
        counts = await broadcasts.audiences(db, me, fields, now=context.clock())
        found = await broadcasts.history(db, me, page=page, now=context.clock())
    return render(
        request,
        "announcements.html",
        status=status,
        text=text,
        choices=field_choices(context, counts, field),
        upload=upload,
        error=error,
        history=found,
        past=[
            {
                "entry": entry,
                "audience": audience_label(context, entry.field),
                "status": status_label(entry.status),
                "failed": entry.figures.failed + entry.figures.unreachable,
            }
            for entry in found.entries
        ],
        text_limit=broadcasts.thousands(broadcasts.MAX_TEXT),
        caption_limit=broadcasts.thousands(broadcasts.caption_limit(context.settings)),
        max_mb=MAX_ATTACHMENT // (1024 * 1024),
    )


@contextlib.asynccontextmanager
async def transaction(context: WebContext) -> AsyncIterator[AsyncSession]:
    """A transaction committed at the end, and also when a service refuses: its audit entry
    of the refusal stays (the caller then shows the refusal)."""
    async with context.sessionmaker() as db:
        try:
            yield db
        except PermissionDenied:
            await db.commit()
            raise
        except BaseException:
            await db.rollback()
            raise
        await db.commit()


@routes.get(PATH)
@staff_page
async def announcements_page(request: web.Request) -> web.Response:
    raw = request.query.get("page", "1")
    page = int(raw) - 1 if raw.isdigit() and len(raw) < 6 else 0
    try:
        return await compose(request, page=page)
    except PermissionDenied as denied:
        return refused(request, str(denied))


def chosen_field(context: WebContext, raw: object) -> str | None:
    if isinstance(raw, str) and context.survey.field(raw) is not None:
        return raw
    return None


async def may_broadcast(request: web.Request) -> web.Response | None:
    """None for an admin; else the refusal to show, audited (before any file is kept)."""
    context = context_of(request)
    try:
        async with transaction(context) as db:
            await staff.require(
                db, staff_of(request), Permission.BROADCAST, now=context.clock(), action="broadcast"
            )
    except PermissionDenied as denied:
        return refused(request, str(denied))
    return None


async def draft_from(
    request: web.Request, *, new_file: bool = True
) -> tuple[str, str | None, Upload | None]:
    """The form's text, audience and attachment: a file uploaded with it (stored now, when
    `new_file`), else the one kept from the preview unless removed. BroadcastError when the
    file cannot go."""
    context = context_of(request)
    form = await request.post()
    text = form.get("text")
    # Browsers send a textarea's line breaks as CRLF; Telegram's messages have LF.
    text = text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else ""
    field = chosen_field(context, form.get("field"))
    file = form.get("attachment")
    if new_file and isinstance(file, FileField) and file.filename:
        data = await asyncio.to_thread(file.file.read, MAX_ATTACHMENT + 1)
        if not data:
            raise BroadcastError(_("The attached file is empty."))
        if len(data) > MAX_ATTACHMENT:
            raise BroadcastError(too_large_text())
        return text, field, await asyncio.to_thread(store, context.settings, file.filename, data)
    token = form.get("kept")
    if form.get("remove") == "1" or not isinstance(token, str):
        return text, field, None
    return text, field, kept(context.settings, token)


def too_large_text() -> str:
    return _(
        "The attached file is larger than {mb} MB. Please send a smaller photo or document."
    ).format(mb=MAX_ATTACHMENT // (1024 * 1024))


async def announcement_too_large(request: web.Request) -> web.Response:
    try:
        return await compose(request, error=too_large_text(), status=413)
    except PermissionDenied as denied:
        return refused(request, str(denied))


def preview_of(context: WebContext, draft: Draft) -> dict:
    """What residents receive, rendered by the service: on Telegram (HTML as Telegram shows
    it: bold and text only, escaped by the service) and on Zalo, in the ward's language."""
    locale = context.settings.default_locale
    telegram = broadcasts.render(draft, "telegram", locale, context.settings)
    zalo = broadcasts.render(draft, "zalo", locale, context.settings)
    return {"telegram": Markup(telegram.text), "zalo": zalo.text}


@routes.post(PATH + "/preview")
@large_body(BODY_LIMIT, announcement_too_large)
@staff_page
async def preview(request: web.Request) -> web.Response:
    context = context_of(request)
    me = staff_of(request)
    if (refusal := await may_broadcast(request)) is not None:
        return refusal
    text, field, upload = "", None, None
    try:
        text, field, upload = await draft_from(request)
        draft = broadcasts.make_draft(
            text, settings=context.settings, field=field, media=upload.media() if upload else None
        )
        async with transaction(context) as db:
            counts = await broadcasts.recipients(db, me, field=field, now=context.clock())
    except PermissionDenied as denied:
        return refused(request, str(denied))
    except BroadcastError as problem:
        try:
            return await compose(request, text=text, field=field, upload=upload, error=str(problem))
        except PermissionDenied as denied:
            return refused(request, str(denied))
    return render(
        request,
        "announcement_preview.html",
        draft=draft,
        shown=preview_of(context, draft),
        upload=upload,
        audience=audience_label(context, field),
        counts=counts,
        reach=channel_counts(counts.telegram, counts.zalo),
    )


@routes.get(PATH + "/attachment/{attachment_token}")
@staff_page
async def attachment(request: web.Request) -> web.StreamResponse:
    """An uploaded attachment, for the preview (admins only)."""
    context = context_of(request)
    if (refusal := await may_broadcast(request)) is not None:
        return refusal
    upload = kept(context.settings, request.match_info["attachment_token"])
    if upload is None:
        raise web.HTTPNotFound()
    headers = {"Content-Disposition": "attachment"}
    if upload.kind == "photo":
        headers = {"Content-Type": PHOTO_TYPES[upload.path.suffix.lower()]}
    return web.FileResponse(upload.path, headers=headers)


@routes.post(PATH + "/send")
@staff_page
async def send(request: web.Request) -> web.Response:
    """Store the announcement and its deliveries (the service), wake the engine, follow it."""
    context = context_of(request)
    me = staff_of(request)
    text, field, upload = "", None, None
    try:
        # Only the attachment kept from the preview: what is sent is what was previewed.
        text, field, upload = await draft_from(request, new_file=False)
        draft = Draft(text, field, upload.media() if upload else None)
        async with transaction(context) as db:
            broadcast = await broadcasts.confirm(
                db, me, draft, settings=context.settings, now=context.clock()
            )
            broadcast_id = broadcast.id
    except PermissionDenied as denied:
        return refused(request, str(denied))
    except BroadcastError as problem:
        try:
            return await compose(request, text=text, field=field, upload=upload, error=str(problem))
        except PermissionDenied as denied:
            return refused(request, str(denied))
    context.delivery.wake()  # send now rather than at the engine's next look
    raise web.HTTPSeeOther(f"{PATH}/{broadcast_id}")


@routes.post(PATH + "/edit")
@large_body(BODY_LIMIT, announcement_too_large)
@staff_page
async def edit(request: web.Request) -> web.Response:
    """Back from the preview to the form, with the text, audience and attachment kept."""
    if (refusal := await may_broadcast(request)) is not None:
        return refusal
    text, field, upload, error = "", None, None, None
    try:
        text, field, upload = await draft_from(request)
    except BroadcastError as problem:
        error = str(problem)
    try:
        return await compose(request, text=text, field=field, upload=upload, error=error)
    except PermissionDenied as denied:
        return refused(request, str(denied))


# --- following one announcement -------------------------------------------------------------


async def progress_of(context: WebContext, me, broadcast_id: int) -> dict | None:
    """The figures of an announcement, finishing it once nothing is pending (as the progress
    task does on Telegram: one caller finishes it, whichever worker). None: not found.
    PermissionDenied for anyone but an admin."""
    async with transaction(context) as db:
        await staff.require(
            db, me, Permission.BROADCAST, now=context.clock(), action="broadcast_list"
        )
        figures = await broadcasts.figures(db, broadcast_id)
        broadcast = await db.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.kind != BroadcastKind.ANNOUNCEMENT:
            return None
        if not figures.pending and broadcast.finished_at is None:
            finished = await broadcasts.finish(db, broadcast_id, now=context.clock())
            if finished is not None:
                broadcast = finished.broadcast
        return shown_progress(context, broadcast, figures)


def shown_progress(context: WebContext, broadcast: Broadcast, figures: Figures) -> dict:
    finished = broadcast.finished_at is not None
    telegram = sum(figures.counts.get("telegram", {}).values())
    zalo = sum(figures.counts.get("zalo", {}).values())
    return {
        "id": broadcast.id,
        "status": broadcast.status,
        "status_label": status_label(broadcast.status),
        "finished": finished,
        "audience": channel_counts(telegram, zalo),
        "sent": figures.sent,
        "failed": figures.failed + figures.unreachable,
        "unreachable": figures.unreachable,
        "remaining": figures.pending,
        "not_sent": figures.cancelled,
        "time_left": duration_text(figures.seconds_left(context.settings)),
        "summary": summary_text(broadcast, figures) if finished else "",
        "stoppable": broadcast.status == BroadcastStatus.SENDING and bool(figures.pending),
    }


def broadcast_id_of(request: web.Request) -> int:
    raw = request.match_info["broadcast_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    return int(raw)


async def progress_page(
    request: web.Request, broadcast_id: int, *, notice: str | None = None, error: str | None = None
) -> web.Response:
    context = context_of(request)
    try:
        shown = await progress_of(context, staff_of(request), broadcast_id)
    except PermissionDenied as denied:
        return refused(request, str(denied))
    if shown is None:
        raise web.HTTPNotFound()
    async with context.sessionmaker() as db:
        broadcast = await db.get(Broadcast, broadcast_id)
    assert broadcast is not None
    return render(
        request,
        "announcement_progress.html",
        progress=shown,
        text=broadcast.text or "",
        audience=audience_label(context, broadcast.field),
        created_at=broadcast.created_at,
        notice=notice,
        error=error,
        poll_seconds=POLL_SECONDS,
    )


@routes.get(PATH + r"/{broadcast_id:\d+}")
@staff_page
async def following(request: web.Request) -> web.Response:
    return await progress_page(request, broadcast_id_of(request))


@routes.get(PATH + r"/{broadcast_id:\d+}/progress.json")
@staff_page
async def progress_json(request: web.Request) -> web.Response:
    context = context_of(request)
    try:
        shown = await progress_of(context, staff_of(request), broadcast_id_of(request))
    except PermissionDenied as denied:
        return web.json_response({"error": str(denied)}, status=403, dumps=json_text)
    if shown is None:
        return web.json_response({"error": "not found"}, status=404)
    return web.json_response(shown, dumps=json_text)


@routes.post(PATH + r"/{broadcast_id:\d+}/stop")
@staff_page
async def stop(request: web.Request) -> web.Response:
    """The Telegram Stop button's service: what is not sent yet is cancelled."""
    context = context_of(request)
    broadcast_id = broadcast_id_of(request)
    try:
        async with transaction(context) as db:
            cancelled = await broadcasts.stop(
                db, staff_of(request), broadcast_id, now=context.clock()
            )
    except PermissionDenied as denied:
        return refused(request, str(denied))
    except BroadcastError as problem:
        return await progress_page(request, broadcast_id, error=str(problem))
    notice = _("⏹ Stopped: {count} messages will not be sent.").format(count=cancelled)
    return await progress_page(request, broadcast_id, notice=notice)
