"""Who may use a staff handler, checked in one place.

Every staff router is made with `staff_router()`, whose `StaffGate` runs for each update one
of the router's handlers takes: it loads `me` (the active staff member, or None) and, for
staff, switches to the ward's language (DEFAULT_LOCALE); someone not on staff is answered in
their own. A handler registered with `flags=can(Permission.X, action=...)` runs only if its user
may do X now. A staff-only dialog or router (`StaffGate(StaffCan(...))`) requires it of every
update, and speaks the ward's language to everyone.

A refusal is the services' (bot.services.staff.require): a polite `PermissionDenied`, raised
after an audit entry was added to the update's transaction. The gate answers it, for its own
check and for any a service raises inside the handler, and returns normally, so the update
middleware commits the audit entry. Handlers therefore need no try/except for refusals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.i18n import _, use_locale
from bot.services import staff
from bot.services.staff import Permission, PermissionDenied
from bot.texts import clipped

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

FLAG = "staff_can"  # the handler flag `can()` sets


@dataclass(frozen=True)
class StaffCan:
    """What a handler needs: a permission, and how a refusal is audited and answered."""

    permission: Permission
    action: str | None = None  # the audit entry's action; the permission's name by default
    target: Callable[[dict[str, Any]], str] | None = None  # the audit target, from handler data
    show_id: bool = False  # tell someone not on staff their Telegram id (what /staff_add needs)


def can(
    permission: Permission,
    action: str | None = None,
    *,
    target: Callable[[dict[str, Any]], str] | None = None,
    show_id: bool = False,
) -> dict[str, StaffCan]:
    """Handler flags: `router.message.register(handler, Command(...), flags=can(...))`."""
    return {FLAG: StaffCan(permission, action, target, show_id)}


async def refuse(event: TelegramObject, text: str) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(clipped(text, 200), show_alert=True)
    elif isinstance(event, Message):
        await event.answer(text)


class StaffGate(BaseMiddleware):
    """Loads `me`, picks the language and checks the handler's `StaffCan` (or `required`, for
    every handler of a staff-only router or dialog)."""

    def __init__(self, required: StaffCan | None = None) -> None:
        self.required = required

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        locale = data["settings"].default_locale
        if self.required is not None:  # staff-only: everything in the ward's language
            with use_locale(locale):
                data["locale"] = locale
                data["me"] = None
                return await self._checked(self.required, handler, event, data)
        me = await staff.find(data["db"], user.id) if user else None
        data["me"] = me
        rule: StaffCan | None = get_flag(data, FLAG)
        if me is None:
            return await self._checked(rule, handler, event, data)
        with use_locale(locale):
            return await self._checked(rule, handler, event, data)

    async def _checked(
        self, rule: StaffCan | None, handler: Handler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        user = data.get("event_from_user")
        try:
            if rule is not None:
                data["me"] = await staff.require(
                    data["db"],
                    data["me"] or (user.id if user else None),
                    rule.permission,
                    now=data["clock"](),
                    action=rule.action,
                    target=rule.target(data) if rule.target else None,
                )
            return await handler(event, data)
        except PermissionDenied as denied:
            text = str(denied)
            if rule is not None and rule.show_id and data["me"] is None and user is not None:
                text += "\n" + _("Your Telegram id is {id}.").format(id=user.id)
            await refuse(event, text)
            return None


def staff_only(router: Router, required: StaffCan | None = None) -> Router:
    """Put the gate on a router's (or a dialog's) messages and buttons; with `required`, every
    update needs it."""
    gate = StaffGate(required)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    return router


def staff_router(name: str, required: StaffCan | None = None) -> Router:
    """A new router whose messages and buttons all pass the gate."""
    return staff_only(Router(name=name), required)
