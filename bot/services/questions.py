"""Residents' questions and recommendations: filing, following, rating the answer; and the
staff side (list, view, assign, answer, conference, close, hide).

Plain values and the database session in; nothing commits. Every staff function starts with
`staff.require`, so authorisation holds whichever channel or handler calls it, and every staff
action is audited, allowed or denied (see bot.services.staff for keeping a denial's entry).

Decisions:
- Tracking codes are `KN-YY-NNNN`, numbered per prefix and year (one ward per database). The
  year is that of `now` in UTC unless the caller passes the ward's `zone`.
- Named questions need consent P3, a name and a Vietnamese phone number; anonymous ones store
  neither, even when given. Phones are stored in the national form (0912345678).
- A rating may be given once an answer exists (also after closing); a second rating replaces
  the first, so a mis-tap can be corrected and figures count the resident's latest view.
- An answered question is not answered again; a closed one accepts nothing more. Marking
  "conference" or closing twice changes nothing.
- Residents still see their own hidden questions; staff without VIEW_HIDDEN do not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from bot.i18n import _
from bot.services import consent, staff
from bot.services.consent import Purpose
from bot.services.staff import Actor, Permission, Role, StaffRef
from models import (
    Account,
    QuestionAttachment,
    QuestionStatus,
    Reclassified,
    Resident,
    ResidentQuestion,
    StaffMember,
)
from models.questions import next_number

MAX_TEXT = 3000
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # bytes kept for a Zalo image
MAX_REASON = 1000  # a rating's or a hiding's reason
MAX_NAME = 120
MAX_PAGE_SIZE = 50
CODE_PREFIX = "KN"
ATTACHMENT_KINDS = ("photo", "document")
SATISFIED = "satisfied"
UNSATISFIED = "unsatisfied"

# After the prefix (0, +84 or 84) and blanks, dots, dashes and brackets are removed: a mobile
# number (03, 05, 07, 08, 09 + 8 digits) or a landline (02 + 9 digits).
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_NATIONAL = re.compile(r"[35789]\d{8}|2\d{9}")
# Letters that show as nothing (Hangul fillers, the blank Braille pattern): some keyboards and
# "empty message" tricks use them. Format characters (zero-width, marks) are found by category.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


class QuestionError(Exception):
    """Base of this module's errors; `str()` is a polite message in the current locale."""


class InvalidQuestion(QuestionError):
    """What the resident sent cannot be filed (or rated) as it is."""


class QuestionNotFound(QuestionError):
    def __init__(self) -> None:
        super().__init__(_("This question was not found."))


class InvalidAction(QuestionError):
    """A staff action the question's state (or the chosen official) does not allow."""


@dataclass
class AttachmentIn:
    kind: str  # photo, document
    telegram_file_id: str | None = None
    content: bytes | None = None  # a Zalo image, downloaded at once
    mime: str | None = None
    filename: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class FiledQuestion:
    id: int
    code: str


@dataclass(frozen=True)
class QuestionSummary:
    id: int
    code: str
    field: str
    status: str
    created_at: datetime
    has_answer: bool


@dataclass(frozen=True)
class QuestionView:
    """A question as its asker sees it; the answer is signed by field and role only."""

    id: int
    code: str
    field: str
    status: str
    text: str
    named: bool
    contact_name: str | None
    contact_phone: str | None
    attachments: int
    created_at: datetime
    answer_text: str | None
    answered_at: datetime | None
    answered_role: str | None
    answer_rating: str | None
    rating_reason: str | None


@dataclass(frozen=True)
class Relay:
    """An answer to deliver to the resident, in the chat they asked from, after commit."""

    channel: str
    external_id: str
    locale: str
    code: str
    answer_text: str
    field: str
    role: str  # the answering staff member's role: the signature, with the field
    question_id: int  # for the rating buttons
    # Anonymous askers were told no individual answer follows: theirs goes to the digest and
    # their own "My questions", not to their chat.
    named: bool = True


@dataclass(frozen=True)
class StatusChange:
    """A status update the resident may be told about, in the chat they asked from."""

    channel: str
    external_id: str
    locale: str
    code: str
    status: str
    question_id: int


