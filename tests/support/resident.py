"""A resident in a Telegram chat with the bot, driven through the real dispatcher with
aiogram-dialog's BotClient: they read the last message and tap its buttons by label."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from aiogram.types import PhotoSize, Sticker, Update, User
from aiogram_dialog.test_tools import BotClient
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator

from bot.app import App
from tests.support.fake_telegram import ChatMessage, FakeTelegram


class Resident:
    def __init__(self, app: App, telegram: FakeTelegram, user_id: int, language: str | None):
        self.telegram = telegram
        self.user_id = user_id
        self.language = language
        self.attach(app)

    def attach(self, app: App) -> None:
        """Talk to a (new) app instance, e.g. after a simulated restart; the chat history stays."""
        self.app = app
        self.client = BotClient(
            app.dispatcher, user_id=self.user_id, chat_id=self.user_id, bot=app.bot
        )
        self.client.user = User(
            id=self.user_id, is_bot=False, first_name="Cư dân", language_code=self.language
        )
        self.client.last_update_id = 10_000 + len(self.telegram.calls)

    # --- what the resident sees -----------------------------------------------------------

    @property
    def screen(self) -> ChatMessage:
        """The newest message that still has buttons (the dialog's screen), else the newest."""
        messages = self.telegram.chat_messages(self.user_id)
        assert messages, "the bot has not sent anything"
        with_buttons = [m for m in messages if m.markup is not None]
        return with_buttons[-1] if with_buttons else messages[-1]

    def snapshot(self) -> ChatMessage:
        """The screen as it is now; later edits by the bot do not change the copy."""
        return dataclasses.replace(self.screen)

    @property
    def text(self) -> str:
        return self.screen.text

    @property
    def buttons(self) -> list[str]:
        return self.screen.buttons()

    @property
    def last_message(self) -> str:
        return self.telegram.chat_messages(self.user_id)[-1].text

    @property
    def last_alert(self) -> str | None:
        return self.telegram.callback_answers[-1] if self.telegram.callback_answers else None

    # --- what the resident does -------------------------------------------------------------

    async def send(self, text: str) -> None:
        await self.client.send(text)

    async def tap(self, label: str, *, on: ChatMessage | None = None) -> None:
        """Tap the button whose label is exactly `label` (or matches it as a regex)."""
        message = on or self.screen
        pattern = label if label.startswith("^") else re.escape(label)
        if not InlineButtonTextLocator(pattern).find_button(message.as_message()):
            raise AssertionError(f"no button {label!r} on screen; buttons: {message.buttons()}")
        await self.client.click(message.as_message(), InlineButtonTextLocator(pattern))

    async def tap_data(self, data: str, *, on: ChatMessage | None = None) -> None:
        """A callback with data of our choosing (a forged or stale button)."""
        from aiogram.types import CallbackQuery

        message = (on or self.screen).as_message()
        await self.app.dispatcher.feed_update(
            self.app.bot,
            Update(
                update_id=self._update_id(),
                callback_query=CallbackQuery(
                    id=f"cb{self.client.last_update_id}",
                    from_user=self.client.user,
                    chat_instance="x",
                    message=message,
                    data=data,
                ),
            ),
        )

    async def send_sticker(self) -> None:
        sticker = Sticker(
            file_id="s1",
            file_unique_id="s1u",
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
        )
        await self._feed_message(sticker=sticker)

    async def send_photo(self) -> None:
        await self._feed_message(
            photo=[PhotoSize(file_id="p1", file_unique_id="p1u", width=640, height=480)]
        )

    async def send_document(
        self, data: bytes, filename: str, mime: str = "application/octet-stream", caption=None
    ) -> None:
        """Sends a file the bot can download (kept by the fake Telegram under a new file id)."""
        from aiogram.types import Document

        file_id = f"doc{len(self.telegram.files) + 1}"
        self.telegram.files[file_id] = data
        document = Document(
            file_id=file_id,
            file_unique_id=file_id + "u",
            file_name=filename,
            mime_type=mime,
            file_size=len(data),
        )
        await self._feed_message(document=document, caption=caption)

    async def _feed_message(self, **content) -> None:
        from aiogram.types import Chat, Message

        message = Message(
            message_id=self.client._new_message_id(),
            date=datetime.now(UTC),
            chat=Chat(id=self.user_id, type="private"),
            from_user=self.client.user,
            **content,
        )
        await self.app.dispatcher.feed_update(
            self.app.bot, Update(update_id=self._update_id(), message=message)
        )

    def _update_id(self) -> int:
        self.client.last_update_id += 1
        return self.client.last_update_id
