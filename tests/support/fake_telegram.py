"""A Telegram stand-in for tests: an aiogram session that records every request exactly as
aiogram would post it, answers like the Bot API, and keeps the chat history a resident sees."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    Chat,
    File,
    FSInputFile,
    InlineKeyboardMarkup,
    Message,
    User,
)

from tests.support.telegram_spec import form_of

BOT_USER = User(id=42, is_bot=True, first_name="Phường", username="doithoai_test_bot")
TAG = re.compile(r"<[^>]+>")


def visible_text(raw: str | None) -> str:
    """What the resident reads: HTML parsed away, as Telegram shows it."""
    return html.unescape(TAG.sub("", raw or ""))


def inline_only(markup: Any) -> InlineKeyboardMarkup | None:
    """A message's own buttons; a reply keyboard (under the input field) is not part of it."""
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


def _content(upload: BufferedInputFile | FSInputFile) -> bytes:
    """The bytes of an upload, read now: a file on disk may be gone after the handler."""
    if isinstance(upload, BufferedInputFile):
        return upload.data
    return Path(upload.path).read_bytes()


@dataclass
class ChatMessage:
    message_id: int
    chat_id: int
    raw_text: str
    markup: InlineKeyboardMarkup | None
    deleted: bool = False
    media: str | None = None  # a photo or document: its file id, or "upload"
    filename: str | None = None  # an uploaded document's name
    content: bytes | None = None  # an uploaded document's bytes, to read the file back

    @property
    def text(self) -> str:
        return visible_text(self.raw_text)

    def buttons(self) -> list[str]:
        if self.markup is None:
            return []
        return [button.text for row in self.markup.inline_keyboard for button in row]

    def as_message(self) -> Message:
        return Message(
            message_id=self.message_id,
            date=datetime.now(UTC),
            chat=Chat(id=self.chat_id, type="private"),
            from_user=BOT_USER,
            text=self.text,
            reply_markup=self.markup,
        )


@dataclass
class FakeTelegram(BaseSession):
    """Survives a bot "restart": the same instance is handed to every app a test builds."""

    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    callback_answers: list[str | None] = field(default_factory=list)
    answered_queries: set[str] = field(default_factory=set)
    next_message_id: int = 1000
    blocked: set[int] = field(default_factory=set)  # chats whose user blocked the bot
    # Files users sent the bot, by file id: what getFile and the download return.
    files: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        BaseSession.__init__(self)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls.append((method.__api_method__, form_of(method, bot)))
        chat_id = getattr(method, "chat_id", None)
        if (
            chat_id is not None
            and str(chat_id).lstrip("-").isdigit()
            and int(chat_id) in self.blocked
        ):
            raise TelegramForbiddenError(
                method=method, message="Forbidden: bot was blocked by the user"
            )
        if isinstance(method, SendMessage):
            self.next_message_id += 1
            message = ChatMessage(
                self.next_message_id,
                int(method.chat_id),
                method.text,
                inline_only(method.reply_markup),
            )
            self.messages[message.message_id] = message
            return message.as_message()
        if isinstance(method, SendPhoto | SendDocument):
            # Kept with the caption as its text; `media` names what was sent.
            self.next_message_id += 1
            media = method.photo if isinstance(method, SendPhoto) else method.document
            upload = media if isinstance(media, BufferedInputFile | FSInputFile) else None
            message = ChatMessage(
                self.next_message_id,
                int(method.chat_id),
                method.caption or "",
                method.reply_markup,
                media=media if isinstance(media, str) else "upload",
                filename=upload.filename if upload else None,
                content=_content(upload) if upload else None,
            )
            self.messages[message.message_id] = message
            return message.as_message()
        if isinstance(method, EditMessageText):
            message = self.messages[method.message_id]
            message.raw_text = method.text
            message.markup = method.reply_markup
            return message.as_message()
        if isinstance(method, EditMessageReplyMarkup):
            message = self.messages[method.message_id]
            message.markup = method.reply_markup
            return message.as_message()
        if method.__api_method__ == "deleteMessage":
            self.messages[method.message_id].deleted = True
            return True
        if method.__api_method__ == "answerCallbackQuery":
            # Telegram takes the first answer to a query; a second one is refused.
            if method.callback_query_id in self.answered_queries:
                raise TelegramBadRequest(
                    method=method,
                    message="Bad Request: query is too old and response timeout expired "
                    "or query ID is invalid",
                )
            self.answered_queries.add(method.callback_query_id)
            self.callback_answers.append(method.text)
            return True
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, GetFile):
            if method.file_id not in self.files:
                raise TelegramBadRequest(method=method, message="Bad Request: invalid file_id")
            data = self.files[method.file_id]
            return File(
                file_id=method.file_id,
                file_unique_id=method.file_id + "u",
                file_size=len(data),
                file_path=f"documents/{method.file_id}",
            )
        return True

    async def stream_content(
        self, url: str, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes, None]:
        # The download URL ends with the file_path getFile gave: documents/<file id>.
        yield self.files.get(url.rsplit("/", 1)[-1], b"")

    def documents(self, chat_id: int) -> list[ChatMessage]:
        """The files the bot uploaded to a chat, oldest first."""
        return [m for m in self.chat_messages(chat_id) if m.content is not None]

    async def close(self) -> None:
        pass

    def chat_messages(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.messages.values() if m.chat_id == chat_id and not m.deleted]

    def sent_texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.chat_messages(chat_id)]
