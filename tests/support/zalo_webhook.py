"""Zalo webhook bodies and a handler that records what it gets."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.conversation.inbound import Inbound

USER = "a3c5e7f9b1d3f5a7c9e1"


def delivery(text: str = "Xin chào", message_id: str = "9f41c0d2b7e64a1c3d58") -> dict[str, Any]:
    """A wrapped webhook body as documented."""
    return {
        "ok": True,
        "result": {
            "event_name": "message.text.received",
            "message": {
                "message_id": message_id,
                "date": 1767600000123,
                "from": {"id": USER, "display_name": "Trần Thị Bình", "is_bot": False},
                "chat": {"id": USER, "chat_type": "PRIVATE"},
                "text": text,
            },
        },
    }


class Recorder:
    """A handler that records messages; `gate` can hold it back to prove the answer came first."""

    def __init__(self) -> None:
        self.received: list[Inbound] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, inbound: Inbound) -> None:
        await self.gate.wait()
        self.received.append(inbound)
