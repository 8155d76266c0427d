""" "My questions" as numbered text: the list, one question with its answer and the
resident's rating of it, and the answer opened beside the conversation ("xem") (as the
"My questions" dialog of `handlers/question.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import asides, parsing
from bot.conversation.errors import Retry
from bot.conversation.parsing import Keyword
from bot.conversation.replies import numbered
from bot.conversation.screens.ask import field_text
from bot.i18n import _
from bot.journey.steps import Step
from bot.services import questions as question_service
from bot.services.questions import QuestionError
from bot.texts import STATUS_LABELS, local_time, plain, signature

if TYPE_CHECKING:
    from bot.conversation.engine import TextConversation
    from bot.conversation.turn import Turn

# State: the question's screen showed its answer, so a "1" or "2" there is a rating.
RATING_OFFERED = "rating_offered"


# --- the list -------------------------------------------------------------------------


async def show_list(conv: TextConversation, turn: Turn) -> str:
    summaries = await question_service.my_questions(turn.db, turn.resident.id)
    turn.state["mine"] = [s.id for s in summaries]
    if not summaries:
        return "\n".join([_("You have not sent any question yet."), _("0 = back to the menu")])
    lines = [
        (
            i,
            f"{s.code} · {field_text(conv, turn, s.field)} · {_(STATUS_LABELS.get(s.status, s.status))}",
        )
        for i, s in enumerate(summaries, start=1)
    ]
    return "\n".join(
        [
            plain(_("<b>My questions</b>")),
            numbered(lines),
            _("Reply with a number; 0 = back."),
        ]
    )


async def on_list(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    ids = turn.state.get("mine") or []
    number = parsing.parse_number(text)
    if ids and number is not None and 1 <= number <= len(ids):
        turn.go(Step.MINE_DETAIL, question=ids[number - 1])
        return
    if await leave_aside(conv, turn, text, word):
        return
    if number == 0 or word is Keyword.BACK or not ids:
        turn.go(Step.MENU)
        return
    raise Retry(_("Please reply with a number from 1 to {last}.").format(last=len(ids)))


async def show_detail(conv: TextConversation, turn: Turn) -> str:
    view = await question_service.question_for_resident(
        turn.db, turn.resident.id, turn.state.get("question") or 0
    )
    turn.state[RATING_OFFERED] = view is not None and view.answer_text is not None
    if view is None:
        turn.go(Step.MINE)
        return await show_list(conv, turn)
    field = field_text(conv, turn, view.field)
    parts = [
        f"{view.code} · {field}",
        _("Status: {status} · sent {sent_at}").format(
            status=_(STATUS_LABELS.get(view.status, view.status)),
            sent_at=local_time(view.created_at, conv.settings),
        ),
        "",
        view.text,
    ]
    if view.answer_text is not None:
        parts.append(
            plain(
                _("\n<b>Answer</b>: {answer}\n— {signature}").format(
                    answer=view.answer_text, signature=signature(field, view.answered_role)
                )
            )
        )
        if view.answer_rating is None:
            parts.append(_("\nWas this answer satisfactory?").strip())
            parts.append(numbered([(1, _("👍 Satisfied")), (2, _("👎 Not satisfied"))]))
        else:
            parts.append(_("Thank you, your rating is recorded."))
    parts.append(_("0 = back"))
    return "\n".join(parts)


async def on_detail(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> None:
    number = parsing.parse_number(text)
    # Only a screen that showed the answer takes a rating: one shown before the answer
    # arrived did not offer it.
    if number in (1, 2) and turn.state.get(RATING_OFFERED):
        try:
            await question_service.rate_answer(
                turn.db,
                turn.resident.id,
                turn.state.get("question") or 0,
                number == 1,
                None,
                turn.now,
            )
        except QuestionError as problem:
            raise Retry(str(problem)) from None
        turn.replies.append(_("Thank you for rating the answer."))
        if turn.state.get(asides.BACK_TO):  # opened with "xem": back to what they were doing
            turn.go(turn.state.pop(asides.BACK_TO))
        return
    if await leave_aside(conv, turn, text, word):
        return
    turn.go(Step.MINE)


# --- an answer opened beside the conversation ("xem") -----------------------------------


async def view_answer(conv: TextConversation, turn: Turn) -> None:
    """The latest answer not yet rated (else My questions), opened beside the screen the
    resident was on: leaving it returns there."""
    if turn.screen not in asides.ANSWER_SCREENS:
        turn.state[asides.BACK_TO] = turn.screen
    question = await question_service.latest_unrated_answer(turn.db, turn.resident.id)
    if question is None:
        turn.go(Step.MINE)
    else:
        turn.go(Step.MINE_DETAIL, question=question)


async def leave_aside(conv: TextConversation, turn: Turn, text: str, word: Keyword | None) -> bool:
    """Back to the screen "xem" was typed on, if it was; a reply other than "back" was
    meant for that screen and is read there. False when there is no such screen."""
    back = turn.state.pop(asides.BACK_TO, None)
    if not back:
        return False
    turn.go(back)
    if not (word is Keyword.BACK or parsing.parse_number(text) == 0):
        await conv.on_screen(turn, text, word)
    return True