@dataclass(frozen=True)
class Redirected:
    """A question staff found to be a complaint, denunciation or crime report: the resident is
    told where it goes, in the chat they asked from and in their language."""

    channel: str
    external_id: str
    locale: str
    code: str
    kind: str  # Reclassified
    question_id: int


@dataclass(frozen=True)
class StaffQuestionSummary:
    id: int
    code: str
    field: str
    status: str
    created_at: datetime
    language: str
    named: bool
    complaint_flag: bool
    hidden: bool
    assigned_to: int | None
    attachments: int
    preview: str  # the text's first characters; "" when withheld from this staff member


@dataclass(frozen=True)
class Page:
    items: list[StaffQuestionSummary]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    kind: str
    telegram_file_id: str | None
    mime: str | None
    filename: str | None
    size: int | None
    stored_content: bool  # bytes kept here (Zalo) rather than a Telegram file id


@dataclass(frozen=True)
class AttachmentFile:
    id: int
    kind: str
    telegram_file_id: str | None
    content: bytes | None
    mime: str | None
    filename: str | None


@dataclass(frozen=True)
class StaffQuestionView:
    id: int
    code: str
    field: str
    status: str
    text: str
    language: str
    channel: str
    named: bool
    # Only for leaders, admins and the assigned official; otherwise None (contact_shown False).
    contact_shown: bool
    contact_name: str | None
    contact_phone: str | None
    complaint_flag: bool
    created_at: datetime
    assigned_to: StaffRef | None
    answer_text: str | None
    answered_at: datetime | None
    answered_role: str | None
    answer_rating: str | None
    rating_reason: str | None
    hidden: bool
    hidden_reason: str | None
    attachments: tuple[AttachmentInfo, ...]
    # A possible complaint or denunciation seen by someone without VIEW_HIDDEN: text and
    # attachments are withheld ("" and none).
    text_withheld: bool = False


# --- values ---------------------------------------------------------------------------------


def _blank(char: str) -> bool:
    return char.isspace() or char in _FILLERS or unicodedata.category(char) in ("Cf", "Cc")


def clean_text(text: str | None) -> str:
    """NFC (phones may send decomposed Vietnamese) with surrounding blanks removed, the
    invisible ones too: zero-width spaces and joiners, byte-order and direction marks, soft
    hyphens, blank fillers. A text made only of them is empty, and refused as such."""
    text = unicodedata.normalize("NFC", text or "")
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return text[start:end]


def _check_length(text: str, limit: int, error: type[QuestionError] = InvalidQuestion) -> None:
    if len(text) > limit:
        raise error(
            _("Your text has {count} characters; the limit is {limit}. Please shorten it.").format(
                count=len(text), limit=limit
            )
        )


def normalise_phone(raw: str) -> str | None:
    """A Vietnamese phone number in its national form (0912345678), or None: 10 digits
    starting with 0 (mobile), 11 starting with 02 (landline), or either with +84 / 84."""
    digits = _PHONE_SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        rest = digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        rest = digits[2:]  # as Telegram shares contacts: no plus sign
    elif digits.startswith("0"):
        rest = digits[1:]
    else:
        return None
    if digits[0] != "0" and rest.startswith("0"):
        rest = rest[1:]  # "+84 0912 …"
    return "0" + rest if _NATIONAL.fullmatch(rest) else None


def code_for(year: int, number: int) -> str:
    return f"{CODE_PREFIX}-{year % 100:02d}-{number:04d}"


def _clean_attachment(item: AttachmentIn) -> QuestionAttachment:
    if item.kind not in ATTACHMENT_KINDS or not (item.telegram_file_id or item.content):
        raise InvalidQuestion(
            _("This attachment cannot be stored. Please send a photo or a document.")
        )
    size = item.size if item.size is not None else (len(item.content) if item.content else None)
    if item.content is not None and len(item.content) > MAX_ATTACHMENT_BYTES:
        raise InvalidQuestion(
            _("This file is too large; the limit is {limit} MB.").format(
                limit=MAX_ATTACHMENT_BYTES // (1024 * 1024)
            )
        )
    mime = item.mime if item.mime and len(item.mime) <= 64 else None
    filename = unicodedata.normalize("NFC", item.filename)[:200] if item.filename else None
    return QuestionAttachment(
        kind=item.kind,
        telegram_file_id=item.telegram_file_id,
        content=item.content,
        mime=mime,
        filename=filename,
        size=size,
    )


