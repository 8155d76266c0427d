"""The web console and web chat served on a local port in the test's own event loop, and
ways in: an HTTP client that keeps cookies, and a staff member signed in without the sign-in
page (for tests of other pages; tests/test_web_sign_in.py goes through the page itself)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from aiohttp import web

from bot.app import App
from bot.metrics import Metrics
from bot.services import staff as staff_service
from bot.web import build_web_app
from bot.web.auth import SESSION_COOKIE, start_session
from bot.web.context import WebContext, web_context

CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')
PAGE_TIMEOUT = 60  # seconds


@dataclass
class Served:
    base_url: str
    context: WebContext
    web_app: web.Application

    def client(self, **options) -> httpx.AsyncClient:
        """A client of this server that keeps its cookies and does not follow redirects.
        Patient: a page that starts the reader process takes seconds on a loaded machine, and
        pytest-timeout, not the client, is what catches a hang."""
        options.setdefault("timeout", PAGE_TIMEOUT)
        return httpx.AsyncClient(base_url=self.base_url, follow_redirects=False, **options)


@contextlib.asynccontextmanager
async def serve_console(app: App, clock=None) -> AsyncIterator[Served]:
    context = web_context(app, clock=clock) if clock else web_context(app)
    web_app = build_web_app(app.sessionmaker, Metrics(), console=context)
    runner = web.AppRunner(web_app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Served(f"http://127.0.0.1:{port}", context, web_app)
    finally:
        await runner.cleanup()


async def add_staff(
    app: App, clock, telegram_id: int, role: str, name: str, fields: tuple[str, ...] = ()
) -> staff_service.StaffRef:
    """A staff member added by the bootstrap admin (ADMIN_IDS=1 in the tests' settings)."""
    async with app.sessionmaker() as db, db.begin():
        await staff_service.bootstrap_admins(db, [1], clock())
        if telegram_id == 1:
            found = await staff_service.find(db, 1)
        else:
            found = await staff_service.add(db, 1, telegram_id, name, role, fields, now=clock())
    assert found is not None
    return found


async def signed_in(served: Served, staff: staff_service.StaffRef) -> httpx.AsyncClient:
    """A client holding a session of `staff`, as after signing in."""
    async with served.context.sessionmaker() as db, db.begin():
        token = await start_session(db, staff.id, served.context.clock())
    client = served.client()
    client.cookies.set(SESSION_COOKIE, token, domain="127.0.0.1")
    return client


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the form on the page at `path`."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF_INPUT.search(page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)
