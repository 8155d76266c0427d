"""Turning a delivery's payload into API calls, and each platform's errors into what the engine
does next: done, wait and retry (429), retry later (5xx, network), give up on this chat (403),
or give up on this message (a bad request).

A payload (bot/delivery/outbox.py) may need several messages: a photo whose caption would be
too long is followed by the text; Zalo splits long texts. Each is a *part*; the engine sends
them in order, within the limits, and remembers how many went out if one fails.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import FSInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.text import split_text
from bot.channels.zalo.client import NETWORK_ERROR, ZaloAPIError, ZaloClient
from bot.i18n import _, use_locale
from bot.texts import plain
from models import WebChatMessage, utcnow

CAPTION_LIMIT = 1024  # Telegram, characters after entity parsing
REQUEST_TIMEOUT = 20  # seconds: a stuck request must end well before the claim on its row
MAX_ERROR = 200  # Delivery.last_error
MAX_FILE_IDS = 1000  # files on disk whose Telegram id is remembered


class Outcome(enum.StrEnum):
    RATE_LIMITED = "rate_limited"  # 429: pause the channel, then try again
    RETRY = "retry"  # 5xx, network, token: try again later, a bounded number of times
    UNREACHABLE = "unreachable"  # blocked, deactivated, unknown chat: never again there
    FAILED = "failed"  # this message cannot be sent (bad request, missing file)


class SendFailed(Exception):
    """`error` names the exception and the platform's description; never the message text."""

    def __init__(self, outcome: Outcome, error: str, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.outcome = outcome
        self.error = error[:MAX_ERROR]
        self.retry_after = retry_after


class Sender(Protocol):
    channel: str
    # A text channel keeps the resident's conversation in the database: a payload's "then"
    # is merged into it once the message was accepted.
    text_channel: bool

    def parts(self, payload: dict[str, Any], locale: str) -> list[Any]: ...

    async def send_part(self, chat_id: str, part: Any) -> None: ...

    async def close(self) -> None: ...


# --- Telegram -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramPart:
    kind: str  # text, photo, document
    text: str | None
    html: bool
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    media: dict[str, str] | None = None


def keyboard(buttons: Any) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row]
        for row in buttons or ()
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


class TelegramSender:
    channel = "telegram"
    text_channel = False

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # A file on disk (an announcement's attachment uploaded in the web console, a
        # day-before export) is uploaded to the first chat only; the others get Telegram's id
        # of it. Keyed by the file's path, time and size: a file written again is uploaded
        # again, never sent as it was before.
        self.file_ids: dict[tuple[str, int, int], str] = {}

    def parts(self, payload: dict[str, Any], locale: str) -> list[TelegramPart]:
        text, html = payload.get("text") or "", bool(payload.get("html"))
        buttons = tuple(tuple((b[0], b[1]) for b in row) for row in payload.get("buttons") or ())
        media = payload.get("media")
        if not media:
            return [TelegramPart("text", text, html, buttons)]
        kind = media.get("kind", "document")
        visible = plain(text) if html else text
        if len(visible) <= CAPTION_LIMIT:
            return [TelegramPart(kind, text or None, html, buttons, media)]
        # Too long for a caption: the file first, then the text with the buttons.
        return [
            TelegramPart(kind, None, html, (), media),
            TelegramPart("text", text, html, buttons),
        ]

    async def send_part(self, chat_id: str, part: TelegramPart) -> None:
        chat = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        markup = keyboard(part.buttons)
        parse_mode = "HTML" if part.html else None
        try:
            if part.kind == "text":
                await self.bot.send_message(
                    chat_id=chat,
                    text=part.text or "",
                    parse_mode=parse_mode,
                    reply_markup=markup,
                    request_timeout=REQUEST_TIMEOUT,
                )
                return
            file, uploaded = self._file(part.media or {})
            send = self.bot.send_photo if part.kind == "photo" else self.bot.send_document
            sent = await send(
                chat,
                file,
                caption=part.text,
                parse_mode=parse_mode,
                reply_markup=markup,
                request_timeout=REQUEST_TIMEOUT,
            )
            if uploaded is not None:
                self._remember(uploaded, sent)
        except (KeyError, OSError) as exc:  # no file id and no readable file on disk
            raise SendFailed(Outcome.FAILED, f"media: {type(exc).__name__}") from None
        except (TelegramAPIError, ClientDecodeError) as exc:
            raise telegram_failure(exc) from None

    def _file(self, media: dict[str, str]) -> tuple[str | FSInputFile, tuple | None]:
        """What to send: a file id, or the file on disk to upload (with its key, to remember
        the id Telegram gives it). KeyError, OSError: no file id and no readable file."""
        if media.get("file_id"):
            return media["file_id"], None
        path = media["path"]
        found = os.stat(path)
        key = (path, found.st_mtime_ns, found.st_size)
        known = self.file_ids.get(key)
        if known is not None:
            return known, None
        return FSInputFile(path, filename=media.get("name")), key

    def _remember(self, key: tuple[str, int, int], sent: Any) -> None:
        photo = getattr(sent, "photo", None)
        document = getattr(sent, "document", None)
        file_id = photo[-1].file_id if photo else getattr(document, "file_id", None)
        if isinstance(file_id, str):
            if len(self.file_ids) >= MAX_FILE_IDS:
                self.file_ids.clear()
            self.file_ids[key] = file_id

    async def close(self) -> None:
        pass  # the bot's session belongs to the app


