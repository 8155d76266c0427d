"""Paper forms in the console (front, admins), as /paper on Telegram: the printable form and
the spreadsheet template to download, and a filled template to upload, checked and stored by
bot/services/paper_answers.py. The workbook is read in the reader process
(`paper_answers.read_file`) while no transaction is open, so a large file holds up neither the
bot nor the database; each problem is listed with its row and column, in the same words as on
Telegram. Refusals are audited by the services and committed before the refusal is shown."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web
from aiohttp.web_request import FileField

from bot.exports.paper_form import paper_form
from bot.exports.paper_template import MAX_BYTES, paper_template
from bot.i18n import _, current_locale
from bot.services import paper_answers, sessions, staff
from bot.services.paper_answers import PaperImport
from bot.services.staff import Permission, PermissionDenied, StaffRef
from bot.web.auth import STAFF, RefusedPage, refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import DialogueSession, SessionStatus

routes = web.RouteTableDef()

PATH = "/staff/paper"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The multipart body around a file of MAX_BYTES; a larger file is still read to say it is too
# large (in the service's words) rather than cut the connection.
BODY_LIMIT = 2 * MAX_BYTES + 1024 * 1024
MAX_SHOWN = 1000  # problems listed on the page; the rest are counted

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def large_body(limit: int, too_large: Callable[[web.Request], Awaitable[web.Response]]):
    """Lets a form post carry a file of up to `limit` bytes (the application takes 1 MB);
    a larger one gets `too_large`'s answer. Put it outside `staff_page`."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def larger(request: web.Request) -> web.StreamResponse:
            bigger = request.clone(client_max_size=limit)
            try:
                return await handler(bigger)
            except web.HTTPRequestEntityTooLarge:
                if bigger.get(STAFF) is None:  # not signed in: the body was never looked at
                    return refused(bigger, _("Please sign in first."))
                return await too_large(bigger)

        return larger

    return wrap


@dataclass(frozen=True)
class Choice:
    id: int
    title: str
    selected: bool


async def allowed(db, request: web.Request, action: str) -> StaffRef:
    """The signed-in member if they may upload paper forms; PermissionDenied (audited) else."""
    context = context_of(request)
    return await staff.require(
        db, staff_of(request), Permission.UPLOAD_PAPER, now=context.clock(), action=action
    )


async def require_paper(request: web.Request, action: str) -> None:
    """Go on only if the signed-in member may handle paper forms; otherwise the refusal is
    committed, so it stays in the audit log, and shown (RefusedPage)."""
    async with context_of(request).sessionmaker() as db:
        try:
            await allowed(db, request, action)
        except PermissionDenied as denied:
            await db.commit()
            raise RefusedPage(str(denied)) from None


async def session_choices(context: WebContext, wanted: int | None = None) -> list[Choice]:
    """The sessions forms can be stored for, the one residents answer for now chosen unless
    `wanted` is given (the template's own session)."""
    async with context.sessionmaker() as db, db.begin():
        current = await sessions.session_for_answers(
            db, context.clock(), context.settings.zone, context.settings.default_locale
        )
        found = await sessions.for_staff(db)
        chosen = wanted if any(s.id == wanted for s in found) else current.id
        return [
            Choice(s.id, s.title, s.id == chosen)
            for s in found
            if s.status != SessionStatus.CANCELLED
        ]


def page(
    request: web.Request,
    choices: list[Choice],
    *,
    result: PaperImport | None = None,
    error: str | None = None,
    filename: str | None = None,
    status: int = 200,
) -> web.Response:
    survey = context_of(request).survey
    stored = []
    if result is not None and result.ok:
        for field_id, count in result.by_field.items():
            field = survey.field(field_id)
            stored.append((field.label.get(current_locale()) if field else field_id, count))
    problems = result.problems if result is not None else []
    return render(
        request,
        "paper.html",
        status=status,
        choices=choices,
        result=result,
        stored=stored,
        problems=problems[:MAX_SHOWN],
        more=max(0, len(problems) - MAX_SHOWN),
        error=error,
        filename=filename,
        max_mb=MAX_BYTES // (1024 * 1024),
    )


