"""A resident who writes the way older residents do (polite particles, short forms,
abbreviations, star counts, digits typed together) through the real Zalo channel, and the
rows stored; a reply that reads two ways is asked again, naming both, and stores nothing."""

from __future__ import annotations

import pytest

from bot.conversation.engine import TextConversation
from models import ResponseStatus
from tests.support.db_helpers import answers, consents, counts, responses
from tests.support.text_resident import TextResident
from tests.support.zalo import Poller, make_channel


async def test_a_survey_answered_with_particles_and_abbreviations_over_zalo(
    app, settings, clock, zalo
):
    resident = Poller(make_channel(app, settings, clock, zalo), zalo)
    [notice] = await resident.say("Xin chào ạ")
    assert notice.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    await resident.say("dạ đồng ý ạ")  # the survey
    await resident.say("ok")  # reminders
    [menu] = await resident.say("ko")  # a reply by name: declined
    assert "Menu chính" in menu
    await resident.say("1 ạ")  # rate a field
    [procedures] = await resident.say("hộ tịch")  # part of "Tư pháp – Hộ tịch"
    assert "1. Đăng ký khai sinh" in procedures
    [c2] = await resident.say("khai sinh nhé")
    assert "Câu 1/13" in c2
    await resident.say("dạ có ạ")  # C2: yes
    await resident.say("onl")  # C3: online
    await resident.say("rhl")  # Q1: very satisfied
    await resident.say("4 sao")  # Q2
    [q4] = await resident.say("bt")  # Q3: neutral
    assert "Câu 6/13" in q4

    [conflict, again] = await resident.say("5 hài lòng")  # Q4: a number and a label disagree
    assert conflict == (
        "Ông/Bà muốn chọn “5. Rất hài lòng” hay “4. Hài lòng”?"
        " Ông/Bà vui lòng trả lời bằng số của lựa chọn."
    )
    assert "Câu 6/13" in again  # the same question, nothing stored for it
    [draft] = await responses(app)
    assert "Q4" not in await answers(app, draft.id)

    await resident.say("5 ạ")  # Q4
    await resident.say("ko hài lòng ạ")  # Q5: dissatisfied (2)
    await resident.say("bốn")  # Q6
    await resident.say("kad")  # Q7: not applicable
    [reasons] = await resident.say("khl")  # O1: not satisfied, so the reasons follow
    assert "Câu 11/14" in reasons
    await resident.say("13")  # O1b: late and staff attitude, typed together
    await resident.say("135")  # M1: information, staff skills, online services
    await resident.say("bỏ qua")  # F1
    [review] = await resident.say("không cần ạ")  # F2: no
    assert review.startswith("Kiểm tra lại câu trả lời: Tư pháp – Hộ tịch")
    [thanks] = await resident.say("gửi nhé")
    assert thanks.startswith("🙏 Cảm ơn Ông/Bà!")
    await resident.close()

    assert [(p, g) for p, g, _v, _c in await consents(app)] == [
        ("survey", True),
        ("reminders", True),
        ("contact", False),
    ]
    [response] = await responses(app)
    assert (response.status, response.channel, response.field, response.procedure) == (
        ResponseStatus.SUBMITTED,
        "zalo",
        "tp",
        "ks",
    )
    assert await answers(app, response.id) == {
        "C2": ("yes", None),
        "C3": ("tuyen", None),
        "Q1": ("5", 5.0),
        "Q2": ("4", 4.0),
        "Q3": ("3", 3.0),
        "Q4": ("5", 5.0),
        "Q5": ("2", 2.0),
        "Q6": ("4", 4.0),
        "Q7": ("na", None),
        "O1": ("ns", 0.0),
        "O1b": ("late attit", None),
        "M1": ("info skill online", None),
        "F1": (None, None),
        "F2": ("no", None),
    }


@pytest.fixture
def an(app, settings, clock) -> TextResident:
    return TextResident(TextConversation(app.sessionmaker, app.survey, settings, clock), "an")


async def to_first_rating(resident: TextResident) -> None:
    for reply in ("chào", "1", "1", "2", "1", "10"):  # consents, menu, field "Khác"
        await resident.say(reply)
    await resident.say("có")  # C2
    await resident.say("2")  # C3
    assert "Câu 3/13" in resident.last


async def test_a_consent_that_reads_both_ways_is_asked_again_and_nothing_is_stored(app, an):
    await an.say("xin chào")
    reply = await an.say("có, không")
    assert reply.startswith(
        "Ông/Bà muốn chọn “1. Có” hay “2. Không”? Ông/Bà vui lòng trả lời bằng số của lựa chọn."
    )
    assert "1. ✅ Tôi đồng ý" in reply  # the notice's question again
    assert (await counts(app))["residents"] == 0
    await an.say("dạ vâng")
    assert [(p, g) for p, g, _v, _c in await consents(app)] == [("survey", True)]


async def test_stars_on_the_three_level_rating_are_asked_again(app, an):
    await to_first_rating(an)
    for reply in ("5", "5", "5", "5", "5", "5", "5"):  # Q1 to Q7
        await an.say(reply)
    assert "Câu 10/13" in an.last  # O1: 3 very satisfied, 2 satisfied, 1 not satisfied
    reply = await an.say("3 sao")
    assert reply.startswith("Ông/Bà vui lòng trả lời bằng một trong các số: 3, 2, 1.")
    [draft] = await responses(app)
    assert "O1" not in await answers(app, draft.id)
    await an.say("3")  # the number alone is the option: 3 = very satisfied
    assert (await answers(app, draft.id))["O1"] == ("vs", 2.0)


async def test_start_over_goes_back_to_the_first_question_and_keeps_the_answers(app, an):
    await to_first_rating(an)
    await an.say("rhl")  # Q1
    reply = await an.say("làm lại từ đầu")
    assert reply.startswith(
        "Quay lại câu hỏi đầu tiên. Các câu trả lời trước vẫn được giữ;"
        " Ông/Bà trả lời lại để thay đổi."
    )
    assert "Câu 1/13" in reply and "1. ✓ Có" in reply
    await an.say("dạ có")  # C2 again: the rest is kept
    assert "Câu 2/13" in an.last and "✓ Trực tuyến" in an.last
    [draft] = await responses(app)
    assert (await answers(app, draft.id))["Q1"] == ("5", 5.0)


@pytest.mark.parametrize("typed", ["lui", "quay lai a", "câu trước", "0"])
async def test_going_back_in_everyday_words(an, typed):
    await to_first_rating(an)
    assert "Câu 2/13" in await an.say(typed)


@pytest.mark.parametrize("typed", ["?", "giúp tôi với", "hướng dẫn ạ"])
async def test_a_question_mark_or_a_plea_for_help_explains_and_repeats_the_question(an, typed):
    await to_first_rating(an)
    reply = await an.say(typed)
    assert reply.startswith("Trợ lý tự động này ghi nhận đánh giá của Ông/Bà")
    assert "Câu 3/13" in reply
