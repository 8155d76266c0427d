"""The audit log page (admins): who did what and when (ward time), allowed or refused, page by
page, filtered by action and outcome. It shows only what the log holds (a Telegram id, a role,
an action, a target such as "question:KN-26-0042", ids and counts): never a text, a name or a
phone. Opening it is itself audited; a refusal too."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from bot.services import audit
from bot.services import staff as staff_service
from bot.services.staff import Permission, PermissionDenied
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import context_of
from bot.web.templates import render

routes = web.RouteTableDef()

PATH = "/staff/audit"
PER_PAGE = 50
SHOWN_VALUE = 60  # characters of a detail value


def outcome(typed: str) -> bool | None:
    return {"allowed": True, "refused": False}.get(typed)


def detail_text(detail: dict[str, Any] | None) -> str:
    """`key=value` pairs; values are ids, counts, statuses and filters."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if len(shown) > SHOWN_VALUE:
            shown = shown[: SHOWN_VALUE - 1] + "…"
        parts.append(f"{key}={shown}")
    return "; ".join(parts)


@routes.get(PATH)
@staff_page
async def audit_page(request: web.Request) -> web.Response:
    context = context_of(request)
    now = context.clock()
    action = request.query.get("action", "").strip()[:48] or None
    allowed_filter = request.query.get("outcome", "")
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    async with context.sessionmaker() as db, db.begin():
        try:
            by = await staff_service.require(
                db, staff_of(request), Permission.MANAGE_STAFF, now=now, action="audit_view"
            )
        except PermissionDenied as exc:
            denied = str(exc)
        else:
            denied = None
            entries, total = await audit.search(
                db,
                action=action,
                allowed=outcome(allowed_filter),
                offset=(page - 1) * PER_PAGE,
                limit=PER_PAGE,
            )
            known = await audit.actions(db)
            await staff_service.record_action(db, by, "audit_view", now=now, detail={"page": page})
    if denied is not None:  # committed: the refusal stays in the log
        return refused(request, denied)
    pages = max(1, math.ceil(total / PER_PAGE))
    return render(
        request,
        "audit.html",
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        action=action or "",
        outcome=allowed_filter,
        actions=known,
        detail_text=detail_text,
    )
