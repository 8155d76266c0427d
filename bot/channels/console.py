"""`python -m bot console`: the text conversation in a terminal, as one resident, against the
configured database. No token needed: the way to try the bot on a laptop."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from bot import i18n
from bot.channels.text import split_text
from bot.conversation.engine import TextConversation
from bot.conversation.inbound import Inbound, Kind
from bot.core import open_core
from bot.i18n import _
from bot.settings import Settings

CHANNEL = "console"


async def run_console(
    settings: Settings,
    user: str,
    *,
    read_line: Callable[[], str] = sys.stdin.readline,
    write: Callable[[str], None] = print,
) -> None:
    async with open_core(settings) as core:
        # Staff hear of a question filed here as from Zalo: the notice is queued in the outbox
        # for the bot's process to send.
        await talk(core.text_conversation(), settings, user, read_line, write)


async def talk(
    conversation: TextConversation,
    settings: Settings,
    user: str,
    read_line: Callable[[], str],
    write: Callable[[str], None],
) -> None:
    # The first line in the ward's language, like the notice that follows; "English" switches.
    with i18n.use_locale(settings.default_locale):
        write(
            _(
                "doithoai console: you are the resident “{user}”. Type a message and press "
                "Enter; Ctrl-D to quit; “English” switches the language."
            ).format(user=user)
        )
    while True:
        line = await asyncio.to_thread(read_line)
        if not line:  # end of input
            break
        text = line.rstrip("\n")
        inbound = Inbound(channel=CHANNEL, chat_id=user, user_id=user, kind=Kind.TEXT, text=text)
        for reply in await conversation.handle(inbound):
            for chunk in split_text(reply):
                write(chunk)
                write("")
