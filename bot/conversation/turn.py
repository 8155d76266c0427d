"""One inbound message while it is handled: the resident, their conversation state, the
replies gathered so far."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.inbound import Inbound
from bot.services.residents import ResidentRef

Clock = Callable[[], datetime]


@dataclass
class Turn:
    """Everything one inbound message needs while it is handled."""

    db: AsyncSession
    inbound: Inbound
    state: dict[str, Any]
    resident: ResidentRef | None
    locale: str
    now: datetime
    replies: list[str] = field(default_factory=list)
    # The stored chat account, once known: where the state is saved at the end of the turn.
    account_id: int | None = None
    # Run once the turn's transaction has committed (e.g. telling staff of a new question).
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # An image the message links to, fetched before the turn's transaction began.
    image: bytes | None = None

    @property
    def screen(self) -> str:
        return self.state.get("screen", "notice")

    def go(self, screen: str, **values: Any) -> None:
        self.state["screen"] = str(screen)
        self.state.update(values)
