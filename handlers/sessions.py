"""Dialogue sessions for the ward office on Telegram: /sessions lists them; a wizard creates
one (title → date → time → place → agenda → review); a session's screen edits one item at a
time, opens or closes its survey window, and cancels it after a confirmation.

Every decision and the audit log are bot.services.sessions' (plain values), which allows only
admins. A refusal is answered politely and the handler returns normally, so the update's
transaction keeps the audit entry. Staff read these screens in the ward's language
(DEFAULT_LOCALE); dates and times are typed and shown in the ward's zone and stored in UTC.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Row, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, _
from bot.services import sessions
from bot.services.sessions import SessionError
from bot.services.staff import Permission, PermissionDenied, StaffRef
from bot.settings import Settings
from bot.texts import clipped, local_time
from handlers.common import deps, esc
from handlers.fallback import wrong_input
from handlers.staff.permissions import FLAG, StaffCan, staff_only, staff_router
from handlers.states import SessionsV1
from handlers.widgets import Tr
from models import DialogueSession, SessionStatus
from models.sessions import open_session

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# dialog_data keys
SID = "sid"  # the session on screen
MODE = "mode"  # NEW while the wizard runs, EDIT while one item of SID is being changed
DRAFT = "draft"  # what was typed so far: title, date (ISO), time (HH:MM), place, agenda
NOTICE = "notice"  # one line telling what the last tap did (or why not), shown once
NEW, EDIT = "new", "edit"
ADMIN_ONLY = StaffCan(Permission.MANAGE_SESSIONS, "sessions")  # /sessions and its screens

STATUS_LABELS = {
    SessionStatus.PLANNED: N_("planned"),
    SessionStatus.OPEN: N_("survey open"),
    SessionStatus.CLOSED: N_("closed"),
    SessionStatus.CANCELLED: N_("cancelled"),
}
STATUS_ICONS = {
    SessionStatus.PLANNED: "🗓",
    SessionStatus.OPEN: "🟢",
    SessionStatus.CLOSED: "⏹",
    SessionStatus.CANCELLED: "✖",
}

# The wizard's order; Back in an edit returns to the session instead.
NEXT = {
    SessionsV1.title: SessionsV1.date,
    SessionsV1.date: SessionsV1.time,
    SessionsV1.time: SessionsV1.place,
    SessionsV1.place: SessionsV1.agenda,
    SessionsV1.agenda: SessionsV1.review,
}
PREVIOUS = {after: before for before, after in NEXT.items()} | {SessionsV1.title: SessionsV1.list}


# --- small helpers ----------------------------------------------------------------------------


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def actor(manager: DialogManager) -> StaffRef:
    return manager.middleware_data["me"]


def draft(manager: DialogManager) -> dict[str, Any]:
    return manager.dialog_data.setdefault(DRAFT, {})


def editing(manager: DialogManager) -> bool:
    return manager.dialog_data.get(MODE) == EDIT


def today(manager: DialogManager) -> date:
    d = deps(manager)
    return d.now.astimezone(d.settings.zone).date()


async def on_screen(manager: DialogManager) -> DialogueSession | None:
    sid = manager.dialog_data.get(SID)
    return await sessions.get(deps(manager).db, sid) if sid is not None else None


def notice(manager: DialogManager, text: str) -> None:
    manager.dialog_data[NOTICE] = text


def take_notice(manager: DialogManager) -> dict[str, Any]:
    text = manager.dialog_data.pop(NOTICE, None)
    return {"notice": esc(text or ""), "has_notice": bool(text)}


async def refuse(message: Message, manager: DialogManager, problem: Exception) -> None:
    """Typed input that cannot be taken: say why, then show the same step again below."""
    await message.answer(esc(problem))
    manager.show_mode = ShowMode.SEND


def card(values: dict[str, Any], settings: Settings, status: str | None = None) -> str:
    """A session's details as staff read them, in the ward's time."""
    lines = [f"<b>{esc(values['title'] or '')}</b>"]
    if status is not None:
        lines.append(_("Status: {status}").format(status=status_label(status)))
    lines.append(f"🕘 {local_time(values['starts_at'], settings)}")
    place = values["place"] or _("place to be announced")
    lines.append(f"📍 {esc(place)}")
    if values["agenda"]:
        lines.append(_("📋 Agenda:") + f"\n{esc(values['agenda'])}")
    return "\n".join(lines)


def draft_start(values: dict[str, Any], settings: Settings) -> datetime | None:
    if not values.get("date") or not values.get("time"):
        return None
    day, at = date.fromisoformat(values["date"]), time.fromisoformat(values["time"])
    return sessions.starts_at_utc(day, at, settings.zone)


async def current_values(manager: DialogManager) -> dict[str, Any]:
    """What the session will be: the wizard's draft, or the session on screen with the edit's
    pending changes (a date waiting for its time)."""
    d = deps(manager)
    values: dict[str, Any] = dict.fromkeys(("title", "date", "time", "place", "agenda"))
    if editing(manager):
        session = await on_screen(manager)
        if session is not None:
            values |= {"title": session.title, "place": session.place, "agenda": session.agenda}
            if session.starts_at is not None:
                day, at = sessions.local_parts(session.starts_at, d.settings.zone)
                values |= {"date": day.isoformat(), "time": at.strftime("%H:%M")}
    values |= draft(manager)
    values["starts_at"] = draft_start(values, d.settings)
    return values


# --- /sessions and the list -------------------------------------------------------------------


async def cmd_sessions(
    message: Message,
    db: AsyncSession,
    clock: Callable[[], datetime],
    dialog_manager: DialogManager,
) -> None:
    await dialog_manager.start(SessionsV1.list, mode=StartMode.RESET_STACK)


async def list_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    items = []
    for session in await sessions.for_staff(d.db):
        label = (
            f"{STATUS_ICONS.get(session.status, '')} {local_time(session.starts_at, d.settings)}"
            f" · {clipped(session.title, 32)} · {status_label(session.status)}"
        )
        items.append({"id": str(session.id), "label": label})
    current = await open_session(d.db)
    return {
        "sessions": items,
        "empty": not items,
        "open_title": esc(current.title) if current else "",
        "has_open": current is not None,
        "none_open": current is None,
    }


async def on_pick(_cb: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    manager.dialog_data[SID] = int(item)
    await manager.switch_to(SessionsV1.detail)


async def on_new(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    manager.dialog_data.update({MODE: NEW, DRAFT: {}})
    await manager.switch_to(SessionsV1.title)


async def to_list(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop(MODE, None)
    manager.dialog_data.pop(DRAFT, None)
    await manager.switch_to(SessionsV1.list)


# --- the input steps, shared by the wizard and the edits --------------------------------------


async def input_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    values = await current_values(dialog_manager)
    d = deps(dialog_manager)
    new = not editing(dialog_manager)
    session = None if new else await on_screen(dialog_manager)
    day = date.fromisoformat(values["date"]) if values["date"] else None
    day_text = sessions.local_date_text(day) if day else ""
    return {
        "new": new,
        "edit": not new,
        "session": esc(session.title if session else ""),
        "low": sessions.MIN_TITLE,
        "high": sessions.MAX_TITLE,
        "place_limit": sessions.MAX_PLACE,
        "agenda_limit": sessions.MAX_AGENDA,
        "example": sessions.local_date_text(sessions.example_day(today(dialog_manager))),
        "title": esc(values["title"] or ""),
        "has_title": bool(values["title"]),
        "date": day_text,
        "has_date": bool(values["date"]),
        "time": values["time"] or "",
        "has_time": bool(values["time"]),
        "place": esc(values["place"] or ""),
        "has_place": bool(values["place"]),
        "agenda": esc(values["agenda"] or ""),
        "has_agenda": bool(values["agenda"]),
        "card": card(values, d.settings),
    }


async def review_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return await input_getter(dialog_manager, **kwargs) | take_notice(dialog_manager)


async def on_back(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    if editing(manager):
        await back_to_session(manager)
        return
    await manager.switch_to(PREVIOUS[manager.current_context().state])


def sync_session(manager: DialogManager, session_id: int) -> None:
    """The session's reminders follow its change in a moment, in the worker whose scheduler
    runs (the dispatcher's `sync_session`, given by bot/app.py; elsewhere a no-op, and the
    leader's once-a-minute reconciliation catches up)."""
    manager.middleware_data["sync_session"](session_id)


async def back_to_session(manager: DialogManager) -> None:
    manager.dialog_data.pop(MODE, None)
    manager.dialog_data.pop(DRAFT, None)
    await manager.switch_to(SessionsV1.detail)


async def save(message: Message | None, manager: DialogManager, **changes: Any) -> None:
    """An edit: stored at once, then back to the session's screen."""
    d = deps(manager)
    try:
        await sessions.update_session(
            d.db, actor(manager), manager.dialog_data[SID], now=d.now, **changes
        )
    except (PermissionDenied, SessionError) as problem:
        if message is not None:
            await refuse(message, manager, problem)
        else:
            notice(manager, "⚠️ " + str(problem))
            await back_to_session(manager)
        return
    sync_session(manager, manager.dialog_data[SID])  # its reminders follow the new date and time
    notice(manager, _("✅ Saved."))
    await back_to_session(manager)


async def step_done(manager: DialogManager, **values: Any) -> None:
    """The wizard keeps the value and goes on to the next step."""
    draft(manager).update(values)
    await manager.switch_to(NEXT[manager.current_context().state])


async def keep_typed(
    message: Message,
    manager: DialogManager,
    key: str,
    clean: Callable[[str], str | None],
    missing: str | None = None,
) -> None:
    """A typed title, place or agenda: cleaned (what is wrong with it is told to the admin),
    then saved when editing, or kept for the wizard's next step. `missing` (marked with N_)
    asks again when the message held no text."""
    manager.show_mode = ShowMode.SEND
    try:
        value = clean(message.text or "")
    except SessionError as problem:
        await refuse(message, manager, problem)
        return
    if value is None and missing is not None:
        await message.answer(_(missing))
        return
    if editing(manager):
        await save(message, manager, **{key: value})
    else:
        await step_done(manager, **{key: value})


async def on_title(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    await keep_typed(message, manager, "title", sessions.clean_title)


async def on_date(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    try:
        day = sessions.parse_date(message.text or "", today(manager))
    except SessionError as problem:
        await refuse(message, manager, problem)
        return
    values = await current_values(manager)
    if editing(manager) and values["time"]:  # a new day at the same time
        at = time.fromisoformat(values["time"])
        await save(
            message, manager, starts_at=sessions.starts_at_utc(day, at, deps(manager).settings.zone)
        )
        return
    draft(manager)["date"] = day.isoformat()
    await manager.switch_to(SessionsV1.time)


async def on_time(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    d = deps(manager)
    values = await current_values(manager)
    if not values["date"]:  # the time of a session with no date yet: the date first
        await manager.switch_to(SessionsV1.date)
        return
    try:
        at = sessions.parse_time(message.text or "")
        starts_at = sessions.starts_at_utc(date.fromisoformat(values["date"]), at, d.settings.zone)
        sessions.check_start(starts_at, d.now)
    except SessionError as problem:
        await refuse(message, manager, problem)
        return
    if editing(manager):
        await save(message, manager, starts_at=starts_at)
    else:
        await step_done(manager, time=at.strftime("%H:%M"))


async def on_place(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    await keep_typed(
        message,
        manager,
        "place",
        sessions.clean_place,
        N_("Please type where the session takes place."),
    )


async def on_agenda(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    await keep_typed(
        message,
        manager,
        "agenda",
        sessions.clean_agenda,
        N_("Please type the agenda as a text message, or tap No agenda."),
    )


async def on_no_agenda(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    if editing(manager):
        await save(None, manager, agenda=None)
    else:
        await step_done(manager, agenda=None)


async def on_create(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    values = await current_values(manager)
    if values["starts_at"] is None or not values["title"]:  # e.g. a stale review screen
        await manager.switch_to(SessionsV1.title)
        return
    try:
        session = await sessions.create_session(
            d.db,
            actor(manager),
            title=values["title"],
            starts_at=values["starts_at"],
            place=values["place"],
            agenda=values["agenda"],
            now=d.now,
        )
    except (PermissionDenied, SessionError) as problem:
        notice(manager, str(problem))  # shown on the review screen; e.g. the time has passed
        return
    sync_session(
        manager, session.id
    )  # its reminders are scheduled now, not at the next reconciliation
    manager.dialog_data.update({SID: session.id})
    manager.dialog_data.pop(MODE, None)
    manager.dialog_data.pop(DRAFT, None)
    notice(manager, _("✅ The session is created. Residents see it under upcoming sessions."))
    await manager.switch_to(SessionsV1.detail)


# --- one session ------------------------------------------------------------------------------


async def detail_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    session = await on_screen(dialog_manager)
    shown = take_notice(dialog_manager)
    if session is None:
        return {"found": False, "card": _("This session was not found.")} | shown | _no_actions()
    values = {
        "title": session.title,
        "starts_at": session.starts_at,
        "place": session.place,
        "agenda": session.agenda,
    }
    status = session.status
    return {
        "found": True,
        "card": card(values, d.settings, status),
        "title": esc(session.title),
        "when": local_time(session.starts_at, d.settings),
        "editable": status != SessionStatus.CANCELLED,
        "can_open": status in (SessionStatus.PLANNED, SessionStatus.CLOSED),
        "can_close": status == SessionStatus.OPEN,
        "can_cancel": status in (SessionStatus.PLANNED, SessionStatus.OPEN),
        "is_open": status == SessionStatus.OPEN,
    } | shown


def _no_actions() -> dict[str, bool]:
    return dict.fromkeys(("editable", "can_open", "can_close", "can_cancel", "is_open"), False)


async def on_edit_item(_cb: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.update({MODE: EDIT, DRAFT: {}})
    state = EDIT_ITEMS[button.widget_id]
    session = await on_screen(manager)
    if state == SessionsV1.time and session is not None and session.starts_at is None:
        state = SessionsV1.date  # no date yet: the day first, then its time
    await manager.switch_to(state)


EDIT_ITEMS = {
    "e_title": SessionsV1.title,
    "e_date": SessionsV1.date,
    "e_time": SessionsV1.time,
    "e_place": SessionsV1.place,
    "e_agenda": SessionsV1.agenda,
}


def status_change(
    change: Callable[..., Awaitable[DialogueSession]], done: str
) -> Callable[[CallbackQuery, Button, DialogManager], Awaitable[None]]:
    """A button that opens or closes the survey window, or cancels the session."""

    async def on_click(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
        d = deps(manager)
        try:
            await change(d.db, actor(manager), manager.dialog_data[SID], now=d.now)
        except (PermissionDenied, SessionError) as problem:
            notice(manager, "⚠️ " + str(problem))
        else:
            sync_session(manager, manager.dialog_data[SID])  # cancelled: reminders stop, notices go
            notice(manager, _(done))
        await manager.switch_to(SessionsV1.detail)

    return on_click


on_open_survey = status_change(
    sessions.open_survey,
    N_("🟢 The survey window is open: residents' answers now go to this session."),
)
on_close_survey = status_change(
    sessions.close_survey,
    N_("⏹ The survey window is closed. Answers now go to the next planned session."),
)
on_cancel_session = status_change(
    sessions.cancel_session, N_("✖ The session is cancelled. Residents no longer see it.")
)


# --- the dialog -------------------------------------------------------------------------------


def input_window(
    state: Any, item: str, step: str, prompt: str, now: str, handler: Any, *extra: Any
) -> Window:
    """One typed value (`item`): the wizard's step n of 5, or one item of an edit."""
    return Window(
        Tr(step, when="new"),
        Tr("<b>Editing:</b> {session}", when="edit"),
        Tr(prompt),
        Tr(now, when=f"has_{item}"),
        *extra,
        Row(
            Button(Tr("⬅️ Back"), id="back", on_click=on_back),
            Button(Tr("✖ Cancel"), id="quit", on_click=to_list, when="new"),
        ),
        MessageInput(handler),
        state=state,
        getter=input_getter,
    )


def create_dialog() -> Dialog:
    dialog = Dialog(
        Window(
            Tr("<b>Dialogue sessions</b>"),
            Tr("🟢 Survey window open: <b>{open_title}</b>", when="has_open"),
            Tr(
                "No survey window is open: residents' answers go to the next planned session.",
                when="none_open",
            ),
            Tr("No session yet.", when="empty"),
            Tr("Tap a session to see or change it.", when="sessions"),
            ScrollingGroup(
                Select(
                    Format("{item[label]}"),
                    id="s",
                    item_id_getter=itemgetter("id"),
                    items="sessions",
                    on_click=on_pick,
                ),
                id="pages",
                width=1,
                height=6,
                hide_on_single_page=True,
            ),
            Button(Tr("➕ New session"), id="new", on_click=on_new),
            wrong_input(),
            state=SessionsV1.list,
            getter=list_getter,
        ),
        input_window(
            SessionsV1.title,
            "title",
            N_("<b>New dialogue session</b> · step 1 of 5"),
            N_(
                "Please type the session's title ({low} to {high} characters), for example: "
                "Dialogue conference, December 2026."
            ),
            N_("Now: <i>{title}</i>"),
            on_title,
        ),
        input_window(
            SessionsV1.date,
            "date",
            N_("<b>New dialogue session</b> · step 2 of 5"),
            N_("On which day? Please type the date as day/month/year, for example {example}."),
            N_("Now: <i>{date}</i>"),
            on_date,
        ),
        input_window(
            SessionsV1.time,
            "time",
            N_("<b>New dialogue session</b> · step 3 of 5"),
            N_("At what time (ward time)? For example 08:00, 7:30 or 19h30."),
            N_("Now: <i>{time}</i>"),
            on_time,
        ),
        input_window(
            SessionsV1.place,
            "place",
            N_("<b>New dialogue session</b> · step 4 of 5"),
            N_(
                "Where? Please type the place (at most {place_limit} characters), for "
                "example: Hall of the Ward People's Committee."
            ),
            N_("Now: <i>{place}</i>"),
            on_place,
        ),
        input_window(
            SessionsV1.agenda,
            "agenda",
            N_("<b>New dialogue session</b> · step 5 of 5"),
            N_("The agenda, in one message (at most {agenda_limit} characters), or tap No agenda."),
            N_("Now: <i>{agenda}</i>"),
            on_agenda,
            Button(Tr("⏭ No agenda"), id="no_agenda", on_click=on_no_agenda),
        ),
        Window(
            Tr("<b>New dialogue session</b> · please check, then create it."),
            Format("{card}"),
            Format("\n⚠️ {notice}", when="has_notice"),
            Button(Tr("✅ Create"), id="create", on_click=on_create),
            Row(
                Button(Tr("⬅️ Back"), id="back", on_click=on_back),
                Button(Tr("✖ Cancel"), id="quit", on_click=to_list),
            ),
            wrong_input(),
            state=SessionsV1.review,
            getter=review_getter,
        ),
        Window(
            Format("{notice}\n", when="has_notice"),
            Format("{card}"),
            Tr("\n🟢 Residents' survey answers now go to this session.", when="is_open"),
            SwitchTo(Tr("✏️ Edit"), id="edit", state=SessionsV1.edit, when="editable"),
            Button(Tr("🟢 Open the survey"), id="open", on_click=on_open_survey, when="can_open"),
            Button(
                Tr("⏹ Close the survey"), id="close", on_click=on_close_survey, when="can_close"
            ),
            SwitchTo(
                Tr("✖ Cancel the session"),
                id="cancel",
                state=SessionsV1.confirm_cancel,
                when="can_cancel",
            ),
            Button(Tr("⬅️ Back"), id="back", on_click=to_list),
            wrong_input(),
            state=SessionsV1.detail,
            getter=detail_getter,
        ),
        Window(
            Tr("<b>Editing:</b> {title}"),
            Tr("What would you like to change?"),
            Row(
                Button(Tr("Title"), id="e_title", on_click=on_edit_item),
                Button(Tr("Date"), id="e_date", on_click=on_edit_item),
                Button(Tr("Time"), id="e_time", on_click=on_edit_item),
            ),
            Row(
                Button(Tr("Place"), id="e_place", on_click=on_edit_item),
                Button(Tr("Agenda"), id="e_agenda", on_click=on_edit_item),
            ),
            SwitchTo(Tr("⬅️ Back"), id="back", state=SessionsV1.detail),
            wrong_input(),
            state=SessionsV1.edit,
            getter=detail_getter,
        ),
        Window(
            Tr("Cancel the session <b>{title}</b> ({when})? Residents will no longer see it."),
            Tr(
                "Its survey window closes; the answers already given stay with it.",
                when="is_open",
            ),
            Button(Tr("✖ Yes, cancel the session"), id="yes", on_click=on_cancel_session),
            SwitchTo(Tr("⬅️ No, keep it"), id="no", state=SessionsV1.detail),
            wrong_input(),
            state=SessionsV1.confirm_cancel,
            getter=detail_getter,
        ),
    )
    return staff_only(dialog, ADMIN_ONLY)


def create_router() -> Router:
    """/sessions, ahead of the residents' commands (which once took it as an alias of /lich)."""
    router = staff_router(__name__)
    router.message.register(cmd_sessions, Command("sessions"), flags={FLAG: ADMIN_ONLY})
    return router
