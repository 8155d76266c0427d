"""Who a web-chat resident is: a browser, known by a random token in an HttpOnly, SameSite=Lax
cookie (Secure when the page is served over https). The conversation knows the browser only by
the token's SHA-256 digest, so the database cannot give the cookie back: a copy of it lets
nobody take over a resident's chat. Clearing the browser's data starts a new resident.

The chat's forms carry a token derived from the cookie (an HMAC keyed with it): a page of
another site can neither read the cookie nor compute the token, so it cannot post for the
resident.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from aiohttp import web

from bot.web.auth import secure_cookies

CHAT_COOKIE = "doithoai_chat"
CSRF_FIELD = "csrf"
KEEP_FOR = 365 * 24 * 3600  # seconds: a resident's conversation outlives a closed browser
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def cookie_token(request: web.Request) -> str | None:
    """The browser's token, if it sent one that could be ours."""
    token = request.cookies.get(CHAT_COOKIE)
    return token if token and _TOKEN.fullmatch(token) else None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def chat_id(token: str) -> str:
    """The chat and user id the conversation stores: the token's digest (64 hex digits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"doithoai web chat form", hashlib.sha256).hexdigest()


def csrf_matches(token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(token), sent or "")


def set_chat_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        CHAT_COOKIE,
        token,
        max_age=KEEP_FOR,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(request),
        path="/chat",
    )
