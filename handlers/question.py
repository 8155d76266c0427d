"""Sending a question or recommendation on Telegram: field → text (checked for complaints) →
evidence → named or anonymous → review → send, and "My questions" with the answers.

The draft lives in FSM data, outside the dialog, so a resident who leaves half-way finds it
waiting; filing, validation and tracking codes are `bot.services.questions`, shared with Zalo.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import question as journey_question
from bot.journey.checks import Invalid
from bot.journey.steps import Step
from bot.services import questions as question_service
from bot.services.questions import QuestionError
from bot.texts import (
    CLARIFY,
    STATUS_LABELS,
    local_time,
    masked_phone,
    redirect_text,
    signature,
)
from handlers.common import CHANNEL, deps, esc, to_menu
from handlers.fallback import wrong_input
from handlers.states import STATE_OF, MyQuestionsV1, QuestionV1
from handlers.widgets import Tr, choice_list

DRAFT_KEY = "question_draft"  # FSM data: the question being written


async def get_draft(manager: DialogManager) -> dict[str, Any]:
    state = manager.middleware_data["state"]
    return dict((await state.get_data()).get(DRAFT_KEY) or {})


async def put_draft(manager: DialogManager, draft: dict[str, Any] | None) -> None:
    await manager.middleware_data["state"].update_data({DRAFT_KEY: draft})


def field_label(manager: DialogManager, field_id: str | None) -> str:
    d = deps(manager)
    field = d.survey.field(field_id) if field_id else None
    return field.label.get(d.locale) if field else ""


async def on_start(_start_data: Any, manager: DialogManager) -> None:
    """A draft left half-way is taken up where it stopped."""
    step = journey_question.resume_step(await get_draft(manager))
    if step is not Step.ASK_FIELD:
        await manager.switch_to(STATE_OF[step], show_mode=ShowMode.EDIT)


# --- field and text ----------------------------------------------------------------------


async def fields_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    return {"fields": [{"id": f.id, "label": f.label.get(d.locale)} for f in d.survey.fields]}


async def on_field(_cb: CallbackQuery, _w: Any, manager: DialogManager, field_id: str) -> None:
    if deps(manager).survey.field(field_id) is None:
        return
    draft = await get_draft(manager)
    draft["field"] = field_id
    await put_draft(manager, draft)
    await manager.switch_to(QuestionV1.text)


async def text_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    draft = await get_draft(dialog_manager)
    return {
        "field": esc(field_label(dialog_manager, draft.get("field"))),
        "limit": question_service.MAX_TEXT,
        "typed": esc(draft.get("text") or ""),
        "has_typed": bool(draft.get("text")),
    }


async def on_text(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    draft = await get_draft(manager)
    try:
        step = journey_question.take_text(draft, message.text)
    except Invalid as problem:
        await message.answer(str(problem))
        return
    await put_draft(manager, draft)
    await manager.switch_to(STATE_OF[step])


async def redirect_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    draft = await get_draft(dialog_manager)
    part = draft.get("recommendation")
    return {
        "redirect": esc(redirect_text(deps(dialog_manager).settings)),
        "part": esc(part or ""),
        "mixed": bool(part),
        "whole": not part,
    }


async def on_send_as_recommendation(
    _cb: CallbackQuery, _button: Button, manager: DialogManager
) -> None:
    """A mix sends only its recommendation part; a whole message goes flagged for the office
    (the button's label says which)."""
    draft = await get_draft(manager)
    step = journey_question.send_as_recommendation(draft)
    await put_draft(manager, draft)
    await manager.switch_to(STATE_OF[step])


async def on_clarified(_cb: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = journey_question.clarified(is_complaint=button.widget_id == "complaint")
    await manager.switch_to(STATE_OF[step])


async def on_cancel(_cb: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await put_draft(manager, None)
    await to_menu(None, None, manager)


# --- evidence, name, review ----------------------------------------------------------------


async def attachments_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    draft = await get_draft(dialog_manager)
    count = len(draft.get("attachments") or [])
    return {"count": count, "limit": question_service.MAX_ATTACHMENTS, "has_any": count > 0}


async def on_attachment(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    item = attachment_of(message)
    if item is None:
        await message.answer(_("Please send a photo or a document, or tap Continue."))
        return
    draft = await get_draft(manager)
    try:
        journey_question.add_attachment(draft, item)
    except Invalid as problem:
        await message.answer(str(problem))
        return
    await put_draft(manager, draft)


def attachment_of(message: Message) -> dict[str, Any] | None:
    if message.photo:
        largest = message.photo[-1]
        return {"kind": "photo", "file_id": largest.file_id, "size": largest.file_size}
    if message.document:
        document = message.document
        return {
            "kind": "document",
            "file_id": document.file_id,
            "mime": document.mime_type,
            "filename": document.file_name,
            "size": document.file_size,
        }
    return None


async def on_identity(_cb: CallbackQuery, button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft = await get_draft(manager)
    step = await journey_question.choose_identity(
        d.db, d.resident.id, draft, named=button.widget_id == "named"
    )
    await put_draft(manager, draft)
    await manager.switch_to(STATE_OF[step])


async def on_contact_consent(_cb: CallbackQuery, button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    decision = await journey_consent.decide_contact(
        d.db,
        d.resident.id,
        button.widget_id == "c_yes",
        asked_on=Step.ASK_CONTACT,
        channel=CHANNEL,
        settings=d.settings,
        now=d.now,
    )
    draft = await get_draft(manager)
    draft["named"] = decision.named
    await put_draft(manager, draft)
    await manager.switch_to(STATE_OF[decision.step])


async def on_name(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    draft = await get_draft(manager)
    try:
        step = journey_question.take_name(draft, message.text)
    except Invalid as problem:
        await message.answer(str(problem))
        return
    await put_draft(manager, draft)
    # Telegram can send the number itself: a button under the input field, used once.
    share = KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)
    await message.answer(
        _("You can also share your phone number with the button below."),
        reply_markup=ReplyKeyboardMarkup(
            keyboard=[[share]], resize_keyboard=True, one_time_keyboard=True
        ),
    )
    await manager.switch_to(STATE_OF[step])


async def on_phone(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    raw = message.contact.phone_number if message.contact else message.text
    draft = await get_draft(manager)
    try:
        step = journey_question.take_phone(draft, raw)
    except Invalid as problem:
        await message.answer(str(problem))
        return
    await put_draft(manager, draft)
    await message.answer(_("Thank you."), reply_markup=ReplyKeyboardRemove())
    await manager.switch_to(STATE_OF[step])


async def review_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    draft = await get_draft(dialog_manager)
    named = bool(draft.get("named"))
    return {
        "field": esc(field_label(dialog_manager, draft.get("field"))),
        "text": esc(draft.get("text") or ""),
        "count": len(draft.get("attachments") or []),
        "named": named,
        "anonymous": not named,
        "name": esc(draft.get("name") or ""),
        "phone": masked_phone(draft.get("phone")),
        "flagged": bool(draft.get("flag")),
    }


async def on_send(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    draft = await get_draft(manager)
    try:
        sent = await journey_question.send(
            d.db,
            draft,
            resident_id=d.resident.id,
            channel=CHANNEL,
            external_id=str(callback.from_user.id),
            locale=d.locale,
            settings=d.settings,
            now=d.now,
        )
    except Invalid as problem:
        await callback.answer(str(problem)[:200], show_alert=True)
        return
    if not isinstance(sent, journey_question.Sent):
        await manager.switch_to(STATE_OF[sent])
        return
    await put_draft(manager, None)
    manager.dialog_data["sent"] = {"code": sent.filed.code, "named": sent.named}
    notifier = manager.middleware_data.get("notifier")
    if notifier is not None:
        await d.db.commit()  # staff are told of a question that is stored
        await notifier.question_filed(sent.filed.id)
    await manager.switch_to(STATE_OF[sent.step])


async def sent_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    sent = dialog_manager.dialog_data.get("sent", {})
    return {
        "code": sent.get("code", ""),
        "named": sent.get("named", False),
        "anonymous": not sent.get("named", False),
    }


# --- my questions --------------------------------------------------------------------------


async def my_list_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    items = []
    for summary in await question_service.my_questions(d.db, d.resident.id):
        status = _(STATUS_LABELS.get(summary.status, summary.status))
        label = f"{summary.code} · {field_label(dialog_manager, summary.field)} · {status}"
        items.append({"id": str(summary.id), "label": label})
    return {"items": items, "empty": not items}


async def on_open(_cb: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    manager.dialog_data["qid"] = int(item)
    await manager.switch_to(MyQuestionsV1.detail)


async def detail_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    d = deps(dialog_manager)
    view = await question_service.question_for_resident(
        d.db, d.resident.id, dialog_manager.dialog_data.get("qid", 0)
    )
    if view is None:
        return {"found": False, "answered": False, "can_rate": False}
    field = field_label(dialog_manager, view.field)
    return {
        "found": True,
        "code": view.code,
        "field": esc(field),
        "status": _(STATUS_LABELS.get(view.status, view.status)),
        "sent_at": local_time(view.created_at, d.settings),
        "text": esc(view.text),
        "answered": view.answer_text is not None,
        "answer": esc(view.answer_text or ""),
        "signature": esc(signature(field, view.answered_role)),
        "can_rate": view.answer_text is not None and view.answer_rating is None,
        "rated": view.answer_rating is not None,
    }


async def on_rate(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    d = deps(manager)
    try:
        await question_service.rate_answer(
            d.db,
            d.resident.id,
            manager.dialog_data.get("qid", 0),
            button.widget_id == "r_yes",
            None,
            d.now,
        )
    except QuestionError as problem:
        await callback.answer(str(problem)[:200])
        return
    await callback.answer(_("Thank you for rating the answer."))


# --- the dialogs ---------------------------------------------------------------------------


def create_dialogs() -> list[Dialog]:
    menu_button = Button(Tr("🏠 Main menu"), id="menu", on_click=to_menu)
    ask = Dialog(
        Window(
            Tr("<b>Send a question or recommendation</b>"),
            Tr("Which field is it about?"),
            choice_list("f", "fields", on_field),
            Button(Tr("🏠 Main menu"), id="menu", on_click=to_menu),
            wrong_input(),
            state=QuestionV1.field,
            getter=fields_getter,
        ),
        Window(
            Tr("<b>{field}</b>"),
            Tr(
                "Write your question or recommendation in one message (at most {limit} "
                "characters). Please do not include ID numbers, health information or other "
                "people's personal data. Complaints and denunciations are not handled here."
            ),
            Tr("\nYour text so far: <i>{typed}</i>", when="has_typed"),
            SwitchTo(Tr("⬅️ Back"), id="back", state=QuestionV1.field),
            Button(Tr("✖ Cancel"), id="cancel", on_click=on_cancel),
            MessageInput(on_text),
            state=QuestionV1.text,
            getter=text_getter,
        ),
        Window(
            Format("{redirect}"),
            Tr(
                "\nPart of your message is a recommendation, which can go to the dialogue "
                "conference:\n<i>{part}</i>",
                when="mixed",
            ),
            Tr(
                "\nIf your message is in fact a recommendation, you can still send it.",
                when="whole",
            ),
            Button(
                Tr("Send the recommendation part"),
                id="part",
                on_click=on_send_as_recommendation,
                when="mixed",
            ),
            Button(
                Tr("Send it as a recommendation"),
                id="anyway",
                on_click=on_send_as_recommendation,
                when="whole",
            ),
            SwitchTo(Tr("✏️ Edit the text"), id="edit", state=QuestionV1.text),
            Button(Tr("✖ Cancel"), id="cancel", on_click=on_cancel),
            wrong_input(),
            state=QuestionV1.redirect,
            getter=redirect_getter,
        ),
        Window(
            Tr(CLARIFY),
            Button(Tr("(1) Feedback or a recommendation"), id="feedback", on_click=on_clarified),
            Button(Tr("(2) A complaint or a report"), id="complaint", on_click=on_clarified),
            wrong_input(),
            state=QuestionV1.clarify,
        ),
        Window(
            Tr(
                "You may send up to {limit} photos or documents as evidence (figures, papers), "
                "one per message. Then tap Continue."
            ),
            Tr("Received so far: {count}.", when="has_any"),
            Row(
                SwitchTo(Tr("Continue ➡️"), id="next", state=QuestionV1.identity),
                SwitchTo(Tr("✏️ Edit the text"), id="edit", state=QuestionV1.text),
            ),
            MessageInput(on_attachment),  # text or stickers get a hint from the same handler
            state=QuestionV1.attachments,
            getter=attachments_getter,
        ),
        Window(
            Tr(
                "Do you want an individual answer? Then your name and phone number are passed "
                "to the official in charge and the ward's Fatherland Front. Anonymous questions "
                "go into the conference digest and get no individual answer."
            ),
            Button(Tr("👤 Answer me by name"), id="named", on_click=on_identity),
            Button(Tr("🕶 Send anonymously"), id="anon", on_click=on_identity),
            wrong_input(),
            state=QuestionV1.identity,
        ),
        Window(
            Tr(
                "To answer you, the ward needs your consent to pass your question, with your "
                "name and phone, to the official in charge and the ward's Fatherland Front. "
                "Do you agree?"
            ),
            Row(
                Button(Tr("✅ I agree"), id="c_yes", on_click=on_contact_consent),
                Button(Tr("✖ Stay anonymous"), id="c_no", on_click=on_contact_consent),
            ),
            wrong_input(),
            state=QuestionV1.contact,
        ),
        Window(
            Tr("Please type your full name."),
            SwitchTo(Tr("⬅️ Back"), id="back", state=QuestionV1.identity),
            MessageInput(on_name, filter=F.text),
            wrong_input(),
            state=QuestionV1.name,
        ),
        Window(
            Tr("Please type your phone number, so that the official can contact you."),
            SwitchTo(Tr("⬅️ Back"), id="back", state=QuestionV1.name),
            MessageInput(on_phone, filter=F.text | F.contact),
            wrong_input(),
            state=QuestionV1.phone,
        ),
        Window(
            Tr("<b>Please check before sending</b>"),
            Tr("Field: {field}"),
            Tr("Text: <i>{text}</i>"),
            Tr("Attachments: {count}"),
            Tr("Sent with your name: {name}, {phone}", when="named"),
            Tr(
                "Sent anonymously: it goes into the conference digest; no individual answer "
                "will follow.",
                when="anonymous",
            ),
            Tr("It will be marked as possibly a complaint.", when="flagged"),
            Button(Tr("📨 Send"), id="send", on_click=on_send),
            Row(
                SwitchTo(Tr("✏️ Edit the text"), id="edit", state=QuestionV1.text),
                SwitchTo(Tr("👤 Name or anonymous"), id="who", state=QuestionV1.identity),
            ),
            Button(Tr("✖ Cancel"), id="cancel", on_click=on_cancel),
            wrong_input(),
            state=QuestionV1.review,
            getter=review_getter,
        ),
        Window(
            Tr("✅ Received. Your tracking code is <b>{code}</b>."),
            Tr(
                "The ward office passes it to the official in charge; the answer will come in "
                "this chat, and you can follow it under My questions.",
                when="named",
            ),
            Tr(
                "It goes into the digest for the dialogue conference; no individual answer "
                "will follow.",
                when="anonymous",
            ),
            Start(
                Tr("📬 My questions"),
                id="mine",
                state=MyQuestionsV1.list,
                mode=StartMode.RESET_STACK,
            ),
            menu_button,
            wrong_input(),
            state=QuestionV1.sent,
            getter=sent_getter,
        ),
        on_start=on_start,
    )
    mine = Dialog(
        Window(
            Tr("<b>My questions</b>"),
            Tr("You have not sent any question yet.", when="empty"),
            choice_list("q", "items", on_open),
            Button(Tr("🏠 Main menu"), id="menu", on_click=to_menu),
            wrong_input(),
            state=MyQuestionsV1.list,
            getter=my_list_getter,
        ),
        Window(
            Tr("<b>{code}</b> · {field}", when="found"),
            Tr("Status: {status} · sent {sent_at}", when="found"),
            Tr("\n{text}", when="found"),
            Tr("\n<b>Answer</b>: {answer}\n— {signature}", when="answered"),
            Tr("\nWas this answer satisfactory?", when="can_rate"),
            Row(
                Button(Tr("👍 Satisfied"), id="r_yes", on_click=on_rate),
                Button(Tr("👎 Not satisfied"), id="r_no", on_click=on_rate),
                when="can_rate",
            ),
            Tr("Thank you, your rating is recorded.", when="rated"),
            SwitchTo(Tr("⬅️ Back"), id="back", state=MyQuestionsV1.list),
            wrong_input(),
            state=MyQuestionsV1.detail,
            getter=detail_getter,
        ),
    )
    return [ask, mine]
