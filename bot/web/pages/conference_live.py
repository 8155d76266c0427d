"""The secretary's page in the hall (/staff/conference/<session>/live): the queue by time, by
support or by field; the current question; who answered and the summary (the asker is told at
once), or "answered in writing later" with an owner and a deadline; questions from the floor;
the chairman's conclusions, each optionally a task; attendance.

The queue refreshes itself: a small script asks every 2 seconds for the hall's state (counted
by `conference.board`, not audited) and reloads the queue, through the audited agenda, only
when something changed. Every act goes through bot/services/conference/ (see conference.py).
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from bot.i18n import _
from bot.services import conference
from bot.services import staff as staff_service
from bot.services.conference import AgendaEntry
from bot.services.staff import Permission, PermissionDenied
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import context_of
from bot.web.pages.conference import (
    SESSION,
    After,
    Work,
    act,
    active_staff,
    allowed_for,
    deadline_of,
    labels,
    number_of,
    render_session_page,
    session_id_of,
    session_or_none,
    session_path,
    text_of,
    with_done,
    zone_of,
)
from bot.web.templates import render

routes = web.RouteTableDef()

ORDERS = ("time", "support", "field")


def order_of(request: web.Request) -> str:
    order = request.query.get("order", "time")
    return order if order in ORDERS else "time"


def queue(entries: list[AgendaEntry], order: str, field_order: dict[str, int]) -> list[AgendaEntry]:
    """The questions not yet dealt with, in the order the secretary chose."""
    waiting = [e for e in entries if e.outcome is None and e.status not in ("answered", "closed")]
    if order == "support":
        return sorted(waiting, key=lambda e: (-e.supporters, e.created_at, e.code))
    if order == "field":
        return sorted(waiting, key=lambda e: (field_order.get(e.field, 99), e.created_at, e.code))
    return sorted(waiting, key=lambda e: (e.created_at, e.code))


async def _read(request: web.Request):
    """The session, its agenda and state as this staff member may see them (audited), or a
    response to send instead."""
    context = context_of(request)
    me = staff_of(request)
    now = context.clock()
    async with context.sessionmaker() as db:
        session = await session_or_none(db, session_id_of(request))
        if session is None:
            return refused(request, _("This session was not found."), status=404)
        try:
            found = await conference.agenda(db, me, session.id, survey=context.survey, now=now)
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        state = await conference.live_state(db, session.id)
        await db.commit()
    return session, found, state


def queue_values(request: web.Request, found, state) -> dict:
    context = context_of(request)
    order = order_of(request)
    field_order = {f.id: i for i, f in enumerate(context.survey.fields)}
    current_id = state.current_question_id if state else None
    return {
        "order": order,
        "orders": [
            ("time", _("By time")),
            ("support", _("By support")),
            ("field", _("By field")),
        ],
        "waiting": queue(found.entries, order, field_order),
        "dealt": [e for e in found.entries if e.outcome is not None],
        "current": next((e for e in found.entries if e.question_id == current_id), None),
    }


async def show_live(request: web.Request, error: str | None = None) -> web.Response:
    context = context_of(request)
    read = await _read(request)
    if isinstance(read, web.Response):
        return read
    session, found, state = read
    now = context.clock()
    me = staff_of(request)
    async with context.sessionmaker() as db:
        said = await conference.conclusions(db, session.id, now=now)
        people = await active_staff(db)
        try:
            delegates = await conference.delegates(db, me, session.id, now=now)
        except PermissionDenied:
            delegates = []
        await db.commit()
    return render_session_page(
        request,
        "conference_live.html",
        session,
        error,
        state=state,
        conclusions=said,
        people=people,
        delegates=delegates,
        fields=[(f.id, labels(context.survey)["field_label"](f.id)) for f in context.survey.fields],
        allowed=allowed_for(me),
        **queue_values(request, found, state),
    )


@routes.get(SESSION + "/live")
@staff_page
async def live_page(request: web.Request) -> web.Response:
    return await show_live(request)


@routes.get(SESSION + "/live/queue")
@staff_page
async def live_queue(request: web.Request) -> web.Response:
    """The queue alone, for the page's script to put in place."""
    read = await _read(request)
    if isinstance(read, web.Response):
        return read
    session, found, state = read
    return render(
        request,
        "conference_queue.html",
        session=session,
        state=state,
        allowed=allowed_for(staff_of(request)),
        path=session_path(session.id),
        **queue_values(request, found, state),
        **labels(context_of(request).survey),
    )


