"""The row-level tables of an export, streamed from the database a batch at a time so memory
stays flat however many responses and questions a session has.

Residents are pseudonymised: each export draws a random key and shows a resident as a short
keyed hash of their id, the same in every anonymous row of that export (so one resident's
fields can be read together) and unlinkable to any other export or to the database without the
key, which is never stored. What a resident asked by name gets a pseudonym of its own: a named
question never shares one with that resident's anonymous questions or survey responses, so the
name and phone of a named export cannot be carried over to what they kept anonymous. Names and
phones appear only in a named export (admins, audited), and only on the named questions.

Questions that may be complaints or denunciations, and questions the office hid, never leave
the ward office in a file: they are counted (see `bot.services.figures.withheld_questions`),
not listed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncResult, AsyncSession

from bot.services.figures import Scope, where_questions_in, where_submitted_in
from bot.services.questions import in_dialogue
from models import Answer, ResidentQuestion, SurveyResponse

BATCH = 2000


class Pseudonyms:
    """Resident id → "R-3f9a1c2b", keyed per export; what they asked by name → another one."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._seen: dict[tuple[str, bool], str] = {}  # a resident has several rows: one HMAC

    def __call__(self, resident_id: str | None, *, named: bool = False) -> str:
        if resident_id is None:
            return ""
        key = (resident_id, named)
        if key not in self._seen:
            # Separate namespaces: the hash of "named:<id>" shares nothing with that of "<id>".
            message = f"named:{resident_id}" if named else resident_id
            digest = hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()
            self._seen[key] = f"R-{digest[:10]}"
        return self._seen[key]


async def prefetched(result: AsyncResult, size: int = BATCH) -> AsyncIterator[Row]:
    """The rows of a streamed result, the next batch fetched while the caller works on this
    one: the database (or SQLite's thread) and the file writing overlap instead of taking
    turns. Nothing else may use the connection until the iteration ends."""
    pending = asyncio.ensure_future(result.fetchmany(size))
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(result.fetchmany(size))
            for row in rows:
                yield row
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending
        await result.close()


@dataclass(frozen=True)
class QuestionRow:
    code: str
    field: str
    status: str
    created_at: datetime  # UTC
    channel: str
    language: str
    text: str
    answer_text: str | None
    answered_at: datetime | None
    answered_role: str | None
    answer_rating: str | None  # satisfied, unsatisfied
    resident: str  # pseudonym
    contact_name: str | None  # only in a named export
    contact_phone: str | None


@dataclass(frozen=True)
class ResponseRow:
    id: int
    resident: str  # pseudonym; "" for a paper form
    field: str
    procedure: str | None
    channel: str
    form_no: str | None  # a paper form's number, to find the sheet of paper again
    submitted_at: datetime | None  # UTC
    answers: tuple[str | None, ...]  # stored values in the order of the codes asked for


def questions_select(scope: Scope, fields: Sequence[str] = ()) -> Select:
    """The scope's questions that may leave the office (hidden, reclassified and possible
    complaints or denunciations left out), by field (in the order of `fields`, the survey's;
    others after them) then code."""
    q = ResidentQuestion
    stmt = select(
        q.code,
        q.field,
        q.status,
        q.created_at,
        q.channel,
        q.language,
        q.text,
        q.answer_text,
        q.answered_at,
        q.answered_role,
        q.answer_rating,
        q.resident_id,
        q.named,
        q.contact_name,
        q.contact_phone,
    ).where(q.hidden.is_(False), q.complaint_flag.is_(False), in_dialogue())
    order = [q.field, q.code]
    if fields:
        order.insert(
            0, case({f: i for i, f in enumerate(fields)}, value=q.field, else_=len(fields))
        )
    return where_questions_in(stmt, scope).order_by(*order)


async def question_rows(
    db: AsyncSession,
    scope: Scope,
    pseudonym: Pseudonyms,
    *,
    named: bool = False,
    fields: Sequence[str] = (),
) -> AsyncIterator[QuestionRow]:
    """The rows of `questions_select`, streamed; contacts only in a named export."""
    stmt = questions_select(scope, fields)
    result = await db.stream(stmt.execution_options(yield_per=BATCH))
    async for row in prefetched(result):
        show_contact = named and row.named
        yield QuestionRow(
            code=row.code,
            field=row.field,
            status=row.status,
            created_at=row.created_at,
            channel=row.channel,
            language=row.language,
            text=row.text,
            answer_text=row.answer_text,
            answered_at=row.answered_at,
            answered_role=row.answered_role,
            answer_rating=row.answer_rating,
            resident=pseudonym(row.resident_id, named=row.named),
            contact_name=row.contact_name if show_contact else None,
            contact_phone=row.contact_phone if show_contact else None,
        )


RESPONSE_KEYS = 7  # the response's own columns before the answers in `responses_select`


def responses_select(scope: Scope, codes: Sequence[str]) -> Select:
    """Submitted responses in id order, one row each with the answers to `codes` pivoted into
    columns by the database (MAX(CASE …) GROUP BY): a row per response, not per answer."""
    r = SurveyResponse
    pivot = [
        func.max(case((Answer.question == code, Answer.value))).label(f"a{i}")
        for i, code in enumerate(codes)
    ]
    keys = [r.id, r.resident_id, r.field, r.procedure, r.channel, r.form_no, r.submitted_at]
    stmt = select(*keys, *pivot).outerjoin(Answer, Answer.response_id == r.id)
    return where_submitted_in(stmt, scope).group_by(*keys).order_by(r.id)


async def response_rows(
    db: AsyncSession, scope: Scope, pseudonym: Pseudonyms, codes: Sequence[str]
) -> AsyncIterator[ResponseRow]:
    """The rows of `responses_select`, streamed, residents under their pseudonyms."""
    stmt = responses_select(scope, codes)
    result = await db.stream(stmt.execution_options(yield_per=BATCH))
    async for row in prefetched(result):
        yield ResponseRow(
            id=row.id,
            resident=pseudonym(row.resident_id),
            field=row.field,
            procedure=row.procedure,
            channel=row.channel,
            form_no=row.form_no,
            submitted_at=row.submitted_at,
            answers=tuple(row[RESPONSE_KEYS:]),
        )
