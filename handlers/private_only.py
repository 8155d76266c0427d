"""Residents' dialogs and staff commands run in private chats only. The bot may be added to a
group, where whatever it showed would be read by everyone there (a resident's answers, a
question with name and phone, a named export): an update from a group, supergroup or channel
reaches no handler. A command, a mention or a reply to the bot in a group gets one polite line
in the sender's language; a tap on a button there gets it as an alert; nothing else is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType, MessageEntityType
from aiogram.types import Chat, Message, TelegramObject, Update

from bot.i18n import N_, _

PRIVATE_ONLY = N_("Please write to the bot in a private chat.")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def addressed_to_bot(message: Message, bot: Bot) -> bool:
    """A command, a mention, a reply to the bot, or the bot just added: with Telegram's
    privacy mode these are all a group shows the bot, and all that deserves an answer."""
    text = message.text or message.caption or ""
    if text.startswith("/"):
        return True
    entities = message.entities or message.caption_entities or ()
    if any(e.type == MessageEntityType.MENTION for e in entities):
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    return any(member.id == bot.id for member in message.new_chat_members or ())


class PrivateChatsOnly(BaseMiddleware):
    """An update-level middleware, after the resident's language is known."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None or chat.type == ChatType.PRIVATE or not isinstance(event, Update):
            return await handler(event, data)
        bot: Bot = data["bot"]
        if event.callback_query is not None:
            await event.callback_query.answer(_(PRIVATE_ONLY), show_alert=True)
        elif event.message is not None and addressed_to_bot(event.message, bot):
            await event.message.answer(_(PRIVATE_ONLY))
        return None
