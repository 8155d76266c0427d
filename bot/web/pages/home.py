"""The console's start page (the pages this staff member may open) and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from bot.i18n import SUPPORTED
from bot.web.auth import SESSION_COOKIE, SIGN_IN_PATH, end_session, secure_cookies, staff_page
from bot.web.context import context_of
from bot.web.locale import LOCALE_COOKIE
from bot.web.templates import render

routes = web.RouteTableDef()


@routes.get("/staff")
@staff_page
async def start_page(request: web.Request) -> web.Response:
    return render(request, "home.html")


@routes.get("/lang/{locale}")
async def switch_language(request: web.Request) -> web.Response:
    """A preference only, kept in a cookie: no sign-in, no form needed."""
    locale = request.match_info["locale"]
    if locale not in SUPPORTED:
        raise web.HTTPNotFound()
    target = request.query.get("next", "/staff")
    # Only a path of this site: never an open redirect.
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = "/staff"
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=secure_cookies(request),
        path="/",
    )
    raise response


@routes.post("/staff/sign-out")
@staff_page
async def sign_out(request: web.Request) -> web.Response:
    """Ends this browser's session now (the row is deleted, not just the cookie)."""
    async with context_of(request).sessionmaker() as db, db.begin():
        await end_session(db, request.cookies[SESSION_COOKIE])
    response = web.HTTPSeeOther(SIGN_IN_PATH)
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
