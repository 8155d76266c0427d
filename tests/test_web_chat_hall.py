"""The hall's poster links the web chat as `/chat?s=<session>`: opened while the session's
conference is live, the page opens the question form bound to that session, and the question
sent joins its live queue "from the hall"; not live, the page says so and nothing is bound."""

from __future__ import annotations

from sqlalchemy import select

from models import Origin, ResidentQuestion
from tests.support.conference import go_live, with_secretary
from tests.support.questions import make_session
from tests.support.web import serve_console
from tests.support.web_chat import WebChatResident
from tests.support.web_chat_consent import consent

WELCOME = "Chào mừng Ông/Bà đến với hội nghị đối thoại!"
QUESTION = "Đề nghị phường công khai lịch tiếp công dân của lãnh đạo trên bảng tin tổ dân phố."


async def stored(app) -> list[ResidentQuestion]:
    async with app.sessionmaker() as db:
        stmt = select(ResidentQuestion).order_by(ResidentQuestion.id)
        return list((await db.execute(stmt)).scalars())


async def open_poster_link(you: WebChatResident, session_id: int | str):
    response = await you.client.get(f"/chat?s={session_id}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/chat#latest"
    return await you.open()


async def send_question(you: WebChatResident, field_label: str, text: str) -> str:
    await you.tap(field_label)
    await you.say(text)
    await you.say("1")  # no evidence: continue
    await you.say("2")  # anonymous
    return await you.tap("📨 Gửi")


async def test_the_posters_chat_link_opens_the_question_form_bound_to_the_live_session(app, clock):
    people, _secretary = await with_secretary(app, clock())
    session_id = await make_session(app)
    async with serve_console(app, clock) as served:
        # Not live yet: the page says so and shows the screen the resident is on.
        async with WebChatResident(served.base_url) as early:
            await consent(early)
            page = await open_poster_link(early, session_id)
            assert page.bubbles[0][1].startswith("Hội nghị hiện chưa diễn ra.")
            assert "Ông/Bà muốn làm gì?" in page.bubbles[-1][1]
        await go_live(app, people, session_id, clock())
        # A resident who already agreed: the field screen at once.
        async with WebChatResident(served.base_url) as you:
            await consent(you)
            page = await open_poster_link(you, session_id)
            assert page.bubbles[0][1].startswith(WELCOME)
            sent = await send_question(you, "Địa chính (đất đai)", QUESTION)
            assert "KN-26-0001" in sent
        # Someone new: the notice first; the binding waits in the question's draft.
        async with WebChatResident(served.base_url) as newcomer:
            page = await open_poster_link(newcomer, session_id)
            assert page.bubbles[0][1].startswith(WELCOME)
            assert "1/3. Ông/Bà có đồng ý trả lời khảo sát" in page.bubbles[-1][1]
    [question] = await stored(app)
    assert (question.session_id, question.origin, question.status, question.text) == (
        session_id,
        Origin.HALL,
        "conference",
        QUESTION,
    )
