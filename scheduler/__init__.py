"""What runs on time: reminders before each dialogue session (and a notice when one is
cancelled), the officials' morning digest, the conference files the day before a session, and
the next sessions drafted for the admins to date. APScheduler 3 on the bot's event loop, its
jobs stored in the bot's database; every message goes into the outbox (bot/delivery), which the
delivery engine sends.

`python -m bot run` starts and stops it (`Scheduler`). After a session is created, moved or
cancelled, `sync_session(session_id)` brings its reminders in line at once; without the call
the once-a-minute reconciliation does it anyway.
"""

from __future__ import annotations

from scheduler import registry
from scheduler.runner import Scheduler

__all__ = ["Scheduler", "sync_session"]


def sync_session(session_id: int) -> None:
    """Reminders of this session follow its change in a moment (no-op without a scheduler in
    this process, e.g. the console): safe to call from a handler, inside its transaction."""
    running = registry.running()
    if running is not None:
        running.sync_session(session_id)
