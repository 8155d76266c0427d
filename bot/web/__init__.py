"""The one aiohttp application of a worker: webhooks, /healthz and /metrics (server.py), the
staff web console and the resident web chat (the other modules of this package)."""

from bot.web.server import (
    SECRET_HEADER,
    TELEGRAM_PATH,
    TelegramWebhook,
    build_web_app,
    health,
    register_telegram_webhook,
)

__all__ = [
    "SECRET_HEADER",
    "TELEGRAM_PATH",
    "TelegramWebhook",
    "build_web_app",
    "health",
    "register_telegram_webhook",
]
