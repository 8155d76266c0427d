"""Texts shared by every channel: the notice, the consent questions, labels and formats.

Telegram shows them as HTML; the text channels strip the tags (`plain`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.exports.numbers import number
from bot.i18n import N_, _, current_locale
from bot.services.consent import PURPOSES, Purpose
from bot.settings import Settings
from bot.survey import flow
from bot.survey.definition import Survey

if TYPE_CHECKING:
    from bot.services.data_rights import StoredData
    from models import DialogueSession

# The notice in one phone screen (what, why, anonymous, how long, /dulieu, no complaints); the
# full notice (NOTICE) is one tap away on Telegram and "9" away on the text channels.
NOTICE_SHORT = N_(
    "This is the automated assistant of {ward}. The ward asks your opinion of how "
    "administrative procedures are handled, for the dialogue conference. The survey is "
    "anonymous; data is kept {months} months after the conference; you can view, withdraw "
    "consent or delete it at any time with /dulieu. This channel does not take complaints or "
    "denunciations."
)
NOTICE = N_(
    "This is the automated assistant of {ward}. The ward collects your survey answers and your "
    "opinions and recommendations to compile them for the dialogue conference and to improve "
    "how administrative procedures are handled. Your name is not required. A name or phone "
    "number, if you give one, is used only for reminders and for replying to you. Data is kept "
    "for {months} months after the conference. You can view, correct, withdraw consent or ask "
    "for deletion at any time with /dulieu. This channel does not take complaints or "
    "denunciations; please do not include ID numbers, health, political or religious "
    "information, or other people's personal data. The service is for adults."
)

CONSENT_QUESTIONS = {
    Purpose.SURVEY: N_("\n<b>1/3.</b> Do you agree to answer the survey (anonymously)?"),
    Purpose.REMINDERS: N_("<b>2/3.</b> Do you agree to receive conference reminders in this chat?"),
    Purpose.CONTACT: N_(
        "<b>3/3.</b> Do you agree that your question, with your name and phone, is passed "
        "to the official in charge and the ward's Fatherland Front so that they can reply?"
    ),
}

PURPOSE_LABELS = {
    Purpose.SURVEY: N_("answering the survey anonymously"),
    Purpose.REMINDERS: N_("conference reminders in this chat"),
    Purpose.CONTACT: N_("passing my questions, with name and phone, to officials for a reply"),
}
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def ward_committee(settings: Settings) -> str:
    if settings.ward_name.strip():
        return _("the People's Committee of {ward} Ward").format(ward=settings.ward_name.strip())
    return _("the Ward People's Committee")


def local_time(moment: datetime | None, settings: Settings) -> str:
    if moment is None:
        return _("date to be announced")
    return moment.astimezone(settings.zone).strftime("%H:%M %d/%m/%Y")


AGENDA_PREVIEW = 300  # characters of a session's agenda in the residents' list


def clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def session_entry(session: DialogueSession, settings: Settings) -> str:
    """One upcoming session as residents see it (HTML; `plain()` for the text channels)."""
    line = f"• <b>{html.escape(session.title)}</b>\n  🕘 {local_time(session.starts_at, settings)}"
    if session.place:
        line += f"\n  📍 {html.escape(session.place)}"
    if session.agenda:  # clipped: five sessions must fit in one message
        line += f"\n  📋 {html.escape(clipped(session.agenda, AGENDA_PREVIEW))}"
    return line


_TAGS = re.compile(r"</?[a-z]+>")


def plain(text: str) -> str:
    """A catalog entry written for Telegram's HTML, as plain text for the text channels."""
    return html.unescape(_TAGS.sub("", text)).strip()


STATUS_LABELS = {
    "received": N_("received"),
    "assigned": N_("assigned to an official"),
    "answered": N_("answered"),
    "conference": N_("to be answered at the conference"),
    "closed": N_("closed"),
    "reclassified": N_("not for the conference: sent on as a complaint or report"),
}

# What a resident is told when staff find their question to be a complaint, a denunciation or
# a crime report (bot.services.questions.reclassify), before the redirect text.
RECLASSIFIED_NOTICES = {
    "complaint": N_(
        "Your question {code} reads as a complaint, which this channel does not handle, so it "
        "has been taken out of the questions for the dialogue conference."
    ),
    "denunciation": N_(
        "Your question {code} reads as a denunciation, which this channel does not handle, so "
        "it has been taken out of the questions for the dialogue conference."
    ),
    "crime": N_(
        "Your question {code} reads as the report of a crime, which is for the police, so it "
        "has been taken out of the questions for the dialogue conference."
    ),
}

# The channels a response or question came by, as staff read them in figures and exports.
CHANNEL_LABELS = {
    "telegram": N_("Telegram"),
    "zalo": N_("Zalo"),
    "web": N_("Web"),
    "paper": N_("Paper forms"),
    "console": N_("Console (trial)"),
    # Spoken or handed in at the conference and typed in by the secretary.
    "floor": N_("At the conference (typed in)"),
}

# A resident's rating of the answer they received.
RATING_LABELS = {"satisfied": N_("satisfied"), "unsatisfied": N_("not satisfied")}


