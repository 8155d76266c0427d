"""What the scheduler runs. The job store keeps, per job, the name of one of the module-level
functions at the bottom ("scheduler.jobs:remind") and its plain arguments; those names and
arguments stay, so jobs stored by an earlier start still run. The work itself is done by the
method of the same name of `Jobs`, which the running scheduler owns and resolves each stored job
to (scheduler/runner.py): a job gets the database, settings and survey from the scheduler that
runs it, not from anything global.

- `reconcile`, every minute (and at start-up): every session's reminders are brought in line
  with it: rounds due now are made (also those missed while the bot was down), rounds of an old
  start time or of a cancelled session stop, cancellations are announced, and the exact-time
  jobs below are (re)scheduled. Nothing depends on the /sessions wizard calling anything.
- `remind`, one per session and offset at the reminder's exact time: the same for that session.
- `reconcile_session`: the same, soon after a change (Scheduler.sync_session).
- `morning`, daily at DIGEST_TIME: the officials' digests, the conference's commitments (to
  their owners; overdue ones to leaders), the day-before exports, the next sessions drafted.
- `prune`, every hour (and at start-up): the deliveries handled longer ago than the platforms
  retry (`inbound_messages`) are forgotten, so the table does not grow for ever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import outbox
from bot.exports.bundle import run_export
from bot.services.figures import Scope
from bot.settings import Settings
from bot.survey.definition import Survey
from models import utcnow
from models.conversations import DEDUPE_WINDOW, PRUNE_BATCH, prune_deliveries
from scheduler import digests, recurrence, reminders
from scheduler.config import Plan

log = logging.getLogger(__name__)

# {job id: (run time, arguments)} of the reminder jobs whose id starts with the prefix
SetReminderJobs = Callable[[dict[str, tuple[datetime, tuple[Any, ...]]], str], None]


class Jobs:
    """The jobs' work, with what it needs: the database, the settings and the survey, the
    schedule read from the settings, where the day-before files go, how to (re)schedule the
    reminder jobs, and how to wake the delivery engine."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        survey: Survey,
        plan: Plan,
        export_dir: Path,
        set_reminder_jobs: SetReminderJobs,
        wake_delivery: Callable[[], None],
    ) -> None:
        self.settings, self.sessionmaker, self.survey = settings, sessionmaker, survey
        self.plan, self.export_dir = plan, export_dir
        self.set_reminder_jobs, self.wake_delivery = set_reminder_jobs, wake_delivery

    async def reconcile(self) -> None:
        await self._reconcile(None)

    async def reconcile_session(self, session_id: int) -> None:
        await self._reconcile(session_id)

    async def remind(self, session_id: int, offset: str, starts: str) -> None:
        """A reminder's time has come. The arguments name the round it was scheduled for;
        what is sent is decided from the session as it is now (moved or cancelled since:
        nothing due)."""
        log.info("Reminder %s of session %s (start %s) is due", offset, session_id, starts)
        await self._reconcile(session_id)

    async def _reconcile(self, session_id: int | None) -> None:
        settings, offsets, now = self.settings, self.plan.offsets, utcnow()
        added = 0
        async with self.sessionmaker() as db, db.begin():
            upcoming = await reminders.remindable(db, now, session_id)
            for session in upcoming:
                added += await reminders.bring_up_to_date(db, settings, offsets, session, now)
            for session in await reminders.cancelled_unannounced(db, session_id):
                added += await reminders.announce_cancellation(db, settings, session, now)
            await reminders.stop_outdated(db, now, session_id)
            await outbox.finish_sent_rounds(db, now)
            wanted = reminders.wanted_jobs(upcoming, offsets, now)
        # After the commit: the job store writes through a connection of its own.
        prefix = reminders.JOB_PREFIX + (f"{session_id}:" if session_id is not None else "")
        self.set_reminder_jobs(wanted, prefix)
        if added:
            self.wake_delivery()

    async def morning(self) -> None:
        added = 0
        for part in (self._digests, self._commitments, self._agenda, self._exports, self._plan):
            try:
                added += await part()
            except Exception:  # one failing part must not keep the others from running
                log.exception("Morning job: %s failed", part.__name__.strip("_"))
        if added:
            self.wake_delivery()

    async def _digests(self) -> int:
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
            return await digests.send_digests(
                db, self.settings, self.survey, self.plan.digest_time, now
            )

    async def _commitments(self) -> int:
        """The conference's open commitments to their owners, the overdue ones to leaders."""
        async with self.sessionmaker() as db, db.begin():
            return await digests.send_commitment_digests(db, self.settings, utcnow())

    async def _agenda(self) -> int:
        """The day before a conference, each answerer how many questions are theirs."""
        async with self.sessionmaker() as db, db.begin():
            return await digests.send_agenda_notices(db, self.settings, utcnow())

    async def _exports(self) -> int:
        settings, now = self.settings, utcnow()
        async with self.sessionmaker() as db:
            due = await digests.sessions_to_export(db, settings, now)
        await asyncio.to_thread(digests.remove_old_exports, self.export_dir, now, settings)
        added = 0
        for session in due:
            out = digests.export_folder(self.export_dir, session, now, settings)
            # Seconds of CPU in a worker thread, on a connection of its own; no transaction of
            # ours is open meanwhile (SQLite would hold every resident's write behind it).
            result = await asyncio.to_thread(
                run_export,
                settings,
                self.survey,
                Scope(session_id=session.id),
                out,
                now=now,
                locale=settings.default_locale,
            )
            async with self.sessionmaker() as db, db.begin():
                added += await digests.record_export(db, settings, session, result, now)
        return added

    async def _plan(self) -> int:
        async with self.sessionmaker() as db, db.begin():
            return await recurrence.plan_sessions(
                db, self.settings, self.plan.session_months, utcnow()
            )

    async def prune(self) -> None:
        before = utcnow() - DEDUPE_WINDOW
        removed = 0
        while True:  # in batches: each transaction stays short
            async with self.sessionmaker() as db, db.begin():
                batch = await prune_deliveries(db, before)
            removed += batch
            if batch < PRUNE_BATCH:
                break
        if removed:
            log.info("Forgot %d deliveries handled before %s", removed, before.isoformat())


# --- what the job store keeps -------------------------------------------------------------------
# Names with the signatures of the `Jobs` methods they stand for (APScheduler checks a job's
# arguments against them when it is added). Called directly, outside a scheduler, they refuse.


def _run_by_the_scheduler(name: str) -> None:
    raise RuntimeError(f"the job {name!r} runs through a Scheduler (Scheduler.jobs.{name})")


async def reconcile() -> None:
    _run_by_the_scheduler("reconcile")


async def reconcile_session(session_id: int) -> None:
    _run_by_the_scheduler("reconcile_session")


async def remind(session_id: int, offset: str, starts: str) -> None:
    _run_by_the_scheduler("remind")


async def morning() -> None:
    _run_by_the_scheduler("morning")


async def prune() -> None:
    _run_by_the_scheduler("prune")