def telegram_failure(exc: TelegramAPIError | ClientDecodeError) -> SendFailed:
    """telegram.md §3: what each aiogram exception means for a delivery."""
    error = f"{type(exc).__name__}: {getattr(exc, 'message', '')}".rstrip(": ")
    if isinstance(exc, TelegramRetryAfter):
        return SendFailed(Outcome.RATE_LIMITED, error, float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):  # blocked, deactivated, kicked
        return SendFailed(Outcome.UNREACHABLE, error)
    if isinstance(exc, TelegramBadRequest):
        if "chat not found" in exc.message.lower():
            return SendFailed(Outcome.UNREACHABLE, error)
        return SendFailed(Outcome.FAILED, error)
    if isinstance(exc, TelegramEntityTooLarge):  # a kind of network error in aiogram
        return SendFailed(Outcome.FAILED, error)
    if isinstance(
        exc,
        TelegramServerError | TelegramNetworkError | TelegramUnauthorizedError | ClientDecodeError,
    ):
        return SendFailed(Outcome.RETRY, error)
    # A 429 without retry_after, a conflict, a 404...: a bug or a hiccup, bounded retries.
    return SendFailed(Outcome.RETRY, error)


# --- Zalo ---------------------------------------------------------------------------------------

RETRY_AFTER = re.compile(r"retry after (\d+(?:\.\d+)?)", re.IGNORECASE)
# zalo.md §3: 403 and 404 (blocked, deactivated, unknown user) stop sending to that chat.
ZALO_UNREACHABLE = frozenset({403, 404})


def media_line(media: dict[str, str]) -> str:
    """What a Zalo resident reads instead of a file the bot cannot send there."""
    if media.get("kind") == "photo":
        return _("📷 (This message comes with a photo, which cannot be sent on Zalo.)")
    return _("📎 (This message comes with the file {name}, which cannot be sent on Zalo.)").format(
        name=media.get("name") or "…"
    )


class ZaloSender:
    """Plain text through our Zalo client. Give it a client made with `retries=0`: the engine
    does the retrying, so a 429 pauses the channel instead of one request."""

    channel = "zalo"
    text_channel = True

    def __init__(self, client: ZaloClient, *, owned: bool = False) -> None:
        self.client = client
        self.owned = owned  # close the client with the engine

    def parts(self, payload: dict[str, Any], locale: str) -> list[str]:
        text = payload.get("text") or ""
        if payload.get("html"):
            text = plain(text)
        if payload.get("media"):
            with use_locale(locale):
                text = f"{text}\n\n{media_line(payload['media'])}".strip()
        return split_text(text) or ["…"]

    async def send_part(self, chat_id: str, part: str) -> None:
        try:
            await self.client.send_message(chat_id, part)
        except ZaloAPIError as exc:
            raise zalo_failure(exc) from None
        except httpx.HTTPError as exc:  # the client turns transport errors into ZaloAPIError
            raise SendFailed(Outcome.RETRY, f"{type(exc).__name__}") from None

    async def close(self) -> None:
        if self.owned:
            await self.client.aclose()


def zalo_failure(exc: ZaloAPIError) -> SendFailed:
    error = f"ZaloAPIError: {exc.code} {exc.description}"
    if exc.code == 429:  # no retry_after is documented; use one if the description has it
        found = RETRY_AFTER.search(exc.description)
        return SendFailed(Outcome.RATE_LIMITED, error, float(found.group(1)) if found else None)
    if exc.code in ZALO_UNREACHABLE:
        return SendFailed(Outcome.UNREACHABLE, error)
    if exc.code in (NETWORK_ERROR, 401, 408) or 500 <= exc.code <= 599:
        return SendFailed(Outcome.RETRY, error)
    return SendFailed(Outcome.FAILED, error)


# --- the web chat -------------------------------------------------------------------------------


def web_media_line(media: dict[str, str]) -> str:
    """What a web-chat resident reads instead of a file the chat does not show."""
    if media.get("kind") == "photo":
        return _("📷 (This message comes with a photo, which the web chat cannot show.)")
    return _(
        "📎 (This message comes with the file {name}, which the web chat cannot show.)"
    ).format(name=media.get("name") or "…")


class WebSender:
    """The web chat has no connection to push to: "sending" stores the text for the chat (its
    cookie's digest); the page shows it, and deletes it, the next time it is opened."""

    channel = "web"
    text_channel = True

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    def parts(self, payload: dict[str, Any], locale: str) -> list[str]:
        text = payload.get("text") or ""
        if payload.get("html"):
            text = plain(text)
        if payload.get("media"):
            with use_locale(locale):
                text = f"{text}\n\n{web_media_line(payload['media'])}".strip()
        return [text or "…"]

    async def send_part(self, chat_id: str, part: str) -> None:
        try:
            async with self.sessionmaker() as db, db.begin():
                db.add(WebChatMessage(chat_id=chat_id, text=part, created_at=utcnow()))
        except SQLAlchemyError as exc:
            raise SendFailed(Outcome.RETRY, type(exc).__name__) from None

    async def close(self) -> None:
        pass
