"""The resident's main menu and the list of upcoming dialogue sessions."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import survey as journey_survey
from bot.journey.steps import Step
from bot.services import sessions
from bot.services.consent import Purpose
from bot.texts import session_entry
from handlers.common import deps
from handlers.fallback import wrong_input
from handlers.language import language_button
from handlers.states import STATE_OF, DataV1, MenuV1, SurveyV1
from handlers.widgets import Tr


async def menu_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    agreed = False
    draft_field = None
    if d.resident is not None:
        agreed = await journey_consent.granted(d.db, d.resident.id, Purpose.SURVEY)
        draft = await journey_survey.unfinished_rating(d.db, d.resident.id, agreed=agreed)
        if draft is not None:
            dialog_manager.dialog_data["draft"] = draft.response_id
            field = d.survey.field(draft.field)
            draft_field = field.label.get(d.locale) if field else draft.field
    return {"agreed": agreed, "draft_field": draft_field, "has_draft": draft_field is not None}


async def sessions_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    lines = [
        session_entry(s, d.settings) for s in await sessions.upcoming(d.db, d.now, d.settings.zone)
    ]
    listing = "\n\n".join(lines) if lines else _("No session is planned yet.")
    return {"listing": listing}


async def continue_draft(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await manager.start(SurveyV1.question, data={"rid": manager.dialog_data["draft"]})


def needs_consent(step: Step):
    """A button that opens `step` once the survey consent is given, else asks for it."""

    async def on_click(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        d = deps(manager)
        resident_id = d.resident.id if d.resident else None
        opened = await journey_consent.menu_entry(d.db, resident_id, step)
        if opened is Step.NOTICE:
            await manager.start(STATE_OF[opened], mode=StartMode.RESET_STACK)
        else:
            await manager.start(STATE_OF[opened])

    return on_click


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("<b>Main menu</b>"),
            Tr("What would you like to do?"),
            Button(
                Tr("▶️ Continue rating: {draft_field}"),
                id="cont",
                on_click=continue_draft,
                when="has_draft",
            ),
            Button(
                Tr("📝 Rate a field's procedures"),
                id="rate",
                on_click=needs_consent(Step.FIELD),
            ),
            Button(
                Tr("✉️ Send a question or recommendation"),
                id="ask",
                on_click=needs_consent(Step.ASK_FIELD),
            ),
            Button(Tr("📬 My questions"), id="mine", on_click=needs_consent(Step.MINE)),
            SwitchTo(Tr("📅 Upcoming dialogue sessions"), id="sess", state=MenuV1.sessions),
            language_button(),
            Start(Tr("🔒 My data"), id="data", state=DataV1.overview),
            wrong_input(),
            state=MenuV1.main,
            getter=menu_getter,
        ),
        Window(
            Tr("<b>Upcoming dialogue sessions</b>"),
            Format("{listing}"),
            SwitchTo(Tr("⬅️ Back"), id="back", state=MenuV1.main),
            wrong_input(),
            state=MenuV1.sessions,
            getter=sessions_getter,
        ),
    )
