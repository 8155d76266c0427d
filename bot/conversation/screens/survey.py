"""Rating a field: which field, which procedure, one question per screen, the consent a
question may need, review, submit, thanks (as `handlers/survey.py`)."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from bot.conversation import parsing, understanding
from bot.conversation.errors import Retry
from bot.conversation.parsing import Keyword
from bot.conversation.replies import choose, numbered, yes_or_no
from bot.conversation.screens import home
from bot.i18n import _
from bot.journey import consent as journey_consent
from bot.journey import survey as journey_survey
from bot.journey.steps import Step
from bot.services import survey as survey_service
from bot.services.survey import Draft
from bot.survey import flow
from bot.survey.definition import Question, QuestionType
from bot.texts import plain, procedure_line, rating_summary

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn


# --- choosing what to rate -----------------------------------------------------------------


async def show_field(conv: TextConversation, turn: Turn) -> str:
    choice = await journey_survey.field_choice(turn.db, conv.settings, turn.now, turn.resident.id)
    session, rated = choice.session, choice.rated
    turn.state["sid"] = session.id
    lines = [
        (i, ("✅ " if f.id in rated else "") + f.label.get(turn.locale))
        for i, f in enumerate(conv.survey.fields, start=1)
    ]
    parts = [
        plain(_("<b>Rate a field's procedures</b> · {session}").format(session=session.title)),
        _("Which field was your procedure in?"),
        numbered(lines),
    ]
    if rated:
        parts.append(_("✅ = already rated for this session; you can rate it again."))
    parts.append(_("Reply with a number; 0 = back."))
    return "\n".join(parts)


async def on_field(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    fields = conv.survey.fields
    index = choose(text, [f.label.get(turn.locale) for f in fields])
    if index is Keyword.BACK:
        turn.go(Step.MENU)
        return
    turn.state["field"] = fields[index].id
    await after_field(conv, turn)


async def after_field(conv: TextConversation, turn: Turn, *, again: bool = False) -> None:
    step = await journey_survey.after_field(
        turn.db,
        conv.survey,
        resident_id=turn.resident.id,
        session_id=turn.state["sid"],
        field_id=turn.state["field"],
        again=again,
    )
    if step is Step.QUESTION:
        await begin(conv, turn, None)
    else:
        turn.go(step)


async def show_replace(conv: TextConversation, turn: Turn) -> str:
    field = conv.survey.field(turn.state["field"])
    return "\n\n".join(
        [
            plain(
                _(
                    "You have already rated <b>{field}</b> for this session. Rate it again? "
                    "Your new answers will replace the earlier ones when you submit them; "
                    "until then the earlier ones stay."
                ).format(field=field.label.get(turn.locale))
            ),
            numbered([(1, _("Yes, rate again")), (2, _("No, go back"))]),
        ]
    )


async def on_replace(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    if yes_or_no(text):
        await after_field(conv, turn, again=True)
    else:
        turn.go(Step.FIELD)


async def show_procedure(conv: TextConversation, turn: Turn) -> str:
    field = conv.survey.field(turn.state["field"])
    procedures = [p.label.get(turn.locale) for p in field.procedures]
    lines = list(enumerate(procedures, start=1))
    lines.append((len(procedures) + 1, _("Another one / not sure")))
    return "\n".join(
        [
            field.label.get(turn.locale),
            _("Which procedure was it? (optional)"),
            numbered(lines),
            _("Reply with a number; 0 = back."),
        ]
    )


async def on_procedure(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    field = conv.survey.field(turn.state["field"])
    labels = [p.label.get(turn.locale) for p in field.procedures]
    labels.append(_("Another one / not sure"))
    if word is Keyword.SKIP:
        await begin(conv, turn, None)
        return
    index = choose(text, labels)
    if index is Keyword.BACK:
        turn.go(Step.FIELD)
        return
    await begin(conv, turn, field.procedures[index].id if index < len(field.procedures) else None)


async def begin(conv: TextConversation, turn: Turn, procedure: str | None) -> None:
    draft = await survey_service.start(
        turn.db,
        conv.survey,
        resident_id=turn.resident.id,
        session_id=turn.state["sid"],
        field=turn.state["field"],
        procedure=procedure,
        channel=turn.inbound.channel,
    )
    open_draft(turn, draft)


# --- the draft kept in the conversation state -------------------------------------------------


def open_draft(turn: Turn, draft: Draft, step: Step | None = None) -> None:
    """Remember the draft as the services left it and go to `step`, by default the screen
    for its position."""
    turn.state["draft"] = draft.as_dict()
    turn.go(step or journey_survey.position_step(draft))


def current_draft(turn: Turn) -> Draft | None:
    kept = turn.state.get("draft")
    if kept is None:
        return None
    draft = Draft.from_dict(kept)
    if draft.resident_id != turn.resident.id:
        return None
    return draft


# --- the questions ---------------------------------------------------------------------------


def option_keys(question: Question) -> list[int]:
    """The number a resident types for each option. Every rating scale runs the same way,
    best first and numbered from the top down, so the best is the highest number: 5 = very
    satisfied … 1 on the 5-point scale, 3 = very satisfied … 1 = not satisfied on the
    3-level one; unscored options such as "not applicable" follow the highest. Other
    questions count 1, 2, 3 in order. (Only the numbers differ: the stored codes do not.)"""
    scores = [o.score for o in question.options if o.score is not None]
    best_first = all(a > b for a, b in pairwise(scores))
    if question.scale is None or len(scores) < 2 or not best_first:
        return list(range(1, len(question.options) + 1))
    keys, rank, above = [], len(scores), len(scores)
    for option in question.options:
        if option.score is not None:
            keys.append(rank)
            rank -= 1
        else:
            above += 1
            keys.append(above)
    return keys


async def show_question(conv: TextConversation, turn: Turn) -> str:
    draft = current_draft(turn)
    if draft is None or draft.position == flow.REVIEW:
        return await home.lost(conv, turn)
    question = conv.survey.question(draft.position)
    number, total = flow.progress(conv.survey, draft.answers, question.code)
    field = conv.survey.field(draft.field)
    parts = [
        plain(
            _("<b>{field}</b> · Question {number}/{total}").format(
                field=field.label.get(turn.locale), number=number, total=total
            )
        )
    ]
    if question.element:
        parts.append(question.element.get(turn.locale))
    parts.append("")
    parts.append(question.text.get(turn.locale))
    current = draft.answers.get(question.code)
    if question.type is QuestionType.TEXT:
        if current:
            parts.append(plain(_("Your answer so far: <i>{typed}</i>").format(typed=current)))
        parts.append(_("Type your answer and send it as a message."))
    else:
        chosen = set(flow.split_multi(current))
        keys = option_keys(question)
        lines = [
            (key, ("✓ " if o.code in chosen else "") + o.label.get(turn.locale))
            for key, o in zip(keys, question.options, strict=True)
        ]
        parts.append(numbered(lines))
        if question.type is QuestionType.MULTI:
            parts.append(
                _("Reply with the numbers of your choices, e.g. 1 3 (at most {max}).").format(
                    max=question.max
                )
            )
        elif number == 1:
            parts.append(_("Reply with one number."))
    # How to go back or leave is said once, on the first question; later screens add
    # only what is new there (skipping an optional question). "giúp" repeats it all.
    extras = [_("0 = back"), _('"menu" = save and exit')] if number == 1 else []
    if question.optional:
        extras.insert(1 if extras else 0, _('"bỏ qua" = skip'))
    if extras:
        parts.append(" · ".join(extras))
    return "\n".join(parts)


async def on_question(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    draft = current_draft(turn)
    if draft is None or draft.position == flow.REVIEW:
        await home.land(conv, turn, resume=True)
        return
    question = conv.survey.question(draft.position)
    value = read_answer(question, text, word, turn.locale)
    if value is Keyword.BACK:
        await back(conv, turn, draft)
        return
    if value is Keyword.SKIP:
        await survey_service.skip(turn.db, conv.survey, draft, question.code)
        open_draft(turn, draft)
        return
    await survey_service.answer(turn.db, conv.survey, draft, question.code, value)
    step = await journey_survey.after_answer(
        turn.db, conv.survey, draft, question.code, turn.resident.id
    )
    open_draft(turn, draft, step)


def read_answer(
    question: Question, text: str, word: Keyword | None, locale: str
) -> str | list[str] | Keyword:
    """The answer typed (option codes, or the text), or ``Keyword.BACK``/``SKIP``."""
    if question.type is QuestionType.TEXT:
        # "không" is both "no" and the number zero: as an answer it is text.
        if word is Keyword.BACK or (parsing.parse_number(text) == 0 and word is not Keyword.NO):
            return Keyword.BACK
        return Keyword.SKIP if word is Keyword.SKIP else text
    if question.type is QuestionType.MULTI:
        hint = _("Please reply with the numbers of your choices, e.g. 1 3 (at most {max}).").format(
            max=question.max
        )
    else:
        choices = ", ".join(str(k) for k in option_keys(question))
        hint = _("Please reply with one of these numbers: {choices}.").format(choices=choices)
    meaning = understanding.understood(text, question_screen(question, locale), hint)
    if meaning.navigation is not None:
        return meaning.navigation
    codes = [question.options[i].code for i in sorted(meaning.choices)]
    return codes if question.type is QuestionType.MULTI else codes[0]


def question_screen(question: Question, locale: str) -> understanding.Screen:
    """A survey question as the matcher of typed replies sees it."""
    options = tuple(
        understanding.Option(
            key, option.label.get(locale), (option.label.vi, option.label.en), option.score
        )
        for key, option in zip(option_keys(question), question.options, strict=True)
    )
    return understanding.Screen(
        options,
        multi=question.type is QuestionType.MULTI,
        yes_no=question.type is QuestionType.YES_NO,
        navigation=frozenset({Keyword.BACK, Keyword.SKIP}),
    )


async def start_over(conv: TextConversation, turn: Turn) -> None:
    """ "làm lại", "từ đầu": a rating in progress goes back to its first question, answers
    kept (each shown ✓, changed by typing again); anywhere else, as /start."""
    draft = current_draft(turn) if turn.screen in (Step.QUESTION, Step.REVIEW) else None
    if draft is None:
        await home.land(conv, turn, resume=True)
        return
    first = flow.visible_questions(conv.survey, draft.answers)[0]
    await survey_service.move(turn.db, conv.survey, draft, first.code)
    open_draft(turn, draft)
    turn.replies.append(
        _("Back to the first question. Your answers so far are kept: reply to change them.")
    )


async def back(conv: TextConversation, turn: Turn, draft: Draft) -> None:
    step = await journey_survey.back(turn.db, conv.survey, draft)
    if step is Step.FIELD:
        turn.go(step)
    else:
        open_draft(turn, draft, step)


# --- the consent a "yes" may need ---------------------------------------------------------------


async def show_contact(conv: TextConversation, turn: Turn) -> str:
    return "\n\n".join(
        [
            _(
                "To reply to you or invite you to speak, the ward needs your consent to pass "
                "your question, with your name and phone, to the official in charge and the "
                "ward's Fatherland Front. Do you agree?"
            ),
            _("Without it, your opinion stays anonymous and goes only into the conference digest."),
            numbered([(1, _("✅ I agree")), (2, _("✖ Stay anonymous"))]),
        ]
    )


async def on_contact(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    draft = current_draft(turn)
    decision = await journey_consent.decide_contact(
        turn.db,
        turn.resident.id,
        yes_or_no(text),
        asked_on=Step.CONTACT,
        survey_step=journey_survey.position_step(draft) if draft else None,
        channel=turn.inbound.channel,
        settings=conv.settings,
        now=turn.now,
    )
    if decision.note:
        turn.replies.append(decision.note)
    if draft is not None:
        open_draft(turn, draft, decision.step)
    else:
        turn.go(decision.step)


# --- review, submit, thanks -----------------------------------------------------------------


async def show_review(conv: TextConversation, turn: Turn) -> str:
    draft = current_draft(turn)
    if draft is None:
        return await home.lost(conv, turn)
    field = conv.survey.field(draft.field)
    lines = []
    for number, question in enumerate(flow.visible_questions(conv.survey, draft.answers), start=1):
        label = flow.answer_label(question, draft.answers.get(question.code), turn.locale)
        lines.append(f"{number}. {question.title(turn.locale)}: {label or _('(skipped)')}")
    procedure = procedure_line(conv.survey, draft.field, draft.procedure, turn.locale)
    return "\n".join(
        [
            plain(
                _("<b>Please check your answers: {field}</b>").format(
                    field=field.label.get(turn.locale)
                )
            ),
            *([procedure] if procedure else []),
            *lines,
            "",
            _('Reply "gửi" to submit, the number of an answer to change it, or 0 to go back.'),
        ]
    )


async def on_review(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    draft = current_draft(turn)
    if draft is None:
        await home.land(conv, turn, resume=True)
        return
    if word is Keyword.SUBMIT:
        await submit(conv, turn, draft)
        return
    number = parsing.parse_number(text)
    visible = flow.visible_questions(conv.survey, draft.answers)
    if number == 0 or word is Keyword.BACK:
        await back(conv, turn, draft)
        return
    if number is None or not 1 <= number <= len(visible):
        raise Retry(
            _('Reply "gửi" to submit, the number of an answer to change it, or 0 to go back.')
        )
    await survey_service.move(turn.db, conv.survey, draft, visible[number - 1].code)
    open_draft(turn, draft)


async def submit(conv: TextConversation, turn: Turn, draft: Draft) -> None:
    submitted = await journey_survey.submit(turn.db, conv.survey, draft, turn.now)
    if submitted.step is not Step.DONE:
        open_draft(turn, draft, submitted.step)
        turn.replies.append(submitted.note)
        return
    turn.state["draft"] = None
    turn.go(Step.DONE, done={"field": draft.field, "answers": draft.answers})


async def show_done(conv: TextConversation, turn: Turn) -> str:
    done = turn.state.get("done") or {}
    field = conv.survey.field(done.get("field", ""))
    parts = [
        plain(
            _("🙏 Thank you! Your rating of <b>{field}</b> has been recorded.").format(
                field=field.label.get(turn.locale) if field else ""
            )
        ),
        rating_summary(conv.survey, done.get("answers", {})),
        "",
        numbered([(1, _("📝 Rate another field")), (2, _("🏠 Main menu"))]),
    ]
    return "\n".join(parts)


async def on_done(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    turn.go(Step.FIELD if parsing.parse_number(text) == 1 else "menu")
