"""The spec validator catches real Bot API mistakes and accepts correct requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    SendMessage,
    SendPhoto,
    SetChatPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from tests.support.telegram_spec import (
    SPEC_ENV_VAR,
    assert_valid_requests,
    form_of,
    load_spec,
    validate_request,
)

PLAIN_BOT = Bot("42:TEST")
HTML_BOT = Bot("42:TEST", default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def errors_of(method: TelegramMethod[Any], bot: Bot = PLAIN_BOT) -> list[str]:
    return validate_request(method.__api_method__, form_of(method, bot))


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


def survey_message(**kwargs: Any) -> SendMessage:
    return SendMessage(
        chat_id=1,
        text="Xin chào",
        reply_markup=keyboard(
            InlineKeyboardButton(text="Rất hài lòng", callback_data="q3:5"),
            InlineKeyboardButton(text="Không hài lòng", callback_data="q3:1"),
        ),
        **kwargs,
    )


# --- correct requests pass ---


def test_form_is_what_aiogram_posts() -> None:
    form = form_of(survey_message(), HTML_BOT)

    assert form["chat_id"] == "1"
    assert form["text"] == "Xin chào"
    assert form["parse_mode"] == "HTML"  # bot default resolved, as aiogram sends it
    assert json.loads(form["reply_markup"])["inline_keyboard"][0][0]["callback_data"] == "q3:5"


@pytest.mark.parametrize("bot", [PLAIN_BOT, HTML_BOT])
def test_valid_message_with_keyboard_passes(bot: Bot) -> None:
    assert errors_of(survey_message(), bot) == []


def test_chat_id_may_be_a_username() -> None:
    assert errors_of(SendMessage(chat_id="@phuong_ben_nghe", text="Xin chào")) == []


def test_uploaded_photo_passes() -> None:
    photo = BufferedInputFile(b"jpeg", filename="anh.jpg")

    assert errors_of(SendPhoto(chat_id=1, photo=photo, caption="Ảnh")) == []


def test_commands_with_union_scope_pass() -> None:
    method = SetMyCommands(
        commands=[BotCommand(command="start", description="Bắt đầu khảo sát")],
        scope=BotCommandScopeChat(chat_id=1),
        language_code="vi",
    )

    assert errors_of(method) == []


# --- structural mistakes ---


def test_unknown_method_fails() -> None:
    assert validate_request("sendMesage", {"chat_id": "1", "text": "x"}) == [
        "unknown method 'sendMesage'"
    ]


def test_unknown_parameter_fails() -> None:
    form = form_of(survey_message(), PLAIN_BOT) | {"colour": "red"}

    assert validate_request("sendMessage", form) == ["unknown parameter 'colour'"]


def test_missing_chat_id_fails() -> None:
    form = form_of(survey_message(), PLAIN_BOT)
    del form["chat_id"]

    assert validate_request("sendMessage", form) == ["missing required parameter 'chat_id'"]


def test_button_with_unknown_key_fails() -> None:
    button = InlineKeyboardButton(text="Có", callback_data="q1:y", colour="green")

    errors = errors_of(SendMessage(chat_id=1, text="?", reply_markup=keyboard(button)))

    assert errors == [
        "reply_markup.inline_keyboard[0][0]: unknown key 'colour' in InlineKeyboardButton"
    ]


def test_button_without_text_fails() -> None:
    form = {
        "chat_id": "1",
        "text": "?",
        "reply_markup": '{"inline_keyboard": [[{"callback_data": "a"}]]}',
    }

    assert validate_request("sendMessage", form) == [
        "reply_markup.inline_keyboard[0][0]: missing required key 'text' of InlineKeyboardButton"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [("disable_notification", "1"), ("message_thread_id", "true"), ("message_thread_id", "1.5")],
)
def test_wrong_primitive_fails(name: str, value: str) -> None:
    errors = validate_request("sendMessage", {"chat_id": "1", "text": "x", name: value})

    assert len(errors) == 1
    assert errors[0].startswith(f"{name}: expected ")


def test_non_json_value_fails() -> None:
    errors = validate_request("sendMessage", {"chat_id": "1", "text": "x", "reply_markup": "{oops"})

    assert errors and all(error.startswith("reply_markup: '{oops' is not JSON") for error in errors)


def test_scope_with_wrong_discriminator_fails() -> None:
    form = {
        "commands": '[{"command": "start", "description": "x"}]',
        "scope": '{"type": "chats", "chat_id": 1}',
    }

    assert validate_request("setMyCommands", form)


def test_file_only_parameter_rejects_a_file_id() -> None:
    assert errors_of(SetChatPhoto(chat_id=1, photo=BufferedInputFile(b"png", "logo.png"))) == []
    assert validate_request("setChatPhoto", {"chat_id": "1", "photo": "AgACAgIAAx"}) == [
        "photo: expected InputFile, got str 'AgACAgIAAx'"
    ]


# --- limits from the spec's prose ---


def test_text_of_4097_characters_fails() -> None:
    assert errors_of(SendMessage(chat_id=1, text="a" * 4097)) == [
        "text: 4097 characters, allowed 1-4096 characters"
    ]


def test_vietnamese_text_of_4096_characters_passes() -> None:
    text = "ệ" * 4096  # 3 UTF-8 bytes each, but one character

    assert errors_of(SendMessage(chat_id=1, text=text)) == []


def test_emoji_count_as_two_characters() -> None:
    assert errors_of(SendMessage(chat_id=1, text="😀" * 2049)) == [
        "text: 4098 characters, allowed 1-4096 characters"
    ]


def test_spec_states_callback_data_limit_in_bytes() -> None:
    # The validator reads this limit from the prose; fail loudly if the wording changes.
    fields = load_spec()["types"]["InlineKeyboardButton"]["fields"]
    callback_data = next(field for field in fields if field["name"] == "callback_data")

    assert "1-64 bytes" in callback_data["description"]


def test_callback_data_is_measured_in_bytes() -> None:
    label = "Rất hài lòng"  # 12 characters, 16 UTF-8 bytes
    assert len(label.encode()) == 16

    fits = InlineKeyboardButton(text="ok", callback_data=label * 4)
    too_long = InlineKeyboardButton(text="ok", callback_data=label * 4 + "!")

    assert errors_of(SendMessage(chat_id=1, text="?", reply_markup=keyboard(fits))) == []
    assert errors_of(SendMessage(chat_id=1, text="?", reply_markup=keyboard(too_long))) == [
        "reply_markup.inline_keyboard[0][0].callback_data: 65 bytes, allowed 1-64 bytes"
    ]


def test_callback_answer_of_201_characters_fails() -> None:
    assert errors_of(AnswerCallbackQuery(callback_query_id="7", text="đ" * 200)) == []
    assert errors_of(AnswerCallbackQuery(callback_query_id="7", text="đ" * 201)) == [
        "text: 201 characters, allowed 0-200 characters"
    ]


def test_uppercase_command_fails() -> None:
    method = SetMyCommands(commands=[BotCommand(command="Start", description="Bắt đầu")])

    assert errors_of(method) == ["commands[0].command: 'Start' must match [a-z0-9_]{1,32}"]


def test_more_than_100_commands_fails() -> None:
    commands = [BotCommand(command=f"c{i}", description="x") for i in range(101)]

    assert errors_of(SetMyCommands(commands=commands)) == [
        "commands: 101 items, at most 100 allowed"
    ]


def test_html_tags_do_not_count_toward_the_limit() -> None:
    text = "<b>" + "a" * 4090 + "</b> &lt;&gt;" + "&amp;" * 3  # 4096 characters once parsed

    assert errors_of(SendMessage(chat_id=1, text=text), HTML_BOT) == []
    # Without parse_mode the tags are literal text and do count.
    assert errors_of(SendMessage(chat_id=1, text=text), PLAIN_BOT)


def test_html_message_empty_after_parsing_fails() -> None:
    assert errors_of(SendMessage(chat_id=1, text="<b></b>"), HTML_BOT) == [
        "text: 0 characters, allowed 1-4096 characters"
    ]


def test_caption_limit_after_parsing() -> None:
    photo = BufferedInputFile(b"jpeg", filename="anh.jpg")
    caption = "<i>" + "ư" * 1024 + "</i>"

    assert errors_of(SendPhoto(chat_id=1, photo=photo, caption=caption), HTML_BOT) == []
    assert errors_of(SendPhoto(chat_id=1, photo=photo, caption=caption + "!"), HTML_BOT) == [
        "caption: 1025 characters, allowed 0-1024 characters"
    ]


# --- helpers for other tests ---


def test_assert_valid_requests_lists_every_problem() -> None:
    calls = [
        ("sendMessage", form_of(survey_message(), PLAIN_BOT)),
        ("sendMessage", {"chat_id": "1", "text": "a" * 4097}),
        ("answerCallbackQuery", {"callback_query_id": "7", "colour": "red"}),
    ]

    with pytest.raises(AssertionError) as excinfo:
        assert_valid_requests(calls)

    message = str(excinfo.value)
    assert "sendMessage: text: 4097 characters" in message
    assert "answerCallbackQuery: unknown parameter 'colour'" in message
    assert message.count("\n") == 2


def test_assert_valid_requests_accepts_valid_calls() -> None:
    assert_valid_requests([("sendMessage", form_of(survey_message(), HTML_BOT)), ("getMe", {})])


def test_spec_path_can_be_overridden(tmp_path, monkeypatch) -> None:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps({"version": "test", "methods": {}, "types": {}}))
    monkeypatch.setenv(SPEC_ENV_VAR, str(spec_file))
    load_spec.cache_clear()
    try:
        assert load_spec()["version"] == "test"
    finally:
        monkeypatch.undo()
        load_spec.cache_clear()
    assert load_spec()["version"].startswith("Bot API")
