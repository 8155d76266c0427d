"""Every page of the staff console: the routes under /staff, a seed that fills their
parameters, and the paths filled from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select

import models
from bot.services.questions import AttachmentIn
from bot.web.auth import SIGN_IN_PATH
from tests.support.questions import file, make_asker, make_session, make_staff

QUESTION = "Xin hỏi thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"


@dataclass
class Seeded:
    people: object
    values: dict[str, str]  # a route parameter -> what fills it


async def seeded(app, clock) -> Seeded:
    """Staff of every role, a question on TP (tư pháp) with an attachment."""
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app, "501")
    filed = await file(
        app,
        asker,
        session_id,
        clock(),
        text=QUESTION,
        attachments=[AttachmentIn(kind="photo", content=b"\x89PNG anh", mime="image/png")],
    )
    async with app.sessionmaker() as db:
        attachment_id = await db.scalar(
            select(models.QuestionAttachment.id).where(
                models.QuestionAttachment.question_id == filed.id
            )
        )
    return Seeded(
        people,
        {
            "ref": filed.code,
            "attachment_id": str(attachment_id),
            "official_id": str(people.official_tp.id),
            "broadcast_id": "1",
            "job": "a" * 32,  # an export no one asked for
            "name": "doithoai.xlsx",
            "id": str(session_id),
            "change": "close",
            "telegram_id": str(people.official_tp.telegram_user_id),
            "attachment_token": "a" * 32,
            "session": str(session_id),  # the conference: its pages, poster and projector link
        },
    )


def staff_routes(web_app) -> list[tuple[str, str]]:
    """(method, path pattern) of every route under /staff but the sign-in page's."""
    found = set()
    for route in web_app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path != "/staff" and not path.startswith("/staff/"):
            continue
        if path.startswith(SIGN_IN_PATH) or route.method == "HEAD":
            continue
        methods = ("GET", "POST") if route.method == "*" else (route.method,)
        found |= {(method, path) for method in methods}
    return sorted(found)


def parameters(pattern: str) -> list[str]:
    return re.findall(r"\{(\w+)", pattern)


def filled(pattern: str, seed: Seeded) -> str:
    unknown = [name for name in parameters(pattern) if name not in seed.values]
    assert not unknown, (
        f"{pattern}: tests/test_web_refusals.py does not know how to fill {unknown}; add them "
        "to the values of `seeded()` so this page is checked for refusals too"
    )
    return re.sub(
        r"\{(\w+)(?::[^}]*)?\}", lambda m: quote(seed.values[m.group(1)], safe=""), pattern
    )
