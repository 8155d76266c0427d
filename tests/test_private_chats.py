"""The bot added to a group: residents' dialogs and staff commands run in private chats only.
A command, a mention or a reply to the bot in a group gets one polite line in the sender's
language and nothing else (no dialog, no figures, no export); a button tapped there gets the
line as an alert; other talk in the group is left alone."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User
from sqlalchemy import select

from models import AuditEntry
from tests.support.db_helpers import counts
from tests.support.staff_chat import ADMIN, admin, person  # noqa: F401 (fixtures)

GROUP = -1001234567890
LINE_VI = "Ông/Bà vui lòng nhắn riêng cho trợ lý tự động."
LINE_EN = "Please write to the bot in a private chat."


def in_group(someone):
    """The same Telegram user, writing in the ward's group chat instead of to the bot."""
    someone.client.chat = Chat(id=GROUP, type="supergroup", title="Tổ dân phố 5")
    return someone


def the_bot(app) -> User:
    return User(id=app.bot.id, is_bot=True, first_name="Phường", username="doithoai_test_bot")


async def feed(someone, **update) -> None:
    someone.client.last_update_id += 1
    await someone.app.dispatcher.feed_update(
        someone.app.bot, Update(update_id=someone.client.last_update_id, **update)
    )


def group_message(someone, text: str, **extra) -> Message:
    return Message(
        message_id=someone.client._new_message_id(),
        date=datetime.now(UTC),
        chat=someone.client.chat,
        from_user=someone.client.user,
        text=text,
        **extra,
    )


async def test_a_group_gets_one_polite_line_and_nothing_else(app, admin, person, telegram):
    resident = in_group(person(501))
    english = in_group(person(502, "en"))
    staff = in_group(person(ADMIN))

    await resident.send("/start")
    await english.send("/dulieu")
    await staff.send("/export named")
    await staff.send("/questions")
    await staff.send("/stats")
    await feed(resident, message=group_message(resident, "Chào cả tổ, mai họp nhé"))  # not to us
    mention = group_message(
        resident,
        "@doithoai_test_bot cho hỏi lịch đối thoại",
        entities=[MessageEntity(type="mention", offset=0, length=18)],
    )
    await feed(resident, message=mention)
    bot_said = (
        telegram.chat_messages(GROUP)[0]
        .as_message()
        .model_copy(update={"chat": resident.client.chat, "from_user": the_bot(app)})
    )
    await feed(resident, message=group_message(resident, "Còn gì nữa?", reply_to_message=bot_said))

    assert [m.text for m in telegram.chat_messages(GROUP)] == [
        LINE_VI,  # /start
        LINE_EN,  # /dulieu, in the sender's language
        LINE_VI,  # /export named
        LINE_VI,  # /questions
        LINE_VI,  # /stats
        LINE_VI,  # the mention
        LINE_VI,  # the reply to the bot
    ]
    assert all(m.markup is None and m.content is None for m in telegram.chat_messages(GROUP))
    assert telegram.documents(GROUP) == []
    sent_to = {form.get("chat_id") for _method, form in telegram.calls}
    assert sent_to <= {str(GROUP), None}  # nothing went to anyone's private chat either
    assert (await counts(app))["residents"] == 0  # nothing stored about the group's residents
    async with app.sessionmaker() as db:
        actions = set((await db.execute(select(AuditEntry.action))).scalars())
    assert not actions & {"export", "export_named", "list", "view_stats"}

    # In a private chat the same commands work as ever.
    staff.client.chat = Chat(id=ADMIN, type="private")
    await staff.send("/export")
    assert staff.last().text == "Chưa có kỳ đối thoại nào."  # the handler answered


async def test_a_button_tapped_in_a_group_gets_the_line_as_an_alert(app, person, telegram):
    resident = in_group(person(501))
    button = Message(
        message_id=77,
        date=datetime.now(UTC),
        chat=resident.client.chat,
        from_user=the_bot(app),
        text="Đánh giá",
    )
    tap = CallbackQuery(
        id="cb-group",
        from_user=resident.client.user,
        chat_instance="g",
        message=button,
        data="sq:o:1",
    )
    await feed(resident, callback_query=tap)
    assert telegram.callback_answers == [LINE_VI]
    assert telegram.chat_messages(GROUP) == []
    assert [method for method, _form in telegram.calls] == ["answerCallbackQuery"]
