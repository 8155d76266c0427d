"""A resident of the web chat, over HTTP as a browser without JavaScript would be: it opens
`/chat`, reads the bubbles and buttons the page shows, and posts the forms (with the page's
CSRF token and the cookie the server set)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import httpx

from bot.web.chat_identity import CHAT_COOKIE, chat_id
from tests.support.web import PAGE_TIMEOUT

BUBBLE = re.compile(r'<p class="bubble (you|bot)"[^>]*>(.*?)</p>', re.DOTALL)
WAITING = re.compile(r'<section class="waiting".*?</section>', re.DOTALL)
BUTTON = re.compile(r'<button type="submit" name="text" value="([^"]+)">(.*?)</button>', re.DOTALL)
HIDDEN = re.compile(r'<input type="hidden" name="(csrf|n)" value="([^"]*)">')
TAG = re.compile(r"<[^>]+>")
SPEAKER = re.compile(r'<span class="sr-only">.*?</span>')  # "Ward:", for screen readers


def text_of(fragment: str) -> str:
    return html.unescape(TAG.sub("", SPEAKER.sub("", fragment))).strip()


@dataclass
class ChatPage:
    html: str
    waiting: list[str] = field(default_factory=list)
    bubbles: list[tuple[str, str]] = field(default_factory=list)  # (who, text)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (number, label)
    hidden: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, page: str) -> ChatPage:
        waiting_part = WAITING.search(page)
        rest = WAITING.sub("", page)
        waiting = (
            [text_of(t) for _w, t in BUBBLE.findall(waiting_part.group(0))] if waiting_part else []
        )
        return cls(
            html=page,
            waiting=waiting,
            bubbles=[(who, text_of(t)) for who, t in BUBBLE.findall(rest)],
            buttons=[(n, text_of(label)) for n, label in BUTTON.findall(page)],
            hidden=dict(HIDDEN.findall(page)),
        )

    @property
    def screen(self) -> str:
        """The last reply as the text channels write it: its text, then its numbered lines."""
        last = self.bubbles[-1][1] if self.bubbles else ""
        lines = [last, *(label for _n, label in self.buttons)]
        return "\n".join(line for line in lines if line)

    @property
    def replies(self) -> list[str]:
        """The bot's replies of the last exchange (the last one with its options)."""
        said = [text for who, text in self.bubbles if who == "bot"]
        return [*said[:-1], self.screen] if said else []


class WebChatResident:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url, follow_redirects=False, timeout=PAGE_TIMEOUT
        )
        self.page: ChatPage | None = None
        self.transcript: list[str] = []

    async def __aenter__(self) -> WebChatResident:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()

    @property
    def chat_id(self) -> str:
        return chat_id(self.client.cookies[CHAT_COOKIE])

    async def open(self) -> ChatPage:
        response = await self.client.get("/chat")
        assert response.status_code == 200, response.text
        self.page = ChatPage.read(response.text)
        return self.page

    async def post(self, data: dict[str, str], files=None) -> httpx.Response:
        if self.page is None:
            await self.open()
        form = {**self.page.hidden, **data}
        return await self.client.post("/chat", data=form, files=files)

    async def say(self, text: str) -> str:
        """Types `text` and sends it; the bot's replies, as the page then shows them."""
        response = await self.post({"text": text})
        assert response.status_code == 303, response.text
        assert response.headers["Location"] == "/chat#latest"
        page = await self.open()
        self.transcript.extend(page.replies)
        return "\n\n".join(page.replies)

    async def tap(self, label: str) -> str:
        """Taps the option button whose label is `label` (or starts with it)."""
        assert self.page is not None
        for number, shown in self.page.buttons:
            if label in (shown, shown.removeprefix(f"{number}. ")):
                return await self.say(number)
        raise AssertionError(f"no button {label!r}: {self.page.buttons}")

    async def send_file(self, name: str, content: bytes, mime: str) -> httpx.Response:
        if self.page is None:
            await self.open()
        return await self.client.post(
            "/chat", data=self.page.hidden, files={"file": (name, content, mime)}
        )
