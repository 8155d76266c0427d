"""A resident of a text channel (console, Zalo) talking to the text conversation directly."""

from __future__ import annotations

from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound, Kind


class TextResident:
    def __init__(
        self,
        conversation: TextConversation,
        user_id: str = "an",
        channel: str = "console",
        *,
        first_message_id: int = 0,
    ):
        self.conversation = conversation
        self.user_id = user_id
        self.channel = channel
        self.transcript: list[str] = []
        self._message_ids = first_message_id

    async def say(self, text: str, kind: Kind = Kind.TEXT) -> str:
        self._message_ids += 1
        inbound = Inbound(
            channel=self.channel,
            chat_id=self.user_id,
            user_id=self.user_id,
            kind=kind,
            text=text,
            message_id=f"{self.user_id}-{self._message_ids}",
        )
        replies = await self.conversation.handle(inbound)
        self.transcript.extend(replies)
        return "\n\n".join(replies)

    @property
    def last(self) -> str:
        return self.transcript[-1] if self.transcript else ""
