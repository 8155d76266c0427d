"""The Questions page of the staff console: the list (by field, status, flagged; newest first, a
page at a time) and one question's card with its actions, the same as /questions and the
question card in Telegram.

Everything goes through bot/services/questions.py, the functions the Telegram handlers call:
they check the role and the field, withhold what the staff member may not read, and audit
every view and action, allowed or refused. A refusal is answered with the 403 page after the
transaction commits, so its audit entry is kept. Residents are told of an answer, a status or a
reclassification after the commit, through the same notifier as from Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, _, current_locale
from bot.services import questions
from bot.services import staff as staff_service
from bot.services.questions import (
    InvalidAction,
    QuestionError,
    QuestionNotFound,
    StaffQuestionView,
)
from bot.services.staff import Permission, PermissionDenied, Role, StaffRef
from bot.survey.definition import Survey
from bot.texts import (
    LANGUAGE_NAMES,
    RATING_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    WITHHELD_TEXT,
    channel_label,
)
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import QuestionStatus, Reclassified, ResidentQuestion

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

LIST_PATH = "/staff/questions"
PAGE_SIZE = 20
DONE = (QuestionStatus.ANSWERED, QuestionStatus.CLOSED, QuestionStatus.RECLASSIFIED)

# What the card says after an action (the key travels in the address of the redirect).
DONE_NOTICES = {
    "answered": N_("The answer is stored and was sent to the resident."),
    "answered-kept": N_(
        "The answer is stored. It could not be sent to the resident's chat; they can read it "
        "under My questions."
    ),
    "answered-anonymous": N_(
        "The answer is stored. The question was anonymous: the answer goes into the conference "
        "digest, and the resident can read it under My questions."
    ),
    "assigned": N_("The question is assigned; the official is told."),
    "conference": N_("Marked: to be answered at the conference."),
    "closed": N_("Closed."),
    "reclassified": N_("Taken out of the dialogue; the resident is told where it goes."),
    "hidden": N_("The question is hidden."),
    "shown": N_("Shown again."),
}

RECLASSIFY_CHOICES = (
    (Reclassified.COMPLAINT, N_("A complaint (citizen reception)")),
    (Reclassified.DENUNCIATION, N_("A denunciation (citizen reception)")),
    (Reclassified.CRIME, N_("A crime report (police)")),
)


# --- labels ---------------------------------------------------------------------------------


def field_label(survey: Survey, field_id: str) -> str:
    field = survey.field(field_id)
    return field.label.get(current_locale()) if field else field_id


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def role_label(role: str | None) -> str:
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else (role or "")


def filter_fields(survey: Survey, me: StaffRef) -> list[tuple[str, str]]:
    """The fields the filter offers: an official's own, everyone else's all of them."""
    ids = [f.id for f in survey.fields]
    if me.role == Role.OFFICIAL:
        ids = [i for i in ids if i in me.fields]
    return [(i, field_label(survey, i)) for i in ids]


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    field: str | None
    status: str | None
    flagged: bool
    page: int  # from 0

    def query(self, page: int | None = None) -> str:
        """The list's address with these filters, on `page` (from 0; this one by default)."""
        page = self.page if page is None else page
        values = {
            "field": self.field,
            "status": self.status,
            "flagged": "1" if self.flagged else None,
        }
        kept = {k: v for k, v in values.items() if v}
        if page:
            kept["page"] = str(page + 1)
        return LIST_PATH + ("?" + urlencode(kept) if kept else "")


def read_filters(request: web.Request, survey: Survey) -> Filters:
    """The filters in the address; anything unknown is left out rather than refused."""
    query = request.query
    field = query.get("field") or None
    if field is not None and survey.field(field) is None:
        field = None
    status = query.get("status") or None
    if status not in set(QuestionStatus):
        status = None
    try:
        page = max(0, int(query.get("page", "1")) - 1)
    except ValueError:
        page = 0
    return Filters(field, status, query.get("flagged") == "1", min(page, 100_000))


@routes.get(LIST_PATH)
@staff_page
async def question_list(request: web.Request) -> web.Response:
    context = context_of(request)
    me = staff_of(request)
    filters = read_filters(request, context.survey)
    now = context.clock()
    async with context.sessionmaker() as db:
        try:
            found = await questions.list_for_staff(
                db,
                me,
                field=filters.field,
                status=filters.status,
                flagged=filters.flagged,
                page=filters.page,
                page_size=PAGE_SIZE,
                now=now,
            )
            if not found.items and found.total and filters.page > 0:
                # Past the last page (the list got shorter, or a typed address): the last one.
                found = await questions.list_for_staff(
                    db,
                    me,
                    field=filters.field,
                    status=filters.status,
                    flagged=filters.flagged,
                    page=found.pages - 1,
                    page_size=PAGE_SIZE,
                    now=now,
                )
        except PermissionDenied as exc:
            await db.commit()  # the refusal's audit entry
            return refused(request, str(exc))
        await db.commit()
    filters = Filters(filters.field, filters.status, filters.flagged, found.page)
    return render(
        request,
        "questions.html",
        found=found,
        filters=filters,
        fields=filter_fields(context.survey, me),
        statuses=[(s.value, status_label(s)) for s in QuestionStatus],
        field_label=lambda f: field_label(context.survey, f),
        status_label=status_label,
        withheld=_(WITHHELD_TEXT),
    )


