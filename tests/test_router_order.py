"""The order in which the routers are listed does not change what a tap or a command does:
the bot is wired with its routers reversed and shuffled, and staff and residents use buttons
of every kind (dialog screens, typed staff buttons, the rating under an answer) and forged
ones. The fallback refuses, at start, two routers claiming one button type or one command."""

from __future__ import annotations

import random

import pytest
from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData

import handlers
from bot.__main__ import bootstrap_admins
from bot.notify import QuestionCb
from handlers import fallback
from tests.support.journey import consent_all
from tests.support.questions import stored_questions
from tests.support.ratings import at_first_rating
from tests.support.staff_chat import ADMIN, ANSWER, OFFICIAL, RESIDENT, Person, ask

NO_LONGER_VALID = "Nút này không còn hiệu lực. Mời Ông/Bà dùng lại menu."


def reordered(order: str):
    listed = handlers.feature_routers

    def routers() -> list[Router]:
        found = listed()
        if order == "reversed":
            return found[::-1]
        random.Random(13).shuffle(found)
        return found

    return routers


@pytest.fixture(params=["reversed", "shuffled"])
async def app(request, make_app, monkeypatch):
    monkeypatch.setattr(handlers, "feature_routers", reordered(request.param))
    return await make_app()


@pytest.fixture
def person(app, telegram):
    return lambda user_id, language="vi": Person(app, telegram, user_id, language)


@pytest.fixture
async def official(app, settings, person) -> Person:
    await bootstrap_admins(app, settings)
    await person(ADMIN).send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    return person(OFFICIAL)


@pytest.fixture
def resident(person) -> Person:
    return person(RESIDENT)


async def test_staff_and_resident_buttons_do_the_same_in_any_order(app, official, resident):
    code = await ask(resident)  # the question dialog, screen by screen

    # The official has a resident's screen open, and still the staff buttons are the staff's.
    await consent_all(official)
    notice = official.last("Câu hỏi mới")
    await official.tap("📂 Mở", on=notice)
    card = official.last("Trạng thái:")
    assert card.text.startswith(code)
    await official.tap("✍️ Trả lời", on=card)
    await official.send(ANSWER)
    assert official.last().text == f"✅ Câu trả lời cho {code} đã được lưu và gửi tới người dân."

    await official.send("/questions")
    listing = official.last("Câu hỏi, kiến nghị của người dân")
    await official.tap(f"{code} · đã trả lời", on=listing)
    assert official.last().text.startswith(code)

    relay = resident.last(ANSWER)
    await resident.tap("👍 Hài lòng", on=relay)
    assert resident.last_alert == "Cảm ơn Ông/Bà đã đánh giá câu trả lời."
    [question] = await stored_questions(app)
    assert question.answer_rating == "satisfied"


async def test_forged_buttons_get_the_polite_answer_in_any_order(app, resident):
    await at_first_rating(resident)
    screen = resident.text
    for data in (
        "garbage-data",  # nothing this bot ever sent
        "sl:not-a-page",  # a staff list page, malformed: no handler takes it
        QuestionCb(a="o", q=1).pack(),  # a staff button, from a resident
    ):
        await resident.tap_data(data)
        if data.startswith("sq:"):
            assert resident.last_alert == "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
        else:
            assert resident.last_alert == NO_LONGER_VALID
    await resident.tap_data("zzzzzz\x1do:Q3.1")  # an intent that never existed
    assert resident.last_alert == "Nút này đã cũ. Mời Ông/Bà tiếp tục tại đây."
    assert resident.text.endswith(screen)  # the survey goes on where it was
    await resident.tap("Hài lòng")
    assert "Câu 4/13" in resident.text


def test_every_button_type_has_one_router():
    owners = fallback.button_types(handlers.feature_routers())
    ours = [
        cls
        for cls in _subclasses(CallbackData)
        if cls.__module__.split(".")[0] in {"bot", "handlers", "scheduler"}
    ]
    assert ours
    assert {cls.__prefix__ for cls in ours} <= owners.keys()


def test_two_routers_claiming_one_button_or_command_are_refused():
    class PageCb(CallbackData, prefix="sl"):  # as the staff list's
        p: int

    intruder = Router(name="intruder")
    intruder.callback_query.register(lambda callback: None, PageCb.filter())
    with pytest.raises(ValueError, match="'sl'"):
        fallback.button_types([*handlers.feature_routers(), intruder])

    shadow = Router(name="shadow")
    shadow.message.register(lambda message: None, Command("help"))
    with pytest.raises(ValueError, match="/help"):
        fallback.command_owners([*handlers.feature_routers(), shadow])


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
