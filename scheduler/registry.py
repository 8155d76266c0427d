"""The running scheduler, for job functions: APScheduler stores a job as a reference to a
module-level function plus its arguments, so a job finds the app's database and settings here
rather than in anything pickled."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.runner import Scheduler

_running: Scheduler | None = None


def install(scheduler: Scheduler) -> None:
    global _running
    _running = scheduler


def uninstall(scheduler: Scheduler) -> None:
    global _running
    if _running is scheduler:
        _running = None


def running() -> Scheduler | None:
    return _running


def current() -> Scheduler:
    if _running is None:
        raise RuntimeError("no scheduler is running in this process")
    return _running
