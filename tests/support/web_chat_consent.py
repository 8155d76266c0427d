"""The web chat's first screens: the consent notice, its buttons and the menu, and a resident
who answers them."""

from __future__ import annotations

from tests.support.web_chat import WebChatResident

NOTICE = "1/3. Ông/Bà có đồng ý trả lời khảo sát (ẩn danh) không?"
AGREE, DECLINE = "✅ Tôi đồng ý", "✖ Tôi không đồng ý"
MENU = "Ông/Bà muốn làm gì?"


async def consent(you: WebChatResident, *, contact: bool = False) -> None:
    page = await you.open()
    assert NOTICE in page.bubbles[-1][1]
    await you.tap(AGREE)  # the survey
    await you.tap(AGREE)  # reminders
    await you.tap(AGREE if contact else DECLINE)  # to be contacted
    assert MENU in you.page.bubbles[-1][1]
