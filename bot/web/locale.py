"""Each request's language: the `lang` cookie set by the switch, else the ward's default."""

from __future__ import annotations

from aiohttp import web

from bot import i18n
from bot.web.context import context_of

LOCALE_COOKIE = "lang"


@web.middleware
async def locale_middleware(request: web.Request, handler) -> web.StreamResponse:
    chosen = request.cookies.get(LOCALE_COOKIE)
    default = context_of(request).settings.default_locale
    # Each request runs in its own task: the language set here is this request's alone.
    i18n.set_locale(chosen if chosen in i18n.SUPPORTED else default)
    return await handler(request)
