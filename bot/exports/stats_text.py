"""The live figures as one chat message, short lines readable on a phone: /stats on Telegram
(HTML) and in the console's staff mode (the same text, tags removed)."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.exports.numbers import number, percent
from bot.exports.summary import Summary
from bot.i18n import _
from bot.services.figures import SMALL_CELL
from bot.survey.definition import Survey
from bot.texts import STATUS_LABELS, channel_label

TELEGRAM_LIMIT = 4096
FEW = "⁽*⁾"  # marks a figure from fewer than 5 answers


def _field_name(survey: Survey, field_id: str, locale: str) -> str:
    found = survey.field(field_id)
    return escape(found.label.get(locale) if found else field_id)


def _heading(summary: Summary, zone: ZoneInfo) -> list[str]:
    if summary.session is None:
        scope = summary.scope
        days = [
            m.astimezone(zone).strftime("%d/%m/%Y") if m else "…"
            for m in (scope.since, scope.until)
        ]
        return [_("📊 <b>Figures from {start} to {end}</b>").format(start=days[0], end=days[1])]
    session = summary.session
    lines = [_("📊 <b>{title}</b>").format(title=escape(session.title))]
    if session.starts_at is not None:
        when = session.starts_at.astimezone(zone).strftime("%H:%M %d/%m/%Y")
        lines.append(when + (f" · {escape(session.place)}" if session.place else ""))
    return lines


def stats_message(summary: Summary, survey: Survey, *, locale: str, zone: ZoneInfo) -> str:
    """Responses per channel, the overall rating, each field's satisfaction with its elements,
    each criterion over all fields, questions per field and status, and pending answers."""
    lines = _heading(summary, zone)
    channels = summary.channel_totals()
    lines.append(
        _("Survey responses: <b>{total}</b> ({channels})").format(
            total=summary.total_responses,
            channels=" · ".join(f"{channel_label(c)} {n}" for c, n in channels.items()),
        )
    )
    if summary.total_responses:
        lines += _satisfaction(summary, survey, locale)
    else:
        lines.append(_("No survey answers yet."))
    lines += _questions(summary, survey, locale)
    text = "\n".join(lines)
    if len(text) > TELEGRAM_LIMIT:  # many fields and officials: the export has everything
        text = text[: TELEGRAM_LIMIT - 80].rsplit("\n", 1)[0] + "\n" + _("… (see /export)")
    return text


def _satisfaction(summary: Summary, survey: Survey, locale: str) -> list[str]:
    lines = [""]
    few = False
    for overall in summary.overall_all:
        few |= overall.small
        lines.append(
            _(
                "<b>Overall rating</b>: {satisfied} satisfied · {points}/2 points (N={n}){few}"
            ).format(
                satisfied=percent(overall.satisfied_pct, locale),
                points=number(overall.mean_points, 2, locale),
                n=overall.n,
                few=FEW if overall.small else "",
            )
        )
    threshold = "3–5" if summary.neutral_counts_as_satisfied else "4–5"
    lines += [
        "",
        _("<b>By field</b> (% satisfied {range} · mean of 5 · responses)").format(range=threshold),
    ]
    for field in summary.per_field:
        responses = sum(summary.responses.get(field.field, {}).values())
        few |= responses < SMALL_CELL
        lines.append(
            f"• {_field_name(survey, field.field, locale)}: "
            f"{percent(field.satisfied_pct, locale)} · {number(field.mean, 1, locale)} · "
            f"{responses}{FEW if responses < SMALL_CELL else ''}"
        )
        elements = [e for e in summary.elements if e.field == field.field]
        lines.append(
            "   "
            + " · ".join(
                f"{(e.element.get(locale) if e.element else e.codes[0])} "
                f"{percent(e.satisfied_pct, locale)}"
                for e in elements
            )
        )
    lines += ["", _("<b>By criterion</b>, all fields (mean · satisfied · dissatisfied)")]
    for item in summary.items_all:
        question = survey.question(item.code)
        few |= item.small
        lines.append(
            f"{item.code} {escape(question.title(locale) if question else '')}: "
            f"{number(item.mean, 1, locale)} · {percent(item.satisfied_pct, locale)} · "
            f"{percent(item.dissatisfied_pct, locale)}"
        )
    if few:
        lines.append(
            _("{mark} fewer than 5 answers or responses: read with caution.").format(mark=FEW)
        )
    return lines


def _questions(summary: Summary, survey: Survey, locale: str) -> list[str]:
    lines = ["", _("<b>Residents' questions</b>: {total}").format(total=summary.total_questions)]
    for field_id in summary.fields(survey):
        by_status = summary.questions.get(field_id)
        if not by_status:
            continue
        parts = [f"{_(STATUS_LABELS[s])} {by_status[s]}" for s in STATUS_LABELS if by_status.get(s)]
        lines.append(f"• {_field_name(survey, field_id, locale)}: {', '.join(parts)}")
    lines += _withheld(summary, survey, locale)
    if summary.pending:
        lines += ["", _("<b>Awaiting an answer</b>")]
        for load in summary.pending:
            name = escape(load.name) if load.name else _("not assigned yet")
            lines.append(f"• {name}: {load.pending}")
    return lines


def _withheld(summary: Summary, survey: Survey, locale: str) -> list[str]:
    """Counted, never quoted: possible complaints or denunciations, and hidden questions."""
    total = summary.total_withheld
    if not (total.flagged or total.hidden):
        return []
    lines = [
        _(
            "Not quoted: {flagged} may be complaints or denunciations, {hidden} hidden by the office."
        ).format(flagged=total.flagged, hidden=total.hidden)
    ]
    for field_id in summary.fields(survey):
        counts = summary.withheld.get(field_id)
        if counts:
            lines.append(
                _(
                    "• {field}: {flagged} possible complaints or denunciations, {hidden} hidden"
                ).format(
                    field=_field_name(survey, field_id, locale),
                    flagged=counts.flagged,
                    hidden=counts.hidden,
                )
            )
    return lines