def channel_label(channel: str) -> str:
    return _(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else channel


# How an answer is signed: by the field and the answering role, never a person's account.
ROLE_LABELS = {
    "admin": N_("Ward office"),
    "leader": N_("Ward leadership"),
    "official": N_("Official in charge"),
    "front": N_("Fatherland Front"),
    "secretary": N_("Conference secretary"),
}

REDIRECT = N_(
    "This channel takes feedback and recommendations on administrative procedures for the "
    "dialogue conference; it does not handle complaints or denunciations. Please send a written "
    "petition to, or visit, the ward's citizen reception{reception}. To report a crime or a "
    "security matter: the ward police{police} or the VNeID app. In an emergency call 113."
)

CLARIFY = N_(
    "Do you want (1) to give feedback or a recommendation to improve a procedure, for the "
    "dialogue conference; or (2) to complain about a specific decision or act, or to report a "
    "violation?"
)


def redirect_text(settings: Settings) -> str:
    reception = f": {settings.citizen_reception}" if settings.citizen_reception.strip() else ""
    police = f" ({settings.police_phone})" if settings.police_phone.strip() else ""
    return _(REDIRECT).format(reception=reception, police=police)


def data_report(data: StoredData, settings: Settings, *, markup: bool) -> list[str]:
    """The /dulieu report's lines: Telegram HTML with `markup`, else plain text."""

    def tagged(text: str) -> str:
        return text if markup else plain(text)

    def value(text: str) -> str:
        return html.escape(text, quote=False) if markup else text

    lines = [tagged(_("<b>What the ward's bot stores about you</b>"))]
    for channel, external_id in data.accounts:
        lines.append(
            tagged(
                _("• Chat account: {channel} {account}").format(
                    channel=value(channel.capitalize()), account=value(external_id)
                )
            )
        )
    lines.append(_("• Language: {language}").format(language=LANGUAGE_NAMES[data.locale]))
    lines.append(
        _(
            "• Survey ratings: {submitted} submitted, {drafts} unfinished ({answers} answers)"
        ).format(
            submitted=data.responses.get("submitted", 0),
            drafts=data.responses.get("draft", 0),
            answers=data.answers,
        )
    )
    lines.append(_("• Questions and recommendations sent: {count}").format(count=data.questions))
    for name, phone in data.contacts:  # what the resident gave to be answered by name
        lines.append(
            _("• Name and phone given for a reply: {name}, {phone}").format(
                name=value(name or "–"), phone=value(phone or "–")
            )
        )
    lines.append("\n" + tagged(_("<b>Your consents</b>")))
    for purpose in PURPOSES:
        decision = data.decisions.get(purpose)
        if decision is None:
            status = _("not asked yet")
        elif decision.given:
            status = _("given on {time}").format(time=local_time(decision.recorded_at, settings))
        else:
            status = _("refused or withdrawn on {time}").format(
                time=local_time(decision.recorded_at, settings)
            )
        lines.append(f"• {value(_(PURPOSE_LABELS[purpose]))}: {status}")
    return lines


def consent_action(data: StoredData, purpose: Purpose) -> str:
    """What choosing a purpose on /dulieu does: withdraw a consent given, else give it."""
    decision = data.decisions.get(purpose)
    action = _("Withdraw: {purpose}") if decision and decision.given else _("Agree: {purpose}")
    return action.format(purpose=_(PURPOSE_LABELS[purpose]))


def rating_summary(survey: Survey, answers: Mapping[str, str | None]) -> str:
    """The thank-you screen's count of answers and average rating, one per line."""
    answered, mean = flow.rating_summary(survey, answers)
    lines = [_("Questions answered: {count}.").format(count=answered)]
    if mean is not None:
        # "4,0/5" in Vietnamese, "4.0/5" in English.
        shown = number(mean, 1, current_locale())
        lines.append(_("Average of your ratings: {mean}/5.").format(mean=shown))
    return "\n".join(lines)


def procedure_line(survey: Survey, field_id: str, procedure_id: str | None, locale: str) -> str:
    """The procedure a rating is about, as the review screen names it ("" if none chosen)."""
    field = survey.field(field_id)
    procedure = next((p for p in (field.procedures if field else ()) if p.id == procedure_id), None)
    if procedure is None:
        return ""
    return _("Procedure: {procedure}").format(procedure=procedure.label.get(locale))


def masked_phone(phone: str | None) -> str:
    """Shown back to the resident without the middle digits, as on a receipt."""
    return f"{phone[:3]}•••{phone[-3:]}" if phone and len(phone) > 6 else ""


def signature(field_label: str, role: str | None) -> str:
    role_label = _(ROLE_LABELS[role]) if role in ROLE_LABELS else ""
    return f"{field_label} — {role_label}" if role_label else field_label


# Shown instead of the text of a possible complaint or denunciation to staff other than leaders
# and the ward office (the law protects a denouncer and the content).
WITHHELD_TEXT = N_(
    "⚠️ This may be a complaint or a denunciation: only leaders and the ward office read its text."
)
