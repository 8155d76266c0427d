"""Buttons under the messages the scheduler puts in the outbox (handled in handlers/reminders.py).
Short ASCII prefixes: Telegram allows 64 bytes of callback data."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

ASK, RATE = "q", "r"


class ReminderCb(CallbackData, prefix="rmd"):
    """Under a reminder: a = q (send a question) or r (rate a field); s = the session."""

    a: str
    s: int


class PlanCb(CallbackData, prefix="plan"):
    """Under the admins' notice of a drafted session: open it in /sessions."""

    s: int
