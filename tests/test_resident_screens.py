"""What an older resident reads on a phone, on every channel, in Vietnamese and English: a
notice that fits one screen (the full notice a tap or "9" away), hints only where needed, every
rating scale running the same way, the decimal comma, the procedure on the review screen, and
/dulieu showing the name and phone stored."""

from __future__ import annotations

import pytest

from bot.conversation.engine import TextConversation
from models import ResidentQuestion
from tests.support.db_helpers import answers, counts, responses
from tests.support.journey import RATE, SUBMIT, consent_all, rate_field_to_review
from tests.support.text_resident import TextResident

WORDS = {
    "vi": {
        "agree": "1. ✅ Tôi đồng ý",
        "details": "9 = đọc đầy đủ thông báo",
        "full": "Dịch vụ dành cho người thành niên (từ đủ 18 tuổi).",
        "o1": "3. Rất hài lòng\n2. Hài lòng\n1. Không hài lòng",
        "q1": "5. Rất hài lòng\n4. Hài lòng\n3. Bình thường",
        "footer": '0 = quay lại · "menu" = lưu và thoát',
        "skip": '"bỏ qua" = bỏ qua',
        "mean": "Điểm đánh giá trung bình của Ông/Bà: 4,0/5.",
        "procedure": "Thủ tục: Đăng ký khai sinh",
        "contact": "Họ tên, số điện thoại đã cung cấp để được trả lời: Trần Thị Mai, 0912345678",
    },
    "en": {
        "agree": "1. ✅ I agree",
        "details": "9 = read the full notice",
        "full": "The service is for adults.",
        "o1": "3. Very satisfied\n2. Satisfied\n1. Not satisfied",
        "q1": "5. Very satisfied\n4. Satisfied\n3. Neutral",
        "footer": '0 = back · "menu" = save and exit',
        "skip": '"bỏ qua" = skip',
        "mean": "Average of your ratings: 4.0/5.",
        "procedure": "Procedure: Birth registration",
        "contact": "Name and phone given for a reply: Trần Thị Mai, 0912345678",
    },
}


@pytest.fixture
def conversation(app, settings, clock) -> TextConversation:
    return TextConversation(app.sessionmaker, app.survey, settings, clock)


async def start(resident: TextResident, locale: str) -> str:
    first = await resident.say("xin chào")
    return first if locale == "vi" else await resident.say("English")


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_the_notice_fits_a_phone_screen_and_9_shows_it_in_full(app, conversation, locale):
    an = TextResident(conversation, "an", "zalo")
    first = await start(an, locale)
    words = WORDS[locale]
    notice = first.split("\n\n")[0]
    assert len(notice) <= 400, len(notice)
    assert "/dulieu" in notice and words["full"] not in first
    assert words["details"] in first and words["agree"] in first
    full = await an.say("9")
    assert words["full"] in full and words["agree"] in full
    assert words["details"] not in full
    assert (await counts(app))["residents"] == 0  # reading the notice stores nothing
    await an.say("1")
    assert (await counts(app))["residents"] == 1


async def rate_by_text(an: TextResident, locale: str) -> list[str]:
    """Consent, then Justice → birth registration, every answer by number; the screens."""
    await start(an, locale)
    for reply in ("1", "1", "2", "1", "2", "1"):  # consents, menu: rate, field 2, procedure 1
        await an.say(reply)
    screens = [an.last]
    for reply in ("1", "2", "4", "4", "4", "4", "4", "4", "4", "3"):  # C2 … Q7, O1 very sat.
        screens.append(await an.say(reply))
    screens.append(await an.say("1 2"))  # M1
    screens.append(await an.say("bo qua"))  # F1 skipped
    screens.append(await an.say("2"))  # F2: no reply wanted → the review
    return screens


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_scales_run_the_same_way_hints_once_and_a_decimal_comma(app, conversation, locale):
    an = TextResident(conversation, "an", "zalo")
    words = WORDS[locale]
    screens = await rate_by_text(an, locale)
    c2, c3, q1, q2 = screens[:4]
    # How to go back or leave: on the first question, not repeated on every screen.
    assert words["footer"] in c2
    assert all(words["footer"] not in screen for screen in (c3, q1, q2))
    # Best first and highest on both rating scales: 5 on the five-point, 3 on the overall.
    assert words["q1"] in q1
    o1 = screens[9]
    assert words["o1"] in o1
    assert words["skip"] in screens[11]  # F1 is optional: the skip word is shown there
    review = screens[-1]
    assert words["procedure"] in review
    thanks = await an.say("gui")
    assert words["mean"] in thanks
    [response] = await responses(app)
    stored = await answers(app, response.id)
    assert stored["O1"] == ("vs", 2.0)  # "3" is very satisfied; the stored code is the same


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_my_data_shows_the_name_and_phone_stored(app, conversation, locale):
    an = TextResident(conversation, "an", "zalo")
    await start(an, locale)
    for reply in ("1", "1", "1"):
        await an.say(reply)
    await store_named_question(app, "zalo", "an")
    data = await an.say("dulieu")
    assert WORDS[locale]["contact"] in data


async def store_named_question(app, channel: str, user: str) -> None:
    from sqlalchemy import select

    from models import Account, DialogueSession

    async with app.sessionmaker() as db, db.begin():
        session = DialogueSession(title="Hội nghị đối thoại cuối năm 2026", status="open")
        db.add(session)
        await db.flush()
        account = (
            await db.execute(
                select(Account).where(Account.channel == channel, Account.external_id == user)
            )
        ).scalar_one()
        db.add(
            ResidentQuestion(
                code="KN-26-0042",
                resident_id=account.resident_id,
                account_id=account.id,
                session_id=session.id,
                field="tp",
                text="Xin hỏi thủ tục khai sinh trực tuyến?",
                language="vi",
                named=True,
                contact_name="Trần Thị Mai",
                contact_phone="0912345678",
                channel=channel,
                status="received",
            )
        )


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_telegram_review_names_the_procedure_and_my_data_the_contact(
    app, resident_factory, locale
):
    resident = resident_factory(language=locale)
    await consent_all(resident, locale, contact=True)
    procedure = "Đăng ký khai sinh" if locale == "vi" else "Birth registration"
    field = "Tư pháp – Hộ tịch" if locale == "vi" else "Justice and civil status"
    rating = "Hài lòng" if locale == "vi" else "Satisfied"
    await rate_field_to_review(resident, locale, field=field, procedure=procedure, rating=rating)
    assert WORDS[locale]["procedure"] in resident.text
    await resident.tap(SUBMIT[locale])
    await store_named_question(app, "telegram", str(resident.user_id))
    await resident.send("/dulieu")
    assert WORDS[locale]["contact"] in resident.text
    assert RATE[locale]  # the menu entry exists in both languages
