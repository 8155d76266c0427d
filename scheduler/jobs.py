"""The functions APScheduler runs. The job store keeps a reference to them ("scheduler.jobs:remind")
and their arguments, so they stay module-level, keep their names, and take plain values; each
opens its own database session through the running scheduler (scheduler/registry.py).

- `reconcile`, every minute (and at start-up): every session's reminders are brought in line
  with it: rounds due now are made (also those missed while the bot was down), rounds of an old
  start time or of a cancelled session stop, cancellations are announced, and the exact-time
  jobs below are (re)scheduled. Nothing depends on the /sessions wizard calling anything.
- `remind`, one per session and offset at the reminder's exact time: the same for that session.
- `reconcile_session`: the same, soon after a change (scheduler.sync_session).
- `morning`, daily at DIGEST_TIME: the officials' digests, the day-before exports, the next
  sessions drafted.
- `prune`, every hour (and at start-up): the deliveries handled longer ago than the platforms
  retry (`inbound_messages`) are forgotten, so the table does not grow for ever.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.delivery import outbox
from bot.exports.bundle import run_export
from bot.services.figures import Scope
from models import utcnow
from models.conversations import DEDUPE_WINDOW, PRUNE_BATCH, prune_deliveries
from scheduler import digests, recurrence, reminders
from scheduler.registry import current

if TYPE_CHECKING:
    from scheduler.runner import Scheduler

log = logging.getLogger(__name__)


async def reconcile() -> None:
    await _reconcile(None)


async def reconcile_session(session_id: int) -> None:
    await _reconcile(session_id)


async def remind(session_id: int, offset: str, starts: str) -> None:
    """A reminder's time has come. The arguments name the round it was scheduled for; what is
    sent is decided from the session as it is now (moved or cancelled since: nothing due)."""
    log.info("Reminder %s of session %s (start %s) is due", offset, session_id, starts)
    await _reconcile(session_id)


async def _reconcile(session_id: int | None) -> None:
    scheduler = current()
    settings, offsets, now = scheduler.settings, scheduler.plan.offsets, utcnow()
    added = 0
    async with scheduler.sessionmaker() as db, db.begin():
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
    scheduler.set_reminder_jobs(wanted, prefix)
    if added:
        scheduler.wake_delivery()


async def morning() -> None:
    scheduler = current()
    added = 0
    for part in (_digests, _exports, _plan):
        try:
            added += await part(scheduler)
        except Exception:  # one failing part must not keep the others from running
            log.exception("Morning job: %s failed", part.__name__.strip("_"))
    if added:
        scheduler.wake_delivery()


async def _digests(scheduler: Scheduler) -> int:
    now = utcnow()
    async with scheduler.sessionmaker() as db, db.begin():
        return await digests.send_digests(
            db, scheduler.settings, scheduler.survey, scheduler.plan.digest_time, now
        )


async def _exports(scheduler: Scheduler) -> int:
    settings, now = scheduler.settings, utcnow()
    async with scheduler.sessionmaker() as db:
        due = await digests.sessions_to_export(db, settings, now)
    await asyncio.to_thread(digests.remove_old_exports, scheduler.export_dir, now, settings)
    added = 0
    for session in due:
        out = digests.export_folder(scheduler.export_dir, session, now, settings)
        # Seconds of CPU in a worker thread, on a connection of its own; no transaction of
        # ours is open meanwhile (SQLite would hold every resident's write behind it).
        result = await asyncio.to_thread(
            run_export,
            settings,
            scheduler.survey,
            Scope(session_id=session.id),
            out,
            now=now,
            locale=settings.default_locale,
        )
        async with scheduler.sessionmaker() as db, db.begin():
            added += await digests.record_export(db, settings, session, result, now)
    return added


async def _plan(scheduler: Scheduler) -> int:
    async with scheduler.sessionmaker() as db, db.begin():
        return await recurrence.plan_sessions(
            db, scheduler.settings, scheduler.plan.session_months, utcnow()
        )


async def prune() -> None:
    scheduler = current()
    before = utcnow() - DEDUPE_WINDOW
    removed = 0
    while True:  # in batches: each transaction stays short
        async with scheduler.sessionmaker() as db, db.begin():
            batch = await prune_deliveries(db, before)
        removed += batch
        if batch < PRUNE_BATCH:
            break
    if removed:
        log.info("Forgot %d deliveries handled before %s", removed, before.isoformat())
