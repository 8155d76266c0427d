"""The Sessions page (admins): list, create, edit, cancel, open or close the survey window.

Every change is `bot.services.sessions`' (the same calls as /sessions on Telegram: the same
permission, MANAGE_SESSIONS, audited under the same actions, and the same refusals, shown on
the form). Dates and times are typed in the ward's zone, as on Telegram, and stored in UTC.
After a change the session's reminders follow at once through `WebContext.sync_session`
(the scheduler's, as /sessions calls it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.i18n import N_, _
from bot.services import sessions
from bot.services import staff as staff_service
from bot.services.sessions import SessionError
from bot.services.staff import Permission, PermissionDenied
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import DialogueSession, SessionStatus
from models.sessions import open_session

routes = web.RouteTableDef()

STATUS_LABELS = {
    SessionStatus.PLANNED: N_("planned"),
    SessionStatus.OPEN: N_("survey open"),
    SessionStatus.CLOSED: N_("closed"),
    SessionStatus.CANCELLED: N_("cancelled"),
}
DONE = {
    "open": N_("🟢 The survey window is open: residents' answers now go to this session."),
    "close": N_("⏹ The survey window is closed. Answers now go to the next planned session."),
    "cancel": N_("✖ The session is cancelled. Residents no longer see it."),
    "created": N_("✅ The session is created. Residents see it under upcoming sessions."),
    "saved": N_("✅ Saved."),
}
CHANGES = {
    "open": sessions.open_survey,
    "close": sessions.close_survey,
    "cancel": sessions.cancel_session,
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def today(context: WebContext) -> date:
    return context.clock().astimezone(context.settings.zone).date()


async def admin_only(request: web.Request) -> web.Response | None:
    """The refusal page for those who may not manage sessions (audited as /sessions is)."""
    context = context_of(request)
    async with context.sessionmaker() as db, db.begin():
        try:
            await staff_service.require(
                db,
                staff_of(request),
                Permission.MANAGE_SESSIONS,
                now=context.clock(),
                action="sessions",
            )
        except PermissionDenied as exc:
            return refused(request, str(exc))
    return None


def row(session: DialogueSession) -> dict[str, Any]:
    status = session.status
    return {
        "session": session,
        "status": status_label(status),
        "editable": status != SessionStatus.CANCELLED,
        "can_open": status in (SessionStatus.PLANNED, SessionStatus.CLOSED),
        "can_close": status == SessionStatus.OPEN,
        "can_cancel": status in (SessionStatus.PLANNED, SessionStatus.OPEN),
    }


@routes.get("/staff/sessions")
@staff_page
async def sessions_page(request: web.Request) -> web.Response:
    if (refusal := await admin_only(request)) is not None:
        return refusal
    context = context_of(request)
    async with context.sessionmaker() as db:
        listed = [row(s) for s in await sessions.for_staff(db)]
        current = await open_session(db)
    done = request.query.get("done", "")
    return render(
        request,
        "sessions.html",
        rows=listed,
        current=current,
        notice=_(DONE[done]) if done in DONE else None,
        error=None,
    )


def form_of(session: DialogueSession | None, context: WebContext) -> dict[str, str]:
    if session is None:
        return dict.fromkeys(("title", "date", "time", "place", "agenda"), "")
    values = {
        "title": session.title,
        "place": session.place or "",
        "agenda": session.agenda or "",
        "date": "",
        "time": "",
    }
    if session.starts_at is not None:
        day, at = sessions.local_parts(session.starts_at, context.settings.zone)
        values |= {"date": sessions.local_date_text(day), "time": at.strftime("%H:%M")}
    return values


def read_form(context: WebContext, form) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean values, problems by field) from the typed form, with the services' checks and
    their messages (the date from today on, in the ward's zone; the start not yet passed)."""
    typed = {k: str(form.get(k, "")) for k in ("title", "date", "time", "place", "agenda")}
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    try:
        clean["title"] = sessions.clean_title(typed["title"])
    except SessionError as problem:
        problems["title"] = str(problem)
    day = at = None
    try:
        day = sessions.parse_date(typed["date"], today(context))
    except SessionError as problem:
        problems["date"] = str(problem)
    try:
        at = sessions.parse_time(typed["time"])
    except SessionError as problem:
        problems["time"] = str(problem)
    if day is not None and at is not None:
        starts_at = sessions.starts_at_utc(day, at, context.settings.zone)
        try:
            clean["starts_at"] = sessions.check_start(starts_at, context.clock())
        except SessionError as problem:
            problems["time"] = str(problem)
    for key, cleaner in (("place", sessions.clean_place), ("agenda", sessions.clean_agenda)):
        try:
            clean[key] = cleaner(typed[key])
        except SessionError as problem:
            problems[key] = str(problem)
    return clean, typed | {"problems": problems}


