"""The Staff page (admins): the active staff; add, change, remove, and set or clear a web
password. Every change goes through the services /staff_add, /staff_set and /staff_remove call
(bot/services/staff.py), which check the role and write the audit log; a refusal is committed
so it stays audited, then shown."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, _
from bot.services import staff as staff_service
from bot.services.staff import InvalidStaff, Permission, PermissionDenied, Role, StaffRef
from bot.web import passwords
from bot.web.auth import end_sessions_of, refused, staff_of, staff_page
from bot.web.context import context_of
from bot.web.templates import render
from models import StaffMember

routes = web.RouteTableDef()

PATH = "/staff/members"
ROLE_NAMES = {
    Role.ADMIN: N_("Admin (ward office)"),
    Role.LEADER: N_("Leader"),
    Role.OFFICIAL: N_("Official"),
    Role.FRONT: N_("Fatherland Front"),
}
DONE = {
    "added": N_("The staff member was added."),
    "changed": N_("The changes were saved."),
    "removed": N_("The staff member was removed and signed out."),
    "password_set": N_("The password was set; their browsers were signed out."),
    "password_cleared": N_("The password was cleared; they sign in with a code now."),
}


def field_list(typed: str) -> list[str]:
    return [part for part in re.split(r"[,;\s]+", typed) if part]


def telegram_id(typed: str) -> int:
    digits = "".join(typed.split())
    if not digits.isdigit() or len(digits) > 15:
        raise InvalidStaff(_("Please give the Telegram id as digits only."))
    return int(digits)


async def with_password(db: AsyncSession, ids: list[int]) -> set[int]:
    """Which of these staff (by Telegram id) have a web password."""
    if not ids:
        return set()
    rows = await db.scalars(
        select(StaffMember.telegram_user_id).where(
            StaffMember.telegram_user_id.in_(ids), StaffMember.password_hash.is_not(None)
        )
    )
    return set(rows)


async def listing(request: web.Request, *, status: int = 200, error: str | None = None, form=None):
    context = context_of(request)
    async with context.sessionmaker() as db, db.begin():
        try:
            found = await staff_service.members(db, staff_of(request), now=context.clock())
        except PermissionDenied as exc:
            denied = str(exc)
        else:
            denied = None
            has_password = await with_password(db, [m.telegram_user_id for m in found])
    if denied is not None:  # committed above: the refusal stays audited
        return refused(request, denied)
    done = DONE.get(request.query.get("done", ""))
    return render(
        request,
        "members.html",
        status=status,
        members=found,
        has_password=has_password,
        roles=[(str(role), _(label)) for role, label in ROLE_NAMES.items()],
        role_names={str(role): _(label) for role, label in ROLE_NAMES.items()},
        error=error,
        done=_(done) if done else None,
        typed=form or {},
    )


@routes.get(PATH)
@staff_page
async def members_page(request: web.Request) -> web.Response:
    return await listing(request)


Change = Callable[[AsyncSession, dict], Awaitable[None]]


async def apply(request: web.Request, change: Change, done: str) -> web.Response:
    """Run a change in one transaction; a refusal is committed (audited) and shown, an invalid
    change is shown on the page with the form as typed."""
    context = context_of(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    denied = invalid = None
    async with context.sessionmaker() as db, db.begin():
        try:
            await change(db, form)  # checks come before any write: nothing half-done
        except PermissionDenied as exc:
            denied = str(exc)
        except InvalidStaff as exc:
            invalid = str(exc)
    if denied is not None:
        return refused(request, denied)
    if invalid is not None:
        return await listing(request, status=400, error=invalid, form=form)
    raise web.HTTPSeeOther(f"{PATH}?done={done}")


async def typed_id(db: AsyncSession, by: StaffRef, typed: str, action: str, now) -> int:
    """The Telegram id typed; when it is not one, someone who may not manage staff is still
    told that (and audited) rather than how to type an id."""
    try:
        return telegram_id(typed)
    except InvalidStaff:
        await staff_service.require(db, by, Permission.MANAGE_STAFF, now=now, action=action)
        raise


# Where the Telegram id of the member changed is typed: the address, or the add form.
def id_in_address(request: web.Request, form: dict) -> str:
    return request.match_info["telegram_id"]


def id_in_form(request: web.Request, form: dict) -> str:
    return form.get("telegram_id", "")


MemberChange = Callable[[AsyncSession, StaffRef, int, dict, datetime], Awaitable[None]]
TypedId = Callable[[web.Request, dict], str]


def member_change(path: str, action: str, done: str, typed: TypedId = id_in_address):
    """Registers `change_member(db, by, user_id, form, now)` as the staff page that `apply`s
    it, by the signed-in member, to the staff member whose Telegram id `typed` gives; the id
    is checked (and a refusal audited as `action`) first."""

    def register(change_member: MemberChange) -> Callable[[web.Request], Awaitable[web.Response]]:
        @routes.post(PATH + path)
        @staff_page
        @functools.wraps(change_member)
        async def handler(request: web.Request) -> web.Response:
            by, now = staff_of(request), context_of(request).clock()

            async def change(db: AsyncSession, form: dict) -> None:
                user_id = await typed_id(db, by, typed(request, form), action, now)
                await change_member(db, by, user_id, form, now)

            return await apply(request, change, done)

        return handler

    return register


@member_change("/add", "staff_add", "added", typed=id_in_form)
async def add_member(db: AsyncSession, by: StaffRef, user_id: int, form: dict, now) -> None:
    await staff_service.add(
        db,
        by,
        user_id,
        form.get("name", ""),
        form.get("role", ""),
        field_list(form.get("fields", "")),
        now=now,
    )


@member_change("/{telegram_id}/change", "staff_change", "changed")
async def change_member(db: AsyncSession, by: StaffRef, user_id: int, form: dict, now) -> None:
    await staff_service.change(
        db,
        by,
        user_id,
        name=form.get("name"),
        role=form.get("role"),
        fields=field_list(form.get("fields", "")),
        now=now,
    )


@member_change("/{telegram_id}/remove", "staff_remove", "removed")
async def remove_member(db: AsyncSession, by: StaffRef, user_id: int, form: dict, now) -> None:
    await staff_service.remove(db, by, user_id, now=now)
    removed = await db.scalar(select(StaffMember.id).where(StaffMember.telegram_user_id == user_id))
    if removed is not None:
        await end_sessions_of(db, removed)


@member_change("/{telegram_id}/password", "staff_password", "password_set")
async def member_password(db: AsyncSession, by: StaffRef, user_id: int, form: dict, now) -> None:
    await passwords.set_password(db, by, user_id, form.get("password", ""), now=now)


@member_change("/{telegram_id}/password/clear", "staff_password", "password_cleared")
async def clear_password(db: AsyncSession, by: StaffRef, user_id: int, form: dict, now) -> None:
    await passwords.set_password(db, by, user_id, None, now=now)
