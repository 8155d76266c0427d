"""Helpers the resident dialogs share: dependencies from the dispatcher, and where a resident
lands when they (re)start."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram_dialog import DialogManager, ShowMode, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import consent
from bot.services import survey as survey_service
from bot.services.residents import ResidentRef
from bot.settings import Settings
from bot.survey.definition import Survey
from handlers.middlewares import CHANNEL
from handlers.states import ConsentV1, MenuV1, SurveyV1


@dataclass
class Deps:
    db: AsyncSession
    resident: ResidentRef | None
    locale: str
    survey: Survey
    settings: Settings
    now: datetime


def deps(manager: DialogManager) -> Deps:
    data = manager.middleware_data
    return Deps(
        db=data["db"],
        resident=data.get("resident"),
        locale=data["locale"],
        survey=data["survey"],
        settings=data["settings"],
        now=data["clock"](),
    )


def esc(value: Any) -> str:
    return html.escape(str(value), quote=False)


async def record_consent(
    d: Deps, purpose: consent.Purpose, given: bool, *, resident_id: str | None = None
) -> None:
    """Log a decision made on Telegram under the current notice (the resident's by default)."""
    await consent.record(
        d.db,
        resident_id or d.resident.id,
        purpose,
        given,
        channel=CHANNEL,
        notice_version=d.settings.notice_version,
        now=d.now,
    )


async def open_home(
    manager: DialogManager, *, show_mode: ShowMode = ShowMode.SEND, resume: bool = True
) -> None:
    """Consent first for someone new; their unfinished rating if there is one; else the menu."""
    d = deps(manager)
    mode = StartMode.RESET_STACK
    if d.resident is None:
        await manager.start(ConsentV1.survey, mode=mode, show_mode=show_mode)
        return
    decisions = await consent.decisions(d.db, d.resident.id)
    if consent.Purpose.SURVEY not in decisions:
        await manager.start(ConsentV1.survey, mode=mode, show_mode=show_mode)
        return
    if resume and consent.granted(decisions, consent.Purpose.SURVEY):
        draft = await survey_service.find_draft(d.db, d.resident.id)
        if draft is not None:
            await manager.start(
                SurveyV1.question,
                data={"rid": draft.response_id, "resumed": True},
                mode=mode,
                show_mode=show_mode,
            )
            return
    await manager.start(MenuV1.main, mode=mode, show_mode=show_mode)


async def to_menu(_event: Any, _widget: Any, manager: DialogManager) -> None:
    """Back to the main menu from anywhere; an unfinished rating stays saved."""
    await manager.start(MenuV1.main, mode=StartMode.RESET_STACK)


__all__ = ["CHANNEL", "Deps", "deps", "esc", "open_home", "record_consent", "to_menu"]
