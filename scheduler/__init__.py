"""What runs on time: reminders before each dialogue session (and a notice when one is
cancelled), the officials' morning digest, the conference files the day before a session, and
the next sessions drafted for the admins to date. APScheduler 3 on the bot's event loop, its
jobs stored in the bot's database; every message goes into the outbox (bot/delivery), which the
delivery engine sends.

`python -m bot run` builds it (bot/app.py `build_scheduler`), starts and stops it. After a
session is created, moved or cancelled, the /sessions wizard calls the dispatcher's
`sync_session(session_id)` (the running scheduler's `Scheduler.sync_session`), which brings its
reminders in line at once; without the call the once-a-minute reconciliation does it anyway.
"""

from __future__ import annotations

from scheduler.runner import Scheduler

__all__ = ["Scheduler"]