# --- residents ------------------------------------------------------------------------------


async def file_question(
    db: AsyncSession,
    *,
    resident_id: str,
    account_id: int,
    session_id: int,
    field: str,
    text: str,
    language: str,
    named: bool,
    contact_name: str | None,
    contact_phone: str | None,
    complaint_flag: bool,
    channel: str,
    attachments: list[AttachmentIn],
    now: datetime,
    zone: tzinfo | None = None,
) -> FiledQuestion:
    """Validate everything, then allocate the tracking code and store the question with its
    attachments in the caller's transaction: a refusal stores nothing."""
    cleaned = clean_text(text)
    if not cleaned:
        raise InvalidQuestion(_("Please write your question or recommendation as a text message."))
    _check_length(cleaned, MAX_TEXT)
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidQuestion(
            _("You can attach at most {limit} photos or documents.").format(limit=MAX_ATTACHMENTS)
        )
    stored_attachments = [_clean_attachment(item) for item in attachments]
    name = phone = None
    if named:
        if not consent.granted(await consent.decisions(db, resident_id), Purpose.CONTACT):
            raise InvalidQuestion(
                _(
                    "To be named, please first agree that your name and phone number are passed "
                    "to the official in charge and the ward's Fatherland Front."
                )
            )
        name = " ".join(clean_text(contact_name or "").split())
        if not name:
            raise InvalidQuestion(_("Please give your full name."))
        if len(name) > MAX_NAME:
            raise InvalidQuestion(
                _("Please give a name of at most {limit} characters.").format(limit=MAX_NAME)
            )
        phone = normalise_phone(contact_phone or "")
        if phone is None:
            raise InvalidQuestion(
                _(
                    "Please give a Vietnamese phone number: 10 digits starting with 0, "
                    "or starting with +84."
                )
            )
    owner = await db.scalar(select(Account.resident_id).where(Account.id == account_id))
    if owner != resident_id:
        raise ValueError("the account does not belong to the resident")

    year = now.astimezone(zone or UTC).year
    code = code_for(year, await next_number(db, CODE_PREFIX, year))
    question = ResidentQuestion(
        code=code,
        resident_id=resident_id,
        account_id=account_id,
        session_id=session_id,
        field=field.strip()[:16],
        text=cleaned,
        language=(language or "").strip().lower()[:8],
        named=named,
        contact_name=name,
        contact_phone=phone,
        channel=channel,
        status=QuestionStatus.RECEIVED,
        complaint_flag=complaint_flag,
        hidden=False,
        created_at=now,
        updated_at=now,
        attachments=stored_attachments,
    )
    db.add(question)
    await db.flush()
    return FiledQuestion(question.id, code)


async def my_questions(db: AsyncSession, resident_id: str) -> list[QuestionSummary]:
    """The resident's questions, newest first."""
    stmt = (
        select(
            ResidentQuestion.id,
            ResidentQuestion.code,
            ResidentQuestion.field,
            ResidentQuestion.status,
            ResidentQuestion.created_at,
            ResidentQuestion.answer_text.is_not(None).label("has_answer"),
        )
        .where(ResidentQuestion.resident_id == resident_id)
        .order_by(ResidentQuestion.created_at.desc(), ResidentQuestion.id.desc())
    )
    return [
        QuestionSummary(row.id, row.code, row.field, row.status, row.created_at, row.has_answer)
        for row in (await db.execute(stmt)).all()
    ]


async def latest_unrated_answer(db: AsyncSession, resident_id: str) -> int | None:
    """The id of the resident's question answered last whose answer they have not rated."""
    stmt = (
        select(ResidentQuestion.id)
        .where(
            ResidentQuestion.resident_id == resident_id,
            ResidentQuestion.answer_text.is_not(None),
            ResidentQuestion.answer_rating.is_(None),
        )
        .order_by(ResidentQuestion.answered_at.desc(), ResidentQuestion.id.desc())
        .limit(1)
    )
    return await db.scalar(stmt)


