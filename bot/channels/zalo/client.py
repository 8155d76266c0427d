"""A small async client for the Zalo Bot Platform API (see docs zalo.md §2–§6, §12).

Every method is `POST {base}/bot{token}/{method}` with a JSON body. Success is judged by the
body's `ok`, because a bad token was seen answering HTTP 200 with `ok: false, error_code: 401`.
The token sits in the URL path, so it is redacted from every message we produce, and
`quiet_http_logs()` keeps httpx from logging request URLs.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.channels.text import split_text

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
# Code of a ZaloAPIError raised when no HTTP answer arrived at all (connection, timeout).
NETWORK_ERROR = -1
UNAUTHORIZED = 401
REQUEST_TIMEOUT = 408  # also getUpdates' normal "nothing arrived" answer
TOO_MANY_REQUESTS = 429

# Default timeouts for a client we create; getUpdates sets its own read timeout per call.
_DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_LONG_POLL_MARGIN = 10  # seconds beyond getUpdates' own timeout before we give up reading


def quiet_http_logs() -> None:
    """Stop httpx and httpcore from logging request URLs, which contain the bot token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class ZaloAPIError(Exception):
    """A call that failed: `code` is Zalo's error_code (or the HTTP status, or NETWORK_ERROR)."""

    def __init__(self, code: int, description: str, method: str | None = None) -> None:
        self.code = code
        self.description = description
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"Zalo {where}{code} {description}")

    @property
    def fatal(self) -> bool:
        """The token is invalid or was reset: nothing will work until it is replaced."""
        return self.code == UNAUTHORIZED

    @property
    def retryable(self) -> bool:
        return self.code in (TOO_MANY_REQUESTS, NETWORK_ERROR) or 500 <= self.code <= 599


class ZaloClient:
    """Calls the Bot API; retries quota, server and network errors a bounded number of times.

    `retries` counts attempts after the first; the n-th retry waits `backoff[n]` seconds (the last
    value repeats) times a jitter factor in [0.75, 1.25). `sleep` and `rng` are for tests.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        http: httpx.AsyncClient | None = None,
        retries: int = 4,
        backoff: tuple[float, ...] = (1, 2, 5, 10, 30),
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not token:
            raise ValueError("a Zalo bot token is required")
        if not backoff:
            raise ValueError("backoff needs at least one delay")
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=_DEFAULT_TIMEOUT)
        self._retries = max(0, retries)
        self._backoff = backoff
        self._sleep = sleep
        self._rng = rng

    def __repr__(self) -> str:
        return f"ZaloClient(base_url={self.base_url!r}, token='bot***')"

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it; an injected one belongs to its owner."""
        if self._owns_http:
            await self._http.aclose()

    def redact(self, text: str) -> str:
        """`text` with the token replaced, so `/bot<token>/` reads `/bot***/`."""
        return text.replace(self._token, "***")

    # -- the one generic call ------------------------------------------------------------------

    async def call(self, method: str, /, **params: Any) -> Any:
        """POST `params` as JSON to `method` and return its `result`; raise ZaloAPIError otherwise."""
        return await self._call(method, params)

    async def _call(
        self, method: str, params: dict[str, Any], timeout: httpx.Timeout | None = None
    ) -> Any:
        attempt = 0
        while True:
            try:
                return await self._call_once(method, params, timeout)
            except ZaloAPIError as exc:
                if not exc.retryable or attempt >= self._retries:
                    raise
                delay = self._delay(attempt)
                attempt += 1
                log.warning(
                    "Zalo %s failed (%s), retry %d of %d in %.1f s",
                    method,
                    exc.code,
                    attempt,
                    self._retries,
                    delay,
                )
                await self._sleep(delay)

    def _delay(self, attempt: int) -> float:
        base = self._backoff[min(attempt, len(self._backoff) - 1)]
        # Jitter keeps several clients (or restarts) from retrying in lockstep.
        return base * (0.75 + 0.5 * self._rng())

    async def _call_once(
        self, method: str, params: dict[str, Any], timeout: httpx.Timeout | None
    ) -> Any:
        url = f"{self.base_url}/bot{self._token}/{method}"
        extra = {} if timeout is None else {"timeout": timeout}
        try:
            response = await self._http.post(url, json=params, **extra)
        except httpx.TransportError as exc:
            # `from None`: the httpx exception holds the request, and with it the URL and token.
            detail = self.redact(str(exc)) or "no detail"
            raise ZaloAPIError(NETWORK_ERROR, f"{type(exc).__name__}: {detail}", method) from None
        return self._result(method, response)

    def _result(self, method: str, response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
            # Not the Bot API envelope (a proxy's error page, say): only the status tells anything.
            status = response.status_code
            reason = response.reason_phrase or "invalid response"
            raise ZaloAPIError(status, f"{reason} (body is not a Bot API response)", method)
        if body["ok"]:
            return body.get("result")
        code = body.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = response.status_code if response.is_error else 0
        description = self.redact(str(body.get("description") or "no description"))
        raise ZaloAPIError(code, description, method)

    # -- methods ---------------------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        """The bot's `{id, account_name, account_type, can_join_groups}`; validates the token."""
        return await self.call("getMe")

    async def get_update(self, timeout: int = 30) -> dict[str, Any] | None:
        """Long-poll for one update `{event_name, message}`; None when nothing arrived (408)."""
        http_timeout = httpx.Timeout(_DEFAULT_TIMEOUT.connect, read=timeout + _LONG_POLL_MARGIN)
        try:
            result = await self._call("getUpdates", {"timeout": str(timeout)}, http_timeout)
        except ZaloAPIError as exc:
            if exc.code == REQUEST_TIMEOUT:
                return None
            raise
        if not isinstance(result, dict):
            log.warning("Zalo getUpdates returned %s, not one update", type(result).__name__)
            return None
        return result

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return await self.call("setWebhook", url=url, secret_token=secret_token)

    async def delete_webhook(self) -> dict[str, Any]:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """One plain-text message (1–2000 characters); prefer send_text for replies."""
        return await self.call("sendMessage", chat_id=chat_id, text=text)

    async def send_photo(
        self, chat_id: str, photo_url: str, caption: str | None = None
    ) -> dict[str, Any]:
        """Zalo fetches `photo_url` itself, so it must be public."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", **params)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", chat_id=chat_id, action=action)

    async def send_text(self, chat_id: str, text: str) -> list[dict[str, Any]]:
        """Send `text` as as many messages as it needs, in order; returns each message's result."""
        return [await self.send_message(chat_id, chunk) for chunk in split_text(text)]
