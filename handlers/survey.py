"""The survey on Telegram: field → procedure → one question per screen → review → submit.

One generic question window renders whatever question the draft is at, so editing the survey
file renames no state. Every tap goes straight to `bot.services.survey`, which the text
channels call too; this module only turns taps into those calls and answers into screens.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import survey as journey_survey
from bot.journey.steps import Step
from bot.services import survey as survey_service
from bot.services.survey import Draft, InvalidAnswer
from bot.survey import flow
from bot.survey.definition import QuestionType
from bot.texts import procedure_line, rating_summary
from handlers.common import CHANNEL, deps, esc, to_menu
from handlers.fallback import hint_for, wrong_input
from handlers.states import STATE_OF, SurveyV1
from handlers.widgets import Tr, choice_list

DRAFT_KEY = "draft"  # dialog_data: the draft as a plain dict, so a tap needs no query


async def load_draft(manager: DialogManager) -> Draft | None:
    """The draft this dialog works on: from the dialog's state, else rebuilt from the database
    (after a restart with in-memory state, or when the dialog was opened by id)."""
    rid = manager.dialog_data.get("rid")
    kept = manager.dialog_data.get(DRAFT_KEY)
    if kept is not None and kept["response_id"] == rid:
        return Draft.from_dict(kept)
    d = deps(manager)
    if rid is None or d.resident is None:
        return None
    draft = await survey_service.load(d.db, d.survey, rid, d.resident.id)
    if draft is not None:
        keep(manager, draft)
    return draft


def keep(manager: DialogManager, draft: Draft) -> None:
    manager.dialog_data["rid"] = draft.response_id
    manager.dialog_data[DRAFT_KEY] = draft.as_dict()


async def show_position(manager: DialogManager, draft: Draft, step: Step | None = None) -> None:
    """Remember the draft as the services left it and show the screen of `step`, by default
    the one for its position."""
    keep(manager, draft)
    state = STATE_OF[step or journey_survey.position_step(draft)]
    if manager.current_context().state != state:
        await manager.switch_to(state)


async def on_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict):
        manager.dialog_data.update(start_data)


# --- field, procedure, replacing an earlier rating ------------------------------------------


async def field_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    choice = await journey_survey.field_choice(d.db, d.settings, d.now, d.resident.id)
    session, rated = choice.session, choice.rated
    dialog_manager.dialog_data["sid"] = session.id
    fields = [
        {"id": f.id, "label": ("✅ " if f.id in rated else "") + f.label.get(d.locale)}
        for f in d.survey.fields
    ]
    return {"fields": fields, "session": esc(session.title), "any_rated": bool(rated)}


async def on_field(_cb: CallbackQuery, _w: Any, manager: DialogManager, field_id: str) -> None:
    d = deps(manager)
    if d.survey.field(field_id) is None:
        return
    manager.dialog_data["field"] = field_id
    await after_field(manager)


async def after_field(manager: DialogManager, *, again: bool = False) -> None:
    d = deps(manager)
    step = await journey_survey.after_field(
        d.db,
        d.survey,
        resident_id=d.resident.id,
        session_id=manager.dialog_data["sid"],
        field_id=manager.dialog_data["field"],
        again=again,
    )
    if step is Step.QUESTION:
        await begin(manager, None)
    else:
        await manager.switch_to(STATE_OF[step])


async def on_replace(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await after_field(manager, again=True)


def field_label(manager: DialogManager, field_id: str | None) -> str:
    d = deps(manager)
    field = d.survey.field(field_id) if field_id else None
    return field.label.get(d.locale) if field else ""


async def procedure_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    field = d.survey.field(dialog_manager.dialog_data["field"])
    procedures = [{"id": p.id, "label": p.label.get(d.locale)} for p in field.procedures]
    return {"procedures": procedures, "field": esc(field.label.get(d.locale))}


async def on_procedure(_cb: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    await begin(manager, item)


async def on_no_procedure(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await begin(manager, None)


async def begin(manager: DialogManager, procedure: str | None) -> None:
    d = deps(manager)
    draft = await survey_service.start(
        d.db,
        d.survey,
        resident_id=d.resident.id,
        session_id=manager.dialog_data["sid"],
        field=manager.dialog_data["field"],
        procedure=procedure,
        channel=CHANNEL,
    )
    await show_position(manager, draft)


async def replace_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"field": esc(field_label(dialog_manager, dialog_manager.dialog_data.get("field")))}


# --- one question per screen -------------------------------------------------------------


async def question_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    draft = await load_draft(dialog_manager)
    if draft is None or draft.position == flow.REVIEW:
        return {"gone": draft is None, "ready": False}
    question = d.survey.question(draft.position)
    number, total = flow.progress(d.survey, draft.answers, question.code)
    current = draft.answers.get(question.code)
    chosen = set(flow.split_multi(current))
    multi = question.type is QuestionType.MULTI
    options = []
    for option in question.options:
        mark = (
            ("☑️ " if option.code in chosen else "⬜ ")
            if multi
            else ("🔘 " if option.code in chosen else "")
        )
        # The question's code travels with the option, so a tap on an older screen is refused.
        options.append(
            {"id": f"{question.code}.{option.code}", "label": mark + option.label.get(d.locale)}
        )
    is_text = question.type is QuestionType.TEXT
    return {
        "gone": False,
        "ready": True,
        "resumed": bool(dialog_manager.dialog_data.pop("resumed", False)),
        "field": esc(field_label(dialog_manager, draft.field)),
        "number": number,
        "total": total,
        "element": esc(question.element.get(d.locale)) if question.element else "",
        "has_element": question.element is not None,
        "text": esc(question.text.get(d.locale)),
        "options": options,
        "is_multi": multi,
        "is_text": is_text,
        "max": question.max,
        "typed": esc(current) if is_text and current else "",
        "has_typed": bool(is_text and current),
        "optional": question.optional,
        "can_back": flow.previous_position(d.survey, draft.answers, question.code) is not None,
    }


async def current_question(manager: DialogManager):
    draft = await load_draft(manager)
    if draft is None or draft.position == flow.REVIEW:
        return draft, None
    return draft, deps(manager).survey.question(draft.position)


async def after_answer(manager: DialogManager, draft: Draft, code: str) -> None:
    d = deps(manager)
    step = await journey_survey.after_answer(d.db, d.survey, draft, code, d.resident.id)
    await show_position(manager, draft, step)


async def on_option(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    d = deps(manager)
    draft, question = await current_question(manager)
    if question is None:
        return
    asked, _dot, code = item.partition(".")
    if asked != question.code:
        await callback.answer(_("That button belongs to an earlier question; nothing was changed."))
        return
    try:
        if question.type is QuestionType.MULTI:
            await survey_service.toggle(d.db, d.survey, draft, question.code, code)
            keep(manager, draft)
            return
        await survey_service.answer(d.db, d.survey, draft, question.code, code)
    except InvalidAnswer as problem:
        await callback.answer(str(problem))
        return
    await after_answer(manager, draft, question.code)


async def on_multi_done(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft, question = await current_question(manager)
    if question is None:
        return
    chosen = flow.split_multi(draft.answers.get(question.code))
    try:
        if chosen:
            await survey_service.answer(d.db, d.survey, draft, question.code, chosen)
        else:
            await survey_service.skip(d.db, d.survey, draft, question.code)
    except InvalidAnswer:
        await callback.answer(_("Please choose at least one answer, then tap Done."))
        return
    await after_answer(manager, draft, question.code)


async def on_skip(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft, question = await current_question(manager)
    if question is None:
        return
    try:
        await survey_service.skip(d.db, d.survey, draft, question.code)
    except InvalidAnswer as problem:
        await callback.answer(str(problem))
        return
    await show_position(manager, draft)


async def on_back(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft = await load_draft(manager)
    if draft is None:
        return
    step = await journey_survey.back(d.db, d.survey, draft)
    if step is Step.FIELD:
        await manager.switch_to(STATE_OF[step])
    else:
        await show_position(manager, draft, step)


async def on_typed(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    d = deps(manager)
    draft, question = await current_question(manager)
    manager.show_mode = ShowMode.SEND  # the resident's message pushed the screen up
    if question is None:
        return
    if question.type is not QuestionType.TEXT or not message.text:
        hint = (
            hint_for(message)
            if question.type is not QuestionType.TEXT
            else _("Please type your answer as a text message.")
        )
        await message.answer(hint)
        return
    try:
        await survey_service.answer(d.db, d.survey, draft, question.code, message.text)
    except InvalidAnswer as problem:
        await message.answer(str(problem))
        return
    await after_answer(manager, draft, question.code)


# --- consent for a reply (F2), review, submit, thanks --------------------------------------


async def on_contact(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft = await load_draft(manager)
    decision = await journey_consent.decide_contact(
        d.db,
        d.resident.id,
        button.widget_id == "c_yes",
        asked_on=Step.CONTACT,
        survey_step=journey_survey.position_step(draft) if draft else None,
        channel=CHANNEL,
        settings=d.settings,
        now=d.now,
    )
    if decision.note:
        await callback.answer(decision.note)
    if draft is not None:
        await show_position(manager, draft, decision.step)


async def review_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    draft = await load_draft(dialog_manager)
    if draft is None:
        return {"gone": True, "ready": False, "lines": "", "edits": []}
    lines, edits = [], []
    for number, question in enumerate(flow.visible_questions(d.survey, draft.answers), start=1):
        label = flow.answer_label(question, draft.answers.get(question.code), d.locale)
        shown = esc(label) if label else _("(skipped)")
        lines.append(f"{number}. {esc(question.title(d.locale))}: <i>{shown}</i>")
        edits.append({"id": question.code, "n": number})
    return {
        "gone": False,
        "ready": True,
        "field": esc(field_label(dialog_manager, draft.field)),
        "procedure": esc(procedure_line(d.survey, draft.field, draft.procedure, d.locale)),
        "lines": "\n".join(lines),
        "edits": edits,
    }


async def on_edit(_cb: CallbackQuery, _w: Any, manager: DialogManager, code: str) -> None:
    d = deps(manager)
    draft = await load_draft(manager)
    if draft is None:
        return
    try:
        await survey_service.move(d.db, d.survey, draft, code)
    except InvalidAnswer:
        return
    await show_position(manager, draft)


async def on_submit(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft = await load_draft(manager)
    if draft is None:
        return
    try:
        submitted = await journey_survey.submit(d.db, d.survey, draft, d.now)
    except InvalidAnswer as problem:
        await callback.answer(str(problem))
        return
    if submitted.step is not Step.DONE:
        await callback.answer(submitted.note)
        await show_position(manager, draft, submitted.step)
        return
    manager.dialog_data.pop(DRAFT_KEY, None)
    manager.dialog_data["done"] = {"field": draft.field, "answers": draft.answers}
    await manager.switch_to(SurveyV1.done)


async def done_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    done = dialog_manager.dialog_data.get("done", {})
    return {
        "field": esc(field_label(dialog_manager, done.get("field"))),
        "summary": rating_summary(d.survey, done.get("answers", {})),
    }


# --- the dialog -------------------------------------------------------------------------


def menu_button() -> Button:
    return Button(Tr("🏠 Main menu"), id="menu", on_click=to_menu)


def gone_notice() -> Tr:
    return Tr("This rating is no longer available. Please start again from the menu.", when="gone")


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("<b>Rate a field's procedures</b> · {session}"),
            Tr("Which field was your procedure in?"),
            Tr("✅ = already rated for this session; you can rate it again.", when="any_rated"),
            choice_list("f", "fields", on_field),
            menu_button(),
            wrong_input(),
            state=SurveyV1.field,
            getter=field_getter,
        ),
        Window(
            Tr("<b>{field}</b>"),
            Tr("Which procedure was it? (optional)"),
            choice_list("p", "procedures", on_procedure),
            Button(Tr("Another one / not sure"), id="p_none", on_click=on_no_procedure),
            SwitchTo(Tr("⬅️ Back"), id="back", state=SurveyV1.field),
            wrong_input(),
            state=SurveyV1.procedure,
            getter=procedure_getter,
        ),
        Window(
            Tr(
                "You have already rated <b>{field}</b> for this session. Rate it again? Your new "
                "answers will replace the earlier ones when you submit them; until then the "
                "earlier ones stay."
            ),
            Button(Tr("Yes, rate again"), id="again", on_click=on_replace),
            SwitchTo(Tr("No, go back"), id="keep", state=SurveyV1.field),
            wrong_input(),
            state=SurveyV1.replace,
            getter=replace_getter,
        ),
        Window(
            Tr("Welcome back! You can continue where you left off.\n", when="resumed"),
            Tr("<b>{field}</b> · Question {number}/{total}", when="ready"),
            Format("<i>{element}</i>", when="has_element"),
            Format("\n{text}", when="ready"),
            Tr("\nChoose up to {max}, then tap Done.", when="is_multi"),
            Tr("\nType your answer and send it as a message.", when="is_text"),
            Tr("Your answer so far: <i>{typed}</i>", when="has_typed"),
            gone_notice(),
            choice_list("o", "options", on_option),
            Button(Tr("✔️ Done"), id="done", on_click=on_multi_done, when="is_multi"),
            Row(
                Button(Tr("⬅️ Back"), id="prev", on_click=on_back, when="can_back"),
                Button(Tr("⏭ Skip"), id="skip", on_click=on_skip, when="optional"),
            ),
            Button(Tr("⏸ Save and exit"), id="exit", on_click=to_menu),
            MessageInput(on_typed),
            state=SurveyV1.question,
            getter=question_getter,
        ),
        Window(
            Tr(
                "To reply to you or invite you to speak, the ward needs your consent to pass your "
                "question, with your name and phone, to the official in charge and the ward's "
                "Fatherland Front. Do you agree?"
            ),
            Tr(
                "Without it, your opinion stays anonymous and goes only into the conference digest."
            ),
            Row(
                Button(Tr("✅ I agree"), id="c_yes", on_click=on_contact),
                Button(Tr("✖ Stay anonymous"), id="c_no", on_click=on_contact),
            ),
            wrong_input(),
            state=SurveyV1.contact,
        ),
        Window(
            Tr("<b>Please check your answers: {field}</b>", when="ready"),
            Format("{procedure}", when="procedure"),
            Format("{lines}", when="ready"),
            Tr("\nTap a number to change that answer, or submit.", when="ready"),
            gone_notice(),
            Group(
                Select(
                    Format("✏️ {item[n]}"),
                    id="e",
                    item_id_getter=itemgetter("id"),
                    items="edits",
                    on_click=on_edit,
                ),
                width=5,
            ),
            Button(Tr("📨 Submit"), id="submit", on_click=on_submit, when="ready"),
            Button(Tr("⬅️ Back"), id="prev", on_click=on_back, when="ready"),
            Button(Tr("⏸ Save and exit"), id="exit", on_click=to_menu),
            wrong_input(),
            state=SurveyV1.review,
            getter=review_getter,
        ),
        Window(
            Tr("🙏 Thank you! Your rating of <b>{field}</b> has been recorded."),
            Format("{summary}"),
            SwitchTo(Tr("📝 Rate another field"), id="another", state=SurveyV1.field),
            menu_button(),
            wrong_input(),
            state=SurveyV1.done,
            getter=done_getter,
        ),
        on_start=on_start,
    )
