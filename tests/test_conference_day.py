"""A whole conference day (issue 15), end to end, in one scenario: 30 residents on Telegram,
Zalo, the web chat and paper; 10 questions sent in the weeks before and marked for the
conference; the session switched live; 8 questions from the hall (the projector page, open in a
real browser, shows them by itself); supports, a second one refused; the
secretary answering 12 in the hall and leaving 6 for a written answer; the minutes read back
with every opinion and every answer exactly once; and each asker of an answered question told
once, on the channel they asked from."""

from __future__ import annotations

from bot.conversation.engine import TextConversation
from bot.services import conference
from models import Origin
from tests.support.browser import needs_chromium
from tests.support.conference import go_live, with_secretary
from tests.support.conference_day import (
    Asked,
    answer_in_hall,
    answer_later,
    ask,
    consent,
    mark_for_conference,
    minutes_text,
    paper_forms,
    stored_questions,
    support_count,
)
from tests.support.fake_zalo import FakeZalo
from tests.support.projector import link_for
from tests.support.questions import make_session
from tests.support.resident import Resident
from tests.support.text_resident import TextResident
from tests.support.web import serve_console
from tests.support.web_chat import WebChatResident
from tests.support.zalo import zalo_settings

WAIT = 20.0  # seconds, generous: the projector's feed reads the board every half second
BEFORE = [  # (channel, field, text): sent in the weeks before the conference
    ("telegram", "tp", "Xin cho biết lệ phí chứng thực chữ ký hiện nay là bao nhiêu?"),
    ("telegram", "dc", "Đề nghị rút ngắn thời gian đo đạc thửa đất ở tổ dân phố 4."),
    ("telegram", "tp", "Đề nghị bỏ yêu cầu nộp bản sao giấy khai sinh khi đã có dữ liệu dân cư."),
    ("telegram", "dc", "Khi nào phường cấp đổi giấy chứng nhận cho các hộ ở khu tái định cư?"),
    ("zalo", "tp", "Xin hỏi đăng ký kết hôn có làm được vào sáng thứ Bảy không?"),
    ("zalo", "dc", "Đề nghị công khai quy hoạch sử dụng đất của phường tại nhà văn hoá."),
    ("zalo", "tp", "Đề nghị niêm yết mẫu tờ khai hộ tịch bằng chữ to hơn."),
    ("web", "dc", "Xin hỏi thủ tục tách thửa đất ở mất bao nhiêu ngày làm việc?"),
    ("web", "tp", "Đề nghị cho phép nộp hồ sơ chứng thực bản sao qua mạng."),
    ("web", "dc", "Đề nghị phường hướng dẫn rõ hồ sơ chuyển mục đích sử dụng đất."),
]
HALL = [  # sent from the hall while the conference is live
    ("telegram", "dc", "Hội trường hỏi: khi nào nạo vét cống thoát nước đường số 9?"),
    ("telegram", "tp", "Hội trường hỏi: có thể trích lục khai sinh bản sao ngay trong ngày không?"),
    ("telegram", "dc", "Hội trường hỏi: phường có kế hoạch làm đường vào tổ dân phố 7 không?"),
    ("zalo", "tp", "Hội trường hỏi: người cao tuổi có được ưu tiên ở bộ phận một cửa không?"),
    ("zalo", "dc", "Hội trường hỏi: ai chịu trách nhiệm cắm mốc lộ giới hẻm 12?"),
    ("zalo", "tp", "Hội trường hỏi: phí xác nhận tình trạng hôn nhân là bao nhiêu?"),
    ("web", "dc", "Hội trường hỏi: khi nào phường số hoá xong hồ sơ địa chính?"),
    ("web", "tp", "Hội trường hỏi: xin bố trí thêm ghế chờ ở bộ phận một cửa."),
]
ANSWERED_BEFORE = (0, 1, 2, 4, 5, 7, 8)  # answered in the hall; the rest in writing later
ANSWERED_HALL = (0, 1, 3, 4, 6)
SUPPORTERS = {"telegram": 5, "zalo": 2, "web": 1}  # besides the 18 askers
PAPER = [
    "Phiếu giấy: đề nghị niêm yết rõ lệ phí chứng thực.",
    "Phiếu giấy: thời gian chờ ở quầy tiếp nhận còn lâu.",
    "Phiếu giấy: cán bộ hướng dẫn nhiệt tình.",
    "Phiếu giấy: nên có số thứ tự điện tử.",
]  # 4 residents on paper: 7 + 6 + 5 askers + 8 supporters + 4 = 30


