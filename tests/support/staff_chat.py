"""Staff and residents on Telegram through the real dispatcher: a Person and their chat, the
admin and an official, a question asked through the dialog, and the texts staff read."""

from __future__ import annotations

import pytest

from bot.__main__ import bootstrap_admins
from tests.support.fake_telegram import ChatMessage
from tests.support.journey import consent_all, write_question
from tests.support.resident import Resident

ADMIN, LEADER, OFFICIAL, OTHER_OFFICIAL, RESIDENT = 1, 10, 20, 30, 501
TP = "Tư pháp – Hộ tịch"
QUESTION = "Xin hỏi thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?"
ANSWER = "Ông/Bà mang theo giấy chứng sinh và căn cước của cha mẹ đến bộ phận một cửa."
SIGNATURE = "Tư pháp – Hộ tịch — Công chức phụ trách"
ONLY_STAFF = "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
NOT_YOUR_ROLE = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."


class Person(Resident):
    """A Telegram user, staff or resident, and every message of their chat with the bot."""

    @property
    def messages(self) -> list[ChatMessage]:
        return self.telegram.chat_messages(self.user_id)

    def last(self, containing: str = "") -> ChatMessage:
        found = [m for m in self.messages if containing in m.text]
        assert found, f"no message with {containing!r}: {[m.text for m in self.messages]}"
        return found[-1]

    async def reply(self, text: str, to: ChatMessage) -> None:
        await self.client.send(text, reply_to=to.as_message())


@pytest.fixture
def person(app, telegram):
    def make(user_id: int, language: str | None = "vi") -> Person:
        return Person(app, telegram, user_id, language)

    return make


@pytest.fixture
async def admin(app, settings, person) -> Person:
    await bootstrap_admins(app, settings)  # as `python -m bot` does at start-up
    return person(ADMIN)


@pytest.fixture
async def official(admin, person) -> Person:
    # An official whose Telegram speaks English still works in the ward's language.
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
    assert "✅ Đã thêm:" in admin.last().text
    return person(OFFICIAL, "en")


async def ask(resident: Person, text: str = QUESTION, *, named: bool = True) -> str:
    """The resident sends a question on TP through the dialog; returns its tracking code."""
    await consent_all(resident, contact=True)
    await write_question(resident, TP, text)
    await resident.tap("Tiếp tục ➡️")
    if named:
        await resident.tap("👤 Trả lời tôi theo tên")
        await resident.send("Nguyễn Văn An")
        await resident.send("0912 345 678")
    else:
        await resident.tap("🕶 Gửi ẩn danh")
    await resident.tap("📨 Gửi")
    return resident.last("Mã theo dõi").text.split("Mã theo dõi của Ông/Bà là ")[1][:10]
