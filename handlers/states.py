"""Every dialog state in one place. The stored key is class name + attribute, so renaming
either orphans saved dialogs: bump the suffix on purpose when a dialog's shape changes."""

from aiogram.fsm.state import State, StatesGroup

from bot.journey.steps import Step


class ConsentV1(StatesGroup):
    survey = State()
    reminders = State()
    contact = State()
    declined = State()


class MenuV1(StatesGroup):
    main = State()
    sessions = State()


class SurveyV1(StatesGroup):
    field = State()
    procedure = State()
    replace = State()
    question = State()
    contact = State()
    review = State()
    done = State()


class DataV1(StatesGroup):
    overview = State()
    confirm_delete = State()


class QuestionV1(StatesGroup):
    field = State()
    text = State()
    redirect = State()
    clarify = State()
    attachments = State()
    identity = State()
    contact = State()
    name = State()
    phone = State()
    review = State()
    sent = State()


class MyQuestionsV1(StatesGroup):
    list = State()
    detail = State()


class StaffV1(StatesGroup):
    """Plain FSM states (not a dialog): what a staff member's next text message is."""

    answer = State()  # the answer to a question
    hide_reason = State()  # why a question is hidden


class SessionsV1(StatesGroup):
    """The ward office's dialogue sessions (admins): the list, the new-session wizard (title
    to review), one session, the choice of what to edit, the cancel confirmation."""

    list = State()
    title = State()
    date = State()
    time = State()
    place = State()
    agenda = State()
    review = State()
    detail = State()
    edit = State()
    confirm_cancel = State()


class BroadcastV1(StatesGroup):
    """An announcement to residents (admins): the audience, the text, an optional photo or
    document, the preview with Send, Edit and Cancel."""

    audience = State()
    text = State()
    attachment = State()
    preview = State()


# The dialog state that renders each step of the journey (`bot.journey.steps`); `HOME` and
# `DELETED` have none (landing is `handlers.common.open_home`; erasure leaves no dialog).
STATE_OF: dict[Step, State] = {
    Step.NOTICE: ConsentV1.survey,
    Step.CONSENT_REMINDERS: ConsentV1.reminders,
    Step.CONSENT_CONTACT: ConsentV1.contact,
    Step.DECLINED: ConsentV1.declined,
    Step.MENU: MenuV1.main,
    Step.SESSIONS: MenuV1.sessions,
    Step.FIELD: SurveyV1.field,
    Step.PROCEDURE: SurveyV1.procedure,
    Step.REPLACE: SurveyV1.replace,
    Step.QUESTION: SurveyV1.question,
    Step.CONTACT: SurveyV1.contact,
    Step.REVIEW: SurveyV1.review,
    Step.DONE: SurveyV1.done,
    Step.ASK_FIELD: QuestionV1.field,
    Step.ASK_TEXT: QuestionV1.text,
    Step.ASK_REDIRECT: QuestionV1.redirect,
    Step.ASK_CLARIFY: QuestionV1.clarify,
    Step.ASK_ATTACHMENTS: QuestionV1.attachments,
    Step.ASK_IDENTITY: QuestionV1.identity,
    Step.ASK_CONTACT: QuestionV1.contact,
    Step.ASK_NAME: QuestionV1.name,
    Step.ASK_PHONE: QuestionV1.phone,
    Step.ASK_REVIEW: QuestionV1.review,
    Step.ASK_SENT: QuestionV1.sent,
    Step.MINE: MyQuestionsV1.list,
    Step.MINE_DETAIL: MyQuestionsV1.detail,
    Step.DATA: DataV1.overview,
    Step.DATA_DELETE: DataV1.confirm_delete,
}
