"""The bot token of the long-polling tests."""

from __future__ import annotations

TOKEN = "123456789:" + "B" * 35
