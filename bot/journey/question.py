"""A question or recommendation being written: field → text (read by `bot.triage`) →
evidence → named or anonymous → review → send. The draft is a plain dict each channel keeps
in its own conversation state; these functions change it and name the next step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.journey import checks
from bot.journey.checks import Invalid
from bot.journey.consent import granted
from bot.journey.steps import Step
from bot.services.consent import Purpose
from bot.services.drafts import file_draft
from bot.services.questions import MAX_ATTACHMENTS, FiledQuestion, QuestionError
from bot.settings import Settings
from bot.triage import Handling, triage

Draft = dict[str, Any]


def resume_step(draft: Draft) -> Step:
    """A draft left half-way is taken up where it stopped."""
    if draft.get("text"):
        return Step.ASK_REVIEW
    if draft.get("field"):
        return Step.ASK_TEXT
    return Step.ASK_FIELD


def take_text(draft: Draft, raw: str | None) -> Step:
    """The text, checked, then read for what it is: a complaint or denunciation is told where
    it belongs (`ASK_REDIRECT`), unclear feedback is asked about once (`ASK_CLARIFY`), the
    rest goes on to the evidence."""
    text = checks.question_text(raw)
    result = triage(text)
    draft.update(text=text, flag=False, recommendation=result.recommendation)
    if result.handling is Handling.REDIRECT:
        return Step.ASK_REDIRECT
    if result.handling is Handling.CLARIFY:
        return Step.ASK_CLARIFY
    return Step.ASK_ATTACHMENTS


def send_as_recommendation(draft: Draft) -> Step:
    """After the redirect: a mix sends only its recommendation part, as an ordinary question;
    a whole message is sent as it is, flagged for the office."""
    part = draft.pop("recommendation", None)
    if part:
        draft.update(text=part, flag=False)
    else:
        draft["flag"] = True  # the office can filter on it
    return Step.ASK_ATTACHMENTS


def clarified(is_complaint: bool) -> Step:
    """The one clarifying question: a complaint still gets the redirect (and may be sent)."""
    return Step.ASK_REDIRECT if is_complaint else Step.ASK_ATTACHMENTS


def check_room(draft: Draft) -> None:
    """Refuses one more piece of evidence once the limit is reached."""
    if len(draft.get("attachments") or []) >= MAX_ATTACHMENTS:
        raise Invalid(
            _("You can attach at most {limit} photos or documents.").format(limit=MAX_ATTACHMENTS)
        )


def add_attachment(draft: Draft, item: dict[str, Any]) -> None:
    check_room(draft)
    draft["attachments"] = [*(draft.get("attachments") or []), item]


async def choose_identity(db: AsyncSession, resident_id: str, draft: Draft, *, named: bool) -> Step:
    """By name needs the consent to be contacted, asked first if it is not given."""
    draft["named"] = named
    if not named:
        return Step.ASK_REVIEW
    if await granted(db, resident_id, Purpose.CONTACT):
        return Step.ASK_NAME
    return Step.ASK_CONTACT


def take_name(draft: Draft, raw: str | None) -> Step:
    draft["name"] = checks.full_name(raw)
    return Step.ASK_PHONE


def take_phone(draft: Draft, raw: str | None) -> Step:
    draft["phone"] = checks.phone(raw)
    return Step.ASK_REVIEW


@dataclass(frozen=True)
class Sent:
    filed: FiledQuestion
    named: bool
    step: Step = Step.ASK_SENT


async def send(
    db: AsyncSession,
    draft: Draft,
    *,
    resident_id: str,
    channel: str,
    external_id: str,
    locale: str,
    settings: Settings,
    now: datetime,
) -> Sent | Step:
    """Files the draft. A draft missing its field or text (lost state) starts over at the
    field; a refusal of the services is `Invalid`."""
    if not draft.get("text") or not draft.get("field"):
        return Step.ASK_FIELD
    try:
        filed = await file_draft(
            db,
            resident_id=resident_id,
            channel=channel,
            external_id=external_id,
            draft=draft,
            locale=locale,
            settings=settings,
            now=now,
        )
    except QuestionError as problem:
        raise Invalid(str(problem)) from None
    return Sent(filed, named=bool(draft.get("named")))
