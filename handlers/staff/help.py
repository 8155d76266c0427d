"""The staff part of /help: only the commands this member's role may use."""

from __future__ import annotations

from bot.i18n import _
from bot.notify import esc
from bot.services import staff
from bot.services.staff import Permission, StaffRef
from bot.survey.definition import Survey
from handlers.staff.agenda import agenda_usage
from handlers.staff.commands import staff_usage
from handlers.staff.common import role_label
from handlers.staff.live import live_usage


def staff_help(me: StaffRef, survey: Survey) -> str:
    """The staff part of /help: only what this member's role may do."""
    lines = [_("<b>For ward staff</b> · {role}").format(role=esc(role_label(me.role)))]
    if staff.allows(me, Permission.VIEW_QUESTIONS):
        lines.append(
            _(
                "/questions [field] [status]: residents' questions, 10 a page; open one to see "
                "its text and the actions your role allows. Answer with ✍️ Answer or by replying "
                "to the question's message; /cancel stops."
            )
        )
    if staff.allows(me, Permission.VIEW_QUESTIONS):
        lines.append(esc(agenda_usage()))
    if staff.allows(me, Permission.VIEW_STATS):
        lines.append(
            _(
                "/stats [number]: the figures of the open session (or of session number): "
                "responses per field and channel, satisfaction, questions and pending answers."
            )
        )
    if staff.allows(me, Permission.EXPORT):
        lines.append(
            _(
                "/export [number] [dd/mm/yyyy dd/mm/yyyy]: the files for the conference (Excel, "
                "CSV, chart, Word report) of a session or a period."
            )
        )
    if staff.allows(me, Permission.EXPORT_NAMED):
        lines.append(
            _("/export number named: the same with the names and phones of named questions.")
        )
    if staff.allows(me, Permission.MANAGE_SESSIONS):
        lines.append(
            _(
                "/sessions: dialogue sessions: create one, change its date, time, place or "
                "agenda, open or close its survey window, or cancel it."
            )
        )
    if staff.allows(me, Permission.BROADCAST):
        lines.append(
            _(
                "/broadcast: an announcement (text, optionally a photo or a document) to every "
                "resident who opted in, or to those interested in one field; a preview first, then "
                "Send, with its progress and a Stop button."
            )
        )
        lines.append(
            _(
                "/broadcasts: past announcements, with how many were sent, failed, unreachable "
                "or pending."
            )
        )
    if staff.allows(me, Permission.UPLOAD_PAPER):
        lines.append(
            _(
                "/paper: the spreadsheet template and the printable form for paper answers. "
                "Send the filled .xlsx file back to store the forms (caption session=ID for "
                "another session); a file with errors stores nothing and lists each error."
            )
        )
    if staff.allows(me, Permission.LIVE_SWITCH):
        lines.append(esc(live_usage()))
    if staff.allows(me, Permission.MANAGE_STAFF):
        lines.append(esc(staff_usage(survey)))
    return "\n".join(lines)
