"""Telegram-specific start-up: the command menu in each language, and a menu per staff member
with the staff commands their role may use."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import i18n
from bot.i18n import N_, _
from bot.services import staff
from bot.services.staff import Permission, StaffRef
from models import StaffMember

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", N_("Begin or continue")),
    ("menu", N_("Main menu")),
    ("lich", N_("Upcoming dialogue sessions")),
    ("dulieu", N_("My data and consents")),
    ("help", N_("Help")),
)

# Staff commands with the permission each needs (see handlers/staff/commands.py for their syntax).
STAFF_COMMANDS = (
    ("questions", N_("Residents' questions"), Permission.VIEW_QUESTIONS),
    ("agenda", N_("My questions for the conference"), Permission.VIEW_QUESTIONS),
    ("stats", N_("Survey figures"), Permission.VIEW_STATS),
    ("export", N_("Export the results"), Permission.EXPORT),
    ("sessions", N_("Dialogue sessions"), Permission.MANAGE_SESSIONS),
    ("paper", N_("Paper forms"), Permission.UPLOAD_PAPER),
    ("broadcast", N_("Send an announcement"), Permission.BROADCAST),
    ("broadcasts", N_("Past announcements"), Permission.BROADCAST),
    ("staff", N_("Staff list"), Permission.MANAGE_STAFF),
    ("staff_add", N_("Add a staff member"), Permission.MANAGE_STAFF),
    ("staff_set", N_("Change a staff member"), Permission.MANAGE_STAFF),
    ("staff_remove", N_("Remove a staff member"), Permission.MANAGE_STAFF),
)


def command_list(locale: str) -> list[BotCommand]:
    with i18n.use_locale(locale):
        return [BotCommand(command=name, description=_(text)) for name, text in COMMANDS]


def staff_command_list(member: StaffRef, locale: str) -> list[BotCommand]:
    """The resident commands, then the staff commands this member's role allows."""
    with i18n.use_locale(locale):
        return command_list(locale) + [
            BotCommand(command=name, description=_(text))
            for name, text, permission in STAFF_COMMANDS
            if staff.allows(member, permission)
        ]


async def register_commands(bot: Bot) -> None:
    # The default list is Vietnamese; English-speaking Telegram clients get the English one.
    await bot.set_my_commands(command_list("vi"))
    await bot.set_my_commands(command_list("en"), language_code="en")


async def set_staff_menu(bot: Bot, member: StaffRef, locale: str) -> bool:
    """The member's own menu. Telegram refuses a chat that never wrote to the bot: logged and
    skipped, the commands still work when typed."""
    try:
        await bot.set_my_commands(
            staff_command_list(member, locale),
            scope=BotCommandScopeChat(chat_id=member.telegram_user_id),
        )
    except TelegramAPIError as exc:
        log.warning("Staff command menu not set for staff #%s: %s", member.id, type(exc).__name__)
        return False
    return True


async def clear_staff_menu(bot: Bot, telegram_user_id: int) -> None:
    """Back to the residents' menu for someone no longer on the staff."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=telegram_user_id))
    except TelegramAPIError as exc:
        log.warning("Staff command menu not removed: %s", type(exc).__name__)


async def active_staff(db: AsyncSession) -> list[StaffRef]:
    stmt = select(StaffMember).where(StaffMember.active.is_(True)).order_by(StaffMember.id)
    return [staff.as_ref(member) for member in (await db.execute(stmt)).scalars()]


async def register_staff_menus(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], locale: str
) -> int:
    """A menu for every active staff member, at start-up; returns how many were set."""
    async with sessionmaker() as db:
        members = await active_staff(db)
    done = 0
    for member in members:
        done += await set_staff_menu(bot, member, locale)
    return done
