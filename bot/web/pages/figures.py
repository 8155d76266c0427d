"""The Figures page: what /stats shows, per session, as tables, with the conference chart.

The figures are `bot.exports.summary.collect`'s, the same Summary /stats, the workbook, the
chart and the report are built from, formatted with the same number helpers, so the page and
the Telegram command never disagree. Who may read them is `staff.require(VIEW_STATS)`, audited
under the same action as /stats ("view_stats"), refusals included.

A summary is kept a few seconds per session (`FRESH_FOR`): a page reloaded by several staff at
once, and its chart, are counted once. The permission is checked on every request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot import db as database
from bot.exports.chart import satisfaction_chart
from bot.exports.choice import Usage, chosen_session, recent_sessions
from bot.exports.numbers import number, percent
from bot.exports.stats_text import FEW
from bot.exports.summary import Summary, collect
from bot.i18n import _, current_locale
from bot.services import staff as staff_service
from bot.services.figures import SMALL_CELL, Scope
from bot.services.staff import Permission, PermissionDenied
from bot.survey.definition import Survey
from bot.texts import STATUS_LABELS, channel_label
from bot.web.auth import refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import DialogueSession

routes = web.RouteTableDef()

FRESH_FOR = 10.0  # seconds a session's summary is served before it is counted again
CACHE = "figures.summaries"  # context.extras key: {session id: Kept}
_CHART_LOCK = threading.Lock()  # matplotlib's rc_context changes global settings


@dataclass
class Kept:
    """A session's latest summary, and the counting under way (one at a time per session)."""

    summary: Summary | None = None
    counted_at: float = 0.0  # time.monotonic()
    counting: asyncio.Task | None = None
    charts: dict[str, bytes] = field(default_factory=dict)  # of `summary`, by language


async def count(context: WebContext, session_id: int) -> Summary:
    """The session's figures, counted in SQL in one read transaction on a connection of its
    own, as `run_export` does: on SQLite the bot's one pooled connection stays free for the
    residents' conversations meanwhile (WAL lets a reader run beside the writer)."""
    engine = database.create_engine(context.settings.database_url)
    try:
        async with database.create_sessionmaker(engine)() as db, db.begin():
            return await collect(
                db,
                context.survey,
                Scope(session_id=session_id),
                now=context.clock(),
                neutral_counts_as_satisfied=context.settings.neutral_satisfied,
            )
    finally:
        await engine.dispose()


async def summary_of(context: WebContext, session_id: int) -> Summary:
    """The session's Summary. Counting 100,000 responses takes about a second, so it is done
    once for every request arriving meanwhile, and kept: a summary younger than FRESH_FOR is
    served as is; an older one is served while a fresh count runs in the background (figures
    at most FRESH_FOR plus one count old; after a minute unread, the next visit waits for a
    fresh count). Only the first request for a session waits for a count."""
    cache: dict[int, Kept] = context.extras.setdefault(CACHE, {})  # type: ignore[assignment]
    kept = cache.setdefault(session_id, Kept())
    now = time.monotonic()
    if kept.counting is None and (kept.summary is None or now - kept.counted_at >= FRESH_FOR):

        async def recount() -> Summary:
            try:
                summary = await count(context, session_id)
                kept.summary, kept.counted_at = summary, time.monotonic()
                kept.charts = {}
                return summary
            finally:
                kept.counting = None

        kept.counting = asyncio.create_task(recount())
    if kept.summary is not None and now - kept.counted_at < FRESH_FOR + 60:
        return kept.summary  # fresh, or being recounted right now
    return await asyncio.shield(kept.counting)


@dataclass(frozen=True)
class Chosen:
    session: DialogueSession | None
    summary: Summary | None
    others: list[DialogueSession]


async def allowed_figures(request: web.Request) -> Chosen | web.Response:
    """The session asked for (`?session=ID`, else the open one, else the latest) and its
    figures, or the refusal page (audited like /stats)."""
    context = context_of(request)
    asked = request.query.get("session", "").strip() or None
    async with context.sessionmaker() as db:
        async with db.begin():
            try:
                await staff_service.require(
                    db, staff_of(request), Permission.VIEW_STATS, now=context.clock()
                )
            except PermissionDenied as exc:
                denied = str(exc)
            else:
                denied = None
        if denied is not None:  # the refusal's audit entry is committed above
            return refused(request, denied)
        try:
            session = await chosen_session(db, asked)
        except Usage:
            raise web.HTTPNotFound(text=_("This session was not found.")) from None
        others = await recent_sessions(db)
        if session is not None and all(s.id != session.id for s in others):
            others.insert(0, session)
    summary = await summary_of(context, session.id) if session is not None else None
    return Chosen(session, summary, others)


def _field_name(survey: Survey, field_id: str | None, locale: str) -> str:
    if field_id is None:
        return _("All fields")
    found = survey.field(field_id)
    return found.label.get(locale) if found else field_id


