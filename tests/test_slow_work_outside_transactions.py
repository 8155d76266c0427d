"""One resident's slow work never holds up the others: a Zalo image whose download hangs is
fetched with no database connection held (SQLite has one), and its bytes are stored once, in
`draft_attachments`, not in the conversation state."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound, Kind
from models import ConversationState, DraftAttachment, QuestionAttachment
from tests.support.fake_zalo import TOKEN
from tests.support.zalo import zalo_settings

PICTURE = b"\xff\xd8\xff\xe0" + b"jpeg" * 5000


class ZaloResident:
    """A resident writing to the channel; each message is handled as the webhook does."""

    def __init__(self, channel: ZaloChannel, server, user_id: str) -> None:
        self.channel = channel
        self.server = server
        self.user_id = user_id

    def _inbound(self, kind: Kind, text: str | None = None, url: str | None = None) -> Inbound:
        return Inbound(
            channel="zalo",
            chat_id=self.user_id,
            user_id=self.user_id,
            kind=kind,
            text=text,
            message_id=self.server.new_message_id(),
            photo_url=url,
        )

    async def say(self, text: str) -> list[str]:
        before = len(self.server.sent)
        await asyncio.wait_for(self.channel.handle(self._inbound(Kind.TEXT, text)), timeout=10)
        return [t for chat, t in self.server.sent[before:] if chat == self.user_id]

    def send_image(self, content: bytes) -> asyncio.Task[None]:
        name = self.server.new_message_id()
        self.server.images[name] = content
        url = f"{self.server.base_url}/img/{name}"
        return asyncio.create_task(self.channel.handle(self._inbound(Kind.IMAGE, url=url)))

    def replies(self) -> list[str]:
        return [t for chat, t in self.server.sent if chat == self.user_id]


def make_channel(app, settings, clock, zalo) -> ZaloChannel:
    zalo_set = zalo_settings(settings, zalo)
    conversation = TextConversation(app.sessionmaker, app.survey, zalo_set, clock)
    return ZaloChannel(zalo_set, conversation, ZaloClient(TOKEN, zalo.base_url, backoff=(0.01,)))


async def to_evidence_step(resident: ZaloResident) -> None:
    for text in ("Xin chào", "1", "1", "2", "2", "9"):  # consent, menu: question, field xd
        await resident.say(text)
    [evidence] = await resident.say("Đề nghị công khai danh mục giấy tờ xin phép xây dựng.")
    assert "tối đa 5 ảnh" in evidence


async def stored_state(app, user_id: str) -> dict:
    from models import Account

    async with app.sessionmaker() as db:
        return await db.scalar(
            select(ConversationState.state)
            .join(Account, Account.id == ConversationState.account_id)
            .where(Account.external_id == user_id)
        )


async def draft_rows(app) -> list[tuple[int, bytes]]:
    async with app.sessionmaker() as db:
        rows = await db.execute(select(DraftAttachment.size, DraftAttachment.content))
        return [tuple(row) for row in rows.all()]


async def test_a_hanging_image_download_does_not_hold_up_another_resident(
    app, settings, clock, zalo
):
    channel = make_channel(app, settings, clock, zalo)
    asker, other = ZaloResident(channel, zalo, "zu1"), ZaloResident(channel, zalo, "zu2")
    await to_evidence_step(asker)
    for text in ("Xin chào", "1", "1"):
        await other.say(text)

    zalo.image_gate = asyncio.Event()  # the image link hangs until opened
    upload = asker.send_image(PICTURE)
    await asyncio.wait_for(zalo.image_requested.wait(), timeout=10)

    # While the download hangs, the other resident is answered at once.
    [menu] = await other.say("2")
    assert "1. 📝 Đánh giá thủ tục theo lĩnh vực" in menu
    [sessions] = await other.say("4")
    assert sessions.startswith("Lịch Hội nghị đối thoại sắp tới")
    assert not upload.done()

    zalo.image_gate.set()
    await asyncio.wait_for(upload, timeout=10)
    assert "Đã nhận: 1." in asker.replies()[-1]

    # The bytes are stored once, in their own table; the state only names the row.
    assert await draft_rows(app) == [(len(PICTURE), PICTURE)]
    state = await stored_state(app, "zu1")
    [item] = state["ask"]["attachments"]
    assert set(item) == {"kind", "draft_id", "mime", "size"}
    assert len(json.dumps(state)) < 2000

    await asker.say("1")  # continue
    await asker.say("2")  # anonymous
    [sent] = await asker.say("1")  # send
    assert "Mã theo dõi của Ông/Bà là KN-26-0001." in sent
    async with app.sessionmaker() as db:
        kept = (await db.execute(select(QuestionAttachment.content))).scalars().all()
    assert kept == [PICTURE]
    assert await draft_rows(app) == []  # moved to the question, not copied
    await channel.close()


async def test_files_of_a_cancelled_or_erased_question_are_removed(app, settings, clock, zalo):
    channel = make_channel(app, settings, clock, zalo)
    asker = ZaloResident(channel, zalo, "zu1")
    await to_evidence_step(asker)
    await asker.send_image(PICTURE)
    await asker.send_image(PICTURE[:100])
    assert "Đã nhận: 2." in asker.replies()[-1]
    await asker.say("1")  # continue
    [review] = await asker.say("2")  # anonymous
    assert "Tệp đính kèm: 2" in review
    await asker.say("4")  # cancel
    assert await draft_rows(app) == []

    # A new question with a photo, left half-way; then "delete everything".
    for text in ("2", "9", "Xin hỏi về thủ tục cấp phép."):
        await asker.say(text)
    await asker.send_image(PICTURE)
    assert len(await draft_rows(app)) == 1
    await asker.say("dulieu")
    await asker.say("4")
    [deleted] = await asker.say("1")
    assert "đã được xoá" in deleted or "đã được xóa" in deleted
    async with app.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(DraftAttachment)) == 0
    await channel.close()


async def test_an_image_that_never_finishes_is_given_up_politely(app, settings, clock, zalo):
    channel = make_channel(app, settings, clock, zalo)
    channel.download_deadline = 0.5
    asker = ZaloResident(channel, zalo, "zu1")
    await to_evidence_step(asker)
    zalo.image_gate = asyncio.Event()  # never opened
    await asyncio.wait_for(asker.send_image(PICTURE), timeout=10)
    refusal, screen = asker.replies()[-2:]
    assert refusal == "Không thể lưu tệp này. Ông/Bà vui lòng gửi ảnh hoặc tài liệu."
    assert "tối đa 5 ảnh" in screen and "Đã nhận" not in screen
    assert await draft_rows(app) == []
    zalo.image_gate.set()
    await channel.close()
