"""Files a resident sends while writing a question on a text channel (Zalo images), kept here
until the question is sent or dropped.

The bytes live in this table, once; the conversation state only names the row. Sending the
question moves them into `question_attachments`; cancelling it, or erasing the resident (the
account's ON DELETE CASCADE), removes them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class DraftAttachment(Base):
    __tablename__ = "draft_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # photo, document
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    mime: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def add_draft_attachment(
    db: AsyncSession, account_id: int, kind: str, content: bytes, mime: str | None
) -> int:
    """Store the bytes and return the row's id, which the conversation state keeps."""
    row = DraftAttachment(
        account_id=account_id, kind=kind, content=content, mime=mime, size=len(content)
    )
    db.add(row)
    await db.flush()
    return row.id


async def draft_contents(
    db: AsyncSession, account_id: int, ids: Collection[int]
) -> dict[int, bytes]:
    """{id: bytes} of the account's own rows among `ids` (another account's ids are ignored)."""
    if not ids:
        return {}
    rows = await db.execute(
        select(DraftAttachment.id, DraftAttachment.content).where(
            DraftAttachment.account_id == account_id, DraftAttachment.id.in_(list(ids))
        )
    )
    return {row.id: row.content for row in rows}


async def discard_draft_attachments(db: AsyncSession, account_ids: Collection[int]) -> None:
    """Remove every draft file of these accounts (a question sent, cancelled or erased)."""
    if account_ids:
        await db.execute(
            delete(DraftAttachment).where(DraftAttachment.account_id.in_(list(account_ids)))
        )
