"""What the resident can see and erase about themselves (/dulieu).

Erasing leaves nothing linkable to the resident: their rows go (the foreign keys cascade from
the resident to accounts, consents, responses, answers, questions, attachments, conversation
state and every delivery addressed to them or about their questions); staff digests lose the
lines quoting their questions; the audit log keeps who did what and when, without the codes of
their questions. What lives outside the database is the caller's to clear once this is
committed: the conversation state of the chat (Telegram: `bot.storage.forget_user`) and the
day-before export folders of the sessions returned (`bot.exports.day_before.refresh_exports`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.forget import forget_questions
from bot.services import audit, consent, residents
from bot.services.consent import Decision, Purpose
from bot.services.residents import ResidentRef
from models import Account, Answer, ResidentQuestion, SurveyResponse, WebChatMessage
from models.draft_attachments import discard_draft_attachments


@dataclass(frozen=True)
class StoredData:
    accounts: list[tuple[str, str]]  # (channel, account id)
    locale: str
    decisions: dict[Purpose, Decision]
    responses: dict[str, int]  # status -> count
    answers: int
    questions: int
    # The names and phone numbers given with questions to be answered by name, each once.
    contacts: list[tuple[str, str]] = field(default_factory=list)


async def stored_data(db: AsyncSession, resident: ResidentRef) -> StoredData:
    accounts = (
        await db.execute(
            select(Account.channel, Account.external_id).where(Account.resident_id == resident.id)
        )
    ).all()
    by_status = (
        await db.execute(
            select(SurveyResponse.status, func.count())
            .where(SurveyResponse.resident_id == resident.id)
            .group_by(SurveyResponse.status)
        )
    ).all()
    answers = await db.scalar(
        select(func.count(Answer.id))
        .join(SurveyResponse, Answer.response_id == SurveyResponse.id)
        .where(SurveyResponse.resident_id == resident.id)
    )
    questions = await db.scalar(
        select(func.count(ResidentQuestion.id)).where(ResidentQuestion.resident_id == resident.id)
    )
    contacts = (
        await db.execute(
            select(ResidentQuestion.contact_name, ResidentQuestion.contact_phone)
            .where(
                ResidentQuestion.resident_id == resident.id,
                (ResidentQuestion.contact_name.is_not(None))
                | (ResidentQuestion.contact_phone.is_not(None)),
            )
            .group_by(ResidentQuestion.contact_name, ResidentQuestion.contact_phone)
            .order_by(ResidentQuestion.contact_name, ResidentQuestion.contact_phone)
        )
    ).all()
    return StoredData(
        accounts=[(channel, external) for channel, external in accounts],
        locale=resident.locale,
        decisions=await consent.decisions(db, resident.id),
        responses={status: count for status, count in by_status},
        answers=answers or 0,
        questions=questions or 0,
        contacts=[(name or "", phone or "") for name, phone in contacts],
    )


@dataclass(frozen=True)
class Erased:
    """What an erasure leaves to clear outside the database once committed."""

    sessions: frozenset[int]  # whose exported files held the resident's answers or questions


async def erase_everything(db: AsyncSession, resident_id: str, *, staff_locale: str) -> Erased:
    """Everything stored about the resident, in the caller's transaction. `staff_locale` is
    the language of the staff digests whose lines about their questions are replaced."""
    codes = list(
        (
            await db.execute(
                select(ResidentQuestion.code).where(ResidentQuestion.resident_id == resident_id)
            )
        ).scalars()
    )
    sessions = frozenset(
        (
            await db.execute(
                union(
                    select(SurveyResponse.session_id).where(
                        SurveyResponse.resident_id == resident_id
                    ),
                    select(ResidentQuestion.session_id).where(
                        ResidentQuestion.resident_id == resident_id
                    ),
                )
            )
        ).scalars()
    )
    await forget_questions(db, codes, staff_locale)
    await audit.forget_targets(db, [f"question:{code}" for code in codes], "question:erased")
    # Files of an unsent question go too (the accounts' cascade would take them; said here so
    # that no store of the resident's data depends on a foreign key being enforced).
    accounts = (
        await db.scalars(select(Account.id).where(Account.resident_id == resident_id))
    ).all()
    await discard_draft_attachments(db, accounts)
    # Messages waiting for their web chat page (answers quote their questions).
    web_chats = select(Account.external_id).where(
        Account.resident_id == resident_id, Account.channel == "web"
    )
    await db.execute(delete(WebChatMessage).where(WebChatMessage.chat_id.in_(web_chats)))
    await residents.erase(db, resident_id)
    return Erased(sessions)
