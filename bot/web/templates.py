"""Server-rendered pages: Jinja2 templates from bot/web/templates, every text through the
project's gettext (`_`, `ngettext`) in the request's language, HTML escaped by default."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot import i18n
from bot.web import nav
from bot.web.auth import CSRF_FIELD, SESSION, STAFF
from bot.web.context import context_of

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Looked up at render time, so each request gets its own language.
    env.globals.update(_=i18n.gettext, ngettext=i18n.ngettext)
    return env


def local_time(
    request: web.Request, moment: datetime | None, pattern: str = "%H:%M %d/%m/%Y"
) -> str:
    """A stored UTC time in the ward's zone, as staff read it."""
    if moment is None:
        return ""
    zone = ZoneInfo(context_of(request).settings.timezone)
    return moment.astimezone(zone).strftime(pattern)


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    staff = request.get(STAFF)
    session = request.get(SESSION)
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            staff=staff,
            csrf_field=CSRF_FIELD,
            csrf_token=session.csrf_token if session else "",
            locale=i18n.current_locale(),
            menu=nav.menu_for(staff) if staff else [],
            ward_name=context_of(request).settings.ward_name,
            local_time=lambda moment, pattern="%H:%M %d/%m/%Y": local_time(
                request, moment, pattern
            ),
            **values,
        )
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
