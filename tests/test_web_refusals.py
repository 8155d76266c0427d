"""Every staff page and action of the console refuses who may not use it, read from the built
application's router, so a page added later is covered without being listed here:

- a visitor without a session is sent to the sign-in page on every GET, and refused on every
  POST with nothing stored;
- an official of another field is refused every page their role may not open (the permissions
  of bot/web/nav.py, as the menu shows them) and every page and action on a question of a field
  they do not hold: a form replayed without the session's CSRF token gets the expired-form
  message, with it the service's polite refusal and an audit entry with allowed=False; either
  way no row is added, removed or changed.

A route whose address has a parameter this test does not know how to fill makes it fail: add
the parameter to `Seeded.values` (and the form its action needs to `FORMS`), so that the new
page is checked too.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

import models
from bot.services.staff import allows
from bot.web.auth import SIGN_IN_PATH
from bot.web.nav import PAGES, Page
from models import AuditEntry, ResidentQuestion
from tests.support.browser import needs_chromium
from tests.support.staff_pages import QUESTION, Seeded, filled, parameters, seeded, staff_routes
from tests.support.web import csrf_of, serve_console, signed_in

SIGN_IN_FIRST = "Vui lòng đăng nhập trước."
EXPIRED_FORM = "Biểu mẫu này đã hết hạn"
REFUSALS = (  # bot/services/staff.py `require`, in Vietnamese
    "Xin lỗi, chức năng này chỉ dành cho cán bộ phường.",
    "Xin lỗi, câu hỏi này thuộc lĩnh vực mà đồng chí không phụ trách.",
    "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này.",
)
# Parameters that name a question (or a part of one): a route with one acts on the question.
QUESTION_PARAMETERS = {"ref", "attachment_id"}
# What each action's form holds when it is filled in properly, so that a refusal is for who
# sends it, not for what the form lacks. Actions not listed are sent the CSRF token alone.
FORMS = {
    "/staff/questions/{ref}/answer": {"answer": "Ông/Bà mang theo giấy chứng sinh."},
    "/staff/questions/{ref}/assign": {"official": "{official_id}"},
    "/staff/questions/{ref}/hide": {"reason": "Nội dung xúc phạm"},
    "/staff/questions/{ref}/reclassify": {"kind": "complaint"},
}


def sign_in_for(location: str) -> str | None:
    """Where the sign-in page the visitor was sent to will take them back to (None when the
    address is not the sign-in page)."""
    parts = urlsplit(location)
    if parts.path != SIGN_IN_PATH:
        return None
    return parse_qs(parts.query).get("next", [None])[0]


def form_of(pattern: str, seed: Seeded) -> dict[str, str]:
    return {k: v.format(**seed.values) for k, v in FORMS.get(pattern, {}).items()}


def page_of(pattern: str) -> Page | None:
    """The console page (bot/web/nav.py) an address belongs to."""
    owners = [p for p in PAGES if pattern == p.path or pattern.startswith(p.path + "/")]
    return max(owners, key=lambda p: len(p.path)) if owners else None


async def counts(app) -> dict[str, int]:
    """Rows of every table."""
    async with app.sessionmaker() as db:
        return {
            table.name: await db.scalar(select(func.count()).select_from(table))
            for table in models.Base.metadata.sorted_tables
        }


async def question_state(app) -> tuple:
    async with app.sessionmaker() as db:
        q = (await db.execute(select(ResidentQuestion))).scalar_one()
        return (
            q.status,
            q.assigned_to,
            q.answer_text,
            q.hidden,
            q.hidden_reason,
            q.reclassified_as,
            q.updated_at,
        )


async def refusals_of(app, telegram_id: int) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(
            select(func.count()).where(
                AuditEntry.actor_telegram_id == telegram_id, AuditEntry.allowed.is_(False)
            )
        )


async def test_the_router_has_the_question_pages(app, clock):
    async with serve_console(app, clock) as served:
        routes = staff_routes(served.web_app)
    for expected in (
        ("GET", "/staff/questions"),
        ("GET", "/staff/questions/{ref}"),
        ("GET", "/staff/questions/attachments/{attachment_id}"),
        ("POST", "/staff/questions/{ref}/answer"),
        ("POST", "/staff/questions/{ref}/assign"),
        ("POST", "/staff/questions/{ref}/conference"),
        ("POST", "/staff/questions/{ref}/close"),
        ("POST", "/staff/questions/{ref}/reclassify"),
        ("POST", "/staff/questions/{ref}/hide"),
        ("POST", "/staff/questions/{ref}/unhide"),
        ("POST", "/staff/sign-out"),
    ):
        assert expected in routes


async def test_a_visitor_without_a_session_is_sent_to_sign_in_and_refused_every_action(app, clock):
    seed = await seeded(app, clock)
    async with serve_console(app, clock) as served, served.client() as visitor:
        routes = staff_routes(served.web_app)
        before, state = await counts(app), await question_state(app)
        for method, pattern in routes:
            path = filled(pattern, seed)
            if method == "GET":
                answer = await visitor.get(path)
                assert answer.status_code == 303, (method, pattern)
                assert sign_in_for(answer.headers["Location"]) == path, pattern
            else:
                answer = await visitor.request(
                    method, path, data={"csrf": "guess", **form_of(pattern, seed)}
                )
                assert answer.status_code == 403, (method, pattern)
                assert SIGN_IN_FIRST in answer.text, pattern
            assert QUESTION not in answer.text, pattern
        assert await counts(app) == before
        assert await question_state(app) == state


async def test_an_official_of_another_field_is_refused_every_page_and_action(app, clock):
    seed = await seeded(app, clock)
    other = seed.people.official_dc  # holds Địa chính; the question is Tư pháp's
    checked: list[tuple[str, str]] = []
    async with serve_console(app, clock) as served, await signed_in(served, other) as client:
        routes = staff_routes(served.web_app)
        token = await csrf_of(client, "/staff")
        for method, pattern in routes:
            page = page_of(pattern)
            on_question = bool(QUESTION_PARAMETERS & set(parameters(pattern)))
            if page is None and not on_question:
                continue  # the start page, signing out: any staff member's
            if page is not None and allows(other, page.permission) and not on_question:
                if method == "GET" and page.path == "/staff/questions":
                    listing = await client.get(filled(pattern, seed))
                    assert listing.status_code == 200
                    assert seed.values["ref"] not in listing.text  # not their field
                continue
            checked.append((method, pattern))
            path = filled(pattern, seed)
            before, state = await counts(app), await question_state(app)
            if method == "GET":
                answer = await client.get(path)
                assert answer.status_code == 403, pattern
                assert any(message in answer.text for message in REFUSALS), pattern
                assert QUESTION not in answer.text, pattern
                after = await counts(app)
                assert {k: v for k, v in after.items() if k != "audit_log"} == {
                    k: v for k, v in before.items() if k != "audit_log"
                }, pattern
                assert await question_state(app) == state, pattern
                continue
            form = form_of(pattern, seed)
            # Replayed without the session's token: refused before anything is looked at.
            for sent in ({}, {"csrf": "not-the-token"}):
                answer = await client.request(method, path, data={**sent, **form})
                assert answer.status_code == 403, (pattern, sent)
                assert EXPIRED_FORM in answer.text, (pattern, sent)
            assert await counts(app) == before, pattern
            # With the right token: the service refuses, politely, and the refusal is audited.
            refused_before = await refusals_of(app, other.telegram_user_id)
            answer = await client.request(method, path, data={"csrf": token, **form})
            assert answer.status_code == 403, pattern
            assert any(message in answer.text for message in REFUSALS), (pattern, answer.text)
            assert await refusals_of(app, other.telegram_user_id) == refused_before + 1, pattern
            after = await counts(app)
            assert after["audit_log"] == before["audit_log"] + 1, pattern
            assert {k: v for k, v in after.items() if k != "audit_log"} == {
                k: v for k, v in before.items() if k != "audit_log"
            }, pattern
            assert await question_state(app) == state, pattern
    # At least the question's card, its attachment and each of its actions were tried.
    assert len([c for c in checked if c[1].startswith("/staff/questions/")]) >= 9


@needs_chromium
async def test_a_visitor_opening_the_questions_in_a_browser_lands_on_the_sign_in_page(
    app, clock, browser_factory
):
    seed = await seeded(app, clock)
    async with serve_console(app, clock) as served:
        browser = browser_factory(served.base_url)
        await browser.open(f"/staff/questions/{seed.values['ref']}")
        assert sign_in_for(browser.path) == f"/staff/questions/{seed.values['ref']}"
        await browser.open("/staff/questions")
        assert sign_in_for(browser.path) == "/staff/questions"
        assert QUESTION not in await browser.text()
