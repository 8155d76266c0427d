"""Telegram (buttons) and the text channels (Zalo, console, the web chat: numbered replies)
walk the same journey: for the same inputs they show the same screens in the same order and refuse the same
values with the same words, across the survey, a question by name and /dulieu.

Each script below is one journey, given once as Telegram taps and messages and once as typed
replies. After every input the screen each channel shows is named by what the resident reads
on it (`SCREEN_MARKS`); both channels' paths must equal the script's."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot import i18n
from bot.conversation.engine import TextConversation
from bot.conversation.screens.registry import SCREENS
from bot.journey.steps import Step
from bot.services.consent import Purpose
from bot.texts import CLARIFY, CONSENT_QUESTIONS, plain
from handlers.states import STATE_OF
from tests.support.journey import AGREE, ASK, BACK, DECLINE, DONE, RATE, SKIP, SUBMIT
from tests.support.resident import Resident
from tests.support.text_resident import TextResident
from tests.support.web import serve_console
from tests.support.web_chat import WebChatResident


def vi(msgid: str) -> str:
    """A catalog entry as a Vietnamese resident reads it: no markup, and cut at its first
    placeholder. An entry missing from the catalog is a mistake of the script."""
    with i18n.use_locale("vi"):
        translated = i18n.gettext(msgid)
    assert translated != msgid, f"not in the catalog: {msgid!r}"
    return plain(translated.split("{")[0])


# What names a screen, in the order they are tried (the first found wins).
SCREEN_MARKS: list[tuple[Step, str]] = [
    (Step.CONSENT_REMINDERS, CONSENT_QUESTIONS[Purpose.REMINDERS]),
    (Step.CONSENT_CONTACT, CONSENT_QUESTIONS[Purpose.CONTACT]),
    (Step.NOTICE, CONSENT_QUESTIONS[Purpose.SURVEY]),
    (
        Step.DECLINED,
        "Your choice is recorded: you will not be asked survey questions, and nothing else "
        "about you is stored. You can still see the upcoming dialogue sessions, and change "
        "your mind at any time from the menu.",
    ),
    (Step.MENU, "What would you like to do?"),
    (Step.FIELD, "Which field was your procedure in?"),
    (Step.PROCEDURE, "Which procedure was it? (optional)"),
    (
        Step.CONTACT,
        "To reply to you or invite you to speak, the ward needs your consent to pass your "
        "question, with your name and phone, to the official in charge and the ward's "
        "Fatherland Front. Do you agree?",
    ),
    (Step.REVIEW, "<b>Please check your answers: {field}</b>"),
    (Step.DONE, "🙏 Thank you! Your rating of <b>{field}</b> has been recorded."),
    (Step.ASK_FIELD, "Which field is it about?"),
    (
        Step.ASK_TEXT,
        "Write your question or recommendation in one message (at most {limit} characters). "
        "Please do not include ID numbers, health information or other people's personal "
        "data. Complaints and denunciations are not handled here.",
    ),
    (Step.ASK_REDIRECT, "\nIf your message is in fact a recommendation, you can still send it."),
    (Step.ASK_CLARIFY, CLARIFY),
    # Telegram takes documents too and has a button; the text channels take photos.
    (
        Step.ASK_ATTACHMENTS,
        "You may send up to {limit} photos or documents as evidence (figures, papers), one "
        "per message. Then tap Continue.",
    ),
    (
        Step.ASK_ATTACHMENTS,
        "You may send up to {limit} photos as evidence (figures, papers), one per message. "
        "Then reply 1 to continue.",
    ),
    (
        Step.ASK_IDENTITY,
        "Do you want an individual answer? Then your name and phone number are passed to the "
        "official in charge and the ward's Fatherland Front. Anonymous questions go into the "
        "conference digest and get no individual answer.",
    ),
    (
        Step.ASK_CONTACT,
        "To answer you, the ward needs your consent to pass your question, with your name and "
        "phone, to the official in charge and the ward's Fatherland Front. Do you agree?",
    ),
    (Step.ASK_PHONE, "Please type your phone number, so that the official can contact you."),
    (Step.ASK_NAME, "Please type your full name."),
    (Step.ASK_REVIEW, "<b>Please check before sending</b>"),
    (Step.ASK_SENT, "✅ Received. Your tracking code is <b>{code}</b>."),
    (
        Step.DATA_DELETE,
        "Delete everything the ward's bot stores about you: your chat account, consents, all "
        "your survey answers and your questions? This cannot be undone.",
    ),
    (Step.DATA, "🗑 Delete all my data"),
    (Step.DELETED, "All your data has been deleted. Thank you for taking part."),
]


def screen_name(content: str, survey) -> str:
    for step, msgid in SCREEN_MARKS:
        if vi(msgid) in content:
            return step.value
    for question in survey.questions:  # one survey question per screen, named by its code
        if question.text.get("vi") in content:
            return f"{Step.QUESTION.value}:{question.code}"
    raise AssertionError(f"a screen no script knows:\n{content}")


# --- one script, two ways of giving it -------------------------------------------------------


@dataclass(frozen=True)
class Move:
    telegram: tuple[str, ...]  # taps ("label") and messages ("> text"), in order
    typed: str  # the same move as one typed reply
    screen: str  # the screen both channels show after it
    error: str | None = None  # what both say when the value is refused (a msgid)


def tg(*actions: str) -> tuple[str, ...]:
    return actions


VI_YES, VI_NO = "Có", "Không"
ANONYMOUS = "✖ Stay anonymous"


def q(code: str) -> str:
    return f"{Step.QUESTION.value}:{code}"


# A rating of a field without procedures (Khác), no procedure in the last 12 months; the
# last question offers a reply, which needs the consent to be contacted (declined at first).
SURVEY = [
    Move(tg("> /start"), "xin chào", Step.NOTICE),
    Move(tg(AGREE["vi"]), "1", Step.CONSENT_REMINDERS),
    Move(tg(AGREE["vi"]), "1", Step.CONSENT_CONTACT),
    Move(tg(DECLINE["vi"]), "2", Step.MENU),
    Move(tg(RATE["vi"]), "1", Step.FIELD),
    Move(tg("Khác"), "10", q("C2")),
    Move(tg(VI_NO), "2", q("M1")),
    Move(tg("⬜ Thông tin", DONE["vi"]), "thông tin", q("F1")),
    Move(tg(SKIP["vi"]), "bỏ qua", q("F2")),
    Move(tg(VI_YES), "có", Step.CONTACT),
    Move(
        tg(f"@{ANONYMOUS}"),
        "2",
        Step.REVIEW,
        error="Your opinion stays anonymous; no individual reply will follow.",
    ),
    Move(tg(BACK["vi"]), "0", q("F2")),
    Move(tg(f"🔘 {VI_YES}"), "có", Step.CONTACT),  # the answer kept, marked
    Move(tg(AGREE["vi"]), "1", Step.REVIEW),
    Move(tg(SUBMIT["vi"]), "gửi", Step.DONE),
]

# A question whose text reads as a denunciation, sent anyway as a recommendation, by name
# (the consent asked first), with a name and a phone refused once each.
QUESTION = [
    Move(tg("> /start"), "xin chào", Step.NOTICE),
    Move(tg(AGREE["vi"]), "1", Step.CONSENT_REMINDERS),
    Move(tg(AGREE["vi"]), "1", Step.CONSENT_CONTACT),
    Move(tg(DECLINE["vi"]), "2", Step.MENU),
    Move(tg(ASK), "2", Step.ASK_FIELD),
    Move(tg("Tư pháp – Hộ tịch"), "2", Step.ASK_TEXT),
    Move(
        tg("> \u200b\u3164"),
        "\u200b\u3164",
        Step.ASK_TEXT,
        error="Please type your answer as a text message.",
    ),
    Move(
        tg("> " + "a" * 3001),
        "a" * 3001,
        Step.ASK_TEXT,
        error="Your text has {count} characters; the limit is {limit}. Please shorten it.",
    ),
    Move(
        tg("> Cán bộ địa chính đòi tôi đưa 5 triệu mới giải quyết hồ sơ."),
        "Cán bộ địa chính đòi tôi đưa 5 triệu mới giải quyết hồ sơ.",
        Step.ASK_REDIRECT,
    ),
    Move(tg("@Send it as a recommendation"), "1", Step.ASK_ATTACHMENTS),
    Move(tg("@Continue ➡️"), "1", Step.ASK_IDENTITY),
    Move(tg("@👤 Answer me by name"), "1", Step.ASK_CONTACT),
    Move(tg(AGREE["vi"]), "1", Step.ASK_NAME),
    Move(tg("> 123"), "123", Step.ASK_NAME, error="Please type your full name."),
    Move(
        tg("> \u200b"), "\u200b", Step.ASK_NAME, error="Please type your answer as a text message."
    ),
    Move(tg("> Nguyễn Văn An"), "Nguyễn Văn An", Step.ASK_PHONE),
    Move(
        tg("> 12"),
        "12",
        Step.ASK_PHONE,
        error="Please type a Vietnamese phone number, for example 0912 345 678.",
    ),
    Move(tg("> 0912 345 678"), "0912 345 678", Step.ASK_REVIEW),
    Move(tg("@📨 Send"), "1", Step.ASK_SENT),
]

# Declining the survey: the menu still opens, its entries that need the consent ask for it;
# then /dulieu: a consent withdrawn, deleting refused once, then done.
DATA_RIGHTS = [
    Move(tg("> /start"), "xin chào", Step.NOTICE),
    Move(tg(DECLINE["vi"]), "2", Step.DECLINED),
    Move(tg("@Main menu"), "1", Step.MENU),
    Move(tg(RATE["vi"]), "1", Step.NOTICE),
    Move(tg(AGREE["vi"]), "1", Step.CONSENT_REMINDERS),
    Move(tg(AGREE["vi"]), "1", Step.CONSENT_CONTACT),
    Move(tg(AGREE["vi"]), "1", Step.MENU),
    Move(tg("> /dulieu"), "dulieu", Step.DATA),
    Move(tg("#1"), "2", Step.DATA),  # the reminders' consent, withdrawn
    Move(tg("@🗑 Delete all my data"), "4", Step.DATA_DELETE),
    Move(tg("@No, keep my data"), "2", Step.DATA),
    Move(tg("@🗑 Delete all my data"), "4", Step.DATA_DELETE),
    Move(tg("@🗑 Yes, delete everything"), "1", Step.DELETED),
]

SCRIPTS = {"survey": SURVEY, "question": QUESTION, "data rights": DATA_RIGHTS}


# --- the two channels ---------------------------------------------------------------------------


async def telegram_move(resident: Resident, move: Move) -> tuple[str, list[str]]:
    """The screen Telegram shows after the move, and what it said besides (messages with no
    buttons, and the short notices over the chat)."""
    telegram = resident.telegram
    messages_before = len(telegram.chat_messages(resident.user_id))
    alerts_before = len(telegram.callback_answers)
    for action in move.telegram:
        if action.startswith("> "):
            await resident.send(action[2:])
        elif action.startswith("@"):  # a label written in the catalog's language
            await resident.tap(vi(action[1:]))
        elif action.startswith("#"):  # the nth button, whatever it says
            await resident.tap(resident.buttons[int(action[1:])])
        else:
            await resident.tap(action)
    said = [
        m.text
        for m in telegram.chat_messages(resident.user_id)[messages_before:]
        if m.markup is None
    ]
    said += [a for a in telegram.callback_answers[alerts_before:] if a]
    screen = resident.screen
    return screen_name(screen.text + "\n" + "\n".join(screen.buttons()), resident.app.survey), said


async def text_move(resident: TextResident, move: Move, survey) -> tuple[str, list[str]]:
    before = len(resident.transcript)
    await resident.say(move.typed)
    replies = resident.transcript[before:]
    return screen_name(replies[-1], survey), replies[:-1]


async def web_move(resident: WebChatResident, move: Move, survey) -> tuple[str, list[str]]:
    """The same typed reply in the web chat's message box, read back from the page."""
    before = len(resident.transcript)
    await resident.say(move.typed)
    replies = resident.transcript[before:]
    return screen_name(replies[-1], survey), replies[:-1]


