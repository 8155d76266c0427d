"""Telegram-specific start-up: the command menu in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand

from bot import i18n
from bot.i18n import N_, _

COMMANDS = (
    ("start", N_("Begin or continue")),
    ("menu", N_("Main menu")),
    ("lich", N_("Upcoming dialogue sessions")),
    ("dulieu", N_("My data and consents")),
    ("help", N_("Help")),
)


def command_list(locale: str) -> list[BotCommand]:
    with i18n.use_locale(locale):
        return [BotCommand(command=name, description=_(text)) for name, text in COMMANDS]


async def register_commands(bot: Bot) -> None:
    # The default list is Vietnamese; English-speaking Telegram clients get the English one.
    await bot.set_my_commands(command_list("vi"))
    await bot.set_my_commands(command_list("en"), language_code="en")
