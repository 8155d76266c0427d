"""The sign-in page: a one-time code sent to the staff member's Telegram chat, or a password
an admin set; the link sent with the code opens a page with one button, so a link preview
fetched by the chat app does not use it up.

No session exists yet, so the form's CSRF token is a double-submit cookie: a random value in
an HttpOnly cookie and in the form, which must match. Wrong codes and passwords slow further
tries down (bot/web/throttle.py); every try is audited (never the code or the password).
"""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import audit
from bot.services import staff as staff_service
from bot.web import sign_in_codes, throttle
from bot.web.auth import (
    CSRF_FIELD,
    SIGN_IN_PATH,
    load_session,
    refused,
    secure_cookies,
    set_session_cookie,
    start_session,
)
from bot.web.context import context_of
from bot.web.passwords import verify
from bot.web.templates import render
from models import StaffMember

routes = web.RouteTableDef()

FORM_COOKIE = "doithoai_sign_in"
HOME = "/staff"
ACTION = "web_sign_in"


def local_target(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if not target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or target.startswith(SIGN_IN_PATH):
        return HOME
    return target


def waiting_text(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        text = _("{count} second") if seconds == 1 else _("{count} seconds")
        return text.format(count=seconds)
    minutes = math.ceil(seconds / 60)
    return (_("{count} minute") if minutes == 1 else _("{count} minutes")).format(count=minutes)


def form_token(request: web.Request) -> str:
    sent = request.cookies.get(FORM_COOKIE, "")
    return sent if 20 <= len(sent) <= 100 else secrets.token_urlsafe(32)


def page(request: web.Request, status: int = 200, **values) -> web.Response:
    token = form_token(request)
    values.setdefault("next_path", local_target(request.query.get("next")))
    values.setdefault("staff_id", "")
    values.setdefault("sent", False)
    values.setdefault("error", None)
    values.setdefault("codes", sign_in_codes.can_send(context_of(request)))
    response = render(
        request, values.pop("template", "sign_in.html"), status=status, form_token=token, **values
    )
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=secure_cookies(request),
        path=SIGN_IN_PATH,
    )
    return response


def form_came_from_here(request: web.Request, form) -> bool:
    cookie = request.cookies.get(FORM_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    return bool(cookie) and isinstance(sent, str) and hmac.compare_digest(cookie, sent)


def telegram_id(typed: str) -> int | None:
    digits = "".join(typed.split())
    if not digits.isdigit() or len(digits) > 15:
        return None
    return int(digits)


async def record(
    db: AsyncSession,
    telegram_user_id: int | None,
    role: str | None,
    *,
    method: str,
    result: str,
    now,
) -> None:
    await audit.record(
        db,
        actor_telegram_id=telegram_user_id,
        actor_role=role,
        action=ACTION,
        allowed=result == "signed_in",
        detail={"method": method, "result": result},
        now=now,
    )


async def signed_in(request: web.Request, staff_id: int, target: str) -> web.Response:
    """A new session for `staff_id`, and on to `target`."""
    context = context_of(request)
    async with context.sessionmaker() as db, db.begin():
        token = await start_session(db, staff_id, context.clock())
    response = web.HTTPSeeOther(local_target(target))
    set_session_cookie(request, response, token)
    response.del_cookie(FORM_COOKIE, path=SIGN_IN_PATH)
    raise response


@routes.get(SIGN_IN_PATH)
async def sign_in_page(request: web.Request) -> web.Response:
    if await load_session(request) is not None:  # already signed in
        raise web.HTTPSeeOther(local_target(request.query.get("next")))
    return page(request)


@routes.post(SIGN_IN_PATH)
async def sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    if not form_came_from_here(request, form):
        return refused(
            request,
            _("This form has expired or did not come from this site. Open the page again."),
        )
    target = local_target(str(form.get("next", "")))
    typed = str(form.get("staff_id", ""))
    action = str(form.get("action", ""))
    user_id = telegram_id(typed)
    values = {"next_path": target, "staff_id": typed.strip()[:20]}
    if user_id is None:
        return page(request, 400, error=_("Please type your Telegram id (digits only)."), **values)
    if action == "send":
        await sign_in_codes.send_code(context_of(request), user_id)
        return page(request, sent=True, **values)
    if action not in ("code", "password"):
        raise web.HTTPBadRequest()
    secret = str(form.get(action, ""))
    return await check(request, user_id, action, secret, target, values)


async def check(
    request: web.Request, user_id: int, method: str, secret: str, target: str, values: dict
) -> web.Response:
    """A code or a password, unless tries from this id or address must wait. A password is
    checked outside any transaction and off the event loop (Argon2 takes a good fraction of
    a second, on purpose)."""
    context = context_of(request)
    now = context.clock()
    keys = throttle.keys_for(str(user_id), throttle.client_address(request))
    async with context.sessionmaker() as db, db.begin():
        wait = await throttle.wait_left(db, keys, now)
        member = await staff_service.find(db, user_id)
        role = member.role if member else None
        stored = None
        if wait is not None:
            await record(db, user_id, role, method=method, result="throttled", now=now)
        elif method == "password" and member is not None:
            stored = await db.scalar(
                select(StaffMember.password_hash).where(StaffMember.id == member.id)
            )
    if wait is not None:
        error = _("Too many wrong tries. Please wait {time} and try again.")
        return page(request, 429, error=error.format(time=waiting_text(wait)), **values)
    if method == "password":
        right = await asyncio.to_thread(verify, stored, secret) and member is not None
    async with context.sessionmaker() as db, db.begin():
        if method == "code":
            right = member is not None and await sign_in_codes.redeem_code(
                db, member.id, secret, now
            )
        if right:
            await throttle.succeeded(db, keys)
            await record(db, user_id, role, method=method, result="signed_in", now=now)
        else:
            wait = await throttle.failed(db, keys, now)
            await record(db, user_id, role, method=method, result="wrong", now=now)
    if not right:
        error = (
            _("That code is wrong, used or expired. Ask for a new one.")
            if method == "code"
            else _("The Telegram id or the password is not right.")
        )
        if wait is not None:
            error += " " + _("Please wait {time} before trying again.").format(
                time=waiting_text(wait)
            )
        return page(request, 400, error=error, sent=method == "code", **values)
    return await signed_in(request, member.id, target)


@routes.get(SIGN_IN_PATH + "/link/{token}")
async def link_page(request: web.Request) -> web.Response:
    """One button that signs in: opening the link alone uses nothing up."""
    return page(request, template="sign_in_link.html", token=request.match_info["token"])


@routes.post(SIGN_IN_PATH + "/link/{token}")
async def use_link(request: web.Request) -> web.Response:
    form = await request.post()
    if not form_came_from_here(request, form):
        return refused(
            request,
            _("This form has expired or did not come from this site. Open the page again."),
        )
    context = context_of(request)
    now = context.clock()
    async with context.sessionmaker() as db, db.begin():
        staff_id = await sign_in_codes.redeem_link(db, request.match_info["token"], now)
        member = await staff_service.get_active(db, staff_id) if staff_id else None
        if member is None:
            await record(db, None, None, method="link", result="wrong", now=now)
        else:
            await record(
                db, member.telegram_user_id, member.role, method="link", result="signed_in", now=now
            )
    if member is None:
        return page(
            request,
            410,
            error=_("This sign-in link was already used or has expired. Ask for a new code."),
        )
    return await signed_in(request, member.id, HOME)