async def _own(db: AsyncSession, resident_id: str, question_id: int) -> ResidentQuestion | None:
    stmt = select(ResidentQuestion).where(
        ResidentQuestion.id == question_id, ResidentQuestion.resident_id == resident_id
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def _attachment_count(db: AsyncSession, question_id: int) -> int:
    stmt = select(func.count(QuestionAttachment.id)).where(
        QuestionAttachment.question_id == question_id
    )
    return await db.scalar(stmt) or 0


async def question_for_resident(
    db: AsyncSession, resident_id: str, question_id: int
) -> QuestionView | None:
    """One of the resident's own questions with its answer; None for anyone else's."""
    q = await _own(db, resident_id, question_id)
    if q is None:
        return None
    return QuestionView(
        id=q.id,
        code=q.code,
        field=q.field,
        status=q.status,
        text=q.text,
        named=q.named,
        contact_name=q.contact_name,
        contact_phone=q.contact_phone,
        attachments=await _attachment_count(db, q.id),
        created_at=q.created_at,
        answer_text=q.answer_text,
        answered_at=q.answered_at,
        answered_role=q.answered_role,
        answer_rating=q.answer_rating,
        rating_reason=q.rating_reason,
    )


async def rate_answer(
    db: AsyncSession,
    resident_id: str,
    question_id: int,
    satisfied: bool,
    reason: str | None,
    now: datetime,
) -> None:
    """The asker's rating of the answer; a later rating replaces an earlier one."""
    q = await _own(db, resident_id, question_id)
    if q is None:
        raise QuestionNotFound()
    if q.answer_text is None:
        raise InvalidQuestion(_("You can rate the answer once it has arrived."))
    cleaned = clean_text(reason or "")
    _check_length(cleaned, MAX_REASON)
    q.answer_rating = SATISFIED if satisfied else UNSATISFIED
    q.rating_reason = cleaned or None
    q.updated_at = now
    await db.flush()


# --- staff ----------------------------------------------------------------------------------


def _target(q: ResidentQuestion) -> str:
    return f"question:{q.code}"


async def _record(
    db: AsyncSession,
    by: StaffRef,
    action: str,
    q: ResidentQuestion | None,
    now: datetime,
    detail: dict | None = None,
) -> None:
    target = _target(q) if q is not None else None
    await staff.record_action(db, by, action, now=now, target=target, detail=detail)


async def _save(
    db: AsyncSession,
    by: StaffRef,
    action: str,
    q: ResidentQuestion,
    now: datetime,
    detail: dict | None = None,
) -> None:
    """Stamp and store a staff member's change to the question, then audit it."""
    q.updated_at = now
    await db.flush()
    await _record(db, by, action, q, now, detail)


async def _for_staff(
    db: AsyncSession,
    actor: Actor,
    question_id: int,
    permission: Permission,
    action: str,
    now: datetime,
) -> tuple[StaffRef, ResidentQuestion]:
    """The role check, then the question, then the field (and hidden) check, each audited.
    A question about to change is read FOR UPDATE (PostgreSQL; SQLite has one writer anyway),
    so two officials answering at once cannot both answer."""
    by = await staff.require(db, actor, permission, now=now, action=action)
    lock = permission is not Permission.VIEW_QUESTIONS
    q = await db.get(
        ResidentQuestion, question_id, with_for_update=lock or None, populate_existing=lock
    )
    if q is None:
        raise QuestionNotFound()
    by = await staff.require(
        db, by, permission, field=q.field, now=now, action=action, target=_target(q)
    )
    if q.hidden:
        await staff.require(
            db, by, Permission.VIEW_HIDDEN, field=q.field, now=now, action=action, target=_target(q)
        )
    return by, q


async def _chat_of(db: AsyncSession, q: ResidentQuestion) -> tuple[str, str, str]:
    row = (
        await db.execute(
            select(Account.channel, Account.external_id, Resident.locale)
            .join(Resident, Resident.id == Account.resident_id)
            .where(Account.id == q.account_id)
        )
    ).one()
    return row.channel, row.external_id, row.locale


async def _status_change(db: AsyncSession, q: ResidentQuestion) -> StatusChange:
    channel, external_id, locale = await _chat_of(db, q)
    return StatusChange(channel, external_id, locale, q.code, q.status, q.id)


async def list_for_staff(
    db: AsyncSession,
    actor: Actor,
    *,
    field: str | None = None,
    status: str | None = None,
    flagged: bool = False,
    page: int = 0,
    page_size: int = 10,
    now: datetime,
) -> Page:
    """Questions newest first, optionally of one field and status, or only those sent although
    they looked like a complaint (`flagged`). Officials see only their fields; hidden questions
    only admins and leaders."""
    filters = {"field": field, "status": status, "page": page}
    by = await staff.require(
        db, actor, Permission.VIEW_QUESTIONS, field=field, now=now, action="list"
    )
    if status is not None:
        status = QuestionStatus(status)  # ValueError for a status that does not exist
    page = max(0, page)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    where = []
    if field is not None:
        where.append(ResidentQuestion.field == field)
    elif by.role == Role.OFFICIAL:
        where.append(ResidentQuestion.field.in_(by.fields))
    if status is not None:
        where.append(ResidentQuestion.status == status)
    else:
        where.append(in_dialogue())
    if flagged:
        where.append(ResidentQuestion.complaint_flag.is_(True))
    if not staff.allows(by, Permission.VIEW_HIDDEN):
        where.append(ResidentQuestion.hidden.is_(False))
    total = await db.scalar(select(func.count(ResidentQuestion.id)).where(*where)) or 0
    attachments = (
        select(func.count(QuestionAttachment.id))
        .where(QuestionAttachment.question_id == ResidentQuestion.id)
        .correlate(ResidentQuestion)
        .scalar_subquery()
    )
    stmt = (
        select(
            ResidentQuestion.id,
            ResidentQuestion.code,
            ResidentQuestion.field,
            ResidentQuestion.status,
            ResidentQuestion.created_at,
            ResidentQuestion.language,
            ResidentQuestion.named,
            ResidentQuestion.complaint_flag,
            ResidentQuestion.hidden,
            ResidentQuestion.assigned_to,
            attachments.label("attachments"),
            func.substr(ResidentQuestion.text, 1, 80).label("preview"),
        )
        .where(*where)
        .order_by(ResidentQuestion.created_at.desc(), ResidentQuestion.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    )
    reads_flagged = staff.allows(by, Permission.VIEW_HIDDEN)
    items = [
        StaffQuestionSummary(
            id=row.id,
            code=row.code,
            field=row.field,
            status=row.status,
            created_at=row.created_at,
            language=row.language,
            named=row.named,
            complaint_flag=row.complaint_flag,
            hidden=row.hidden,
            assigned_to=row.assigned_to,
            attachments=row.attachments,
            preview=row.preview if reads_flagged or not row.complaint_flag else "",
        )
        for row in (await db.execute(stmt)).all()
    ]
    await _record(db, by, "list", None, now, {k: v for k, v in filters.items() if v is not None})
    return Page(items, page, page_size, total)


def _contact_shown(by: StaffRef, q: ResidentQuestion) -> bool:
    if not q.named or not staff.allows(by, Permission.VIEW_CONTACT, q.field):
        return False
    return by.role != Role.OFFICIAL or q.assigned_to == by.id


def _text_withheld(by: StaffRef, q: ResidentQuestion) -> bool:
    """A possible complaint or denunciation is read by admins and leaders only."""
    return bool(q.complaint_flag) and not staff.allows(by, Permission.VIEW_HIDDEN, q.field)


async def view_for_staff(
    db: AsyncSession, actor: Actor, question_id: int, now: datetime
) -> StaffQuestionView:
    by, q = await _for_staff(db, actor, question_id, Permission.VIEW_QUESTIONS, "view", now)
    shown = _contact_shown(by, q)
    withheld = _text_withheld(by, q)
    attachments = (
        await db.execute(
            select(
                QuestionAttachment.id,
                QuestionAttachment.kind,
                QuestionAttachment.telegram_file_id,
                QuestionAttachment.mime,
                QuestionAttachment.filename,
                QuestionAttachment.size,
                QuestionAttachment.content.is_not(None).label("stored_content"),
            )
            .where(QuestionAttachment.question_id == q.id)
            .order_by(QuestionAttachment.id)
        )
    ).all()
    if withheld:
        attachments = []
    assignee = await staff.get(db, q.assigned_to) if q.assigned_to is not None else None
    await _record(db, by, "view", q, now, {"contact": shown})
    return StaffQuestionView(
        id=q.id,
        code=q.code,
        field=q.field,
        status=q.status,
        text="" if withheld else q.text,
        language=q.language,
        channel=q.channel,
        named=q.named,
        contact_shown=shown,
        contact_name=q.contact_name if shown else None,
        contact_phone=q.contact_phone if shown else None,
        complaint_flag=q.complaint_flag,
        created_at=q.created_at,
        assigned_to=assignee,
        answer_text=q.answer_text,
        answered_at=q.answered_at,
        answered_role=q.answered_role,
        answer_rating=q.answer_rating,
        rating_reason=q.rating_reason,
        hidden=q.hidden,
        hidden_reason=q.hidden_reason,
        attachments=tuple(
            AttachmentInfo(
                row.id,
                row.kind,
                row.telegram_file_id,
                row.mime,
                row.filename,
                row.size,
                bool(row.stored_content),
            )
            for row in attachments
        ),
        text_withheld=withheld,
    )


async def attachment_for_staff(
    db: AsyncSession, actor: Actor, attachment_id: int, now: datetime
) -> AttachmentFile:
    """One attachment with its bytes (Zalo) or Telegram file id, for whoever may view the
    question."""
    by = await staff.require(db, actor, Permission.VIEW_QUESTIONS, now=now, action="attachment")
    attachment = await db.get(
        QuestionAttachment, attachment_id, options=[undefer(QuestionAttachment.content)]
    )
    if attachment is None:
        raise QuestionNotFound()
    by, q = await _for_staff(
        db, by, attachment.question_id, Permission.VIEW_QUESTIONS, "attachment", now
    )
    if q.complaint_flag:
        await staff.require(
            db,
            by,
            Permission.VIEW_HIDDEN,
            field=q.field,
            now=now,
            action="attachment",
            target=_target(q),
        )
    await _record(db, by, "attachment", q, now, {"attachment": attachment.id})
    return AttachmentFile(
        attachment.id,
        attachment.kind,
        attachment.telegram_file_id,
        attachment.content,
        attachment.mime,
        attachment.filename,
    )


def in_dialogue() -> ColumnElement[bool]:
    """Questions that belong to the dialogue: every queue and figure leaves out those staff
    reclassified as a complaint, denunciation or crime report."""
    return ResidentQuestion.status != QuestionStatus.RECLASSIFIED


def _refuse_if_done(q: ResidentQuestion) -> None:
    if q.status == QuestionStatus.RECLASSIFIED:
        raise InvalidAction(
            _("This question was taken out of the dialogue as a complaint or a report.")
        )
    if q.status == QuestionStatus.CLOSED:
        raise InvalidAction(_("This question is closed."))
    if q.status == QuestionStatus.ANSWERED:
        raise InvalidAction(_("This question is already answered."))


async def assign(
    db: AsyncSession, actor: Actor, question_id: int, official_staff_id: int, now: datetime
) -> StaffRef:
    """Admins and leaders assign a question to an active official of its field; returns the
    official (to notify). A received question becomes assigned; one marked for the conference
    stays so."""
    by, q = await _for_staff(db, actor, question_id, Permission.ASSIGN, "assign", now)
    _refuse_if_done(q)
    member = await db.get(StaffMember, official_staff_id)
    if (
        member is None
        or not member.active
        or member.role != Role.OFFICIAL
        or q.field not in (member.fields or ())
    ):
        raise InvalidAction(_("This official does not handle this question's field."))
    official = staff.as_ref(member)
    q.assigned_to = official.id
    if q.status == QuestionStatus.RECEIVED:
        q.status = QuestionStatus.ASSIGNED
    await _save(db, by, "assign", q, now, {"official": official.telegram_user_id})
    return official


async def answer(
    db: AsyncSession, actor: Actor, question_id: int, text: str, now: datetime
) -> Relay:
    """Store the answer of an official of the field (assigned or not), a leader or an admin,
    and return what to relay to the resident, signed by field and the answerer's role."""
    by, q = await _for_staff(db, actor, question_id, Permission.ANSWER, "answer", now)
    _refuse_if_done(q)
    cleaned = clean_text(text)
    if not cleaned:
        raise InvalidAction(_("Please write the answer as a text message."))
    _check_length(cleaned, MAX_TEXT, InvalidAction)
    q.answer_text = cleaned
    q.answered_at = now
    q.answered_by = by.id
    q.answered_role = by.role
    q.status = QuestionStatus.ANSWERED
    await _save(db, by, "answer", q, now)
    channel, external_id, locale = await _chat_of(db, q)
    return Relay(channel, external_id, locale, q.code, cleaned, q.field, by.role, q.id, q.named)


async def mark_conference(
    db: AsyncSession, actor: Actor, question_id: int, now: datetime
) -> StatusChange:
    """To be answered at the dialogue conference (admins, leaders, officials of the field)."""
    by, q = await _for_staff(
        db, actor, question_id, Permission.MARK_CONFERENCE, "mark_conference", now
    )
    if q.status != QuestionStatus.CONFERENCE:
        _refuse_if_done(q)
        q.status = QuestionStatus.CONFERENCE
        q.updated_at = now
        await db.flush()
    await _record(db, by, "mark_conference", q, now)
    return await _status_change(db, q)


async def close(db: AsyncSession, actor: Actor, question_id: int, now: datetime) -> StatusChange:
    """Close the question (admins and leaders), answered or not."""
    by, q = await _for_staff(db, actor, question_id, Permission.CLOSE, "close", now)
    if q.status == QuestionStatus.RECLASSIFIED:
        _refuse_if_done(q)
    if q.status != QuestionStatus.CLOSED:
        q.status = QuestionStatus.CLOSED
        q.updated_at = now
        await db.flush()
    await _record(db, by, "close", q, now)
    return await _status_change(db, q)


async def hide(
    db: AsyncSession, actor: Actor, question_id: int, reason: str, now: datetime
) -> None:
    """Hide an abusive question from officials and the Front (admins and leaders), with a
    reason kept on the question (not in the audit log)."""
    by, q = await _for_staff(db, actor, question_id, Permission.HIDE, "hide", now)
    cleaned = clean_text(reason)
    if not cleaned:
        raise InvalidAction(_("Please give a reason for hiding this question."))
    _check_length(cleaned, MAX_REASON, InvalidAction)
    q.hidden = True
    q.hidden_reason = cleaned
    await _save(db, by, "hide", q, now)


async def reclassify(
    db: AsyncSession, actor: Actor, question_id: int, kind: str, now: datetime
) -> Redirected:
    """A question that is really a complaint, a denunciation or a crime report (domain.md §5),
    as any staff member who sees it may find: it leaves the dialogue's queue and figures, and
    the resident is to be told where such matters go (returned; send after commit). Nobody
    else is told, and the audit entry says only what it was found to be."""
    found = Reclassified(kind)  # ValueError for anything else
    by, q = await _for_staff(db, actor, question_id, Permission.RECLASSIFY, "reclassify", now)
    _refuse_if_done(q)
    q.status = QuestionStatus.RECLASSIFIED
    q.reclassified_as = found
    await _save(db, by, "reclassify", q, now, {"as": str(found)})
    channel, external_id, locale = await _chat_of(db, q)
    return Redirected(channel, external_id, locale, q.code, str(found), q.id)


async def unhide(db: AsyncSession, actor: Actor, question_id: int, now: datetime) -> None:
    by, q = await _for_staff(db, actor, question_id, Permission.HIDE, "unhide", now)
    q.hidden = False
    q.hidden_reason = None
    await _save(db, by, "unhide", q, now)


# --- figures --------------------------------------------------------------------------------


async def count_by_field_status(
    db: AsyncSession, session_id: int, *, include_hidden: bool = False
) -> dict[str, dict[str, int]]:
    """{field: {status: count}} for a dialogue session, counted in SQL."""
    stmt = (
        select(ResidentQuestion.field, ResidentQuestion.status, func.count(ResidentQuestion.id))
        .where(ResidentQuestion.session_id == session_id, in_dialogue())
        .group_by(ResidentQuestion.field, ResidentQuestion.status)
    )
    if not include_hidden:
        stmt = stmt.where(ResidentQuestion.hidden.is_(False))
    counts: dict[str, dict[str, int]] = {}
    for field, status, count in (await db.execute(stmt)).all():
        counts.setdefault(field, {})[status] = count
    return counts
