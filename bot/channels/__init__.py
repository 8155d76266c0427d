"""Drivers that connect a messaging channel to the bot: Zalo, and the console."""