@pytest.mark.parametrize("script", SCRIPTS, ids=list(SCRIPTS))
async def test_both_channels_take_the_same_path_and_refuse_alike(
    script, app, resident, settings, clock
):
    moves = SCRIPTS[script]
    text = TextResident(
        TextConversation(app.sessionmaker, app.survey, settings, clock), "zalo-7", "zalo"
    )
    expected = [str(move.screen) for move in moves]
    telegram_path, text_path, web_path = [], [], []
    async with serve_console(app, clock) as served, WebChatResident(served.base_url) as web:
        for move in moves:
            telegram_screen, telegram_said = await telegram_move(resident, move)
            text_screen, text_said = await text_move(text, move, app.survey)
            web_screen, web_said = await web_move(web, move, app.survey)
            telegram_path.append(telegram_screen)
            text_path.append(text_screen)
            web_path.append(web_screen)
            if move.error is not None:
                error = vi(move.error)
                assert any(error in said for said in telegram_said), (move, telegram_said)
                assert any(error in said for said in text_said), (move, text_said)
                assert any(error in said for said in web_said), (move, web_said)
    assert telegram_path == expected
    assert text_path == expected
    assert web_path == expected


def test_every_step_has_a_screen_on_each_channel():
    """A step the journey can name is one both channels can show (landing is a rule of its
    own; the erased resident has no dialog left on Telegram; "reminder" is where an earlier
    version left text conversations, still read)."""
    steps = set(Step) - {Step.HOME}
    assert set(SCREENS) - {"reminder"} == {step.value for step in steps}
    assert set(STATE_OF) == steps - {Step.DELETED}