# --- the card ---------------------------------------------------------------------------------


async def question_id(db: AsyncSession, ref: str) -> int:
    """A question by its id or its tracking code (KN-26-0042); QuestionNotFound otherwise.
    Whether the staff member may see it is for the service to say."""
    ref = ref.strip()
    if ref.isdigit():
        if len(ref) > 9:  # beyond any id (and a 32-bit column)
            raise QuestionNotFound()
        return int(ref)
    found = await db.scalar(
        select(ResidentQuestion.id).where(ResidentQuestion.code == ref.upper()[:16])
    )
    if found is None:
        raise QuestionNotFound()
    return found


def card_path(view_or_code: StaffQuestionView | str) -> str:
    code = view_or_code if isinstance(view_or_code, str) else view_or_code.code
    return f"{LIST_PATH}/{quote(code, safe='')}"


@dataclass(frozen=True)
class Allowed:
    """Which actions the card offers. Display only: each action is checked by its service."""

    assign: bool
    answer: bool
    conference: bool
    close: bool
    reclassify: bool
    hide: bool
    unhide: bool

    @property
    def any(self) -> bool:
        return any(vars(self).values())


def allowed_actions(view: StaffQuestionView, me: StaffRef) -> Allowed:
    def may(permission: Permission) -> bool:
        return staff_service.allows(me, permission, view.field)

    open_question = view.status not in DONE
    return Allowed(
        assign=open_question and may(Permission.ASSIGN),
        answer=open_question and may(Permission.ANSWER),
        conference=open_question
        and view.status != QuestionStatus.CONFERENCE
        and may(Permission.MARK_CONFERENCE),
        close=view.status not in (QuestionStatus.CLOSED, QuestionStatus.RECLASSIFIED)
        and may(Permission.CLOSE),
        reclassify=open_question and may(Permission.RECLASSIFY),
        hide=not view.hidden and may(Permission.HIDE),
        unhide=view.hidden and may(Permission.HIDE),
    )


async def show_card(
    request: web.Request,
    ref: str,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
) -> web.Response:
    context = context_of(request)
    me = staff_of(request)
    async with context.sessionmaker() as db:
        try:
            view = await questions.view_for_staff(
                db, me, await question_id(db, ref), context.clock()
            )
            allowed = allowed_actions(view, me)
            officials = await staff_service.officials_for(db, view.field) if allowed.assign else []
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        except QuestionNotFound as exc:
            return refused(request, str(exc), status=404)
        await db.commit()
    done = request.query.get("done")
    return render(
        request,
        "question_card.html",
        status=400 if error else 200,
        view=view,
        allowed=allowed,
        officials=officials,
        reclassify_choices=[(kind.value, _(label)) for kind, label in RECLASSIFY_CHOICES],
        field_label=field_label(context.survey, view.field),
        status_label=status_label,
        role_label=role_label,
        language_label=LANGUAGE_NAMES.get(view.language, view.language or "?"),
        channel=channel_label(view.channel),
        rating_label=_(RATING_LABELS[view.answer_rating])
        if view.answer_rating in RATING_LABELS
        else None,
        withheld=_(WITHHELD_TEXT),
        notice=_(DONE_NOTICES[done]) if done in DONE_NOTICES else None,
        error=error,
        typed=typed or {},
        card_path=card_path(view),
        list_path=LIST_PATH,
    )


@routes.get(LIST_PATH + "/{ref}")
@staff_page
async def question_card(request: web.Request) -> web.Response:
    return await show_card(request, request.match_info["ref"])


@routes.get(LIST_PATH + "/attachments/{attachment_id}")
@staff_page
async def attachment(request: web.Request) -> web.StreamResponse:
    """One attachment, for whoever may view its question (the service checks and audits):
    the bytes kept here (Zalo) or fetched from Telegram by its file id."""
    context = context_of(request)
    raw = request.match_info["attachment_id"]
    if not raw.isdigit() or len(raw) > 9:
        return refused(request, str(QuestionNotFound()), status=404)
    attachment_id = int(raw)
    async with context.sessionmaker() as db:
        try:
            item = await questions.attachment_for_staff(
                db, staff_of(request), attachment_id, context.clock()
            )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        except QuestionNotFound as exc:
            return refused(request, str(exc), status=404)
        await db.commit()
    content = item.content
    if content is None and item.telegram_file_id:
        bot = context.notifier.bot
        try:
            if bot is None:
                raise LookupError("no Telegram bot in this process")
            content = (await bot.download(item.telegram_file_id)).getvalue()
        except Exception as exc:  # Telegram unreachable, the file gone, or no token here
            log.warning("Attachment #%s not fetched: %s", item.id, type(exc).__name__)
            content = None
    if content is None:
        return refused(
            request,
            _("This attachment could not be fetched from Telegram. Please try again later."),
            status=502,
        )
    photo = item.kind == "photo"
    mime = item.mime or ("image/jpeg" if photo else "application/octet-stream")
    name = item.filename or f"attachment-{item.id}" + (".jpg" if photo else "")
    # Only images are shown in the browser; anything else is downloaded, never rendered here.
    disposition = (
        "inline" if mime.startswith("image/") and mime != "image/svg+xml" else "attachment"
    )
    return web.Response(
        body=content,
        headers={
            "Content-Type": mime if disposition == "inline" else "application/octet-stream",
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name, safe='')}",
            "Content-Security-Policy": "sandbox",
        },
    )


