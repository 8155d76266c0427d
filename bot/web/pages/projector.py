"""The hall's projector (issue 15): `/projector/<token>`, full screen, large type, in the ward's
language; the current question, the next ones by field, and the live counts of
`bot.services.conference.board` (which never holds a resident's name nor a question that may
be a complaint).

No sign-in: the token in the address is the read-only link the office makes and revokes on
`/staff/projector/<session>` (bot/services/projector.py keeps only its digest). An unknown or
revoked token is 404 at once, and the streams opened with it end at the next tick.

The page updates itself by server-sent events from `/projector/<token>/events`: each event is
the board's HTML, sent only when it changed (bot/web/projector_feed.py, one shared ticker per
session); the page's small script puts it in place. Without JavaScript the page is a snapshot
that reloads itself every few seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiohttp import web

from bot.i18n import _, use_locale
from bot.services import projector
from bot.services.conference import Board, BoardItem, ConferenceError
from bot.services.staff import PermissionDenied
from bot.survey.definition import Survey
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.projector_feed import Closed, ProjectorFeed
from bot.web.templates import environment, render

routes = web.RouteTableDef()

FEED = "projector_feed"  # in WebContext.extras
KEEPALIVE = 15.0  # seconds: a comment line keeps proxies from closing a quiet stream
SNAPSHOT_REFRESH = 5  # seconds between reloads of the page without JavaScript
WAITING_SHOWN = 12


def by_field(items: Iterable[BoardItem], survey: Survey, locale: str) -> list[dict]:
    """The waiting questions grouped by field, in the survey's order of fields."""
    groups: dict[str, list[BoardItem]] = {}
    for item in items:
        groups.setdefault(item.field, []).append(item)
    order = {f.id: i for i, f in enumerate(survey.fields)}
    return [
        {"label": field_label(survey, field, locale), "items": found}
        for field, found in sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))
    ]


def field_label(survey: Survey, field_id: str, locale: str) -> str:
    found = survey.field(field_id)
    return found.label.get(locale) if found else field_id


def board_html(context: WebContext, board: Board) -> str:
    """The board as the page shows it, in the ward's language (the same for every viewer)."""
    locale = context.settings.default_locale
    with use_locale(locale):
        return (
            environment()
            .get_template("projector_board.html")
            .render(
                board=board,
                current_field=(
                    field_label(context.survey, board.current.field, locale)
                    if board.current
                    else ""
                ),
                groups=by_field(board.waiting[:WAITING_SHOWN], context.survey, locale),
            )
        )


def feed_of(context: WebContext) -> ProjectorFeed:
    feed = context.extras.get(FEED)
    if feed is None:
        feed = context.extras[FEED] = ProjectorFeed(
            context.sessionmaker, lambda board: board_html(context, board)
        )
    return feed  # type: ignore[return-value]


async def close_feeds(app: web.Application) -> None:
    """At shutdown: every open stream ends, so the server does not wait for them."""
    from bot.web.context import CONTEXT

    feed = app[CONTEXT].extras.get(FEED) if CONTEXT in app else None
    if isinstance(feed, ProjectorFeed):
        await feed.close()


async def _session_of(request: web.Request) -> int:
    context = context_of(request)
    async with context.sessionmaker() as db:
        session_id = await projector.session_of_token(db, request.match_info["token"])
    if session_id is None:
        raise web.HTTPNotFound()
    return session_id


@routes.get("/projector/{token}")
async def projector_page(request: web.Request) -> web.Response:
    from bot.services.conference import board

    session_id = await _session_of(request)
    context = context_of(request)
    async with context.sessionmaker() as db:
        current = await board(db, session_id)
    with use_locale(context.settings.default_locale):
        response = render(
            request,
            "projector.html",
            board_html=board_html(context, current),
            events=f"{request.path}/events",
            refresh=SNAPSHOT_REFRESH,
        )
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def event(frame: str, number: int) -> bytes:
    lines = "".join(f"data: {line}\n" for line in frame.splitlines() or [""])
    return f"id: {number}\nevent: board\n{lines}\n".encode()


@routes.get("/projector/{token}/events")
async def projector_events(request: web.Request) -> web.StreamResponse:
    session_id = await _session_of(request)
    digest = projector.token_digest(request.match_info["token"])
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
        }
    )
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    number = 0
    try:
        async with feed_of(context_of(request)).subscribe(session_id, digest) as stream:
            while True:
                frame = await stream.next(KEEPALIVE)
                if frame is None:
                    await response.write(b": still here\n\n")
                    continue
                number += 1
                await response.write(event(frame, number))
    except Closed:
        with contextlib.suppress(ConnectionResetError):  # the screen may be gone too
            await response.write(b"event: closed\ndata: \n\n")
    except ConnectionResetError:
        pass  # the screen went away
    return response


# --- the office's side: make and revoke the link ----------------------------------------------


def _session_param(request: web.Request) -> int:
    try:
        return int(request.match_info["session"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def _link_page(request: web.Request, *, link: str | None, message: str = ""):
    context = context_of(request)
    session_id = _session_param(request)
    async with context.sessionmaker() as db:
        has_link = await projector.digest_of(db, session_id) is not None
    return render(
        request,
        "projector_link.html",
        session_id=session_id,
        link=link,
        has_link=has_link,
        message=message,
    )


@routes.get("/staff/projector/{session}")
@staff_page
async def link_page(request: web.Request) -> web.Response:
    """Whether the session has a projector link; buttons to make a new one or revoke it.
    Looking is for those who may make one (checked by the same service, without a change)."""
    context = context_of(request)
    session_id = _session_param(request)
    async with context.sessionmaker() as db, db.begin():
        try:
            await projector.hall_session(
                db, staff_of(request), session_id, action="projector_view", now=context.clock()
            )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        except ConferenceError as exc:
            return refused(request, str(exc), status=404)
    return await _link_page(request, link=None)


@routes.post("/staff/projector/{session}/link")
@staff_page
async def make_link(request: web.Request) -> web.Response:
    """A new link, shown once (only its digest is kept); the old one stops at once."""
    context = context_of(request)
    session_id = _session_param(request)
    async with context.sessionmaker() as db, db.begin():
        try:
            token = await projector.projector_link(
                db, staff_of(request), session_id, now=context.clock()
            )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        except ConferenceError as exc:
            return refused(request, str(exc), status=404)
    link = f"{context.settings.public_url}/projector/{token}"
    return await _link_page(request, link=link)


@routes.post("/staff/projector/{session}/revoke")
@staff_page
async def revoke_link(request: web.Request) -> web.Response:
    context = context_of(request)
    session_id = _session_param(request)
    async with context.sessionmaker() as db, db.begin():
        try:
            await projector.revoke_projector_link(
                db, staff_of(request), session_id, now=context.clock()
            )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
    return await _link_page(request, link=None, message=_("The projector link is revoked."))