def tables(summary: Summary, survey: Survey, locale: str) -> dict[str, Any]:
    """The page's tables as plain strings, formatted exactly as /stats formats them."""
    channels = list(summary.channel_totals())
    responses = [
        {
            "field": _field_name(survey, field, locale),
            "counts": [by_channel.get(c, 0) for c in channels],
            "total": sum(by_channel.values()),
        }
        for field, by_channel in sorted(
            summary.responses.items(),
            key=lambda item: (
                [f.id for f in survey.fields].index(item[0])
                if survey.field(item[0])
                else len(survey.fields)
            ),
        )
    ]
    overall = [
        {
            "field": _field_name(survey, figure.field, locale),
            "satisfied": percent(figure.satisfied_pct, locale),
            "points": number(figure.mean_points, 2, locale),
            "n": figure.n,
            "few": figure.small,
            "counts": [figure.counts.get(o, 0) for o in figure.counts],
        }
        for figure in [*summary.overall, *summary.overall_all]
    ]
    overall_options = []
    if summary.overall_all:
        question = survey.question(summary.overall_all[0].code)
        overall_options = [
            next((o.label.get(locale) for o in question.options if o.code == code), code)
            for code in summary.overall_all[0].counts
        ]
    element_heads = []
    for element in summary.elements_all:
        label = element.element.get(locale) if element.element else element.codes[0]
        element_heads.append(f"{label} ({'–'.join(element.codes)})")
    per_field = []
    for figure in summary.per_field:
        responses_count = sum(summary.responses.get(figure.field, {}).values())
        per_field.append(
            {
                "field": _field_name(survey, figure.field, locale),
                "satisfied": percent(figure.satisfied_pct, locale),
                "mean": number(figure.mean, 1, locale),
                "responses": responses_count,
                "few": responses_count < SMALL_CELL,
                "elements": [
                    percent(e.satisfied_pct, locale)
                    for e in summary.elements
                    if e.field == figure.field
                ],
            }
        )
    criteria = []
    for item in summary.items_all:
        question = survey.question(item.code)
        criteria.append(
            {
                "code": item.code,
                "title": question.title(locale) if question else "",
                "mean": number(item.mean, 1, locale),
                "satisfied": percent(item.satisfied_pct, locale),
                "dissatisfied": percent(item.dissatisfied_pct, locale),
                "n": item.n,
                "few": item.small,
            }
        )
    statuses = [s for s in STATUS_LABELS if any(s in q for q in summary.questions.values())]
    questions = [
        {
            "field": _field_name(survey, field, locale),
            "counts": [summary.questions.get(field, {}).get(s, 0) for s in statuses],
            "total": sum(summary.questions.get(field, {}).values()),
            "withheld": summary.withheld.get(field),
        }
        for field in summary.fields(survey)
        if summary.questions.get(field) or summary.withheld.get(field)
    ]
    pending = [
        {"name": load.name or _("not assigned yet"), "pending": load.pending}
        for load in summary.pending
    ]
    return {
        "channels": [channel_label(c) for c in channels],
        "channel_totals": list(summary.channel_totals().values()),
        "responses": responses,
        "overall": overall,
        "overall_options": overall_options,
        "element_heads": element_heads,
        "per_field": per_field,
        "criteria": criteria,
        "statuses": [_(STATUS_LABELS[s]) for s in statuses],
        "questions": questions,
        "withheld": summary.total_withheld,
        "pending": pending,
        "threshold": "3–5" if summary.neutral_counts_as_satisfied else "4–5",
    }


@routes.get("/staff/figures")
@staff_page
async def figures_page(request: web.Request) -> web.Response:
    chosen = await allowed_figures(request)
    if isinstance(chosen, web.Response):
        return chosen
    context = context_of(request)
    locale = current_locale()
    values: dict[str, Any] = {
        "session": chosen.session,
        "sessions": chosen.others,
        "few_mark": FEW,
        "summary": chosen.summary,
    }
    if chosen.summary is not None:
        values |= tables(chosen.summary, context.survey, locale)
    return render(request, "figures.html", **values)


def _chart_png(summary: Summary, survey: Survey, locale: str) -> bytes:
    with _CHART_LOCK:
        return satisfaction_chart(summary, survey, locale=locale)


@routes.get("/staff/figures/chart.png")
@staff_page
async def figures_chart(request: web.Request) -> web.StreamResponse:
    """The conference chart of the same figures (the export's PNG), drawn in a worker thread."""
    chosen = await allowed_figures(request)
    if isinstance(chosen, web.Response):
        return chosen
    if chosen.summary is None:
        raise web.HTTPNotFound()
    context, locale = context_of(request), current_locale()
    kept = context.extras[CACHE][chosen.session.id]  # type: ignore[index]
    png = kept.charts.get(locale) if kept.summary is chosen.summary else None
    if png is None:
        png = await asyncio.to_thread(_chart_png, chosen.summary, context.survey, locale)
        if kept.summary is chosen.summary:
            kept.charts[locale] = png
    return web.Response(body=png, content_type="image/png")
