"""The scheduler of the bot process: APScheduler 3's AsyncIOScheduler on the bot's event loop,
its jobs stored in the bot's own database (SQLAlchemyJobStore, through a synchronous driver),
so reminders and the morning job survive a restart and a missed one runs when the bot is back.

Two job stores: "default" in the database for what must outlive the process (one job per
reminder round, the morning job); "memory" for the once-a-minute reconciliation and the
post-change syncs, which are re-made at every start and would otherwise write to the database
every minute (on SQLite, every write of the blocking job store waits for the bot's writers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import is_sqlite
from bot.settings import Settings
from bot.survey.definition import Survey
from models import utcnow
from scheduler import config, jobs
from scheduler.config import Plan
from scheduler.jobs import Jobs

log = logging.getLogger(__name__)

DATABASE, MEMORY = "default", "memory"
RECONCILE_EVERY = timedelta(minutes=1)
PRUNE_EVERY = timedelta(hours=1)
# A sync asked for right after a change runs a moment later, once the change is committed.
SYNC_DELAY = timedelta(seconds=2)
# How long the blocking job store waits for SQLite's write lock. The event loop waits too, and
# a writer of the bot holding the lock may itself be waiting for the loop: better to give up
# soon and retry (the next reconciliation, or the scheduler's retry a few seconds later).
SQLITE_LOCK_WAIT = 0.5


class _AsyncIOScheduler(AsyncIOScheduler):
    def _process_jobs(self) -> float | None:
        # A job store write that fails (e.g. SQLite busy) must not end the wake-ups: try again
        # shortly; jobs are idempotent, so one submitted twice does no harm.
        try:
            return super()._process_jobs()
        except Exception:
            log.exception("Scheduler: processing due jobs failed; retrying")
            return self.jobstore_retry_interval


class _BoundJob:
    """A stored job as the executor runs it: its function is the method of the same name of
    the scheduler's own `Jobs`, with the stored arguments."""

    def __init__(self, job: Job, work: Jobs) -> None:
        self._job = job
        self.func = getattr(work, job.func.__name__)

    def __getattr__(self, name: str) -> Any:  # id, args, kwargs, misfire_grace_time, …
        return getattr(self._job, name)

    def __str__(self) -> str:  # in APScheduler's log lines
        return str(self._job)


class _Executor(AsyncIOExecutor):
    def __init__(self, work: Jobs) -> None:
        super().__init__()
        self.work = work

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        super()._do_submit_job(_BoundJob(job, self.work), run_times)

    def running(self) -> list[asyncio.Future[Any]]:
        return list(self._pending_futures)


class Scheduler:
    """Started and stopped with the bot (`python -m bot run`), by the worker that leads. It
    owns the jobs' work (`jobs`), given only what the jobs use: the settings, the database,
    the survey, and a way to wake the delivery engine."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        survey: Survey,
        wake_delivery: Callable[[], None],
        *,
        export_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.plan = Plan.from_settings(settings)  # a bad setting stops start-up here
        self.jobs = Jobs(
            settings,
            sessionmaker,
            survey,
            self.plan,
            export_dir or config.export_dir(settings),
            self.set_reminder_jobs,
            wake_delivery,
        )
        url = config.sync_url(settings.database_url)
        options: dict[str, Any] = (
            {"connect_args": {"timeout": SQLITE_LOCK_WAIT}}
            if is_sqlite(settings.database_url)
            else {"pool_pre_ping": True}
        )
        # A line per run of the minute's reconciliation would drown the log; errors still show.
        for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._executor = _Executor(self.jobs)
        self.aps = _AsyncIOScheduler(
            jobstores={
                DATABASE: SQLAlchemyJobStore(url=url, engine_options=options),
                MEMORY: MemoryJobStore(),
            },
            executors={"default": self._executor},
            # A run missed while the bot was down is made once when it is back (coalesced);
            # whether it is still useful is each job's decision, from the database.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=settings.zone,
        )

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.aps.start(paused=True)  # opens the job store (creating its table once)
        self._keep_system_jobs()
        self.aps.resume()  # runs what is due, missed runs included
        log.info("Scheduler started: %d jobs stored", len(self.aps.get_jobs(DATABASE)))

    async def stop(self, timeout: float = 10.0) -> None:
        """Lets running jobs finish (each commits or rolls back as a whole), then stops."""
        if self.aps.running:
            self.aps.pause()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.idle(), timeout)
            self.aps.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn

    async def run_due(self) -> None:
        """Runs what is due now and waits for it: what the timer does. Tests move the clock
        (time-machine does not move the event loop's timers), then call this."""
        self.aps.wakeup()
        await asyncio.sleep(0)  # the wake-up itself runs on the loop
        await self.idle()

    async def idle(self) -> None:
        """Until no job runs (jobs may start others)."""
        while running := self._executor.running():
            await asyncio.wait(running)
            await asyncio.sleep(0)

    def _keep_system_jobs(self) -> None:
        self.aps.add_job(
            jobs.reconcile,
            IntervalTrigger(seconds=RECONCILE_EVERY.total_seconds()),
            id="reconcile",
            jobstore=MEMORY,
            next_run_time=utcnow(),  # at once: catch up on what happened while down
            replace_existing=True,
        )
        self.aps.add_job(
            jobs.prune,
            IntervalTrigger(seconds=PRUNE_EVERY.total_seconds()),
            id="prune",
            jobstore=MEMORY,
            next_run_time=utcnow(),
            replace_existing=True,
        )
        at = self.plan.digest_time
        morning = CronTrigger(hour=at.hour, minute=at.minute, timezone=self.settings.zone)
        stored = self.aps.get_job("morning", DATABASE)
        # Kept as stored, so a morning missed while down runs now; replaced only when
        # DIGEST_TIME changed.
        if stored is None or repr(stored.trigger) != repr(morning):
            self.aps.add_job(
                jobs.morning, morning, id="morning", jobstore=DATABASE, replace_existing=True
            )

    # --- what the jobs call -----------------------------------------------------------------

    def set_reminder_jobs(
        self, wanted: dict[str, tuple[datetime, tuple[Any, ...]]], prefix: str
    ) -> None:
        """The stored reminder jobs whose id starts with `prefix` become exactly `wanted`
        ({id: (run time, arguments)}); unchanged ones are not rewritten."""
        try:
            stored = {j.id: j for j in self.aps.get_jobs(DATABASE) if j.id.startswith(prefix)}
            for job_id in stored.keys() - wanted.keys():
                self.aps.remove_job(job_id, DATABASE)
            for job_id, (run_at, args) in wanted.items():
                job = stored.get(job_id)
                if job is not None and job.next_run_time == run_at and tuple(job.args) == args:
                    continue
                self.aps.add_job(
                    jobs.remind,
                    "date",
                    run_date=run_at,
                    args=list(args),
                    id=job_id,
                    jobstore=DATABASE,
                    replace_existing=True,
                )
        except Exception:  # the job store is busy or away: the next reconciliation retries
            log.exception("Scheduler: reminder jobs not updated")

    def sync_session(self, session_id: int) -> None:
        """Reminders of this session are brought in line with it in a moment. Safe to call
        inside a transaction: it only adds an in-memory job. Nothing happens in a worker that
        does not lead (the scheduler is not running there): the leader's once-a-minute
        reconciliation does it."""
        if not self.aps.running:
            return
        self.aps.add_job(
            jobs.reconcile_session,
            "date",
            run_date=utcnow() + SYNC_DELAY,
            args=[session_id],
            id=f"sync:{session_id}",
            jobstore=MEMORY,
            replace_existing=True,
        )