@routes.get(PATH)
@staff_page
async def paper_page(request: web.Request) -> web.Response:
    context = context_of(request)
    await require_paper(request, "paper")
    return page(request, await session_choices(context))


async def session_title(context: WebContext, session_id: int | None) -> tuple[int, str]:
    """The session a download is for: the chosen one, else the one residents answer for."""
    async with context.sessionmaker() as db, db.begin():
        chosen = await db.get(DialogueSession, session_id) if session_id else None
        if chosen is None or chosen.status == SessionStatus.CANCELLED:
            chosen = await sessions.session_for_answers(
                db, context.clock(), context.settings.zone, context.settings.default_locale
            )
        return chosen.id, chosen.title


def attachment(data: bytes, filename: str, content_type: str) -> web.Response:
    return web.Response(
        body=data,
        content_type=content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def asked_session(request: web.Request) -> int | None:
    raw = request.query.get("session", "")
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


@routes.get(PATH + "/template.xlsx")
@staff_page
async def download_template(request: web.Request) -> web.Response:
    """The spreadsheet, as /paper and `python -m bot paper-template` write it."""
    context = context_of(request)
    await require_paper(request, "paper")
    _id, title = await session_title(context, asked_session(request))
    data = await asyncio.to_thread(
        paper_template, context.survey, locale=current_locale(), session_title=title
    )
    return attachment(data, _("paper-forms.xlsx"), XLSX_MIME)


@routes.get(PATH + "/form.docx")
@staff_page
async def download_form(request: web.Request) -> web.Response:
    """The printable form, as /paper and `python -m bot paper-form` write it."""
    context = context_of(request)
    await require_paper(request, "paper")
    _id, title = await session_title(context, asked_session(request))
    data = await asyncio.to_thread(
        functools.partial(
            paper_form,
            context.survey,
            ward_name=context.settings.ward_name,
            locale=current_locale(),
            session_title=title,
        )
    )
    return attachment(data, _("survey-form.docx"), DOCX_MIME)


async def too_large(request: web.Request) -> web.Response:
    choices = await session_choices(context_of(request))
    return page(request, choices, error=str(paper_answers.too_large()), status=413)


def is_xlsx(upload: FileField) -> bool:
    return (upload.filename or "").lower().endswith(".xlsx") or upload.content_type == XLSX_MIME


@routes.post(PATH)
@large_body(BODY_LIMIT, too_large)
@staff_page
async def upload(request: web.Request) -> web.Response:
    """A filled template: read in the reader process, then stored whole or not at all."""
    context = context_of(request)
    form = await request.post()
    await require_paper(request, paper_answers.ACTION)
    raw_session = form.get("session")
    wanted = int(raw_session) if isinstance(raw_session, str) and raw_session.isdigit() else None
    choices = await session_choices(context, wanted)
    file = form.get("file")
    if not isinstance(file, FileField) or not file.filename:
        return page(request, choices, error=_("Please choose the filled template (.xlsx)."))
    if not is_xlsx(file):
        return page(
            request,
            choices,
            error=_(
                "To store paper forms, please choose the filled template, an Excel workbook "
                "(.xlsx). The template can be downloaded above."
            ),
            filename=file.filename,
        )
    data = await asyncio.to_thread(file.file.read, MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return page(request, choices, error=str(paper_answers.too_large()), filename=file.filename)
    session_id = next((c.id for c in choices if c.selected), None)
    if session_id is None:  # every session cancelled: the service says so
        session_id = wanted or 0
    # Read in the reader process, with no transaction open: nobody waits meanwhile.
    reading = await paper_answers.read_file(context.survey, data)
    now = context.clock()
    async with context.sessionmaker() as db:
        try:
            result = await paper_answers.import_upload(
                db, context.survey, staff_of(request), reading, session_id=session_id, now=now
            )
        except PermissionDenied as denied:  # removed or demoted meanwhile
            await db.commit()
            return refused(request, str(denied))
        await db.commit()  # the forms are counted from here, with the audit row
    return page(request, choices, result=result, filename=file.filename)
