"""The Zalo Bot Platform channel: API client, update parser, webhook route and polling loop.

See /work/shared/zalo.md for the platform's behaviour and why the client is built this way.
"""

from bot.channels.zalo.client import ZaloAPIError, ZaloClient, quiet_http_logs
from bot.channels.zalo.polling import poll_updates
from bot.channels.zalo.updates import RecentIds, parse_update, unwrap
from bot.channels.zalo.webhook import ZaloWebhook, add_webhook_route

__all__ = [
    "RecentIds",
    "ZaloAPIError",
    "ZaloClient",
    "ZaloWebhook",
    "add_webhook_route",
    "parse_update",
    "poll_updates",
    "quiet_http_logs",
    "unwrap",
]
