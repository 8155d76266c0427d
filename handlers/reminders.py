"""The buttons under the scheduler's messages (scheduler/callbacks.py): a reminder's "Send a
question" and "Rate a field", which open those dialogs as the menu does, and the admins'
"Set date, time and place" under a drafted session, which opens it in /sessions.

They sit under plain messages, not dialog screens, so the dialog is started afresh and its
screen sent below them.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import consent
from bot.services.residents import ResidentRef
from bot.services.staff import Permission
from handlers.common import open_home
from handlers.sessions import SID
from handlers.staff.permissions import StaffCan, staff_router
from handlers.states import ConsentV1, QuestionV1, SessionsV1, SurveyV1
from scheduler.callbacks import ASK, PlanCb, ReminderCb


async def on_reminder(
    callback: CallbackQuery,
    callback_data: ReminderCb,
    db: AsyncSession,
    resident: ResidentRef | None,
    dialog_manager: DialogManager,
) -> None:
    await callback.answer()
    if resident is None:  # erased their data since the reminder
        await open_home(dialog_manager)
        return
    decisions = await consent.decisions(db, resident.id)
    if not consent.granted(decisions, consent.Purpose.SURVEY):
        state = ConsentV1.survey
    else:
        state = QuestionV1.field if callback_data.a == ASK else SurveyV1.field
    await dialog_manager.start(state, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def on_plan(
    callback: CallbackQuery,
    callback_data: PlanCb,
    dialog_manager: DialogManager,
) -> None:
    await callback.answer()
    # The session's screen needs its id in the dialog's data before the first render.
    await dialog_manager.start(
        SessionsV1.detail, mode=StartMode.RESET_STACK, show_mode=ShowMode.NO_UPDATE
    )
    dialog_manager.dialog_data[SID] = callback_data.s
    dialog_manager.show_mode = ShowMode.SEND
    await dialog_manager.show()


def planned_session(data: dict[str, Any]) -> str:
    return f"session:{data['callback_data'].s}"


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_reminder, ReminderCb.filter())
    # Admins only, in the ward's language, whoever taps it (as on the session's screens).
    plan = staff_router(
        f"{__name__}.plan",
        StaffCan(Permission.MANAGE_SESSIONS, "sessions", target=planned_session),
    )
    plan.callback_query.register(on_plan, PlanCb.filter())
    router.include_router(plan)
    return router
