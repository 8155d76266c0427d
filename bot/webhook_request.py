"""What a webhook takes from the network: the secret header, and a body that is one JSON object.

Anyone can reach a webhook, and anyone who has the secret can post anything: an array, a bare
number, a 10,000-level nesting, a 5,000-digit integer, bytes that are not UTF-8. Each of those
is answered 400 here, before any handler sees it, never with a 500 and a traceback. The body's
size is bounded by the web application (`client_max_size`: 413).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

# Telegram's and Zalo's updates nest about ten levels deep; far deeper is not an update.
MAX_DEPTH = 32
# Every id and date either platform sends fits in 64 bits (20 digits with the sign).
MAX_INT_DIGITS = 20


def secret_matches(given: str | None, secret: str) -> bool:
    """Whether the header holds exactly `secret`, compared in constant time. aiohttp hands over
    bytes that are not UTF-8 as surrogates; they are compared as the bytes they were."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode())


async def json_object(request: web.Request) -> dict[str, Any] | None:
    """The body as a JSON object of bounded depth and integers, or None for anything else.
    A body over the application's size limit raises aiohttp's 413 as it is read."""
    raw = await request.read()
    try:
        body = json.loads(raw, parse_int=_small_int, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, huge numbers, extreme nesting
        return None
    if not isinstance(body, dict) or _depth_exceeds(body, MAX_DEPTH):
        return None
    return body


def _small_int(digits: str) -> int:
    if len(digits) > MAX_INT_DIGITS:
        raise ValueError("integer too long")
    return int(digits)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python's extension, not JSON


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit`; iterative, so no depth can break it."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False
