"""Helpers the resident dialogs share: dependencies from the dispatcher, and where a resident
lands when they (re)start."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram_dialog import DialogManager, ShowMode, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.journey import consent as journey_consent
from bot.journey import survey as journey_survey
from bot.services import consent
from bot.services.residents import ResidentRef
from bot.settings import Settings
from bot.survey.definition import Survey
from handlers.middlewares import CHANNEL
from handlers.states import STATE_OF, MenuV1


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
    await journey_consent.record(
        d.db,
        resident_id or d.resident.id,
        purpose,
        given,
        channel=CHANNEL,
        settings=d.settings,
        now=d.now,
    )


async def open_home(
    manager: DialogManager, *, show_mode: ShowMode = ShowMode.SEND, resume: bool = True
) -> None:
    """Consent first for someone new; their unfinished rating if there is one; else the menu."""
    d = deps(manager)
    landing = await journey_survey.landing(
        d.db, d.resident.id if d.resident else None, resume=resume
    )
    data = {"rid": landing.response_id, "resumed": True} if landing.response_id else None
    await manager.start(
        STATE_OF[landing.step], data=data, mode=StartMode.RESET_STACK, show_mode=show_mode
    )


async def to_menu(_event: Any, _widget: Any, manager: DialogManager) -> None:
    """Back to the main menu from anywhere; an unfinished rating stays saved."""
    await manager.start(MenuV1.main, mode=StartMode.RESET_STACK)


__all__ = ["CHANNEL", "Deps", "deps", "esc", "open_home", "record_consent", "to_menu"]