@needs_chromium
async def test_a_conference_day_from_the_first_question_to_the_minutes(
    make_app, settings, telegram, clock, browser_factory
):
    zalo = FakeZalo()
    await zalo.start()
    try:
        app = await make_app(settings=zalo_settings(settings, zalo))
        await conference_day(app, telegram, zalo, clock, browser_factory)
    finally:
        await zalo.stop()


async def conference_day(app, telegram, zalo, clock, browser_factory) -> None:
    people, secretary = await with_secretary(app, clock())
    officials = {"tp": people.official_tp, "dc": people.official_dc}
    session_id = await make_session(app)
    text_chat = TextConversation(app.sessionmaker, app.survey, app.settings, clock)
    telegram_ids = iter(range(501, 600))
    zalo_ids = (f"zalo-{n}" for n in range(1, 100))

    async with serve_console(app, clock) as served:
        web_people: list[WebChatResident] = []

        async def newcomer(channel: str):
            if channel == "telegram":
                you = Resident(app, telegram, next(telegram_ids), "vi")
            elif channel == "zalo":
                you = TextResident(text_chat, next(zalo_ids), channel="zalo")
            else:
                you = WebChatResident(served.base_url)
                web_people.append(you)
            await consent(channel, you)
            return you

        try:
            # --- the weeks before: 10 questions, marked for the conference ---------------------
            before = [
                await ask(Asked(channel, await newcomer(channel), field, text))
                for channel, field, text in BEFORE
            ]
            filed = await stored_questions(app)
            assert [(q.text, q.channel, q.session_id, q.origin) for q in filed] == [
                (text, channel, session_id, None) for channel, _f, text in BEFORE
            ]
            for item, question in zip(before, filed, strict=True):
                item.id, item.code = question.id, question.code
            await mark_for_conference(app, people.leader, [item.id for item in before], clock())

            # --- the day: the session goes live, the projector is on the wall -----------------
            await go_live(app, people, session_id, clock())
            token = await link_for(app, secretary, session_id, clock())
            projector = browser_factory(served.base_url, width=1920, height=1080)
            await projector.open(f"/projector/{token}")
            await projector.wait_for_text(BEFORE[0][2][:60], timeout=WAIT)

            hall: list[Asked] = []
            for channel, field, text in HALL:
                you = await newcomer(channel)
                opened = False
                if channel == "telegram":
                    await you.send(f"/start hall_{session_id}")  # the poster's deep link
                elif channel == "web":
                    await you.client.get(f"/chat?s={session_id}")  # the poster's chat link
                    await you.open()
                    opened = True
                hall.append(await ask(Asked(channel, you, field, text, hall=True), opened=opened))
                if len(hall) == 1:  # it reaches the projector by itself, in the same page
                    await projector.wait_for_text(HALL[0][2], timeout=WAIT)
            # The queue shows the first twelve; the count has every one of them.
            await projector.wait_for_text("Câu hỏi: 18", timeout=WAIT)
            assert projector.path == f"/projector/{token}"

            filed = await stored_questions(app)
            assert len(filed) == 18
            for item, question in zip(hall, filed[10:], strict=True):
                assert (question.text, question.channel, question.origin, question.status) == (
                    item.text,
                    item.channel,
                    Origin.HALL,
                    "conference",
                )
                item.id, item.code = question.id, question.code

            # --- supports: by button on Telegram, by number on Zalo and the web chat --------
            first, second = before[0], hall[0]
            tg_supporters = [await newcomer("telegram") for _ in range(SUPPORTERS["telegram"])]
            for you in tg_supporters:
                await you.send("/hall")
                listing = you.screen
                await you.tap(f"👍 Ủng hộ {first.code}", on=listing)
                assert you.last_alert == "👍 Cảm ơn Ông/Bà: lượt ủng hộ đã được ghi nhận."
            await tg_supporters[0].tap(f"👍 Ủng hộ {first.code}", on=listing)
            assert tg_supporters[0].last_alert == "Ông/Bà đã ủng hộ câu hỏi này rồi."
            number = str(int(second.code.rsplit("-", 1)[1]))
            for _ in range(SUPPORTERS["zalo"]):
                you = await newcomer("zalo")
                counted = await you.say(f"ủng hộ {number}")
                assert counted.startswith("👍 Cảm ơn Ông/Bà")
            again = await you.say(f"ủng hộ {second.code}")
            assert again.startswith(f"Ông/Bà đã ủng hộ câu hỏi {second.code} rồi.")
            web_supporter = await newcomer("web")
            counted = await web_supporter.say(f"ủng hộ {number}")
            assert counted.startswith("👍 Cảm ơn Ông/Bà")
            # An asker supports their own question: counted like anyone's.
            assert (await hall[3].who.say(f"ủng hộ {number}")).startswith("👍 Cảm ơn Ông/Bà")
            assert await support_count(app) == 5 + 2 + 1 + 1

            # --- paper forms of the day -------------------------------------------------------
            assert await paper_forms(app, people.front, session_id, PAPER, clock()) == 4

            # --- the secretary: 12 answered in the hall, 6 left for a written answer ----------
            answered = [before[i] for i in ANSWERED_BEFORE] + [hall[i] for i in ANSWERED_HALL]
            later = [item for item in before + hall if item not in answered]
            assert (len(answered), len(later)) == (12, 6)
            for n, item in enumerate(answered, 1):
                item.summary = f"Trả lời số {n} tại hội nghị: {item.field} đã tiếp thu, xử lý."
                await answer_in_hall(
                    app, secretary, session_id, item, officials[item.field], clock()
                )
            for item in later:
                item.later = True
                await answer_later(app, secretary, item, officials[item.field], clock())

            # --- each asker told once, on their own channel ----------------------------------
            for item in answered + later:
                told = await told_on_channel(item, telegram, zalo)
                if item.later:
                    assert not any("Trả lời số" in text for text in told), item.code
                else:
                    assert sum(item.summary in text for text in told) == 1, item.code
            # A web chat page shows its waiting answer once.
            for item in answered:
                if item.channel == "web":
                    assert not any(item.summary in t for t in (await item.who.open()).waiting)

            # --- the agenda counts the day, the minutes hold it ------------------------------
            async with app.sessionmaker() as db:
                agenda = await conference.agenda(
                    db, secretary, session_id, survey=app.survey, now=clock()
                )
            counts = {c.field: c for c in agenda.counts}
            assert sum(c.questions for c in counts.values()) == 18
            assert counts["tp"].paper_opinions == 4
            by_channel: dict[str, int] = {}
            for c in counts.values():
                for channel, n in c.by_channel.items():
                    by_channel[channel] = by_channel.get(channel, 0) + n
            assert by_channel == {"telegram": 7, "zalo": 6, "web": 5}
            entry = {e.code: e for e in agenda.entries}
            assert entry[first.code].supporters == 5 and entry[second.code].supporters == 4

            text = await minutes_text(app, secretary, session_id, clock())
            for item in answered + later:
                assert text.count(item.text) == 1, item.text
            for item in answered:
                assert text.count(item.summary) == 1, item.summary
            for item in later:
                assert text.count(item.code) == 2, item.code  # the opinion, the written answer
        finally:
            for you in web_people:
                await you.client.aclose()


async def told_on_channel(item: Asked, telegram, zalo: FakeZalo) -> list[str]:
    """What reached the asker after they asked: Telegram messages, Zalo messages, or the web
    chat's waiting messages (shown on the next page open, then gone)."""
    if item.channel == "telegram":
        return telegram.sent_texts(item.who.user_id)
    if item.channel == "zalo":
        return zalo.texts_to(item.who.user_id)
    return (await item.who.open()).waiting