def show_form(
    request: web.Request,
    session: DialogueSession | None,
    values: dict[str, Any],
    problems: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    context = context_of(request)
    return render(
        request,
        "session_form.html",
        status=status,
        session=session,
        values=values,
        problems=problems,
        error=error,
        example=sessions.local_date_text(sessions.example_day(today(context))),
        limits={
            "low": sessions.MIN_TITLE,
            "high": sessions.MAX_TITLE,
            "place": sessions.MAX_PLACE,
            "agenda": sessions.MAX_AGENDA,
        },
    )


@routes.get("/staff/sessions/new")
@staff_page
async def new_form(request: web.Request) -> web.Response:
    if (refusal := await admin_only(request)) is not None:
        return refusal
    return show_form(request, None, form_of(None, context_of(request)), {})


@routes.post("/staff/sessions/new")
@staff_page
async def create(request: web.Request) -> web.Response:
    context = context_of(request)
    clean, typed = read_form(context, await request.post())
    problems = typed.pop("problems")
    if problems:
        if (refusal := await admin_only(request)) is not None:
            return refusal
        return show_form(request, None, typed, problems, status=400)
    # Returning from inside the transaction commits it: a refusal's audit entry is kept.
    async with context.sessionmaker() as db, db.begin():
        try:
            session = await sessions.create_session(
                db, staff_of(request), now=context.clock(), **clean
            )
        except PermissionDenied as exc:
            return refused(request, str(exc))
        except SessionError as problem:
            return show_form(request, None, typed, {}, error=str(problem), status=400)
        created = session.id
    context.sync_session(created)  # its reminders are scheduled now
    raise web.HTTPSeeOther(f"/staff/sessions?done=created#session-{created}")


async def found(request: web.Request, db) -> DialogueSession:
    try:
        session_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    session = await sessions.get(db, session_id)
    if session is None:
        raise web.HTTPNotFound(text=_("This session was not found."))
    return session


@routes.get("/staff/sessions/{id}/edit")
@staff_page
async def edit_form(request: web.Request) -> web.Response:
    if (refusal := await admin_only(request)) is not None:
        return refusal
    context = context_of(request)
    async with context.sessionmaker() as db:
        session = await found(request, db)
    return show_form(request, session, form_of(session, context), {})


@routes.post("/staff/sessions/{id}/edit")
@staff_page
async def edit(request: web.Request) -> web.Response:
    """Every item of the form stored at once (the services check each as on Telegram); the
    reminders follow the new date and time."""
    context = context_of(request)
    clean, typed = read_form(context, await request.post())
    problems = typed.pop("problems")
    async with context.sessionmaker() as db, db.begin():
        session = await found(request, db)
        session_id = session.id
        kept = form_of(session, context)
        if (typed["date"].strip(), typed["time"].strip()) == (kept["date"], kept["time"]):
            # The date and time left as they were: not changed, even if already passed.
            problems.pop("date", None)
            problems.pop("time", None)
            clean.pop("starts_at", None)
        if problems:
            try:
                await staff_service.require(
                    db,
                    staff_of(request),
                    Permission.MANAGE_SESSIONS,
                    now=context.clock(),
                    action="sessions",
                )
            except PermissionDenied as exc:
                return refused(request, str(exc))
            return show_form(request, session, typed, problems, status=400)
        try:
            await sessions.update_session(
                db, staff_of(request), session_id, now=context.clock(), **clean
            )
        except PermissionDenied as exc:
            return refused(request, str(exc))
        except SessionError as problem:
            return show_form(request, session, typed, {}, error=str(problem), status=400)
    context.sync_session(session_id)
    raise web.HTTPSeeOther(f"/staff/sessions?done=saved#session-{session_id}")


@routes.post("/staff/sessions/{id}/{change:open|close|cancel}")
@staff_page
async def change_status(request: web.Request) -> web.Response:
    """Open or close the survey window, or cancel the session (the form asks to confirm)."""
    context = context_of(request)
    change = request.match_info["change"]
    async with context.sessionmaker() as db, db.begin():
        session_id = (await found(request, db)).id
        try:
            await CHANGES[change](db, staff_of(request), session_id, now=context.clock())
        except PermissionDenied as exc:
            return refused(request, str(exc))
        except SessionError as problem:
            problem_text = str(problem)
        else:
            problem_text = None
    if problem_text is not None:
        async with context.sessionmaker() as db:
            listed = [row(s) for s in await sessions.for_staff(db)]
            current = await open_session(db)
        return render(
            request,
            "sessions.html",
            status=400,
            rows=listed,
            current=current,
            notice=None,
            error=problem_text,
        )
    context.sync_session(session_id)  # cancelled: reminders stop; moved: they follow
    raise web.HTTPSeeOther(f"/staff/sessions?done={change}#session-{session_id}")
