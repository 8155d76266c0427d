"""The resident web chat (`/chat`): the numbered-text conversation of Zalo and the console in a
phone's browser, with no app and no sign-in, and the printable poster that leads to it.

Works without JavaScript: each message is a form POST, answered by a redirect to the page
(so a reload never sends it again), which shows the last exchange, the messages that arrived
while the page was closed (then deletes them), and the current reply's numbered options as
buttons (a tap sends the number). The last exchange is kept in memory only; a page opened
where it is not known (another worker, a restart) shows the screen the resident is on.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field

import segno
from aiohttp import BodyPartReader, web
from sqlalchemy import delete, select

from bot import i18n
from bot.conversation.inbound import Inbound, Kind
from bot.conversation.replies import options_of, without_options
from bot.exports.docx_style import ward_short
from bot.i18n import _
from bot.journey.steps import Step
from bot.services import conference, residents
from bot.services.questions import MAX_ATTACHMENT_BYTES
from bot.storage import RecentlyUsed
from bot.web import chat_identity as identity
from bot.web.context import WebContext, context_of
from bot.web.templates import render
from models import WebChatMessage
from models.conversations import load_state

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

CHANNEL = "web"
SUBMIT_WORD = "gửi"  # what the review screen asks for, in every language
CHAT_PATH = "/chat"
EXCHANGES = "web_chat_exchanges"  # WebContext.extras: the last exchange of each chat
MAX_TEXT_FIELD = 8000  # characters of one typed message read from a form
_NONCE = re.compile(r"[0-9a-f]{32}")
# What the evidence step takes from a browser, told by the file's first bytes (not its name).
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


@dataclass
class Bubble:
    who: str  # "you" or "bot"
    text: str


@dataclass
class Upload:
    content: bytes | None  # None: larger than the limit
    name: str


@dataclass
class Posted:
    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None


def exchanges(context: WebContext) -> RecentlyUsed[str, list[Bubble]]:
    return context.extras.setdefault(EXCHANGES, RecentlyUsed())  # type: ignore[return-value]


def sniffed_mime(content: bytes) -> str | None:
    for signature, mime in _SIGNATURES:
        if content.startswith(signature):
            return mime
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


# --- the page -----------------------------------------------------------------------------------


@routes.get(CHAT_PATH)
async def chat_page(request: web.Request) -> web.Response:
    context = context_of(request)
    token = identity.cookie_token(request)
    fresh = token is None
    if token is None:  # a new browser: a new resident
        token = identity.new_token()
    chat = identity.chat_id(token)
    inbound = Inbound(channel=CHANNEL, chat_id=chat, user_id=chat, kind=Kind.TEXT)
    if "s" in request.query:  # the hall's poster: /chat?s=<session>
        await open_in_hall(context, inbound, request.query["s"])
        redirect = web.HTTPSeeOther(CHAT_PATH + "#latest")
        if fresh:
            identity.set_chat_cookie(request, redirect, token)
        raise redirect
    shown = exchanges(context).get(chat)
    if not shown:
        replies = await context.conversation.reopen(inbound)
        shown = [Bubble("bot", reply) for reply in replies]
    async with context.sessionmaker() as db, db.begin():
        waiting = await take_waiting(db, chat)
        stored = await load_state(db, CHANNEL, chat)
        resident = await residents.find(db, CHANNEL, chat)
    screen = (stored[1] if stored else {}).get("screen")
    locale = resident.locale if resident else i18n.current_locale()
    last = shown[-1].text if shown and shown[-1].who == "bot" else ""
    bubbles = list(shown)
    with i18n.use_locale(locale):
        options = options_of(last)
        if options:  # shown as the buttons below
            bubbles[-1] = Bubble("bot", without_options(last))
        if screen == Step.REVIEW and last:
            # The review says "reply gửi to submit" in words; a button does the same.
            options.insert(0, (SUBMIT_WORD, _("📨 Submit")))
        response = render(
            request,
            "chat.html",
            bubbles=bubbles,
            waiting=waiting,
            options=options,
            wants_file=screen == Step.ASK_ATTACHMENTS,
            chat_csrf=identity.csrf_token(token),
            chat_csrf_field=identity.CSRF_FIELD,
            nonce=secrets.token_hex(16),
            max_megabytes=MAX_ATTACHMENT_BYTES // (1024 * 1024),
        )
    if fresh:
        identity.set_chat_cookie(request, response, token)
    return response


async def open_in_hall(context: WebContext, inbound: Inbound, value: str) -> None:
    """The question form bound to the session while its conference is live (the question then
    joins its queue "from the hall"); otherwise the screen the resident is on, with a word that
    the conference is not live."""
    session_id = int(value) if value.isdigit() and len(value) < 10 else None
    live = None
    if session_id is not None:
        async with context.sessionmaker() as db:
            live = await conference.live_state(db, session_id)
    if live is not None and live.live:
        said = _(
            "Welcome to the dialogue conference! Your question goes into the hall's queue. "
            'To support a question already asked, send "ủng hộ" and its number.'
        )
        replies = await context.conversation.reopen(inbound, hall=session_id)
    else:
        said = _(
            "The conference is not live now. You can still send your question: it goes "
            "to the ward office as usual."
        )
        replies = await context.conversation.reopen(inbound)
    exchanges(context)[inbound.chat_id] = [
        Bubble("bot", said),
        *(Bubble("bot", r) for r in replies),
    ]


async def take_waiting(db, chat: str) -> list[str]:
    """The messages that arrived for this chat while its page was closed: shown once."""
    rows = (
        await db.execute(
            select(WebChatMessage.id, WebChatMessage.text)
            .where(WebChatMessage.chat_id == chat)
            .order_by(WebChatMessage.id)
        )
    ).all()
    if rows:
        await db.execute(delete(WebChatMessage).where(WebChatMessage.id.in_([r.id for r in rows])))
    return [r.text for r in rows]


# --- a message --------------------------------------------------------------------------------


@routes.post(CHAT_PATH)
async def chat_post(request: web.Request) -> web.Response:
    context = context_of(request)
    token = identity.cookie_token(request)
    posted = await read_form(request)
    if token is None or not identity.csrf_matches(token, posted.fields.get(identity.CSRF_FIELD)):
        return render(
            request,
            "chat_refused.html",
            status=403,
            message=_("This form has expired or did not come from this site. Open the page again."),
        )
    chat = identity.chat_id(token)
    nonce = posted.fields.get("n", "")
    message_id = nonce if _NONCE.fullmatch(nonce) else None
    text = posted.fields.get("text", "")[:MAX_TEXT_FIELD]
    upload = posted.upload
    base = dict(channel=CHANNEL, chat_id=chat, user_id=chat, message_id=message_id)
    if upload is not None:
        said = "📎 " + (upload.name or _("File"))
        refusal = refused_upload(upload)
        if refusal is not None:
            replies = [refusal, *await context.conversation.reopen(Inbound(kind=Kind.TEXT, **base))]
        else:
            inbound = Inbound(
                kind=Kind.IMAGE,
                text=text or None,
                content=upload.content,
                mime=sniffed_mime(upload.content or b""),
                filename=upload.name or None,
                **base,
            )
            replies = await context.conversation.handle(inbound)
    else:
        said = text
        replies = await context.conversation.handle(Inbound(kind=Kind.TEXT, text=text, **base))
    if replies:  # none: the same form sent twice, already answered
        exchanges(context)[chat] = [Bubble("you", said), *(Bubble("bot", r) for r in replies)]
    raise web.HTTPSeeOther(CHAT_PATH + "#latest")


def refused_upload(upload: Upload) -> str | None:
    if upload.content is None:
        return _("This file is too large; the limit is {limit} MB.").format(
            limit=MAX_ATTACHMENT_BYTES // (1024 * 1024)
        )
    if not upload.content or sniffed_mime(upload.content) is None:
        return _("This attachment cannot be stored. Please send a photo or a document.")
    return None


async def read_form(request: web.Request) -> Posted:
    """The form's fields; a file (multipart) is read in pieces up to the attachments' limit,
    beyond the application's limit for other request bodies."""
    posted = Posted()
    if request.content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        posted.fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return posted
    if request.content_type != "multipart/form-data":
        return posted
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename is not None:
            content = await read_limited(part, MAX_ATTACHMENT_BYTES)
            if part.filename or content:
                posted.upload = Upload(content, part.filename[:120])
        else:
            value = await read_limited(part, MAX_TEXT_FIELD * 4)
            if value is not None:
                posted.fields[part.name] = value.decode("utf-8", errors="replace")
    return posted


async def read_limited(part: BodyPartReader, limit: int) -> bytes | None:
    """The part's bytes, or None once it is larger than `limit` (the rest is skipped)."""
    content = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        content += chunk
        if len(content) > limit:
            while await part.read_chunk(64 * 1024):
                pass
            return None
    return bytes(content)


# --- the poster ---------------------------------------------------------------------------------


def chat_url(context: WebContext) -> str:
    return context.settings.public_url + CHAT_PATH


@routes.get(CHAT_PATH + "/poster")
async def poster(request: web.Request) -> web.Response:
    """An A4 page for the ward's notice board: scan the code, or type the address."""
    context = context_of(request)
    address = chat_url(context)
    code = segno.make(address, error="m")
    svg = code.svg_inline(scale=10, border=2, omitsize=True, title=address)
    ward = ward_short(context.settings.ward_name or "").upper()
    with i18n.use_locale(context.settings.default_locale):
        return render(request, "chat_poster.html", address=address, qr_svg=svg, ward=ward)
