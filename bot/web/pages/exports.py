"""The Exports page: the conference files of a session or a period, as /export sends them.

Who may export, and with names, is `bot.exports.bundle.authorize` (the same call as /export:
every export audited, allowed or refused; named exports admins only; a leader's is
pseudonymised because it is not named). The files are `run_export`'s, written in a worker
thread on a connection of its own into a temporary folder, so the bot goes on meanwhile; the
page shows how far it got and then the links. A job, and its files, belong to the staff member
who asked: anyone else gets 404. Jobs are forgotten (and their folder removed) after KEEP_FOR.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.exports.bundle import ExportResult, authorize, file_stem, run_export
from bot.exports.choice import Usage, export_usage, parse_export, recent_sessions
from bot.i18n import _, current_locale
from bot.services import staff as staff_service
from bot.services.figures import Scope
from bot.services.staff import Permission, PermissionDenied, allows
from bot.web.auth import RefusedPage, refused, staff_of, staff_page
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import DialogueSession

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

JOBS = "exports.jobs"  # context.extras key: {job id: ExportJob}
KEEP_FOR = 3600.0  # seconds a finished export stays downloadable
STEPS = 8  # six tables (each a sheet and a CSV file), the chart, the report


@dataclass
class ExportJob:
    id: str
    owner: int  # the staff member's id: only they may see it or download its files
    scope: Scope
    named: bool
    stem: str
    folder: tempfile.TemporaryDirectory
    started: float = field(default_factory=time.monotonic)
    task: asyncio.Task | None = None
    result: ExportResult | None = None
    failed: bool = False

    @property
    def path(self) -> Path:
        return Path(self.folder.name)

    @property
    def done(self) -> bool:
        return self.result is not None or self.failed

    def progress(self) -> int:
        """How far the files got, 0–99 while running: the tables written (each has its CSV
        file), then the chart, then the report."""
        if self.result is not None:
            return 100
        written = len(list(self.path.glob("*.csv")))
        written += (self.path / f"{self.stem}-chart.png").exists()
        return min(99, written * 100 // (STEPS + 1))

    def files(self) -> dict[str, Path]:
        return {p.name: p for p in self.result.files} if self.result else {}


def jobs_of(context: WebContext) -> dict[str, ExportJob]:
    jobs: dict[str, ExportJob] = context.extras.setdefault(JOBS, {})  # type: ignore[assignment]
    now = time.monotonic()
    for job_id, job in list(jobs.items()):
        if job.done and now - job.started > KEEP_FOR:
            jobs.pop(job_id)
            job.folder.cleanup()
    return jobs


async def run_job(context: WebContext, job: ExportJob, locale: str, now: datetime) -> None:
    try:
        job.result = await asyncio.to_thread(
            run_export,
            context.settings,
            context.survey,
            job.scope,
            job.path,
            now=now,  # the time the file names were made with
            named=job.named,
            locale=locale,
        )
    except Exception:
        log.exception("Web export failed")
        job.failed = True


async def form_values(request: web.Request, **values) -> dict:
    context = context_of(request)
    async with context.sessionmaker() as db:
        sessions = await recent_sessions(db, limit=50)
    staff = staff_of(request)
    mine = [j for j in jobs_of(context).values() if j.owner == staff.id]
    return {
        "sessions": sessions,
        "may_name": allows(staff, Permission.EXPORT_NAMED),
        "jobs": sorted(mine, key=lambda j: -j.started),
        "error": None,
        "chosen": {},
    } | values


async def export_refusal(request: web.Request) -> str | None:
    """Why this staff member may not export (the refusal audited), or None: asked of the form
    and of every page of an export, as /export asks it."""
    context = context_of(request)
    async with context.sessionmaker() as db, db.begin():
        try:
            await staff_service.require(
                db, staff_of(request), Permission.EXPORT, now=context.clock(), action="export"
            )
        except PermissionDenied as exc:
            return str(exc)
    return None


@routes.get("/staff/exports")
@staff_page
async def exports_page(request: web.Request) -> web.Response:
    """The form; like /export with no words, only for those who may export (audited)."""
    denied = await export_refusal(request)
    if denied is not None:
        return refused(request, denied)
    return render(request, "exports.html", **await form_values(request))


@routes.post("/staff/exports")
@staff_page
async def start_export(request: web.Request) -> web.Response:
    """Checks and audits the request as /export does, then writes the files in the background."""
    context = context_of(request)
    form = await request.post()
    chosen = {k: str(form.get(k, "")).strip() for k in ("kind", "session", "since", "until")}
    chosen["named"] = form.get("named") == "1"
    named = chosen["named"]
    now = context.clock()
    # Returning from inside the transaction commits it: a refusal's audit entry is kept.
    async with context.sessionmaker() as db, db.begin():
        try:
            if chosen["kind"] == "period":
                scope = period_scope(chosen["since"], chosen["until"], context.settings.zone)
            else:
                if not chosen["session"].isdigit():
                    raise Usage(_("Please choose a session."))
                scope = Scope(session_id=int(chosen["session"]))
                if await db.get(DialogueSession, scope.session_id) is None:
                    raise Usage(_("This session was not found."))
        except Usage as problem:
            try:  # the form again, only to those who may export
                await staff_service.require(
                    db, staff_of(request), Permission.EXPORT, now=now, action="export"
                )
            except PermissionDenied as exc:
                return refused(request, str(exc))
            wrong = str(problem)
        else:
            wrong = None
        if wrong is None:
            try:
                member = await authorize(db, staff_of(request), scope, named=named, now=now)
            except PermissionDenied as exc:
                return refused(request, str(exc))
    if wrong is not None:  # shown on the form, with what was typed
        values = await form_values(request, error=wrong, chosen=chosen)
        return render(request, "exports.html", status=400, **values)
    job = ExportJob(
        id=secrets.token_urlsafe(12),
        owner=member.id,
        scope=scope,
        named=named,
        stem=file_stem(scope, now, context.settings),
        folder=tempfile.TemporaryDirectory(prefix="doithoai-web-export-"),
    )
    jobs_of(context)[job.id] = job
    job.task = asyncio.create_task(run_job(context, job, current_locale(), now))
    raise web.HTTPSeeOther(f"/staff/exports/{job.id}")


def period_scope(since: str, until: str, zone) -> Scope:
    """The days typed on the form, read as /export reads them (the same refusals, worded for
    the form rather than the command)."""
    hint = _("Please give the first and the last day as dd/mm/yyyy, for example 01/11/2026.")
    if len(since.split()) != 1 or len(until.split()) != 1:
        raise Usage(hint)
    try:
        scope, _named = parse_export(f"{since} {until}", zone)
    except Usage as problem:
        raise Usage(hint if str(problem) == export_usage() else str(problem)) from None
    if scope is None or scope.session_id is not None:
        raise Usage(hint)
    return scope


async def owned_job(request: web.Request) -> ExportJob:
    """The export this address names, if its owner asks and may still export; someone who
    may not is refused (and audited) before anything about the export is looked up."""
    denied = await export_refusal(request)
    if denied is not None:
        raise RefusedPage(denied)
    job = jobs_of(context_of(request)).get(request.match_info["job"])
    if job is None or job.owner != staff_of(request).id:
        raise web.HTTPNotFound(text=_("This export was not found."))
    return job


@routes.get("/staff/exports/{job}")
@staff_page
async def job_page(request: web.Request) -> web.Response:
    job = await owned_job(request)
    return render(request, "export_job.html", job=job, files=list(job.files()))


@routes.get("/staff/exports/{job}/progress")
@staff_page
async def job_progress(request: web.Request) -> web.Response:
    """For the page's small polling script."""
    job = await owned_job(request)
    return web.json_response({"done": job.done, "failed": job.failed, "percent": job.progress()})


@routes.get("/staff/exports/{job}/all.zip")
@staff_page
async def job_zip(request: web.Request) -> web.StreamResponse:
    job = await owned_job(request)
    if job.result is None:
        raise web.HTTPNotFound()

    def pack() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in job.files().items():
                archive.write(path, arcname=name)
        return out.getvalue()

    body = await asyncio.to_thread(pack)
    return web.Response(
        body=body,
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{job.stem}.zip"'},
    )


@routes.get("/staff/exports/{job}/files/{name}")
@staff_page
async def job_file(request: web.Request) -> web.StreamResponse:
    job = await owned_job(request)
    path = job.files().get(request.match_info["name"])  # only a file of the export, by name
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Content-Disposition": f'attachment; filename="{path.name}"'}
    )
