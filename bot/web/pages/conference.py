"""The conference pages of the staff console (issue 15): the agenda by field with who answers
each question, the delegates and their invitations, the live switch, the documents, and the
commitments that follow. The secretary's page in the hall is bot/web/pages/conference_live.py.

Everything goes through bot/services/conference/, the functions the Telegram commands call:
they check the role (and the field), and audit every view and act, allowed or refused. A
refusal is committed (so its audit entry is kept) and answered with the 403 page; an act the
conference's state does not allow shows the page again with the reason. Whoever must be told
(the asker, the supporters, the delegates) is told after the commit, through the notifier or
the delivery engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.exports import conference as documents
from bot.exports.conference import GROUP_LABELS, ORIGIN_LABELS
from bot.i18n import N_, _, current_locale
from bot.services import conference
from bot.services import staff as staff_service
from bot.services.conference import ConferenceError
from bot.services.questions import QuestionNotFound
from bot.services.staff import Permission, PermissionDenied, StaffRef
from bot.survey.definition import Survey
from bot.texts import ROLE_LABELS, STATUS_LABELS, WITHHELD_TEXT, channel_label
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import DelegateGroup, DialogueSession, StaffMember
from models.sessions import open_session

routes = web.RouteTableDef()

PAGE_PATH = "/staff/conference"
COMMITMENTS_PATH = "/staff/commitments"
SESSION = PAGE_PATH + "/{session:\\d{1,9}}"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a page says after an act (the key travels in the address of the redirect).
DONE_NOTICES = {
    "answerer": N_("Who answers the question is changed."),
    "proposal": N_("Marked as a proposal to amend a regulation or procedure."),
    "unproposal": N_("No longer marked as a proposal."),
    "delegate-added": N_("The delegate is added."),
    "delegate-changed": N_("The delegate is changed."),
    "delegate-removed": N_("The delegate is removed."),
    "reply": N_("The delegate's reply is recorded."),
    "attendance": N_("Attendance is recorded."),
    "invited": N_("The invitations are sent."),
    "reminded": N_("The reminders are sent."),
    "live-on": N_("The conference is live."),
    "live-off": N_("The conference is no longer live."),
    "current": N_("The current question is changed."),
    "answered": N_("The answer is recorded and sent to the asker."),
    "answered-kept": N_(
        "The answer is recorded. It could not be sent to the asker's chat; they can read it "
        "under My questions."
    ),
    "later": N_("Marked: answered in writing later. The commitment is in the follow-up list."),
    "floor": N_("The question from the floor is added to the queue."),
    "conclusion": N_("The conclusion is recorded."),
    "conclusion-task": N_("The conclusion is recorded as a task with its owner and deadline."),
    "roles": N_("The chair and the secretary are recorded."),
    "closed": N_("The commitment is closed; the asker and the supporters are told."),
}

OUTCOME_LABELS = {
    "answered": N_("Answered in the hall"),
    "later": N_("Answered in writing later"),
}
REPLY_LABELS = {"coming": N_("Coming"), "not_coming": N_("Not coming")}


# --- labels and small helpers -------------------------------------------------------------------


def field_label(survey: Survey, field_id: str | None) -> str:
    if not field_id:
        return ""
    found = survey.field(field_id)
    return found.label.get(current_locale()) if found else field_id


def group_label(group: str) -> str:
    return _(GROUP_LABELS[group]) if group in GROUP_LABELS else group


def source_label(channel: str, origin: str | None) -> str:
    """Where a question came from: its channel, and on the day the hall or the floor."""
    if channel == conference.FLOOR:
        return _(ORIGIN_LABELS["floor"])
    label = channel_label(channel)
    return f"{label} · {_(ORIGIN_LABELS[origin])}" if origin in ORIGIN_LABELS else label


def labels(survey: Survey) -> dict[str, Any]:
    """What every conference template uses to name things."""
    return {
        "field_label": lambda f: field_label(survey, f),
        "group_label": group_label,
        "source_label": source_label,
        "channel_label": lambda c: (
            _(ORIGIN_LABELS["floor"]) if c == conference.FLOOR else channel_label(c)
        ),
        "outcome_label": lambda o: _(OUTCOME_LABELS[o]) if o in OUTCOME_LABELS else "",
        "reply_label": lambda r: _(REPLY_LABELS[r]) if r in REPLY_LABELS else "",
        "status_label": lambda s: _(STATUS_LABELS[s]) if s in STATUS_LABELS else s,
        "role_label": lambda r: _(ROLE_LABELS[r]) if r in ROLE_LABELS else r,
        "withheld": _(WITHHELD_TEXT),
    }


def zone_of(context: WebContext) -> ZoneInfo:
    return ZoneInfo(context.settings.timezone)


def text_of(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def number_of(form: MultiDictProxy[Any], name: str) -> int | None:
    """A number typed or chosen in a form; None when empty. A wrong one is a ValueError."""
    raw = text_of(form, name)
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValueError(name)
    return int(raw)


def deadline_of(form: MultiDictProxy[Any], name: str, zone: ZoneInfo) -> datetime | None:
    """A date picked in the form: the end of that day in the ward's zone (stored in UTC)."""
    raw = text_of(form, name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ConferenceError(_("Please pick the deadline as a date.")) from None
    return datetime.combine(day, time(23, 59), tzinfo=zone)


def session_path(session_id: int, tail: str = "") -> str:
    return f"{PAGE_PATH}/{session_id}{tail}"


def page_of_session(session_id: int) -> str:
    return f"{PAGE_PATH}?{urlencode({'session': session_id})}"


def with_done(path: str, done: str, **more: Any) -> str:
    query = urlencode({"done": done, **{k: v for k, v in more.items() if v is not None}})
    return path + ("&" if "?" in path else "?") + query


def render_session_page(
    request: web.Request, template: str, session: DialogueSession, error: str | None, **values
) -> web.Response:
    """One session's conference page, with what all of them show: the error (a 400) or the
    notice of what was done, the session's address and the labels."""
    return render(
        request,
        template,
        status=400 if error else 200,
        session=session,
        error=error,
        notice=done_notice(request),
        path=session_path(session.id),
        **values,
        **labels(context_of(request).survey),
    )


def done_notice(request: web.Request) -> str | None:
    done = request.query.get("done")
    return _(DONE_NOTICES[done]) if done in DONE_NOTICES else None


async def active_staff(db: AsyncSession) -> list[StaffRef]:
    """Who may be chosen to answer, own a task or be a delegate: the active staff by name."""
    stmt = select(StaffMember).where(StaffMember.active.is_(True)).order_by(StaffMember.name)
    return [staff_service.as_ref(m) for m in (await db.execute(stmt)).scalars()]


async def sessions_to_pick(db: AsyncSession) -> list[DialogueSession]:
    stmt = select(DialogueSession).order_by(DialogueSession.id.desc()).limit(50)
    return list((await db.execute(stmt)).scalars())


def session_id_of(request: web.Request) -> int:
    return int(request.match_info["session"])


async def session_or_none(db: AsyncSession, session_id: int) -> DialogueSession | None:
    return await db.get(DialogueSession, session_id)


def download(body: bytes, name: str, mime: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": mime,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        },
    )


# --- acts ---------------------------------------------------------------------------------------

# An act: (db, staff member, the form, context, session id) -> (where to go, what to do after
# the commit, or None). The page to show again with an error: (request, error) -> response.
After = Callable[[], Awaitable[Any]] | None
Work = Callable[
    [AsyncSession, StaffRef, MultiDictProxy[Any], WebContext, int],
    Awaitable[tuple[str, After]],
]
Show = Callable[[web.Request, str], Awaitable[web.Response]]


async def act(request: web.Request, work: Work, show: Show) -> web.Response:
    """Run one act: a refusal is committed (audited) and answered with the 403 page; what the
    conference's state does not allow shows the page again with the reason; otherwise the
    change is committed, whoever must be told is told, and the page is shown."""
    context = context_of(request)
    me = staff_of(request)
    form = await request.post()
    raw = request.match_info.get("session")
    session_id = int(raw) if raw else 0
    async with context.sessionmaker() as db:
        try:
            target, after = await work(db, me, form, context, session_id)
        except PermissionDenied as exc:
            await db.commit()  # the refusal's audit entry
            return refused(request, str(exc))
        except QuestionNotFound as exc:
            await db.rollback()
            return await show(request, str(exc))
        except (ConferenceError, ValueError) as exc:
            await db.rollback()
            message = str(exc) if isinstance(exc, ConferenceError) else _("Please check the form.")
            return await show(request, message)
        await db.commit()  # stored before anyone is told
    if after is not None:
        target = (await after()) or target
    raise web.HTTPSeeOther(target)


# --- the conference page: agenda, delegates, live switch -----------------------------------------


@dataclass(frozen=True)
class Allowed:
    """What the page offers; display only, every act is checked by its service."""

    prepare: bool
    live_switch: bool
    conduct: bool
    export: bool


def allowed_for(me: StaffRef) -> Allowed:
    return Allowed(
        prepare=staff_service.allows(me, Permission.PREPARE_CONFERENCE),
        live_switch=staff_service.allows(me, Permission.LIVE_SWITCH),
        conduct=staff_service.allows(me, Permission.CONDUCT_CONFERENCE),
        export=staff_service.allows(me, Permission.EXPORT),
    )


async def show_conference(
    request: web.Request, error: str | None = None, session_id: int | None = None
) -> web.Response:
    context = context_of(request)
    me = staff_of(request)
    now = context.clock()
    if session_id is None:
        raw = request.match_info.get("session") or request.query.get("session", "")
        session_id = int(raw) if raw.isdigit() and len(raw) <= 9 else None
    async with context.sessionmaker() as db:
        sessions = await sessions_to_pick(db)
        if session_id is None:
            chosen = await open_session(db)
            session_id = chosen.id if chosen else (sessions[0].id if sessions else None)
        session = await session_or_none(db, session_id) if session_id is not None else None
        if session is None:
            return render(
                request,
                "conference.html",
                status=404 if session_id is not None else 200,
                session=None,
                sessions=sessions,
                error=error or (_("This session was not found.") if session_id else None),
                notice=None,
            )
        mine = request.query.get("mine") == "1"
        try:
            found = await conference.agenda(
                db,
                me,
                session.id,
                survey=context.survey,
                answerer_id=me.id if mine else None,
                now=now,
            )
            delegates = await conference.delegates(db, me, session.id, now=now)
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        state = await conference.live_state(db, session.id)
        people = await active_staff(db)
        await db.commit()
    by_field = [
        (counts, [e for e in found.entries if e.field == counts.field]) for counts in found.counts
    ]
    return render_session_page(
        request,
        "conference.html",
        session,
        error,
        sessions=sessions,
        by_field=by_field,
        mine=mine,
        delegates=delegates,
        groups=[(g.value, group_label(g.value)) for g in DelegateGroup],
        state=state,
        people=people,
        allowed=allowed_for(me),
        unreachable=request.query.get("unreachable"),
    )


@routes.get(PAGE_PATH)
@staff_page
async def conference_page(request: web.Request) -> web.Response:
    return await show_conference(request)


async def show_again(request: web.Request, error: str) -> web.Response:
    return await show_conference(request, error)


def conference_act(work: Work) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return await act(request, work, show_again)

    return handler


async def _answerer(db, me, form, context, session_id) -> tuple[str, After]:
    question = number_of(form, "question") or 0
    chosen = number_of(form, "staff")
    await conference.set_answerer(db, me, question, chosen, now=context.clock())
    return with_done(page_of_session(session_id), "answerer") + f"#q{question}", None


async def _proposal(db, me, form, context, session_id) -> tuple[str, After]:
    question = number_of(form, "question") or 0
    mark = text_of(form, "proposal") == "1"
    await conference.mark_proposal(db, me, question, mark, now=context.clock())
    back = text_of(form, "back")
    target = (
        session_path(session_id, "/minutes") if back == "minutes" else page_of_session(session_id)
    )
    return with_done(target, "proposal" if mark else "unproposal"), None


def delegate_fields(form) -> dict[str, Any]:
    """A delegate as the add and edit forms type them."""
    return {
        "name": text_of(form, "name"),
        "group": text_of(form, "group"),
        "position": text_of(form, "position") or None,
        "staff_id": number_of(form, "staff"),
    }


async def _delegate_add(db, me, form, context, session_id) -> tuple[str, After]:
    await conference.add_delegate(db, me, session_id, **delegate_fields(form), now=context.clock())
    return with_done(page_of_session(session_id), "delegate-added") + "#delegates", None


async def _delegate_change(db, me, form, context, session_id) -> tuple[str, After]:
    await conference.change_delegate(
        db, me, number_of(form, "delegate") or 0, **delegate_fields(form), now=context.clock()
    )
    return with_done(page_of_session(session_id), "delegate-changed") + "#delegates", None


async def _delegate_remove(db, me, form, context, session_id) -> tuple[str, After]:
    await conference.remove_delegate(db, me, number_of(form, "delegate") or 0, now=context.clock())
    return with_done(page_of_session(session_id), "delegate-removed") + "#delegates", None


async def _delegate_reply(db, me, form, context, session_id) -> tuple[str, After]:
    coming = text_of(form, "coming") == "1"
    await conference.set_reply(
        db, me, number_of(form, "delegate") or 0, coming, now=context.clock()
    )
    return with_done(page_of_session(session_id), "reply") + "#delegates", None


async def _attendance(db, me, form, context, session_id) -> tuple[str, After]:
    attended = text_of(form, "attended") == "1"
    await conference.set_attendance(
        db, me, number_of(form, "delegate") or 0, attended, now=context.clock()
    )
    back = session_path(session_id, "/live") if text_of(form, "back") == "live" else None
    return with_done(back or page_of_session(session_id), "attendance") + "#delegates", None


async def _invite(db, me, form, context, session_id) -> tuple[str, After]:
    reminder = text_of(form, "reminder") == "1"
    queued = await conference.invite(
        db,
        me,
        session_id,
        reminder=reminder,
        locale="vi",
        zone=zone_of(context),
        now=context.clock(),
    )
    target = with_done(
        page_of_session(session_id),
        "reminded" if reminder else "invited",
        unreachable=len(queued.unreachable) or None,
    )

    async def send() -> str:
        await conference.send_now(context.delivery, queued)
        return target + "#delegates"

    return target, send


async def _live(db, me, form, context, session_id) -> tuple[str, After]:
    on = text_of(form, "live") == "1"
    await conference.set_live(db, me, session_id, on, now=context.clock())
    return with_done(page_of_session(session_id), "live-on" if on else "live-off"), None


for _tail, _work in (
    ("/answerer", _answerer),
    ("/proposal", _proposal),
    ("/delegates", _delegate_add),
    ("/delegates/change", _delegate_change),
    ("/delegates/remove", _delegate_remove),
    ("/delegates/reply", _delegate_reply),
    ("/delegates/attendance", _attendance),
    ("/invite", _invite),
    ("/live-switch", _live),
):
    routes.post(SESSION + _tail)(staff_page(conference_act(_work)))


# --- documents ----------------------------------------------------------------------------------


async def _document(request: web.Request, kind: str) -> web.Response:
    context = context_of(request)
    me = staff_of(request)
    now = context.clock()
    locale = current_locale()
    zone = zone_of(context)
    ward = context.settings.ward_name
    async with context.sessionmaker() as db:
        session = await session_or_none(db, session_id_of(request))
        if session is None:
            return refused(request, _("This session was not found."), status=404)
        try:
            if kind == "agenda":
                found = await conference.agenda(db, me, session.id, survey=context.survey, now=now)
                body = documents.agenda_docx(
                    found,
                    context.survey,
                    session_title=session.title,
                    starts_at=session.starts_at,
                    ward_name=ward,
                    locale=locale,
                    zone=zone,
                    now=now,
                )
            elif kind == "minutes":
                read = await conference.minutes(db, me, session.id, context.survey, now=now)
                body = documents.minutes_docx(
                    read, context.survey, ward_name=ward, locale=locale, zone=zone
                )
            else:
                marked = await conference.proposals(db, me, session.id, context.survey, now=now)
                if kind == "proposals-docx":
                    body = documents.proposals_docx(
                        marked, context.survey, ward_name=ward, locale=locale, zone=zone
                    )
                else:
                    body = documents.proposals_xlsx(
                        marked, context.survey, locale=locale, zone=zone
                    )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        await db.commit()
    names = {
        "agenda": (_("agenda"), "docx", DOCX),
        "minutes": (_("minutes"), "docx", DOCX),
        "proposals-docx": (_("proposals"), "docx", DOCX),
        "proposals-xlsx": (_("proposals"), "xlsx", XLSX),
    }
    stem, extension, mime = names[kind]
    return download(body, f"{stem}-{session.id}.{extension}", mime)


@routes.get(SESSION + "/agenda.docx")
@staff_page
async def agenda_file(request: web.Request) -> web.Response:
    return await _document(request, "agenda")


@routes.get(SESSION + "/minutes.docx")
@staff_page
async def minutes_file(request: web.Request) -> web.Response:
    return await _document(request, "minutes")


@routes.get(SESSION + "/proposals.docx")
@staff_page
async def proposals_docx_file(request: web.Request) -> web.Response:
    return await _document(request, "proposals-docx")


@routes.get(SESSION + "/proposals.xlsx")
@staff_page
async def proposals_xlsx_file(request: web.Request) -> web.Response:
    return await _document(request, "proposals-xlsx")


async def show_minutes(request: web.Request, error: str | None = None) -> web.Response:
    """The page of the documents: the downloads, the proposals marked so far, the agenda's
    questions to mark, and the conclusions."""
    context = context_of(request)
    me = staff_of(request)
    now = context.clock()
    async with context.sessionmaker() as db:
        session = await session_or_none(db, session_id_of(request))
        if session is None:
            return refused(request, _("This session was not found."), status=404)
        try:
            marked = await conference.proposals(db, me, session.id, context.survey, now=now)
            found = await conference.agenda(db, me, session.id, survey=context.survey, now=now)
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        said = await conference.conclusions(db, session.id, now=now)
        await db.commit()
    return render_session_page(
        request,
        "conference_minutes.html",
        session,
        error,
        marked=marked,
        entries=found.entries,
        conclusions=said,
    )


@routes.get(SESSION + "/minutes")
@staff_page
async def minutes_page(request: web.Request) -> web.Response:
    return await show_minutes(request)


# --- commitments --------------------------------------------------------------------------------

COMMITMENT_FILTERS = {"open": "open", "closed": "closed", "all": None}


async def show_commitments(request: web.Request, error: str | None = None) -> web.Response:
    context = context_of(request)
    me = staff_of(request)
    shown = request.query.get("status", "open")
    if shown not in COMMITMENT_FILTERS:
        shown = "open"
    async with context.sessionmaker() as db:
        try:
            found = await conference.commitments(
                db, me, status=COMMITMENT_FILTERS[shown], now=context.clock()
            )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        await db.commit()
    return render(
        request,
        "commitments.html",
        status=400 if error else 200,
        found=found,
        shown=shown,
        filters=[
            ("open", _("Open")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ],
        error=error,
        notice=done_notice(request),
        **labels(context.survey),
    )


@routes.get(COMMITMENTS_PATH)
@staff_page
async def commitments_page(request: web.Request) -> web.Response:
    return await show_commitments(request)


async def _close(db, me, form, context, session_id) -> tuple[str, After]:
    queued = await conference.close_commitment(
        db, me, number_of(form, "commitment") or 0, text_of(form, "result"), now=context.clock()
    )
    target = with_done(COMMITMENTS_PATH, "closed")

    async def send() -> str:
        await conference.send_now(context.delivery, queued)
        return target

    return target, send


@routes.post(COMMITMENTS_PATH + "/close")
@staff_page
async def close_commitment(request: web.Request) -> web.Response:
    return await act(request, _close, show_commitments)