# --- actions ----------------------------------------------------------------------------------

# An action: (db, staff member, question id, the form, context) -> (done key, what to tell
# after the commit, or None).
After = Callable[[], Awaitable[Any]] | None
Work = Callable[
    [AsyncSession, StaffRef, int, MultiDictProxy[Any], WebContext],
    Awaitable[tuple[str, After]],
]


def text_of(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def act(request: web.Request, work: Work, typed_field: str | None = None) -> web.Response:
    """Run one action on the question in the address: a refusal is audited and answered with
    the 403 page; an action the question's state does not allow shows the card again with the
    reason (and what was typed); otherwise the resident is told, and the card is shown."""
    context = context_of(request)
    me = staff_of(request)
    ref = request.match_info["ref"]
    form = await request.post()
    async with context.sessionmaker() as db:
        try:
            q = await question_id(db, ref)
            done, after = await work(db, me, q, form, context)
        except PermissionDenied as exc:
            await db.commit()  # the refusal's audit entry
            return refused(request, str(exc))
        except QuestionNotFound as exc:
            return refused(request, str(exc), status=404)
        except (QuestionError, ValueError) as exc:
            await db.rollback()
            message = (
                str(exc) if isinstance(exc, QuestionError) else _("This action is not possible.")
            )
            typed = {typed_field: text_of(form, typed_field)} if typed_field else None
            return await show_card(request, ref, error=message, typed=typed)
        code = await db.scalar(select(ResidentQuestion.code).where(ResidentQuestion.id == q))
        await db.commit()  # stored before anyone is told
    if after is not None:
        result = await after()
        if done == "answered" and not result:
            done = "answered-kept"
    raise web.HTTPSeeOther(f"{card_path(code or ref)}?done={done}")


async def _answer(db, me, q, form, context) -> tuple[str, After]:
    relay = await questions.answer(db, me, q, text_of(form, "answer"), context.clock())
    if not relay.named:
        return "answered-anonymous", None
    return "answered", lambda: context.notifier.deliver(relay)


async def _assign(db, me, q, form, context) -> tuple[str, After]:
    try:
        chosen = int(text_of(form, "official"))
    except ValueError:
        chosen = 0  # the service refuses it, after checking who asks
    official = await questions.assign(db, me, q, chosen, context.clock())
    return "assigned", lambda: context.notifier.question_assigned(q, official)


async def _conference(db, me, q, form, context) -> tuple[str, After]:
    change = await questions.mark_conference(db, me, q, context.clock())
    return "conference", lambda: context.notifier.status_changed(change)


async def _close(db, me, q, form, context) -> tuple[str, After]:
    change = await questions.close(db, me, q, context.clock())
    return "closed", lambda: context.notifier.status_changed(change)


async def _reclassify(db, me, q, form, context) -> tuple[str, After]:
    kind = text_of(form, "kind")
    if kind not in set(Reclassified):
        # Who asks is checked first: a refusal must not depend on what the form holds.
        await questions.view_for_staff(db, me, q, context.clock())
        raise InvalidAction(_("Please choose what the question really is."))
    redirected = await questions.reclassify(db, me, q, kind, context.clock())
    return "reclassified", lambda: context.notifier.reclassified(redirected)


async def _hide(db, me, q, form, context) -> tuple[str, After]:
    await questions.hide(db, me, q, text_of(form, "reason"), context.clock())
    return "hidden", None


async def _unhide(db, me, q, form, context) -> tuple[str, After]:
    await questions.unhide(db, me, q, context.clock())
    return "shown", None


def question_act(
    work: Work, typed_field: str | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return await act(request, work, typed_field=typed_field)

    return handler


# The card's actions; `typed_field` is what the form types, kept when the card is shown again.
for _action, _work, _typed_field in (
    ("answer", _answer, "answer"),
    ("assign", _assign, None),
    ("conference", _conference, None),
    ("close", _close, None),
    ("reclassify", _reclassify, None),
    ("hide", _hide, "reason"),
    ("unhide", _unhide, None),
):
    routes.post(LIST_PATH + "/{ref}/" + _action)(staff_page(question_act(_work, _typed_field)))
