"""The pages of the staff console and the resident web chat. Each module has its own
`routes` table; `ROUTE_TABLES` is what bot/web/server.py adds to the application."""

from __future__ import annotations

from aiohttp import web

from bot.web.pages import (
    announcements,
    audit,
    chat,
    conference,
    conference_live,
    exports,
    figures,
    home,
    members,
    paper,
    poster,
    projector,
    questions,
    sessions,
    sign_in,
)

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    home.routes,
    sign_in.routes,
    members.routes,
    audit.routes,
    questions.routes,
    figures.routes,
    exports.routes,
    sessions.routes,
    paper.routes,
    announcements.routes,
    chat.routes,
    projector.routes,
    poster.routes,
    conference.routes,
    conference_live.routes,
)
