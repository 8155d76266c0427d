"""The resident's journey, whatever the channel: which screen comes next, what a typed value
must be, which consent a step needs, where a question draft goes. The Telegram dialogs
(`handlers/`) and the text conversation (`bot.conversation`) both call these functions and
only render the screen a step names and parse what the resident sent back.

Plain values and a database session in, a `Step` (and sometimes a note to show) out; never an
aiogram object, never a reply text of a channel's own."""
