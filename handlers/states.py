"""Every dialog state in one place. The stored key is class name + attribute, so renaming
either orphans saved dialogs: bump the suffix on purpose when a dialog's shape changes."""

from aiogram.fsm.state import State, StatesGroup


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
