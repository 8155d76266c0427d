"""The bot notice and consent, one purpose per screen, none pre-selected (domain.md §2.1)."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row

from bot.journey import consent as journey_consent
from bot.journey.steps import Step
from bot.services import residents
from bot.services.consent import Purpose
from bot.texts import CONSENT_QUESTIONS, NOTICE, NOTICE_SHORT, ward_committee
from handlers.common import CHANNEL, deps, open_home, record_consent, to_menu
from handlers.fallback import wrong_input
from handlers.language import language_button
from handlers.middlewares import remember_resident
from handlers.states import STATE_OF, ConsentV1
from handlers.widgets import Tr


async def notice_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    return {
        "ward": ward_committee(d.settings),
        "months": d.settings.retention_months,
        "details": bool(dialog_manager.dialog_data.get("details")),
    }


async def on_details(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    manager.dialog_data["details"] = True


def _decide(purpose: Purpose, given: bool):
    async def on_click(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        d = deps(manager)
        resident = d.resident or await residents.get_or_create(
            d.db, CHANNEL, str(callback.from_user.id), d.locale
        )
        await remember_resident(manager.middleware_data, resident)
        if purpose is Purpose.CONTACT:
            decision = await journey_consent.decide_contact(
                d.db,
                resident.id,
                given,
                asked_on=Step.CONSENT_CONTACT,
                channel=CHANNEL,
                settings=d.settings,
                now=d.now,
            )
            step = decision.step
        else:
            await record_consent(d, purpose, given, resident_id=resident.id)
            step = journey_consent.after_notice(purpose, given)
        if step is Step.HOME:
            await open_home(manager, show_mode=ShowMode.EDIT)
        else:
            await manager.switch_to(STATE_OF[step])

    return on_click


def _choices(purpose: Purpose) -> Row:
    return Row(
        Button(Tr("✅ I agree"), id=f"y_{purpose.value[:3]}", on_click=_decide(purpose, True)),
        Button(
            Tr("✖ I do not agree"), id=f"n_{purpose.value[:3]}", on_click=_decide(purpose, False)
        ),
    )


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr(NOTICE_SHORT, when=~F["details"]),
            Tr(NOTICE, when="details"),
            Tr(CONSENT_QUESTIONS[Purpose.SURVEY]),
            _choices(Purpose.SURVEY),
            Button(Tr("ℹ️ The full notice"), id="details", on_click=on_details, when=~F["details"]),
            language_button(),
            wrong_input(),
            state=ConsentV1.survey,
            getter=notice_getter,
        ),
        Window(
            Tr(CONSENT_QUESTIONS[Purpose.REMINDERS]),
            Tr("Only this chat account is used; no phone number is needed."),
            _choices(Purpose.REMINDERS),
            wrong_input(),
            state=ConsentV1.reminders,
        ),
        Window(
            Tr(CONSENT_QUESTIONS[Purpose.CONTACT]),
            Tr(
                "Without this, your opinions stay anonymous and go only into the conference digest."
            ),
            _choices(Purpose.CONTACT),
            wrong_input(),
            state=ConsentV1.contact,
        ),
        Window(
            Tr(
                "Your choice is recorded: you will not be asked survey questions, and nothing else "
                "about you is stored. You can still see the upcoming dialogue sessions, and change "
                "your mind at any time from the menu."
            ),
            Button(Tr("Main menu"), id="menu", on_click=to_menu),
            wrong_input(),
            state=ConsentV1.declined,
        ),
    )
