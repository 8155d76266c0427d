"""Language detection of residents' messages: never the wrong language, None when unsure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.conversation.language import detect_language

MESSAGES = Path(__file__).resolve().parent / "data" / "resident-messages.jsonl"


def labelled() -> list[dict]:
    with MESSAGES.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


ROWS = labelled()


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_labelled_message_is_never_the_wrong_language(row: dict) -> None:
    assert detect_language(row["text"]) in (row["lang"], None), row["text"]


def test_most_labelled_messages_get_an_answer() -> None:
    answered = [row for row in ROWS if detect_language(row["text"]) is not None]
    assert len(answered) >= 0.85 * len(ROWS), len(answered)


def test_the_corpus_has_both_languages_and_unaccented_vietnamese() -> None:
    """Guards the test above against a corpus that stops covering the hard cases."""
    assert {row["lang"] for row in ROWS} == {"vi", "en"}
    assert any(row["lang"] == "vi" and not row["diacritics"] for row in ROWS)


@pytest.mark.parametrize("text", ["xin chao", "Xin chào", "alo", "chao ban", "e chao ad"])
def test_short_greeting_is_never_english(text: str) -> None:
    assert detect_language(text) in ("vi", None)


@pytest.mark.parametrize(
    "text",
    [
        "cho toi hoi thu tuc lam giay khai sinh cho con can nhung giay to gi",
        "nha toi o to 5, bao gio phuong moi tra ket qua ho so vay, cho lau qua roi",
        "MINH MUON HOI VE TRO CAP NGUOI CAO TUOI",
        "ko biet hoi ai nen hoi bot, thu tuc tach so mat may ngay",
        "me toi nam nay 81t, chua nhan duoc tien tro cap thang 7 ạ",
        "shop online ban hang co can dang ky kinh doanh ko",
        "Ông/Bà có thể gửi hồ sơ qua mạng được không ạ?",
        "Cảm ơn phường",
    ],
)
def test_vietnamese(text: str) -> None:
    assert detect_language(text) == "vi"


@pytest.mark.parametrize(
    "text",
    [
        "What documents do I need to get a birth certificate for my baby?",
        "Please add more chairs in the waiting room, people have to stand for an hour.",
        # Vietnamese names inside an English sentence do not make it Vietnamese
        "My landlord on Lê Lợi street says I must register with the ward police, is that true?",
    ],
)
def test_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text", ["", "   ", "123 456", "👍", "ok", "hi", "no", "thanks", "co", "khong", "?!"]
)
def test_too_short_or_unclear(text: str) -> None:
    assert detect_language(text) is None


def test_repeatable() -> None:
    text = "Hello, is this the ward office?"
    assert len({detect_language(text) for _ in range(5)}) == 1
