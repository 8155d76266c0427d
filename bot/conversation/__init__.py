"""The channel-neutral text conversation: the whole resident journey as numbered text, for
channels without buttons (Zalo) and for the console. Never imports aiogram."""
