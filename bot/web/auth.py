"""Who is signed in to the web console, and the checks every staff page makes.

A signed-in browser holds a random token in an HttpOnly, SameSite=Lax cookie (Secure when the
console is served over https); the database keeps only its SHA-256 digest with the staff
member's id, a CSRF token and when it was last used, so every worker sees the same sessions,
sign-out ends one at once, and removing a staff member ends theirs. A session unused for
`WEB_IDLE_MINUTES` ends. The staff member's role and fields are re-read on every request
(bot/services/staff.py), never trusted from the session.

`staff_page` wraps a page handler: without a session a GET goes to the sign-in page and a POST
is refused; a POST without the session's CSRF token is refused whoever sends it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import staff as staff_service
from bot.services.staff import StaffRef
from bot.web.context import context_of
from models import WebSession

SESSION_COOKIE = "doithoai_staff"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SIGN_IN_PATH = "/staff/sign-in"
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often

STAFF = web.RequestKey("doithoai_staff", StaffRef)
SESSION = web.RequestKey("doithoai_web_session", WebSession)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secure_cookies(request: web.Request) -> bool:
    """Secure cookies when the browser reached us over https (directly or through the proxy)."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


async def start_session(db: AsyncSession, staff_id: int, now: datetime) -> str:
    """A new session for `staff_id`; returns the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    db.add(
        WebSession(
            token_digest=digest(token),
            staff_id=staff_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    await db.flush()
    return token


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(request),
        path="/",
    )


async def end_session(db: AsyncSession, token: str) -> None:
    await db.execute(delete(WebSession).where(WebSession.token_digest == digest(token)))


async def end_sessions_of(db: AsyncSession, staff_id: int) -> None:
    """Every browser of a staff member (removed, or their password changed)."""
    await db.execute(delete(WebSession).where(WebSession.staff_id == staff_id))


async def load_session(request: web.Request) -> tuple[WebSession, StaffRef] | None:
    """The request's session and its staff member, or None (no cookie, unknown, idle too
    long, or no longer active staff: then the row is removed)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    context = context_of(request)
    now = context.clock()
    idle = timedelta(minutes=context.settings.web_idle_minutes)
    async with context.sessionmaker() as db, db.begin():
        row = await db.get(WebSession, digest(token))
        if row is None:
            return None
        member = await staff_service.get_active(db, row.staff_id)
        if member is None or now - row.last_seen_at > idle:
            await db.delete(row)
            return None
        if now - row.last_seen_at >= SEEN_EVERY:
            await db.execute(
                update(WebSession)
                .where(WebSession.token_digest == row.token_digest)
                .values(last_seen_at=now)
            )
        db.expunge(row)
    return row, member


def csrf_matches(request: web.Request, sent: str | None) -> bool:
    session = request.get(SESSION)
    return bool(session and sent) and hmac.compare_digest(session.csrf_token, sent)


async def sent_csrf(request: web.Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def refused(request: web.Request, message: str, status: int = 403) -> web.Response:
    from bot.web.templates import render  # the templates import this module for the nav

    return render(request, "refused.html", status=status, message=message)


class RefusedPage(Exception):
    """Raised from within a `staff_page` handler (after the refusal is audited and committed):
    the 403 page with this polite message."""


def staff_page(handler: Handler) -> Handler:
    """Signed-in staff only; forms and other changes only with the session's CSRF token.
    What a staff member may see or do is then checked by the services the handler calls."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        loaded = await load_session(request)
        if loaded is None:
            if request.method in ("GET", "HEAD"):
                target = quote(request.rel_url.path_qs, safe="")
                raise web.HTTPSeeOther(f"{SIGN_IN_PATH}?next={target}")
            return refused(request, _("Please sign in first."), status=403)
        request[SESSION], request[STAFF] = loaded
        if request.method not in ("GET", "HEAD") and not csrf_matches(
            request, await sent_csrf(request)
        ):
            return refused(
                request,
                _("This form has expired or did not come from this site. Open the page again."),
            )
        try:
            return await handler(request)
        except RefusedPage as refusal:
            return refused(request, str(refusal))

    return guarded


def staff_of(request: web.Request) -> StaffRef:
    """The signed-in staff member of a `staff_page` request."""
    return request[STAFF]
