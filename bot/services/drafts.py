"""Filing a question from the draft a resident wrote, whichever channel kept it.

A draft is a plain dict (field, text, flag, named, name, phone, attachments) kept in the
channel's own state. Its attachments are dicts too: a Telegram one carries "file_id", a text
channel's one "draft_id", the row of `draft_attachments` holding its bytes (states saved by
earlier versions may still carry them as hex "content"); all are read here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.language import detect_language
from bot.services import conference, residents, sessions
from bot.services.questions import AttachmentIn, FiledQuestion, file_question
from bot.settings import Settings
from models.draft_attachments import discard_draft_attachments, draft_contents


def attachment_in(item: dict[str, Any], stored: dict[int, bytes] | None = None) -> AttachmentIn:
    """`stored`: the bytes of the draft's `draft_attachments` rows, by id."""
    if item.get("draft_id") is not None:
        content = (stored or {}).get(item["draft_id"])
    else:
        content = bytes.fromhex(item["content"]) if item.get("content") else None
    return AttachmentIn(
        kind=item["kind"],
        telegram_file_id=item.get("file_id"),
        content=content,
        mime=item.get("mime"),
        filename=item.get("filename"),
        size=item.get("size"),
    )


async def file_draft(
    db: AsyncSession,
    *,
    resident_id: str,
    channel: str,
    external_id: str,
    draft: dict[str, Any],
    locale: str,
    settings: Settings,
    now: datetime,
) -> FiledQuestion:
    """File the draft in the current dialogue session; raises `QuestionError` as
    `file_question` does. `locale` is the language when the text does not tell.

    While a session's conference is live the question goes into its live queue, tagged "from
    the hall": the session the draft was bound to (`draft["hall"]`, a Telegram deep link from
    the hall's poster) if that one is live, else the live session, if any."""
    session_id = await _live_session(db, draft.get("hall"))
    if session_id is None:
        session_id = (
            await sessions.session_for_answers(db, now, settings.zone, settings.default_locale)
        ).id
        filing = file_question
    else:
        filing = conference.file_from_hall
    account = await residents.account_id(db, channel, external_id)
    items = draft.get("attachments") or []
    stored = await draft_contents(
        db, account, [item["draft_id"] for item in items if item.get("draft_id") is not None]
    )
    filed = await filing(
        db,
        resident_id=resident_id,
        account_id=account,
        session_id=session_id,
        field=draft["field"],
        text=draft["text"],
        language=detect_language(draft["text"]) or locale,
        named=bool(draft.get("named")),
        contact_name=draft.get("name"),
        contact_phone=draft.get("phone"),
        complaint_flag=bool(draft.get("flag")),
        channel=channel,
        attachments=[attachment_in(item, stored) for item in items],
        now=now,
        zone=settings.zone,
    )
    await discard_draft_attachments(db, [account])  # their bytes are the question's now
    return filed


async def _live_session(db: AsyncSession, bound: Any) -> int | None:
    if isinstance(bound, int):
        state = await conference.live_state(db, bound)
        if state is not None and state.live:
            return bound
    return await conference.live_session_id(db)
