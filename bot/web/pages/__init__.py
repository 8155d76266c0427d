"""The pages of the staff console and the resident web chat. Each module has its own
`routes` table; `ROUTE_TABLES` is what bot/web/server.py adds to the application."""

from __future__ import annotations

from aiohttp import web

from bot.web.pages import exports, figures, home, sessions

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    home.routes,
    figures.routes,
    exports.routes,
    sessions.routes,
)
