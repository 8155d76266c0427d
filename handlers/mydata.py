"""/dulieu: see what is stored, give or withdraw each consent, delete everything at once."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.i18n import _
from bot.services import consent, data_rights
from bot.services.consent import PURPOSES, Purpose
from bot.texts import LANGUAGE_NAMES, PURPOSE_LABELS, local_time
from handlers.common import CHANNEL, deps, esc, open_home, to_menu
from handlers.fallback import wrong_input
from handlers.middlewares import remember_resident
from handlers.states import DataV1
from handlers.widgets import Tr, choice_list


async def overview_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    if d.resident is None:
        return {"stored": False, "report": "", "purposes": []}
    data = await data_rights.stored_data(d.db, d.resident)
    lines = [_("<b>What the ward's bot stores about you</b>")]
    for channel, external_id in data.accounts:
        lines.append(
            _("• Chat account: {channel} {account}").format(
                channel=esc(channel.capitalize()), account=esc(external_id)
            )
        )
    lines.append(_("• Language: {language}").format(language=LANGUAGE_NAMES[data.locale]))
    lines.append(
        _(
            "• Survey ratings: {submitted} submitted, {drafts} unfinished ({answers} answers)"
        ).format(
            submitted=data.responses.get("submitted", 0),
            drafts=data.responses.get("draft", 0),
            answers=data.answers,
        )
    )
    lines.append(_("• Questions and recommendations sent: {count}").format(count=data.questions))
    lines.append("\n" + _("<b>Your consents</b>"))
    purposes = []
    for purpose in PURPOSES:
        decision = data.decisions.get(purpose)
        label = _(PURPOSE_LABELS[purpose])
        if decision is None:
            status = _("not asked yet")
        elif decision.given:
            status = _("given on {time}").format(time=local_time(decision.recorded_at, d.settings))
        else:
            status = _("refused or withdrawn on {time}").format(
                time=local_time(decision.recorded_at, d.settings)
            )
        lines.append(f"• {esc(label)}: {status}")
        given = bool(decision and decision.given)
        button = _("Withdraw: {purpose}") if given else _("Agree: {purpose}")
        purposes.append({"id": purpose.value, "label": button.format(purpose=label)})
    return {"stored": True, "report": "\n".join(lines), "purposes": purposes}


async def on_toggle(_cb: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    d = deps(manager)
    if d.resident is None or item not in Purpose.__members__.values():
        return
    purpose = Purpose(item)
    decisions = await consent.decisions(d.db, d.resident.id)
    await consent.record(
        d.db,
        d.resident.id,
        purpose,
        not consent.granted(decisions, purpose),
        channel=CHANNEL,
        notice_version=d.settings.notice_version,
        now=d.now,
    )


async def on_delete(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    if d.resident is not None:
        await data_rights.erase_everything(d.db, d.resident.id)
        await remember_resident(manager.middleware_data, None)
    await manager.switch_to(DataV1.deleted)


async def on_restart(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await open_home(manager)


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{report}", when="stored"),
            Tr("The ward's bot stores nothing about you.", when=~F["stored"]),
            choice_list("c", "purposes", on_toggle),
            SwitchTo(
                Tr("🗑 Delete all my data"), id="del", state=DataV1.confirm_delete, when="stored"
            ),
            Button(Tr("🏠 Main menu"), id="menu", on_click=to_menu),
            wrong_input(),
            state=DataV1.overview,
            getter=overview_getter,
        ),
        Window(
            Tr(
                "Delete everything the ward's bot stores about you: your chat account, consents, "
                "all your survey answers and your questions? This cannot be undone."
            ),
            Button(Tr("🗑 Yes, delete everything"), id="yes", on_click=on_delete),
            SwitchTo(Tr("No, keep my data"), id="no", state=DataV1.overview),
            wrong_input(),
            state=DataV1.confirm_delete,
        ),
        Window(
            Tr("All your data has been deleted. Thank you for taking part."),
            Button(Tr("Start again"), id="again", on_click=on_restart),
            wrong_input(),
            state=DataV1.deleted,
        ),
    )
