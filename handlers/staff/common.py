"""What the staff screens share: labels in the ward's language, buttons with typed callback
data, the short look at a question before an action, and the usage error of a typed command."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _, current_locale
from bot.survey.definition import Survey
from bot.texts import (
    ROLE_LABELS,
    STATUS_LABELS,
    clipped,
)
from models import QuestionStatus, ResidentQuestion

DONE = (QuestionStatus.ANSWERED, QuestionStatus.CLOSED, QuestionStatus.RECLASSIFIED)


class Usage(Exception):
    """A command typed the wrong way; `str()` is the hint."""


def field_label(survey: Survey, field_id: str) -> str:
    field = survey.field(field_id)
    return field.label.get(current_locale()) if field else field_id


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def role_label(role: str) -> str:
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def alert(callback: CallbackQuery, text: str) -> None:
    await callback.answer(clipped(text, 200), show_alert=True)


async def brief(db: AsyncSession, question_id: int) -> ResidentQuestion | None:
    """The question's code, field and status, to prompt before an action (the action itself
    is checked and audited by the service)."""
    stmt = select(ResidentQuestion).where(ResidentQuestion.id == question_id)
    return (await db.execute(stmt)).scalar_one_or_none()


def target(q: ResidentQuestion) -> str:
    return f"question:{q.code}"  # as bot.services.questions audits it


def done_message(status: str) -> str | None:
    if status == QuestionStatus.CLOSED:
        return _("This question is closed.")
    if status == QuestionStatus.ANSWERED:
        return _("This question is already answered.")
    return None