@routes.get(SESSION + "/live/state")
@staff_page
async def live_state(request: web.Request) -> web.Response:
    """A fingerprint of the hall (questions, supports, the current one, what is dealt with):
    the page reloads its queue when it changes."""
    context = context_of(request)
    async with context.sessionmaker() as db:
        hall = await conference.board(db, session_id_of(request), limit=1000)
    seen = (
        hall.live,
        hall.questions,
        hall.supports,
        hall.current.question_id if hall.current else None,
        tuple(item.question_id for item in hall.waiting),
    )
    version = hashlib.sha256(repr(seen).encode()).hexdigest()[:16]
    return web.json_response({"version": version}, headers={"Cache-Control": "no-store"})


# --- acts ---------------------------------------------------------------------------------------


def live_path(session_id: int) -> str:
    return session_path(session_id, "/live")


async def _current(db, me, form, context, session_id) -> tuple[str, After]:
    question = number_of(form, "question")
    await conference.pick_current(db, me, session_id, question, now=context.clock())
    return with_done(live_path(session_id), "current"), None


async def _answer(db, me, form, context, session_id) -> tuple[str, After]:
    relay = await conference.record_answer(
        db,
        me,
        number_of(form, "question") or 0,
        answered_by=number_of(form, "answered_by") or 0,
        summary=text_of(form, "summary"),
        now=context.clock(),
    )

    async def tell() -> str:
        told = await context.notifier.deliver(relay)
        return with_done(live_path(session_id), "answered" if told else "answered-kept")

    return with_done(live_path(session_id), "answered"), tell


async def _later(db, me, form, context, session_id) -> tuple[str, After]:
    deadline = deadline_of(form, "deadline", zone_of(context))
    owner = number_of(form, "owner")
    if deadline is None or owner is None:
        # Who asks is checked first: a refusal must not depend on what the form holds.
        await staff_service.require(
            db, me, Permission.CONDUCT_CONFERENCE, now=context.clock(), action="conference_later"
        )
        raise conference.ConferenceError(_("Please choose the owner and the deadline."))
    await conference.answer_later(
        db,
        me,
        number_of(form, "question") or 0,
        owner_id=owner,
        deadline=deadline,
        now=context.clock(),
    )
    return with_done(live_path(session_id), "later"), None


async def _floor(db, me, form, context, session_id) -> tuple[str, After]:
    field = text_of(form, "field")
    if context.survey.field(field) is None:
        # Who asks is checked first: a refusal must not depend on what the form holds.
        await staff_service.require(
            db, me, Permission.CONDUCT_CONFERENCE, now=context.clock(), action="floor_question"
        )
        raise conference.ConferenceError(_("Please choose the field of the question."))
    filed = await conference.add_floor_question(
        db,
        me,
        session_id,
        field=field,
        text=text_of(form, "text"),
        speaker=text_of(form, "speaker") or None,
        zone=zone_of(context),
        now=context.clock(),
    )
    return with_done(live_path(session_id), "floor", added=filed.code), None


async def _conclusion(db, me, form, context, session_id) -> tuple[str, After]:
    owner = number_of(form, "owner")
    deadline = deadline_of(form, "deadline", zone_of(context))
    await conference.add_conclusion(
        db,
        me,
        session_id,
        text_of(form, "text"),
        owner_id=owner,
        deadline=deadline,
        now=context.clock(),
    )
    done = "conclusion-task" if owner is not None else "conclusion"
    return with_done(live_path(session_id), done) + "#conclusions", None


async def _roles(db, me, form, context, session_id) -> tuple[str, After]:
    await conference.set_chair_and_secretary(
        db,
        me,
        session_id,
        chair_name=text_of(form, "chair") or None,
        secretary_name=text_of(form, "secretary") or None,
        now=context.clock(),
    )
    return with_done(live_path(session_id), "roles"), None


def live_act(work: Work):
    async def handler(request: web.Request) -> web.Response:
        return await act(request, work, show_live)

    return handler


for _tail, _work in (
    ("/live/current", _current),
    ("/live/answer", _answer),
    ("/live/later", _later),
    ("/live/floor", _floor),
    ("/live/conclusions", _conclusion),
    ("/live/roles", _roles),
):
    routes.post(SESSION + _tail)(staff_page(live_act(_work)))
