"""Staff management for admins (a refusal comes before any syntax hint):

    /staff                             the active staff
    /staff_add ID ROLE FULL NAME [fields=tp,dc]
    /staff_set ID [role=ROLE] [fields=tp,dc] [name=FULL NAME]   (name= comes last)
    /staff_remove ID

ID is the person's numeric Telegram user id; ROLE is admin, leader, official or front; fields
are the survey's field ids. Each change also sets (or clears) that person's command menu.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.notify import esc
from bot.services import staff
from bot.services.staff import InvalidStaff, Permission, Role, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey
from bot.telegram import clear_staff_menu, set_staff_menu
from handlers.staff.common import Usage, field_label
from handlers.staff.permissions import can, staff_router


def staff_usage(survey: Survey) -> str:
    return _(
        "/staff: the staff list\n"
        "/staff_add ID ROLE FULL NAME [fields=tp,dc]\n"
        "/staff_set ID [role=ROLE] [fields=tp,dc] [name=FULL NAME] (name= last)\n"
        "/staff_remove ID\n"
        "ID: the person's numeric Telegram id (a non-staff user sees it when typing "
        "/questions). Roles: {roles}. Officials need fields: {fields}.\n"
        "Example: /staff_add 123456789 official Nguyễn Văn B fields=tp"
    ).format(roles=", ".join(Role), fields=", ".join(f.id for f in survey.fields))


def _telegram_id(token: str, survey: Survey) -> int:
    if not token.isdigit() or int(token) <= 0:
        raise Usage(staff_usage(survey))
    return int(token)


def _fields(value: str, survey: Survey) -> list[str]:
    fields = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in fields if survey.field(f) is None]
    if unknown:
        raise Usage(
            _("Unknown field: {unknown}. Fields: {fields}.").format(
                unknown=", ".join(unknown), fields=", ".join(f.id for f in survey.fields)
            )
        )
    return fields


def parse_add(args: str | None, survey: Survey) -> tuple[int, str, str, list[str]]:
    tokens = (args or "").split()
    if len(tokens) < 3:
        raise Usage(staff_usage(survey))
    fields: list[str] = []
    name: list[str] = []
    for token in tokens[2:]:
        if token.lower().startswith("fields="):
            fields += _fields(token[len("fields=") :], survey)
        else:
            name.append(token)
    return _telegram_id(tokens[0], survey), tokens[1], " ".join(name), fields


def parse_set(args: str | None, survey: Survey) -> tuple[int, dict[str, Any]]:
    tokens = (args or "").split()
    if len(tokens) < 2:
        raise Usage(staff_usage(survey))
    changes: dict[str, Any] = {}
    for index, token in enumerate(tokens[1:], start=1):
        key, _sep, value = token.partition("=")
        key = key.lower()
        if key == "name":
            changes["name"] = " ".join([value, *tokens[index + 1 :]])
            break
        if key == "role" and value:
            changes["role"] = value
        elif key == "fields" and value:
            changes["fields"] = _fields(value, survey)
        else:
            raise Usage(staff_usage(survey))
    return _telegram_id(tokens[0], survey), changes


def describe(member: StaffRef, survey: Survey) -> str:
    line = f"• {esc(member.name)} · {member.role} · id {member.telegram_user_id}"
    if member.fields:
        line += " · " + ", ".join(esc(field_label(survey, f)) for f in member.fields)
    return line


async def cmd_staff(
    message: Message,
    me: StaffRef,
    db: AsyncSession,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    people = await staff.members(db, me, now=clock())
    lines = [_("<b>Ward staff</b> ({count})").format(count=len(people))]
    lines += [describe(member, survey) for member in people]
    lines.append("\n" + esc(staff_usage(survey)))
    await message.answer("\n".join(lines))


async def confirm(
    message: Message,
    db: AsyncSession,
    bot: Bot,
    member,
    heading: str,
    survey: Survey,
    settings: Settings,
) -> None:
    """An added or changed member: stored, shown to the admin, and given the staff menu."""
    await db.commit()
    await message.answer(heading + "\n" + describe(member, survey))
    await set_staff_menu(bot, member, settings.default_locale)


async def cmd_staff_add(
    message: Message,
    command: CommandObject,
    me: StaffRef,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    try:
        telegram_id, role, name, fields = parse_add(command.args, survey)
        member = await staff.add(db, me, telegram_id, name, role, fields, now=now)
    except (Usage, InvalidStaff) as problem:
        await message.answer(esc(problem))
        return
    await confirm(message, db, bot, member, _("✅ Added:"), survey, settings)


async def cmd_staff_set(
    message: Message,
    command: CommandObject,
    me: StaffRef,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    try:
        telegram_id, changes = parse_set(command.args, survey)
        member = await staff.change(db, me, telegram_id, now=now, **changes)
    except (Usage, InvalidStaff) as problem:
        await message.answer(esc(problem))
        return
    await confirm(message, db, bot, member, _("✅ Changed:"), survey, settings)


async def cmd_staff_remove(
    message: Message,
    command: CommandObject,
    me: StaffRef,
    db: AsyncSession,
    bot: Bot,
    survey: Survey,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    try:
        tokens = (command.args or "").split()
        if len(tokens) != 1:
            raise Usage(staff_usage(survey))
        telegram_id = _telegram_id(tokens[0], survey)
        await staff.remove(db, me, telegram_id, now=now)
    except (Usage, InvalidStaff) as problem:
        await message.answer(esc(problem))
        return
    await db.commit()
    await message.answer(_("✅ Removed from the staff: Telegram id {id}.").format(id=telegram_id))
    await clear_staff_menu(bot, telegram_id)


def create_router() -> Router:
    router = staff_router(__name__)
    manage = Permission.MANAGE_STAFF
    router.message.register(cmd_staff, Command("staff"), flags=can(manage, "staff_list"))
    router.message.register(cmd_staff_add, Command("staff_add"), flags=can(manage, "staff_add"))
    router.message.register(cmd_staff_set, Command("staff_set"), flags=can(manage, "staff_change"))
    router.message.register(
        cmd_staff_remove, Command("staff_remove"), flags=can(manage, "staff_remove")
    )
    return router
