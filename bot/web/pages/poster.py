"""The hall's poster for a session, to print or show: `/staff/conference/<session>/poster.png`
and `.pdf` (A4, in the ward's language; bot/exports/poster.py), for those who conduct the
conference (admins, the secretary, leaders: checked and audited by
`bot.services.projector.hall_session`).

The Telegram link needs the bot's username: the running bot's (put in the context's extras under
`TELEGRAM_USERNAME` at start-up), else no Telegram code is printed.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.exports import poster as poster_export
from bot.services import projector
from bot.services.conference import ConferenceError
from bot.services.staff import PermissionDenied
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import context_of

routes = web.RouteTableDef()

TELEGRAM_USERNAME = "telegram_username"  # in WebContext.extras
TYPES = {"png": "image/png", "pdf": "application/pdf"}


@routes.get(r"/staff/conference/{session:\d+}/poster.png")
@staff_page
async def poster_png(request: web.Request) -> web.Response:
    return await poster_file(request, "png")


@routes.get(r"/staff/conference/{session:\d+}/poster.pdf")
@staff_page
async def poster_pdf(request: web.Request) -> web.Response:
    return await poster_file(request, "pdf")


async def poster_file(request: web.Request, kind: str) -> web.Response:
    context = context_of(request)
    session_id = int(request.match_info["session"])
    async with context.sessionmaker() as db, db.begin():
        try:
            found = await projector.hall_session(
                db, staff_of(request), session_id, action="conference_poster", now=context.clock()
            )
        except PermissionDenied as exc:
            await db.commit()
            return refused(request, str(exc))
        except ConferenceError as exc:
            return refused(request, str(exc), status=404)
    settings = context.settings
    username = context.extras.get(TELEGRAM_USERNAME)
    links = poster_export.links(
        settings.public_url, session_id, username if isinstance(username, str) else None
    )
    body = await asyncio.to_thread(  # a second of drawing: not on the event loop
        poster_export.poster,
        links,
        ward_name=settings.ward_name,
        session_title=found.title,
        starts_at=found.starts_at,
        place=found.place,
        locale=settings.default_locale,
        zone=settings.zone,
        format=kind,
    )
    return web.Response(
        body=body,
        content_type=TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="poster-session-{session_id}.{kind}"'
        },
    )
